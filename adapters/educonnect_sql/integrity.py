"""The audit trail's protection in the database itself: the append-only triggers of the first
migration must still be there, and enabled, for a database to be opened.

Someone able to drop a trigger can also rewrite the trail; the hash chain
(`educonnect_core.domain.audit`) shows such a rewrite, and this check refuses a database whose
protection was visibly removed.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, text

from educonnect_sql.errors import AuditUnprotected

__all__ = ["SQLITE_TRIGGERS", "check_append_only"]

#: The triggers refusing ``UPDATE`` and ``DELETE`` on the audit trail (SQLite).
SQLITE_TRIGGERS: Final = ("audit_trail_no_delete", "audit_trail_no_update")
_PG_TRIGGER: Final = "audit_trail_append_only"


def check_append_only(connection: Connection, where: str) -> None:
    """Raise `AuditUnprotected` unless the audit trail's append-only triggers are in place (and,
    on PostgreSQL, enabled). Reads only.
    """
    if connection.dialect.name == "postgresql":
        enabled = connection.execute(
            text(
                "SELECT tgenabled FROM pg_trigger "
                "WHERE tgrelid = 'audit_trail'::regclass AND tgname = :name"
            ),
            {"name": _PG_TRIGGER},
        ).scalar()
        if enabled is None:
            raise AuditUnprotected(where, f"trigger {_PG_TRIGGER} dropped")
        if enabled == "D":
            raise AuditUnprotected(where, f"trigger {_PG_TRIGGER} disabled")
        return
    found = set(
        connection.execute(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_trail'"
            )
        ).scalars()
    )
    missing = [name for name in SQLITE_TRIGGERS if name not in found]
    if missing:
        raise AuditUnprotected(where, "trigger(s) dropped: " + ", ".join(missing))
