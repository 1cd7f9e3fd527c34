"""The storage contract run against the in-memory reference, SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from tests.sql.conftest import PostgresServer

from educonnect_core.ports import Storage
from educonnect_core.testing import InMemoryStorage
from educonnect_core.testing.contract import StorageContract
from educonnect_sql import SqlStorage
from educonnect_sql.keys import Key


class TestInMemoryStorage(StorageContract):
    """The in-memory reference keeps every rule of the storage ports."""

    def make_storage(self) -> Storage:
        return InMemoryStorage()


class TestSqliteStorage(StorageContract):
    """SQLite (a file, WAL) keeps every rule of the storage ports."""

    def make_storage(self) -> Storage:
        folder = Path(tempfile.mkdtemp(prefix="educonnect-sqlite-"))
        return SqlStorage.open(f"sqlite:///{folder / 'educonnect.db'}", migrate=True)

    def dispose(self, storage: Storage) -> None:
        assert isinstance(storage, SqlStorage)
        storage.close()
        shutil.rmtree(Path(storage.where).parent, ignore_errors=True)


class TestSealedSqliteStorage(TestSqliteStorage):
    """SQLite with its secrets encrypted at rest keeps every rule of the storage ports."""

    def make_storage(self) -> Storage:
        folder = Path(tempfile.mkdtemp(prefix="educonnect-sqlite-"))
        url = f"sqlite:///{folder / 'educonnect.db'}"
        return SqlStorage.open(url, migrate=True, key=Key.generate())


@pytest.mark.usefixtures("postgres")
class TestPostgresStorage(StorageContract):
    """PostgreSQL keeps every rule of the storage ports."""

    @pytest.fixture(autouse=True)
    def _server(self, postgres: PostgresServer) -> None:
        self.server = postgres

    def make_storage(self) -> Storage:
        return SqlStorage.open(self.server.fresh_database(), migrate=True, key=Key.generate())

    def dispose(self, storage: Storage) -> None:
        assert isinstance(storage, SqlStorage)
        storage.close()


class TestPostgresCopyStorage(TestPostgresStorage):
    """PostgreSQL with every bulk write — even of one row — through ``COPY`` and a staging
    table (`educonnect_sql.copy`) keeps every rule of the storage ports.
    """

    def make_storage(self) -> Storage:
        storage = SqlStorage.open(self.server.fresh_database(), migrate=True, key=Key.generate())
        storage.copy_min = 1
        return storage
