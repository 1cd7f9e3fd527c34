"""What the parts of a unit of work (accounts, directory, outbox and audit, one-time codes) use
of it: a `typing.Protocol`, so that they depend on this small module and not on `storage`, which
builds them — the adapter's modules then import each other without a cycle (an import-linter
``acyclic_siblings`` contract checks it, type-checking imports included).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from educonnect_core.domain.account import Account
from educonnect_core.domain.records import AuditEntry, OutboxMessage
from educonnect_sql.sealing import Sealer

__all__ = ["Settings", "Work"]


class Settings(Protocol):
    """What the parts read of the storage that made the unit of work."""

    @property
    def sealer(self) -> Sealer:
        """Seals and opens the secrets at rest."""
        ...

    @property
    def chunk(self) -> int:
        """How many ids one ``IN (…)`` query carries."""
        ...

    @property
    def copy_min(self) -> int:
        """The fewest rows a bulk write sends through ``COPY`` (PostgreSQL)."""
        ...


class Work(Protocol):
    """The unit of work as its parts see it (`educonnect_sql.storage.SqlUnitOfWork`)."""

    #: Accounts added and not yet inserted, by id.
    pending_adds: dict[str, Account]
    #: Accounts updated and not yet written, by id.
    pending_updates: dict[str, Account]
    #: Every account object the unit of work wrote or will write (its identity map).
    staged: dict[str, Account]
    #: The version each staged account had before the unit of work.
    original: dict[str, int]
    #: The version each written account has in the database now.
    written: dict[str, int]
    #: Outbox and audit writes waiting for the commit.
    messages: list[OutboxMessage]
    sent: dict[str, datetime]
    failed: dict[str, tuple[datetime, str, datetime]]
    flying: dict[str, datetime]
    entries: list[AuditEntry]

    @property
    def storage(self) -> Settings:
        """The storage's settings."""
        ...

    @property
    def connection(self) -> Connection:
        """The connection of the open transaction."""
        ...

    def guard(self) -> AbstractContextManager[None]:
        """Translate driver errors (the transaction is then rolled back)."""
        ...

    def writer(self) -> Connection:
        """The connection, ready for a write."""
        ...

    def directory_writer(self) -> Connection:
        """The connection, ready for a directory write (the directory version checked)."""
        ...

    def flush(self) -> None:
        """Write the staged accounts."""
        ...

    def stage_add(self, account: Account) -> None:
        """Remember a new account."""
        ...

    def stage_update(self, account: Account) -> None:
        """Remember a changed account."""
        ...
