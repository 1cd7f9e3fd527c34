"""The PostgreSQL bulk path (`educonnect_sql.copy`: ``COPY`` into a staging table, then one
set-based statement) stores exactly what the statement path stores, changes exactly the rows it
is given, and integrations through it match the in-memory reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, select
from tests.sql.conftest import PostgresServer
from tests.sql.test_bulk import full_accounts, integrates_like_memory, pupils

from educonnect_core import DirectorySnapshot
from educonnect_core.domain.account import Account
from educonnect_core.domain.directory import Student
from educonnect_core.domain.values import Uai
from educonnect_core.testing.strategies import directory_snapshots
from educonnect_sql import SqlStorage
from educonnect_sql.bulk import binder, executemany, insert_sql, update_sql
from educonnect_sql.codec import (
    ACCOUNT_COLUMNS,
    ACCOUNT_UPDATED,
    STUDENT_COLUMNS,
    account_update_values,
    account_values,
    student_values,
)
from educonnect_sql.copy import delete_rows, store_rows, update_rows, uses_copy
from educonnect_sql.schema import ACCOUNTS, LINKS, STUDENTS

_ONE_AT_A_TIME = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def database_url(postgres: PostgresServer) -> str:
    """A migrated database for the module, emptied by each example."""
    return postgres.fresh_database()


@pytest.fixture(scope="module")
def pg(postgres: PostgresServer) -> Iterator[SqlStorage]:
    """An empty, migrated PostgreSQL storage for the module."""
    storage = SqlStorage.open(postgres.fresh_database(), migrate=True)
    yield storage
    storage.close()


def _all(connection: Connection, table: str, columns: tuple[str, ...]) -> list[Any]:
    query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1"  # noqa: S608
    return list(connection.exec_driver_sql(query).fetchall())


class TestSameRowsAsStatements:
    """For all accounts and pupils, ``COPY`` + ``INSERT … SELECT`` stores the very values the
    statement path stores, and ``COPY`` + ``UPDATE … FROM`` the values of ``UPDATE … WHERE``.
    """

    @_ONE_AT_A_TIME
    @given(found=st.lists(full_accounts(), min_size=1, max_size=4, unique_by=lambda a: a.login))
    def test_accounts(self, pg: SqlStorage, found: list[Account]) -> None:
        accounts = list({a.account_id: a for a in found}.values())
        with pg.engine.connect() as connection:
            connection.begin()
            assert uses_copy(connection, len(accounts), least=1)
            instant = binder(ACCOUNTS.c.created_at, connection.dialect)
            rows = [account_values(a, a.version, instant) for a in accounts]
            statement = insert_sql(ACCOUNTS, ACCOUNT_COLUMNS, connection.dialect, "nothing")
            assert executemany(connection, statement, rows) == len(rows)
            by_statement = _all(connection, "accounts", ACCOUNT_COLUMNS)
            changed = [
                (*account_update_values(attrs.evolve(a, surname=a.surname + "É"), a.version + 1,
                                        instant), a.account_id, a.version)
                for a in accounts
            ]  # fmt: skip
            update = update_sql(ACCOUNTS, ACCOUNT_UPDATED, ("account_id", "version"),
                                connection.dialect)  # fmt: skip
            assert executemany(connection, update, changed) == len(changed)
            updated_by_statement = _all(connection, "accounts", ACCOUNT_COLUMNS)
            connection.execute(delete(ACCOUNTS))

            stored = store_rows(connection, ACCOUNTS, ACCOUNT_COLUMNS, rows, conflict="nothing",
                                least=1)  # fmt: skip
            assert stored == len(rows)
            assert _all(connection, "accounts", ACCOUNT_COLUMNS) == by_statement
            assert update_rows(connection, ACCOUNTS, ACCOUNT_UPDATED, "account_id", changed,
                               least=1) == len(changed)  # fmt: skip
            assert _all(connection, "accounts", ACCOUNT_COLUMNS) == updated_by_statement
            stale = update_rows(connection, ACCOUNTS, ACCOUNT_UPDATED, "account_id", changed,
                                least=1)  # fmt: skip
            connection.rollback()
        assert stale == 0  # every version moved: nothing overwritten

    @_ONE_AT_A_TIME
    @given(found=st.lists(pupils(), min_size=1, max_size=4), renamed=st.booleans())
    def test_pupils(self, pg: SqlStorage, found: list[Student], renamed: bool) -> None:
        by_id = {p.student_id: p for p in found}
        with pg.engine.connect() as connection:
            connection.begin()
            dialect = connection.dialect
            day, flag = binder(STUDENTS.c.birth_date, dialect), binder(STUDENTS.c.admitted, dialect)
            rows = [student_values(p, day, flag) for p in by_id.values()]
            again = [
                student_values(attrs.evolve(p, surname=p.surname + "X") if renamed else p, day,
                               flag)
                for p in by_id.values()
            ]  # fmt: skip
            statement = insert_sql(STUDENTS, STUDENT_COLUMNS, dialect, "update", "student_id")
            executemany(connection, statement, rows)
            written = executemany(connection, statement, again)
            by_statement = _all(connection, "students", STUDENT_COLUMNS)
            connection.execute(delete(STUDENTS))
            for batch in (rows, again):
                done = store_rows(connection, STUDENTS, STUDENT_COLUMNS, batch, conflict="update",
                                  key="student_id", least=1)  # fmt: skip
            by_copy = _all(connection, "students", STUDENT_COLUMNS)
            connection.rollback()
        assert by_copy == by_statement
        assert done == written == (len(rows) if renamed else 0)  # unchanged rows not rewritten


class TestExactRows:
    """``DELETE … USING`` removes exactly the pairs given, ``ON CONFLICT DO NOTHING`` keeps the
    stored pairs, on both paths (``COPY`` from one row, and plain statements).
    """

    @pytest.mark.parametrize("least", [1, 1000])
    def test_links(self, pg: SqlStorage, least: int) -> None:
        pupil = Student.create(
            "E0",
            surname="Durand",
            first_name="Léa",
            birth_date=date(2017, 3, 1),
            uai=Uai("0750001U"),
        )
        with pg.engine.connect() as connection:
            connection.begin()
            dialect = connection.dialect
            day, flag = binder(STUDENTS.c.birth_date, dialect), binder(STUDENTS.c.admitted, dialect)
            for sid in ("E1", "E2"):
                values = student_values(attrs.evolve(pupil, student_id=sid), day, flag)
                store_rows(connection, STUDENTS, STUDENT_COLUMNS, [values], least=least)
            pairs = ("student_id", "responsable_id")
            links = [("E1", "R1"), ("E1", "R2"), ("E2", "R1"), ("E2", "R2")]
            assert store_rows(connection, LINKS, pairs, links, least=least) == 4
            again = [("E1", "R1"), ("E2", "R3")]
            assert store_rows(connection, LINKS, pairs, again, conflict="nothing",
                              least=least) == 1  # fmt: skip
            gone = delete_rows(connection, LINKS, pairs, [("E1", "R2"), ("E2", "R1")], least=least)
            left = sorted(connection.execute(select(LINKS.c.student_id, LINKS.c.responsable_id)))
            connection.rollback()
        assert gone == 2
        assert left == [("E1", "R1"), ("E2", "R2"), ("E2", "R3")]


class TestIntegrationAsInMemory:
    """For all pairs of snapshots, integrating them into PostgreSQL with every bulk write through
    ``COPY`` reports and stores what the in-memory reference does, and integrating the last one
    again rewrites nothing.
    """

    @settings(
        suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=15, deadline=None
    )
    @given(
        first=directory_snapshots(max_schools=3, max_pupils=10),
        second=directory_snapshots(max_schools=3, max_pupils=10),
        complete=st.booleans(),
    )
    def test_integrations(
        self,
        postgres: PostgresServer,
        database_url: str,
        *,
        first: DirectorySnapshot,
        second: DirectorySnapshot,
        complete: bool,
    ) -> None:
        second = attrs.evolve(second, complete=complete)
        sql = SqlStorage.open(postgres.emptied(database_url))
        sql.copy_min = 1
        try:
            integrates_like_memory(sql, first, second)
        finally:
            sql.close()
