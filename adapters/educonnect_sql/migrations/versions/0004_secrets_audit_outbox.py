"""Secrets at rest, the audit hash chain, messages in flight.

Adds the key check of the encrypted secrets (`educonnect_meta.key_check`), the digest of each
audit entry (`audit_trail.digest`, computed here for the entries already recorded, the
append-only triggers being lifted for that moment only) and the instant a message was handed to
the mailer (`outbox.in_flight_at`). The secrets themselves are encrypted by `SqlStorage.open`
the first time the database is opened with a key (a migration has no key).

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import sqlalchemy as sa
from alembic import op

from educonnect_core.domain.audit import GENESIS, chain_digest
from educonnect_core.domain.records import AuditEntry
from educonnect_sql.schema import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT: Final = sa.DateTime(timezone=True)

_AUDIT: Final = sa.table(
    "audit_trail",
    sa.column("seq", sa.Integer()),
    sa.column("at", UtcDateTime()),
    sa.column("actor", sa.Text()),
    sa.column("action", sa.Text()),
    sa.column("outcome", sa.Text()),
    sa.column("account_id", sa.Text()),
    sa.column("uai", sa.Text()),
    sa.column("detail", sa.Text()),
    sa.column("digest", sa.String(64)),
)


def _triggers(enable: bool) -> None:
    """Lift (`enable` False) or restore the append-only triggers of revision 0001."""
    if op.get_bind().dialect.name == "postgresql":
        verb = "ENABLE" if enable else "DISABLE"
        op.execute(f"ALTER TABLE audit_trail {verb} TRIGGER audit_trail_append_only")
        return
    for action in ("UPDATE", "DELETE"):
        name = f"audit_trail_no_{action.lower()}"
        if enable:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {action} ON audit_trail "
                "BEGIN SELECT RAISE(ABORT, 'audit_trail is append-only'); END"
            )
        else:
            op.execute(f"DROP TRIGGER {name}")


def _chain_existing() -> None:
    """Give every entry already recorded its digest, in `seq` order."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(_AUDIT).order_by(_AUDIT.c.seq)).mappings().all()
    if not rows:
        return
    _triggers(enable=False)
    previous = GENESIS
    digests = []
    for row in rows:
        entry = AuditEntry(
            row["at"],
            row["actor"],
            row["action"],
            row["outcome"],
            row["account_id"],
            row["uai"],
            row["detail"],
        )
        previous = chain_digest(previous, entry)
        digests.append({"b_seq": row["seq"], "b_digest": previous})
    bind.execute(
        _AUDIT.update()
        .where(_AUDIT.c.seq == sa.bindparam("b_seq"))
        .values(digest=sa.bindparam("b_digest")),
        digests,
    )
    _triggers(enable=True)


def upgrade() -> None:
    """Add the three columns and chain the entries already recorded."""
    op.add_column("educonnect_meta", sa.Column("key_check", sa.Text(), nullable=True))
    op.add_column("outbox", sa.Column("in_flight_at", INSTANT, nullable=True))
    op.add_column("audit_trail", sa.Column("digest", sa.String(length=64), nullable=True))
    _chain_existing()


def downgrade() -> None:
    """Drop the three columns; messages in flight are pending again. Encrypted secrets stay
    encrypted (revision 0001 cannot read them): downgrade only a database never opened with a key.
    """
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'inflight'")
    for table, column in (
        ("audit_trail", "digest"),
        ("outbox", "in_flight_at"),
        ("educonnect_meta", "key_check"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
