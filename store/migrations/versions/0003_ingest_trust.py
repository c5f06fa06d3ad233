"""Ingest under hostile mail: content-hash dedupe, reused Message-IDs, pending server actions

`mail_message` gains `id_key` (the Message-ID part of the dedupe key, indexed, so a reused
Message-ID is found), `content_hash` (of the mail with line endings and transport headers
normalised) and `reused_id`. Mails stored before keep their key; those with a Message-ID
get their `id_key` from it, their content hash is worked out when a mail with the same
Message-ID arrives. `imap_pending` keeps the `after_fetch` actions (flag \\Seen, move) the
server has not confirmed yet.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "id_key",
                sqlmodel.sql.sqltypes.AutoString(length=1000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "content_hash",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("reused_id", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Old keys: `mid:<Message-ID>` / `mid-sha256:<hash>` are exactly the new id_key.
    op.execute(
        "UPDATE mail_message SET id_key = dedupe_key "
        "WHERE dedupe_key LIKE 'mid:%' OR dedupe_key LIKE 'mid-sha256:%'"
    )
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.alter_column("id_key", server_default=None)
        batch_op.alter_column("content_hash", server_default=None)
        batch_op.alter_column("reused_id", server_default=None)
        batch_op.create_index(batch_op.f("ix_mail_message_id_key"), ["id_key"], unique=False)
    op.create_table(
        "imap_pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("folder", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account", "folder", "uidvalidity", "uid", name="uq_imap_pending"),
    )


def downgrade() -> None:
    """Revert this revision (mails stored since keep their new-style dedupe keys)."""
    op.drop_table("imap_pending")
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_message_id_key"))
        batch_op.drop_column("reused_id")
        batch_op.drop_column("content_hash")
        batch_op.drop_column("id_key")
