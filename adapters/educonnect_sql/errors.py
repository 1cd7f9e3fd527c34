"""The storage adapter's errors: each a `StorageError`, so callers of the core catch them as such.

Developers read the English message; `french` is the sentence for a person.
"""

from __future__ import annotations

from educonnect_core.errors import StorageError

__all__ = ["ConnectionLost", "NotOurDatabase", "SchemaMismatch", "StorageBusy"]


class NotOurDatabase(StorageError):
    """`location` is not an educonnect database (another application's, or not a database at
    all); nothing was read or written.
    """

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"{location} is not an educonnect database: {reason}")
        self.french = (
            f"La base {location} n’est pas une base EduConnect ; elle n’a pas été modifiée."
        )


class SchemaMismatch(StorageError):
    """The database's schema is at revision `found` where this library needs `expected`.

    `found` is None for an empty database. An older schema is brought up to date by opening with
    ``migrate=True``; a newer or unknown one needs a newer library.
    """

    def __init__(self, location: str, found: str | None, expected: str, *, known: bool) -> None:
        self.location = location
        self.found = found
        self.expected = expected
        self.known = known
        advice = (
            "open it with migrate=True to upgrade it"
            if known
            else "it was written by another version of the library"
        )
        super().__init__(
            f"{location}: schema at revision {found or 'none'}, expected {expected}; {advice}"
        )
        self.french = (
            "La base des comptes n’est pas à la version attendue par le logiciel ; "
            "aucune modification n’a été faite."
        )


class ConnectionLost(StorageError):
    """The connection to the database broke during a unit of work; the database rolled the
    transaction back, so nothing of it was applied.
    """

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"connection to the database lost: {detail}")


class StorageBusy(StorageError):
    """Another writer held the database longer than the lock timeout; nothing was applied."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"database busy (lock not obtained in time): {detail}")
        self.french = "Le stockage des comptes est occupé ; veuillez recommencer."
