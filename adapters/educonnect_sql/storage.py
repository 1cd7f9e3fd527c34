"""`SqlStorage` and its unit of work: one database transaction per unit of work.

Reads see what is committed and what this unit of work wrote. Accounts are written in batches
(``INSERT … ON CONFLICT DO NOTHING`` for new ones, ``UPDATE … WHERE version = :v`` for changed
ones) just before a query that reads them and at commit — on SQLite, big batches of new ones
meanwhile, in a helper thread (`Lane`); a row that was not written because its version moved
or its login is taken raises `ConcurrentChange`. The directory is written set-based at once,
under a directory version checked once per unit of work, as the in-memory reference does.
Outbox and audit writes wait for the commit, so that (as the ports say) only committed ones are
ever read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, Index, select, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from educonnect_core.domain.account import Account
from educonnect_core.domain.records import AuditEntry, OutboxMessage
from educonnect_core.errors import ConcurrentChange, StorageError
from educonnect_sql import migrate as migrations
from educonnect_sql.accounts import SqlAccounts, account_statements, insert_accounts
from educonnect_sql.bulk import binder
from educonnect_sql.codec import ACCOUNT_UPDATED, account_update_values
from educonnect_sql.codes import SqlCodes
from educonnect_sql.copy import COPY_MIN, update_rows
from educonnect_sql.directory import SqlDirectory
from educonnect_sql.engine import build_engine, is_sqlite, location, upgrade_to_writer, use_wal
from educonnect_sql.freshness import Freshness, take_written
from educonnect_sql.integrity import check_append_only
from educonnect_sql.keys import Key, create_private_file
from educonnect_sql.lane import Lane
from educonnect_sql.outbox import SqlAudit, SqlOutbox, write_audit, write_outbox
from educonnect_sql.schema import ACCOUNTS, LOAD_INDEXES, META
from educonnect_sql.sealing import Sealer, check_key, reseal
from educonnect_sql.translate import translate

__all__ = ["SqlStorage", "SqlUnitOfWork"]


class SqlStorage:
    """Accounts, directory, outbox and audit trail in a SQL database (SQLite or PostgreSQL).

    Build it with `SqlStorage.open(url)`; `close()` (or a ``with`` block) releases the pool.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        where: str | None = None,
        chunk: int = 500,
        lane_batch: int = 20_000,
        key: Key | None = None,
    ) -> None:
        self.engine = engine
        self.where = where or location(engine.url)
        #: Seals and opens the secrets at rest with the database's key (`educonnect_sql.sealing`).
        self.sealer = Sealer(key, self.where)
        #: How many ids one ``IN (…)`` query carries (where ids are not sent as one parameter).
        self.chunk = chunk
        #: How many new accounts a unit of work gathers before handing them to its `Lane`
        #: (SQLite only: on PostgreSQL, psycopg's pipelined ``executemany`` at commit is faster
        #: than a helper thread competing for the GIL).
        self.lane_batch = lane_batch
        self.lanes = engine.dialect.name == "sqlite"
        #: The fewest rows a bulk write sends through ``COPY`` and a staging table (PostgreSQL;
        #: `educonnect_sql.copy`): fewer go through plain statements.
        self.copy_min = COPY_MIN
        #: Analyzes the tables bulk writes grew, after their commit (PostgreSQL).
        self.freshness = Freshness()

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
        key: Key | None = None,
    ) -> SqlStorage:
        """Connect to `url` (``sqlite:///path.db`` or ``postgresql://…``) and check its schema,
        its audit trail's protection and its key.

        With `migrate`, an empty database or an older schema is brought to this library's
        revision by the shipped Alembic migrations. `key` (else the ``EDUCONNECT_KEY``
        environment variable) encrypts the secrets at rest; the first opening with a key
        encrypts those already stored. A new SQLite file is created with mode 0600 (its WAL
        files take the same). Raises `NotOurDatabase` (another application's database, or not a
        database), `SchemaMismatch` (wrong revision), `AuditUnprotected` (the audit trail's
        append-only triggers are gone), `KeyMissing` (encrypted, no key), `WrongKey`,
        `KeyUnreadable` or `ConnectionLost` (no server); the database is then left as it was.
        """
        parsed = make_url(url)
        where = location(parsed)
        sealer = Sealer(key if key is not None else Key.from_environment(), where)
        created = False
        #: SQLite opened through a ``file:`` URI with ``mode=ro`` (a command that only reads).
        read_only = parsed.query.get("mode") == "ro"
        if (
            parsed.get_backend_name() == "sqlite"
            and parsed.database not in (None, "", ":memory:")
            and not str(parsed.database).startswith("file:")
        ):
            created = create_private_file(str(parsed.database))
        engine = build_engine(parsed, busy_timeout=busy_timeout, echo=echo)
        try:
            with _translated(where):
                with engine.connect() as connection:
                    found = migrations.check_schema(connection, where, migrate=migrate)
                    sealed = False
                    if found is None:  # at head: refuse before touching anything
                        check_append_only(connection, where)
                        sealed = check_key(connection, sealer)
                use_wal(engine)
                if found is not None:
                    migrations.upgrade(engine)
                    with engine.connect() as connection:
                        check_append_only(connection, where)
                if sealer.sealing and not sealed and not read_only:  # seal what it holds, once
                    with engine.begin() as connection:
                        upgrade_to_writer(connection)
                        if not check_key(connection, sealer, lock=True):
                            reseal(connection, Sealer(None, where), sealer)
        except BaseException:
            engine.dispose()
            if created and parsed.database is not None:
                with suppress(FileNotFoundError):
                    _remove_if_empty(parsed.database)
            raise
        return cls(engine, where=where, key=sealer.key)

    def rotate_key(self, new: Key) -> int:
        """Re-encrypt every secret at rest under `new` in one transaction (the storage keeps
        working with `new` afterwards); how many values were re-encrypted. Other processes
        using the database must be stopped first: they would hold the old key. A storage opened
        without a key is encrypted by its first rotation.
        """
        target = Sealer(new, self.where)
        with _translated(self.where), self.engine.begin() as connection:
            upgrade_to_writer(connection)
            check_key(connection, self.sealer, lock=True)
            count = reseal(connection, self.sealer, target)
        self.sealer = target
        return count

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


def _remove_if_empty(path: str) -> None:
    """Remove the file this opening created, if nothing was written into it."""
    if os.path.getsize(path) == 0:
        os.unlink(path)


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
        self.codes = SqlCodes(self)
        self.committed = False
        self._connection: Connection | None = None
        self._lane = Lane()
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
        #: Indexes dropped for a bulk load, to build again before the next read (SQLite).
        self.dropped: list[Index] = []
        self.messages: list[OutboxMessage] = []
        self.sent: dict[str, datetime] = {}
        self.failed: dict[str, tuple[datetime, str, datetime]] = {}
        self.flying: dict[str, datetime] = {}
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
        self._lane.discard()
        connection, self._connection = self._connection, None
        self._clear()
        if connection is not None:
            with suppress(SQLAlchemyError):
                connection.rollback()
            with suppress(SQLAlchemyError):  # rolled back: nothing was written
                take_written(connection)
            with suppress(SQLAlchemyError):
                connection.close()

    @property
    def connection(self) -> Connection:
        """The connection of the open transaction, once the `Lane`'s batch is written (its
        error, if any, is raised here).
        """
        if self._lane.busy:
            with self.guard():
                self._lane.wait()
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
            if self.messages or self.flying or self.sent or self.failed or self.entries:
                connection = self.writer()
                write_outbox(
                    connection,
                    self.storage.sealer,
                    messages=self.messages,
                    flying=self.flying,
                    sent=self.sent,
                    failed=self.failed,
                )
                write_audit(connection, self.entries)
            connection = self.connection
            connection.commit()
        for account_id, account in self.staged.items():
            account.version = self.written.get(account_id, account.version + 1)
        self.committed = True
        with suppress(SQLAlchemyError):  # committed: a failed ANALYZE loses nothing
            self.storage.freshness.committed(connection, take_written(connection))
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
        if self.storage.lanes and len(self.pending_adds) >= self.storage.lane_batch:
            self._insert_in_lane()

    def _insert_in_lane(self) -> None:
        """Hand the pending new accounts to the lane (their rows are built here)."""
        with self.guard():
            connection = self.writer()
            self._drop_load_indexes(connection)
        adds, self.pending_adds = self.pending_adds, {}
        sealer = self.storage.sealer
        statements = account_statements(adds, connection.dialect, sealer)
        for account_id, account in adds.items():
            self.written[account_id] = account.version + 1
        chunk = self.storage.chunk
        self._lane.start(lambda: insert_accounts(connection, adds, statements, chunk, sealer))

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

    def _drop_load_indexes(self, connection: Connection) -> None:
        """Before the first batch of a bulk load into an (almost) empty accounts table on
        SQLite, drop the secondary indexes that new rows fill in random order (`LOAD_INDEXES`):
        building them once, sorted, at the next flush costs less than a million random inserts.
        DDL is transactional on SQLite: a rollback brings them back.
        """
        if self.dropped or not is_sqlite(connection):
            return
        rows = connection.exec_driver_sql("SELECT max(rowid) FROM accounts").scalar()
        if (rows or 0) >= self.storage.lane_batch:
            return
        for index in LOAD_INDEXES:
            index.drop(connection)
            self.dropped.append(index)

    def flush(self) -> None:
        """Write the staged accounts, checking versions; build again the indexes a bulk load
        dropped. Called before every query that reads accounts, and by `commit`.
        """
        self._write_staged()
        if self.dropped:
            with self.guard():
                connection = self.connection
                for index in self.dropped:
                    index.create(connection)
                self.dropped = []

    def _write_staged(self) -> None:
        if not (self.pending_adds or self.pending_updates):
            return
        with self.guard():
            connection = self.writer()
            adds, self.pending_adds = self.pending_adds, {}
            if adds:
                sealer = self.storage.sealer
                statements = account_statements(
                    adds, connection.dialect, sealer, least=self.storage.copy_min
                )
                insert_accounts(connection, adds, statements, self.storage.chunk, sealer)
                for account_id, account in adds.items():
                    self.written[account_id] = account.version + 1
            updates, self.pending_updates = self.pending_updates, {}
            if updates:
                self._write_updates(connection, updates)

    def _write_updates(self, connection: Connection, updates: dict[str, Account]) -> None:
        dialect = connection.dialect
        instant = binder(ACCOUNTS.c.created_at, dialect)
        secret = self.storage.sealer.account_secret()
        rows: list[tuple[Any, ...]] = []
        wanted: dict[str, int] = {}
        for account_id, account in updates.items():
            expected = self.written.get(account_id, self.original[account_id])
            version = self.original[account_id] + 1
            values = account_update_values(account, version, instant, secret)
            rows.append((*values, account_id, expected))
            wanted[account_id] = version
            self.written[account_id] = version
        done = update_rows(
            connection, ACCOUNTS, ACCOUNT_UPDATED, "account_id", rows, least=self.storage.copy_min
        )
        if done != len(rows):
            raise self._conflict(connection, wanted)

    def _conflict(self, connection: Connection, wanted: dict[str, int]) -> ConcurrentChange:
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
