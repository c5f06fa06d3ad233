"""`python -m backupchecks_tui` runs the CLI."""

from backupchecks_tui.cli import main

main()
