"""The directory's tables partitioned on PostgreSQL (`educonnect_sql.partitioning`): the storage
contract passes on them, a populated base keeps every row and answers as before, and every
school-scoped read still answers as on the unpartitioned schema.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from tests.sql.conftest import PostgresServer
from tests.sql.test_bulk import _school_snapshot, _stored

from educonnect_core import AccountState, Selection
from educonnect_core.domain.selection import SortColumn
from educonnect_core.ports import Storage
from educonnect_core.testing import in_memory_world
from educonnect_core.testing.contract import StorageContract
from educonnect_sql import SqlStorage
from educonnect_sql.keys import Key
from educonnect_sql.partitioning import PARTITIONED, partition_directory, partitioned_tables

_NOW = datetime(2025, 9, 1, 8, tzinfo=UTC)
_NAMES = itertools.count()
_TEMPLATE: dict[int, str] = {}


def _partitioned_database(postgres: PostgresServer) -> str:
    """A new database at the schema's head with the directory partitioned (4 partitions),
    copied from a template made once per server.
    """
    admin = postgres.admin()
    try:
        with admin.connect() as connection:
            if id(postgres) not in _TEMPLATE:
                url = postgres.fresh_database()
                engine = SqlStorage.open(url).engine
                with engine.begin() as writer:
                    partition_directory(writer, 4)
                    assert partitioned_tables(writer) == dict.fromkeys(PARTITIONED, 4)
                engine.dispose()
                _TEMPLATE[id(postgres)] = str(make_url(url).database)
            name = f"partitioned_{next(_NAMES)}"
            template = _TEMPLATE[id(postgres)]
            connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    finally:
        admin.dispose()
    return postgres.url(name)


def _shape(storage: SqlStorage) -> list[Any]:
    """The columns (types, collations), keys and indexes of the partitioned tables."""
    found = inspect(storage.engine)
    return [
        (
            [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)],
            found.get_pk_constraint(table),
            # (PostgreSQL also lists one internal constraint per partition referred to)
            [k for k in found.get_foreign_keys(table) if k["referred_table"] in PARTITIONED],
            sorted((i["name"], i["column_names"], i["unique"]) for i in found.get_indexes(table)),
        )
        for table in PARTITIONED
    ]


@pytest.mark.usefixtures("postgres")
class TestPartitionedPostgresStorage(StorageContract):
    """PostgreSQL with pupils, links and classes in hash partitions keeps every rule of the
    storage ports.
    """

    @pytest.fixture(autouse=True)
    def _server(self, postgres: PostgresServer) -> None:
        self.server = postgres

    def make_storage(self) -> Storage:
        storage = SqlStorage.open(_partitioned_database(self.server), key=Key.generate())
        storage.copy_min = 1  # the bulk path too, on every write
        return storage

    def dispose(self, storage: Storage) -> None:
        assert isinstance(storage, SqlStorage)
        storage.close()


class TestPopulatedBase:
    """Partitioning an integrated base keeps every row; it then answers the list, the statistics
    and a new integration as the unpartitioned one does.
    """

    def test_same_answers(self, postgres: PostgresServer) -> None:
        snapshot = _school_snapshot(schools=6, pupils_per_school=40)
        later = _school_snapshot(schools=6, pupils_per_school=35)  # pupils leave
        page = Selection(
            states=frozenset({AccountState.NOT_NOTIFIED}), sort=SortColumn.RESPONSABLE, page_size=20
        )
        answers = []
        for partitioned in (False, True):
            storage = SqlStorage.open(postgres.fresh_database())
            try:
                app = in_memory_world(seed=2, storage=storage).app
                app.integrate(snapshot)
                before = _stored(storage, snapshot)
                if partitioned:
                    with storage.engine.begin() as connection:
                        partition_directory(connection, 3)
                        assert partitioned_tables(connection) == dict.fromkeys(PARTITIONED, 3)
                        spread = connection.exec_driver_sql(
                            "SELECT count(*) FROM students_0"
                        ).scalar_one()
                    assert 0 < spread < len(snapshot.students)
                assert _stored(storage, snapshot) == before
                shape = _shape(storage)
                report = app.integrate(later)
                uai = snapshot.schools[2].uai
                with storage.unit_of_work() as uow:
                    answers.append(
                        (
                            report,
                            uow.directory.responsable_rows(uai, page),
                            uow.directory.statistics(uai, _NOW),
                            _stored(storage, snapshot),
                            shape,
                        )
                    )
            finally:
                storage.close()
        assert answers[0] == answers[1]
        assert answers[1][0].pupils_removed == 6 * 5

    def test_sqlite_refused(self, tmp_path: Path) -> None:
        storage = SqlStorage.open(f"sqlite:///{tmp_path}/p.db", migrate=True)
        try:
            with storage.engine.begin() as connection, pytest.raises(ValueError, match="SQLite"):
                partition_directory(connection)
        finally:
            storage.close()
