"""64-bit byte counts and IMAP UIDs

Backup sizes pass 2 GiB and IMAP UIDVALIDITY/UID are unsigned 32-bit numbers: both
overflow PostgreSQL's INTEGER. SQLite stores every integer in up to 64 bits already,
so there the (table-rebuilding) alter is skipped.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: dict[str, tuple[str, ...]] = {
    "job_run": ("size_bytes", "transferred_bytes"),
    "mail_message": ("uidvalidity", "uid", "raw_size"),
    "imap_state": ("uidvalidity", "last_uid"),
}


def _alter(old: type[sa.types.TypeEngine[int]], new: type[sa.types.TypeEngine[int]]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=new(), existing_type=old())


def upgrade() -> None:
    """Apply this revision."""
    _alter(sa.Integer, sa.BigInteger)


def downgrade() -> None:
    """Revert this revision (fails on PostgreSQL once a value no longer fits 32 bits)."""
    _alter(sa.BigInteger, sa.Integer)
