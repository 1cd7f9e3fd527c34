"""The storage adapter's errors: each a `StorageError`, so callers of the core catch them as such.

Developers read the English message; `french` is the sentence for a person.
"""

from __future__ import annotations

from educonnect_core.errors import StorageError

__all__ = [
    "AuditUnprotected",
    "ConnectionLost",
    "KeyMissing",
    "KeyUnreadable",
    "NotOurDatabase",
    "SchemaMismatch",
    "SecretUnreadable",
    "StorageBusy",
    "WrongKey",
]


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


class KeyMissing(StorageError):
    """The database's secrets are encrypted and no key was given (neither `key=` nor the
    ``EDUCONNECT_KEY`` environment variable); nothing was read or written.
    """

    def __init__(self, location: str) -> None:
        self.location = location
        super().__init__(f"{location}: its secrets are encrypted and no key was given")
        self.french = (
            f"La base {location} est chiffrée et aucune clé n’a été fournie "
            "(variable EDUCONNECT_KEY ou fichier de clé) ; elle n’a pas été modifiée."
        )


class WrongKey(StorageError):
    """The key given is not the one the database's secrets are encrypted with; nothing was
    read or written.
    """

    def __init__(self, location: str) -> None:
        self.location = location
        super().__init__(f"{location}: the key given does not open its secrets")
        self.french = (
            f"La clé fournie n’est pas celle de la base {location} ; la base n’a pas été modifiée."
        )


class KeyUnreadable(StorageError):
    """A key (file or environment variable) is not 32 bytes in base64, or cannot be read."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"key {source} unusable: {reason}")
        self.french = f"La clé {source} est illisible ou mal formée ; rien n’a été modifié."


class SecretUnreadable(StorageError):
    """A stored secret does not decrypt with the database's key for its row: it was altered or
    moved from another row (or written in clear into an encrypted database).
    """

    def __init__(self, location: str, table: str, column: str, row: str) -> None:
        self.location = location
        self.table = table
        self.column = column
        self.row = row
        super().__init__(f"{location}: {table}.{column} of {row} does not decrypt for this row")
        self.french = (
            f"Un secret de la base {location} a été altéré (ligne {row}) ; il ne peut pas être lu."
        )


class AuditUnprotected(StorageError):
    """The database's audit trail lost the triggers that make it append-only (someone dropped
    or disabled them): it is refused, nothing was read or written.
    """

    def __init__(self, location: str, missing: str) -> None:
        self.location = location
        self.missing = missing
        super().__init__(f"{location}: the audit trail is not append-only any more ({missing})")
        self.french = (
            f"Le journal d’audit de la base {location} n’est plus protégé contre les "
            "modifications ; la base est refusée et n’a pas été modifiée."
        )
