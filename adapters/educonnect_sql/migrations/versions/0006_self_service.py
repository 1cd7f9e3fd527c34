"""The guardian's self-service paths (issue 13): FranceConnect identities, merged accounts, SMS
one-time codes.

Adds `accounts.franceconnect_sub`, the pending forgotten-password link (`accounts.recovery_*`),
an index on `accounts.chosen_email` (recovery by e-mail), the `account_aliases` table (a merged
account's directory record → the surviving account) and the `one_time_codes` table (digests
only). The mobiles' line key (`accounts.mobile_line`) becomes their E.164 form, so that
``06…``, ``+336…`` and ``00336…`` are found as one line.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import sqlalchemy as sa
from alembic import op

from educonnect_core.domain.sms import line_key
from educonnect_core.domain.values import Mobile

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT: Final = sa.DateTime(timezone=True)
#: Text compared byte by byte (collation « C » on PostgreSQL; SQLite's default is binary).
BINARY: Final = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


_ACCOUNTS: Final = sa.table(
    "accounts",
    sa.column("account_id", sa.Text()),
    sa.column("mobile", sa.Text()),
    sa.column("mobile_line", sa.Text()),
)


def _rekey(key: Callable[[str], str]) -> None:
    """Give every mobile its line key `key(mobile)`, in batches."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_ACCOUNTS.c.account_id, _ACCOUNTS.c.mobile).where(_ACCOUNTS.c.mobile.is_not(None))
    ).all()
    statement = (
        sa.update(_ACCOUNTS)
        .where(_ACCOUNTS.c.account_id == sa.bindparam("id"))
        .values(mobile_line=sa.bindparam("line"))
    )
    for start in range(0, len(rows), 10_000):
        batch = rows[start : start + 10_000]
        connection.execute(statement, [{"id": i, "line": key(m)} for i, m in batch])


def _national(value: str) -> str:
    """The key of revisions 0001–0004: ``+336…`` → ``06…``."""
    return "0" + value[3:] if value.startswith("+33") else value


def upgrade() -> None:
    """Add the column and the two tables; key the mobiles in E.164."""
    _rekey(lambda value: line_key(Mobile(value)))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("franceconnect_sub", sa.Text(), nullable=True))
        batch.add_column(sa.Column("recovery_digest", sa.Text(), nullable=True))
        batch.add_column(sa.Column("recovery_email", sa.Text(), nullable=True))
        batch.add_column(sa.Column("recovery_expires_at", INSTANT, nullable=True))
        batch.create_index("ix_accounts_franceconnect_sub", ["franceconnect_sub"])
        batch.create_index("ix_accounts_recovery_digest", ["recovery_digest"])
        batch.create_index("ix_accounts_chosen_email", ["chosen_email"])
    op.create_table(
        "account_aliases",
        sa.Column("responsable_id", BINARY, primary_key=True),
        sa.Column("account_id", BINARY, nullable=False),
    )
    op.create_index("ix_account_aliases_account", "account_aliases", ["account_id"])
    op.create_table(
        "one_time_codes",
        sa.Column("line", sa.String(20), primary_key=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("digest", sa.Text(), nullable=True),
        sa.Column("proven", sa.Boolean(), nullable=False),
        sa.Column("sent_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", INSTANT, nullable=True),
    )


def downgrade() -> None:
    """Drop them (merged accounts stay deleted; their aliases are lost); national keys again."""
    _rekey(_national)
    op.drop_table("one_time_codes")
    op.drop_index("ix_account_aliases_account", table_name="account_aliases")
    op.drop_table("account_aliases")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_index("ix_accounts_chosen_email")
        batch.drop_index("ix_accounts_recovery_digest")
        batch.drop_index("ix_accounts_franceconnect_sub")
        batch.drop_column("recovery_expires_at")
        batch.drop_column("recovery_email")
        batch.drop_column("recovery_digest")
        batch.drop_column("franceconnect_sub")
