"""After a bulk integration into PostgreSQL the planner has statistics of the tables it filled
(`educonnect_sql.freshness`): a school's statistics and list page are planned as index probes,
not as a scan of every guardian link; small units of work never run ``ANALYZE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from tests.sql.conftest import PostgresServer
from tests.sql.test_bulk import _school_snapshot

from educonnect_core import AccountState, Responsable, Selection
from educonnect_core.domain.account import Account
from educonnect_core.domain.selection import SortColumn
from educonnect_core.domain.values import Login, Uai
from educonnect_core.testing import in_memory_world
from educonnect_sql import SqlStorage

_NOW = datetime(2025, 9, 1, 8, tzinfo=UTC)
_TABLES = ("accounts", "students", "guardian_links", "classes")


def _open(postgres: PostgresServer) -> SqlStorage:
    storage = SqlStorage.open(postgres.fresh_database(), migrate=True)
    with storage.engine.begin() as connection:  # only the library may analyze here
        for table in _TABLES:
            connection.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    return storage


@pytest.fixture
def storage(postgres: PostgresServer) -> Iterator[SqlStorage]:
    """A new, empty PostgreSQL storage whose tables autovacuum leaves alone."""
    opened = _open(postgres)
    yield opened
    opened.close()


def _analyzed(storage: SqlStorage) -> dict[str, float]:
    with storage.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", (list(_TABLES),)
        )
        return {name: float(tuples) for name, tuples in rows}


def _plans(storage: SqlStorage, uai: Uai) -> list[str]:
    """The plans (EXPLAIN) of the statements a school's statistics and list page run."""
    statements: list[tuple[str, Any]] = []

    def capture(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    page = Selection(
        text="a",
        states=frozenset({AccountState.NOT_NOTIFIED}),
        sort=SortColumn.RESPONSABLE,
        page=2,
        page_size=20,
    )
    with storage.unit_of_work() as uow:
        event.listen(storage.engine, "before_cursor_execute", capture)
        try:
            uow.directory.statistics(uai, _NOW)
            uow.directory.responsable_rows(uai, page)
        finally:
            event.remove(storage.engine, "before_cursor_execute", capture)
    plans = []
    with storage.engine.connect() as connection:
        # SSD storage, as docs/scale.md recommends (the test server keeps PostgreSQL's default)
        connection.exec_driver_sql("SET random_page_cost = 1.1")
        raw: Any = connection.connection.dbapi_connection
        for statement, parameters in statements:
            with raw.cursor() as cursor:
                cursor.execute("EXPLAIN " + statement, parameters)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


class TestAnalyzedAfterBulkIntegration:
    """An integration of thousands of rows leaves every table it filled analyzed, and the read
    models planned without a scan of a whole table (on SSD costs, as docs/scale.md asks); without
    the rule (a threshold nothing reaches) the tables stay unanalyzed — at 90,000 guardians the
    statistics were then planned as a hash join over every guardian link (docs/scale.md).
    """

    def test_integration(self, storage: SqlStorage) -> None:
        snapshot = _school_snapshot(schools=250, pupils_per_school=60)
        assert set(_analyzed(storage).values()) == {-1.0}  # never analyzed
        in_memory_world(seed=1, storage=storage).app.integrate(snapshot)
        analyzed = _analyzed(storage)
        assert analyzed["accounts"] > 1000
        assert analyzed["students"] > 1000
        assert analyzed["guardian_links"] > 1000
        assert storage.freshness.analyzed
        for plan in _plans(storage, snapshot.schools[7].uai):
            assert "Seq Scan on guardian_links" not in plan
            assert "Seq Scan on accounts" not in plan
            assert "Seq Scan on students" not in plan

    def test_without_the_rule(self, storage: SqlStorage) -> None:
        storage.freshness.min_rows = 10**9
        snapshot = _school_snapshot(schools=250, pupils_per_school=60)
        in_memory_world(seed=1, storage=storage).app.integrate(snapshot)
        assert set(_analyzed(storage).values()) == {-1.0}
        assert storage.freshness.analyzed == []


class TestSmallWrites:
    """A unit of work of a few rows, or one rolled back, runs no ``ANALYZE``."""

    def test_small_and_rolled_back(self, storage: SqlStorage) -> None:
        storage.freshness.min_rows = 3

        def add(uow: Any, n: int) -> None:
            responsable = Responsable(f"R{n}", "Martin", "Léa")
            uow.accounts.add(Account.pre_create(responsable, Login(f"l.martin{n}"), "AB23", _NOW))

        with storage.unit_of_work() as uow:
            add(uow, 1)
            uow.commit()
        with storage.unit_of_work() as uow:
            for n in range(10, 15):
                add(uow, n)
            uow.flush()  # written, then rolled back: not counted
        with storage.unit_of_work() as uow:
            add(uow, 2)
            uow.commit()
        assert storage.freshness.analyzed == []
        assert _analyzed(storage)["accounts"] == -1.0
        with storage.unit_of_work() as uow:
            add(uow, 3)
            uow.commit()
        assert storage.freshness.analyzed == [("accounts",)]
        assert _analyzed(storage)["accounts"] == 3.0
        storage.freshness.min_rows = 1
        with storage.unit_of_work() as uow:
            add(uow, 4)  # a third of the rows analyzed: not yet
            uow.commit()
        assert len(storage.freshness.analyzed) == 1
        with storage.unit_of_work() as uow:
            add(uow, 5)  # two thirds: analyzed again
            uow.commit()
        assert storage.freshness.analyzed == [("accounts",), ("accounts",)]
        assert _analyzed(storage)["accounts"] == 5.0
