"""Faults give typed errors and leave the data as it was: foreign files, wrong schemas, lost
connections, a lock held too long.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.sql.conftest import PostgresServer

from educonnect_core.domain.values import Mobile
from educonnect_core.errors import StorageError
from educonnect_core.testing.contract import account
from educonnect_sql import (
    ConnectionLost,
    NotOurDatabase,
    SchemaMismatch,
    SqlStorage,
    StorageBusy,
    schema_head,
)
from educonnect_sql.schema import VERSION_TABLE


@pytest.fixture
def sqlite_storage(tmp_path: Path) -> Iterator[SqlStorage]:
    storage = SqlStorage.open(f"sqlite:///{tmp_path / 'db.sqlite'}", migrate=True)
    yield storage
    storage.close()


def _count_accounts(storage: SqlStorage) -> int:
    with storage.engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM accounts").scalar_one())


class TestForeignFiles:
    """A file that is not our database is refused, typed, and left byte for byte."""

    def test_not_a_database(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.db"
        content = b"These are not the tables you are looking for.\n" * 200
        path.write_bytes(content)
        with pytest.raises(NotOurDatabase) as caught:
            SqlStorage.open(f"sqlite:///{path}", migrate=True)
        assert caught.value.location == str(path)
        assert isinstance(caught.value, StorageError)
        assert path.read_bytes() == content

    def test_another_applications_database(self, tmp_path: Path) -> None:
        path = tmp_path / "other.db"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
            connection.execute("INSERT INTO invoices VALUES (1, 9.5)")
        connection.close()
        before = path.read_bytes()
        with pytest.raises(NotOurDatabase, match="invoices"):
            SqlStorage.open(f"sqlite:///{path}", migrate=True)
        assert path.read_bytes() == before


class TestSchemaRevisions:
    """A database at another revision than the library's is refused unless it can migrate."""

    def test_empty_database_needs_migrate(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        with pytest.raises(SchemaMismatch) as caught:
            SqlStorage.open(url)
        assert (caught.value.found, caught.value.expected, caught.value.known) == (
            None,
            schema_head(),
            True,
        )
        SqlStorage.open(url, migrate=True).close()
        SqlStorage.open(url).close()

    def test_unknown_revision_is_refused_even_with_migrate(
        self, sqlite_storage: SqlStorage
    ) -> None:
        with sqlite_storage.unit_of_work() as uow:
            uow.accounts.add(account("R1", "j.dupont"))
            uow.commit()
        with sqlite_storage.engine.begin() as connection:
            connection.exec_driver_sql(
                f"UPDATE {VERSION_TABLE} SET version_num = '9999'"  # noqa: S608 - a constant.
            )
        sqlite_storage.close()
        for migrate in (False, True):
            with pytest.raises(SchemaMismatch) as caught:
                SqlStorage.open(sqlite_storage.engine.url, migrate=migrate)
            assert (caught.value.found, caught.value.known) == ("9999", False)
        assert _count_accounts(sqlite_storage) == 1


class TestLostConnection:
    """A connection lost in the middle of a unit of work raises ConnectionLost; nothing of the
    unit is stored.
    """

    def test_sqlite(self, sqlite_storage: SqlStorage) -> None:
        with sqlite_storage.unit_of_work() as uow:
            uow.accounts.add(account("R1", "j.dupont"))
            uow.accounts.by_mobile(Mobile("0600000000"))  # a read: the add is written
            uow.connection.connection.dbapi_connection.close()  # type: ignore[union-attr]
            with pytest.raises(ConnectionLost):  # noqa: PT012 - raised by the add or the commit.
                uow.accounts.add(account("R2", "m.durand"))
                uow.commit()
        assert _count_accounts(sqlite_storage) == 0

    def test_postgres(self, postgres: PostgresServer) -> None:
        storage = SqlStorage.open(postgres.fresh_database())
        try:
            with storage.unit_of_work() as uow:
                uow.accounts.add(account("R1", "j.dupont"))
                assert uow.accounts.by_login("j.dupont") is not None
                pid = uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                admin = postgres.admin()
                with admin.connect() as connection:
                    connection.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                admin.dispose()
                with pytest.raises(ConnectionLost):
                    uow.commit()
            assert _count_accounts(storage) == 0
            with storage.unit_of_work() as uow:
                uow.accounts.add(account("R2", "m.durand"))
                uow.commit()
            assert _count_accounts(storage) == 1
        finally:
            storage.close()


class TestBusy:
    """A writer waiting longer than the lock timeout gets StorageBusy and writes nothing."""

    def test_sqlite_lock_timeout(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'busy.db'}"
        SqlStorage.open(url, migrate=True).close()
        storage = SqlStorage.open(url, busy_timeout=0.2)
        try:
            with storage.unit_of_work() as holder, storage.unit_of_work() as waiter:
                holder.accounts.add(account("R1", "j.dupont"))
                holder.accounts.by_mobile(Mobile("0600000000"))  # a read: the add is written
                with pytest.raises(StorageBusy):  # noqa: PT012 - raised by the add or the commit.
                    waiter.accounts.add(account("R2", "m.durand"))
                    waiter.commit()
                holder.commit()
            assert _count_accounts(storage) == 1
        finally:
            storage.close()
