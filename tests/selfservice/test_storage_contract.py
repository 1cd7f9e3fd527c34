"""The self-service storage contract, run on the in-memory storage and on SQLite."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from tests.sql.conftest import PostgresServer
from tests.toolkit.dict_storage import DictStorage

from educonnect_core.ports import Storage
from educonnect_core.testing import InMemoryStorage
from educonnect_core.testing.contract_selfservice import SelfServiceContract
from educonnect_sql import SqlStorage
from educonnect_sql.keys import Key


class TestInMemorySelfService(SelfServiceContract):
    """The in-memory storage keeps codes, identities and merges as the contract says."""

    def make_storage(self) -> Storage:
        return InMemoryStorage()


class TestSqliteSelfService(SelfServiceContract):
    """SQLite keeps codes, identities and merges as the contract says."""

    def make_storage(self) -> Storage:
        folder = Path(tempfile.mkdtemp(prefix="educonnect-selfservice-"))
        return SqlStorage.open(f"sqlite:///{folder / 'db.sqlite'}", migrate=True)

    def dispose(self, storage: Storage) -> None:
        assert isinstance(storage, SqlStorage)
        folder = Path(storage.where).parent
        storage.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.usefixtures("postgres")
class TestPostgresSelfService(SelfServiceContract):
    """PostgreSQL keeps codes, identities and merges as the contract says."""

    @pytest.fixture(autouse=True)
    def _server(self, postgres: PostgresServer) -> None:
        self.server = postgres

    def make_storage(self) -> Storage:
        return SqlStorage.open(self.server.fresh_database(), migrate=True, key=Key.generate())

    def dispose(self, storage: Storage) -> None:
        assert isinstance(storage, SqlStorage)
        storage.close()


class TestDictSelfService(SelfServiceContract):
    """The from-scratch dict storage of docs/adapters.md keeps codes, identities and merges."""

    def make_storage(self) -> Storage:
        return DictStorage()
