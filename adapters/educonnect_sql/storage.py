"""`SqlStorage` and its unit of work: one database transaction per unit of work.

Reads see what is committed and what this unit of work wrote. Accounts are written in batches
(``INSERT … ON CONFLICT DO NOTHING`` for new ones, ``UPDATE … WHERE version = :v`` for changed
ones) just before a query that reads them and at commit; a row that was not written because its
version moved raises `ConcurrentChange`. The directory is written set-based at once, under a
directory version checked once per unit of work, as the in-memory reference does. Outbox and
audit writes wait for the commit, so that (as the ports say) only committed ones are ever read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from educonnect_core.domain.account import Account
from educonnect_core.domain.records import AuditEntry, OutboxMessage
from educonnect_core.errors import ConcurrentChange, StorageError
from educonnect_sql import migrate as migrations
from educonnect_sql.accounts import SqlAccounts, insert_accounts
from educonnect_sql.codec import account_row
from educonnect_sql.directory import SqlDirectory
from educonnect_sql.engine import build_engine, location, upgrade_to_writer, use_wal
from educonnect_sql.outbox import SqlAudit, SqlOutbox, write_audit, write_outbox
from educonnect_sql.schema import ACCOUNTS, META
from educonnect_sql.translate import translate

__all__ = ["SqlStorage", "SqlUnitOfWork"]


class SqlStorage:
    """Accounts, directory, outbox and audit trail in a SQL database (SQLite or PostgreSQL).

    Build it with `SqlStorage.open(url)`; `close()` (or a ``with`` block) releases the pool.
    """

    def __init__(self, engine: Engine, *, where: str | None = None, chunk: int = 500) -> None:
        self.engine = engine
        self.where = where or location(engine.url)
        #: How many ids one ``IN (…)`` query carries.
        self.chunk = chunk

    def __repr__(self) -> str:
        return f"<SqlStorage {self.engine.dialect.name} {self.where}>"

    @classmethod
    def open(
        cls,
        url: str | URL,
        *,
        migrate: bool = False,
        busy_timeout: float = 30.0,
        echo: bool = False,
    ) -> SqlStorage:
        """Connect to `url` (``sqlite:///path.db`` or ``postgresql://…``) and check its schema.

        With `migrate`, an empty database or an older schema is brought to this library's
        revision by the shipped Alembic migrations. Raises `NotOurDatabase` (another
        application's database, or not a database), `SchemaMismatch` (wrong revision) or
        `ConnectionLost` (no server); the database is then left as it was.
        """
        parsed = make_url(url)
        where = location(parsed)
        engine = build_engine(parsed, busy_timeout=busy_timeout, echo=echo)
        try:
            with _translated(where):
                with engine.connect() as connection:
                    found = migrations.check_schema(connection, where, migrate=migrate)
                use_wal(engine)
                if found is not None:
                    migrations.upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, where=where)

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new, not yet entered, unit of work."""
        return SqlUnitOfWork(self)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@contextmanager
def _translated(where: str) -> Iterator[None]:
    try:
        yield
    except DBAPIError as error:
        raise translate(error, where) from error


class SqlUnitOfWork:
    """One transaction on a `SqlStorage` (see the module's docstring for the write rules)."""

    def __init__(self, storage: SqlStorage) -> None:
        self.storage = storage
        self.accounts = SqlAccounts(self)
        self.directory = SqlDirectory(self)
        self.outbox = SqlOutbox(self)
        self.audit = SqlAudit(self)
        self.committed = False
        self._connection: Connection | None = None
        self._clear()

    def _clear(self) -> None:
        self._writer = False
        self._dir_base = 0
        self._dir_written = False
        #: Accounts added here and not yet inserted, by id.
        self.pending_adds: dict[str, Account] = {}
        #: The logins of the accounts added here.
        self.added_logins: set[str] = set()
        #: Accounts updated here and not yet written, by id.
        self.pending_updates: dict[str, Account] = {}
        #: Every account object this unit of work wrote or will write (its identity map).
        self.staged: dict[str, Account] = {}
        #: The version each staged account had before this unit of work.
        self.original: dict[str, int] = {}
        #: The version each written account has in the database now.
        self.written: dict[str, int] = {}
        self.messages: list[OutboxMessage] = []
        self.sent: dict[str, datetime] = {}
        self.failed: dict[str, tuple[datetime, str, datetime]] = {}
        self.entries: list[AuditEntry] = []

    def __repr__(self) -> str:
        return f"<SqlUnitOfWork committed={self.committed}>"

    # -- the transaction ----------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._end()

    def _begin(self) -> None:
        self._clear()
        with self.guard():
            connection = self.storage.engine.connect()
            self._connection = connection
            connection.begin()
            base = connection.execute(
                select(META.c.directory_version).where(META.c.id == 1)
            ).scalar_one()
            self._dir_base = int(base)

    def _end(self) -> None:
        """Roll back whatever is open and give the connection back to the pool."""
        connection, self._connection = self._connection, None
        self._clear()
        if connection is not None:
            with suppress(SQLAlchemyError):
                connection.rollback()
            with suppress(SQLAlchemyError):
                connection.close()

    @property
    def connection(self) -> Connection:
        """The connection of the open transaction."""
        if self._connection is None:
            raise StorageError("the unit of work is not entered (use it in a `with` block)")
        return self._connection

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Translate driver errors; after one, the transaction is rolled back and closed."""
        try:
            yield
        except DBAPIError as error:
            self._end()
            raise translate(error, self.storage.where) from error
        except ConcurrentChange:
            self._end()
            self._begin()
            raise

    def writer(self) -> Connection:
        """The connection, ready for a write (see `engine.upgrade_to_writer`)."""
        connection = self.connection
        if not self._writer:
            upgrade_to_writer(connection)
            self._writer = True
        return connection

    def directory_writer(self) -> Connection:
        """The connection, ready for a directory write: the first one checks that nobody else
        changed the directory since this unit of work began (`ConcurrentChange` otherwise).
        """
        connection = self.writer()
        if not self._dir_written:
            bumped = connection.execute(
                update(META)
                .where(META.c.id == 1, META.c.directory_version == self._dir_base)
                .values(directory_version=META.c.directory_version + 1)
            ).rowcount
            if bumped != 1:
                current = connection.execute(select(META.c.directory_version)).scalar_one()
                raise ConcurrentChange("directory", self._dir_base, int(current))
            self._dir_written = True
        return connection

    def commit(self) -> None:
        """Write what waits, check versions, commit; or raise and keep nothing."""
        with self.guard():
            self.flush()
            if self.messages or self.sent or self.failed or self.entries:
                connection = self.writer()
                write_outbox(connection, self.messages, self.sent, self.failed)
                write_audit(connection, self.entries)
            self.connection.commit()
        for account_id, account in self.staged.items():
            account.version = self.written.get(account_id, account.version + 1)
        self.committed = True
        self._end()
        self._begin()

    def rollback(self) -> None:
        """Forget every uncommitted change and begin afresh."""
        self._end()
        self._begin()

    # -- accounts -----------------------------------------------------------------------------

    def stage_add(self, account: Account) -> None:
        """Remember a new account (inserted at the next flush)."""
        account_id = account.account_id
        if account_id in self.staged or account.login.value in self.added_logins:
            raise ConcurrentChange(account_id, 0, None)
        self.added_logins.add(account.login.value)
        self.pending_adds[account_id] = account
        self.staged[account_id] = account
        self.original[account_id] = account.version

    def stage_update(self, account: Account) -> None:
        """Remember a changed account (written at the next flush)."""
        account_id = account.account_id
        if account_id in self.pending_adds:
            self.pending_adds[account_id] = account
            self.staged[account_id] = account
            return
        if account_id in self.original and account.version != self.original[account_id]:
            raise ConcurrentChange(account_id, account.version, self.original[account_id])
        self.original.setdefault(account_id, account.version)
        self.pending_updates[account_id] = account
        self.staged[account_id] = account

    def flush(self) -> None:
        """Write the staged accounts, checking versions."""
        if not (self.pending_adds or self.pending_updates):
            return
        with self.guard():
            connection = self.writer()
            adds, self.pending_adds = self.pending_adds, {}
            if adds:
                insert_accounts(connection, adds, self.storage.chunk)
                for account_id, account in adds.items():
                    self.written[account_id] = account.version + 1
            updates, self.pending_updates = self.pending_updates, {}
            if updates:
                self._write_updates(connection, updates)

    def _write_updates(self, connection: Connection, updates: dict[str, Account]) -> None:
        rows: list[dict[str, Any]] = []
        for account_id, account in updates.items():
            expected = self.written.get(account_id, self.original[account_id])
            version = self.original[account_id] + 1
            row = account_row(account, version)
            del row["account_id"]
            row["b_id"], row["b_expected"] = account_id, expected
            rows.append(row)
            self.written[account_id] = version
        statement = update(ACCOUNTS).where(
            ACCOUNTS.c.account_id == bindparam("b_id"),
            ACCOUNTS.c.version == bindparam("b_expected"),
        )
        if connection.dialect.supports_sane_multi_rowcount:
            done = connection.execute(statement, rows).rowcount
        else:  # pragma: no cover - both supported drivers report executemany counts
            done = sum(connection.execute(statement, row).rowcount for row in rows)
        if done != len(rows):
            raise self._conflict(connection, rows)

    def _conflict(self, connection: Connection, rows: list[dict[str, Any]]) -> ConcurrentChange:
        wanted = {row["b_id"]: row["version"] for row in rows}
        query = select(ACCOUNTS.c.account_id, ACCOUNTS.c.version).where(
            ACCOUNTS.c.account_id.in_(list(wanted))
        )
        found = {row.account_id: row.version for row in connection.execute(query)}
        for account_id in sorted(wanted):
            if found.get(account_id) != wanted[account_id]:
                return ConcurrentChange(
                    account_id, self.original[account_id], found.get(account_id)
                )
        first = min(wanted)
        return ConcurrentChange(first, self.original[first], found.get(first))
