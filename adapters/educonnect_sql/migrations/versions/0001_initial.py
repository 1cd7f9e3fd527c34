"""The initial schema: directory, accounts, outbox, audit trail, and the directory version.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Instants: timestamptz on PostgreSQL, UTC text on SQLite (see `educonnect_sql.schema`).
INSTANT: Final = sa.DateTime(timezone=True)
#: Text compared byte by byte (collation « C » on PostgreSQL; SQLite's default is binary).
BINARY: Final = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

_APPEND_ONLY_PG = """
CREATE FUNCTION audit_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_trail is append-only';
END;
$$
"""


def _append_only() -> None:
    """Refuse, in the database itself, any change or deletion of audit entries."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY_PG)
        op.execute(
            "CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE ON audit_trail "
            "FOR EACH ROW EXECUTE FUNCTION audit_trail_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_trail_no_{verb.lower()} BEFORE {verb} ON audit_trail "
            "BEGIN SELECT RAISE(ABORT, 'audit_trail is append-only'); END"
        )


def upgrade() -> None:
    """Create every table and index, the directory version row and the audit triggers."""
    op.create_table(
        "accounts",
        sa.Column("account_id", BINARY, nullable=False),
        sa.Column("login", BINARY, nullable=False),
        sa.Column("login_base", BINARY, nullable=False),
        sa.Column("surname", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("surname_key", BINARY, nullable=False),
        sa.Column("first_name_key", BINARY, nullable=False),
        sa.Column("password_kind", sa.String(length=16), nullable=False),
        sa.Column("provisional_secret", sa.Text(), nullable=True),
        sa.Column("provisional_carried_at", INSTANT, nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("directory_email", sa.Text(), nullable=True),
        sa.Column("chosen_email", sa.Text(), nullable=True),
        sa.Column("mobile", sa.String(length=16), nullable=True),
        sa.Column("mobile_line", sa.String(length=16), nullable=True),
        sa.Column("distributed_at", INSTANT, nullable=True),
        sa.Column("last_login_at", INSTANT, nullable=True),
        sa.Column("activated_at", INSTANT, nullable=True),
        sa.Column("login_failures", sa.Integer(), nullable=False),
        sa.Column("login_locked_until", INSTANT, nullable=True),
        sa.Column("birth_date_failures", sa.Integer(), nullable=False),
        sa.Column("birth_date_locked_until", INSTANT, nullable=True),
        sa.Column("activation_digest", sa.Text(), nullable=True),
        sa.Column("activation_email", sa.Text(), nullable=True),
        sa.Column("activation_expires_at", INSTANT, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
        sa.UniqueConstraint("login"),
    )
    op.create_index(
        "ix_accounts_activation_digest", "accounts", ["activation_digest"], unique=False
    )
    op.create_index("ix_accounts_login_base", "accounts", ["login_base"], unique=False)
    op.create_index("ix_accounts_mobile_line", "accounts", ["mobile_line"], unique=False)

    op.create_table(
        "audit_trail",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("uai", sa.String(length=8), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_audit_trail_account", "audit_trail", ["account_id", "seq"], unique=False)
    op.create_index("ix_audit_trail_at", "audit_trail", ["at"], unique=False)

    op.create_table(
        "classes",
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("name", BINARY, nullable=False),
        sa.Column("name_key", BINARY, nullable=False),
        sa.PrimaryKeyConstraint("class_id"),
    )
    op.create_index("ix_classes_uai", "classes", ["uai"], unique=False)

    op.create_table(
        "educonnect_meta",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("directory_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "outbox",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("letter", sa.Text(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", INSTANT, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_index(
        "ix_outbox_status_created", "outbox", ["status", "created_at", "message_id"], unique=False
    )

    op.create_table(
        "schools",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("uai"),
    )
    op.create_table(
        "students",
        sa.Column("student_id", BINARY, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("surname", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("surname_key", BINARY, nullable=False),
        sa.Column("first_name_key", BINARY, nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=True),
        sa.Column("class_key", BINARY, nullable=False),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column("ine", sa.String(length=11), nullable=True),
        sa.Column("admitted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("student_id"),
    )
    op.create_index("ix_students_uai", "students", ["uai", "student_id"], unique=False)

    op.create_table(
        "guardian_links",
        sa.Column("student_id", BINARY, nullable=False),
        sa.Column("responsable_id", BINARY, nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("student_id", "responsable_id"),
    )
    op.create_index(
        "ix_guardian_links_responsable",
        "guardian_links",
        ["responsable_id", "student_id"],
        unique=False,
    )
    op.bulk_insert(
        sa.table("educonnect_meta", sa.column("id"), sa.column("directory_version")),
        [{"id": 1, "directory_version": 0}],
    )
    _append_only()


def downgrade() -> None:
    """Drop everything the upgrade created."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_trail_append_only ON audit_trail")
        op.execute("DROP FUNCTION audit_trail_append_only()")
    for table in (
        "guardian_links",
        "students",
        "schools",
        "outbox",
        "educonnect_meta",
        "classes",
        "audit_trail",
        "accounts",
    ):
        op.drop_table(table)
