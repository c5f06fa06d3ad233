"""View data: the frozen dataclasses services return and screens show.

Stdlib, `backupchecks_tui.domain` and `backupchecks_tui.roles` only: the screens import
these modules, and nothing under them may pull in SQLAlchemy, the store or the parsers
(an import-linter contract says so, indirect imports included). One module per area.
"""
