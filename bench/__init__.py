"""Benchmarks (run each file as a script, e.g. `uv run python bench/parsers.py`)."""
