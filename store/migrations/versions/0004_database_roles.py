"""database group roles for Viewer, Operator and Admin

On PostgreSQL the roles are enforced by the database as well as by the app: three NOLOGIN
group roles with the matching grants, so a Viewer's login cannot write even from psql.
Group roles are cluster-wide; they are created once (race-safe) and reused by every
database of the cluster. Login roles already registered as operators get their group.
SQLite has no roles: nothing to do there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWER = "backupchecks_viewer"
OPERATOR = "backupchecks_operator"
ADMIN = "backupchecks_admin"
GROUPS = {"viewer": VIEWER, "operator": OPERATOR, "admin": ADMIN}

# Two first starts on two databases of one cluster may both find a group role missing:
# the loser's CREATE ROLE then fails on the catalog's unique index, which means "done".
_CREATE_GROUP = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{name}') THEN
        BEGIN
            CREATE ROLE {name} NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$
"""


def _schema() -> str:
    """The quoted schema the tables live in."""
    bind = op.get_bind()
    name = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    return str(bind.dialect.identifier_preparer.quote_identifier(name))


def upgrade() -> None:
    """Create the group roles, grant each its rights, give registered operators theirs."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = _schema()
    for name in GROUPS.values():
        op.execute(_CREATE_GROUP.format(name=name))
    # Admins grant the lower groups to colleagues (`operator add`) through this option.
    op.execute(f"GRANT {VIEWER}, {OPERATOR} TO {ADMIN} WITH ADMIN OPTION")

    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {VIEWER}")
    op.execute(f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {VIEWER}")

    # Operators review, override, ticket, remark, map customers, edit schedules and
    # ingest: ordinary writes everywhere except the operator list (Admins manage it),
    # the audit log (append only), deleting overrides (Admins) and the schema version.
    op.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {OPERATOR}"
    )
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {OPERATOR}")
    op.execute(f'REVOKE INSERT, UPDATE, DELETE ON {schema}."operator" FROM {OPERATOR}')
    op.execute(f'REVOKE UPDATE, DELETE ON {schema}."audit_event" FROM {OPERATOR}')
    op.execute(f'REVOKE DELETE ON {schema}."override" FROM {OPERATOR}')
    op.execute(f'REVOKE INSERT, UPDATE, DELETE ON {schema}."alembic_version" FROM {OPERATOR}')

    op.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {ADMIN}")
    # Every login may see the schema version: a colleague without a role yet then meets
    # "ask an Admin for a role" instead of a failed migration check.
    op.execute(f'GRANT SELECT ON {schema}."alembic_version" TO PUBLIC')
    op.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA {schema} TO {ADMIN}")

    # Tables of later migrations (made by the same schema owner) are readable by every
    # group at once; a migration that adds a table grants the Operator's writes itself.
    for group in (VIEWER, OPERATOR):
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {group}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT ALL ON TABLES TO {ADMIN}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES "
        f"TO {OPERATOR}"
    )
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT ALL ON SEQUENCES TO {ADMIN}")

    quote = bind.dialect.identifier_preparer.quote_identifier
    registered = bind.execute(
        sa.text(
            'SELECT o.login, o.role FROM "operator" o '
            "JOIN pg_catalog.pg_roles r ON r.rolname = o.login"
        )
    ).all()
    for login, role in registered:
        group = GROUPS.get(role, VIEWER)
        option = " WITH ADMIN OPTION" if group == ADMIN else ""
        op.execute(f"GRANT {group} TO {quote(login)}{option}")


def downgrade() -> None:
    """Take this database's rights from the groups (the roles stay: other databases)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = _schema()
    for name in GROUPS.values():
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {name}")
        op.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {name}"
        )
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {name}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {name}")
    op.execute(f'REVOKE SELECT ON {schema}."alembic_version" FROM PUBLIC')
