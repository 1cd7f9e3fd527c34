"""Driver errors translated into the core's: a broken connection, a lock wait, a foreign file."""

from __future__ import annotations

from typing import Final

from sqlalchemy.exc import DBAPIError

from educonnect_core.errors import EduconnectError, StorageError
from educonnect_sql.errors import ConnectionLost, NotOurDatabase, StorageBusy

__all__ = ["translate"]

#: SQLSTATEs of a PostgreSQL transaction that lost a race or waited too long.
_BUSY: Final = {"40001", "40P01", "55P03", "57014"}
_FOREIGN_SQLITE: Final = ("file is not a database", "database disk image is malformed")
_BUSY_SQLITE: Final = ("database is locked", "database is busy", "database table is locked")
_CLOSED: Final = ("closed database", "connection is closed", "server closed the connection")


def translate(error: DBAPIError, where: str) -> EduconnectError:
    """The `StorageError` that says what `error` means for the caller."""
    text = str(error.orig)
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    closed = any(s in text for s in _CLOSED)
    if error.connection_invalidated or closed or sqlstate.startswith(("08", "57P")):
        return ConnectionLost(text.splitlines()[0] if text else type(error.orig).__name__)
    if sqlstate in _BUSY or any(s in text for s in _BUSY_SQLITE):
        return StorageBusy(text.splitlines()[0])
    if any(s in text for s in _FOREIGN_SQLITE):
        return NotOurDatabase(where, text)
    return StorageError(f"{where}: {type(error.orig).__name__}: {text}")
