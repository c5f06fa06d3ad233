"""Test suite of backupchecks-tui (a package so helpers import as ``tests.…``)."""
