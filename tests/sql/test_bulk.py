"""The bulk path of the SQL adapter (plain DBAPI statements, one parameter per id set) stores and
reads exactly what SQLAlchemy's typed path does, and integrations through it match the in-memory
reference.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, inspect, select
from tests.sql.conftest import PostgresServer

from educonnect_core import DirectorySnapshot, GuardianLink, Responsable, School, SchoolClass
from educonnect_core.domain.account import Account, FailureCounter
from educonnect_core.domain.directory import Student
from educonnect_core.domain.values import Level, Login, Uai, uai_check_letter
from educonnect_core.errors import ConcurrentChange
from educonnect_core.ports import Storage
from educonnect_core.testing import InMemoryStorage, in_memory_world
from educonnect_core.testing.strategies import (
    accounts,
    birth_dates,
    directory_snapshots,
    ines,
    mobiles,
    person_names,
)
from educonnect_sql import SqlStorage
from educonnect_sql.bulk import binder, executemany, ids_parameter, in_ids, insert_sql, loader
from educonnect_sql.codec import (
    ACCOUNT_COLUMNS,
    ACCOUNT_READ,
    STUDENT_COLUMNS,
    STUDENT_READ,
    account_from_row,
    account_from_values,
    account_row,
    account_values,
    student_from_row,
    student_from_values,
    student_row,
    student_values,
)
from educonnect_sql.schema import ACCOUNTS, STUDENTS

_NOW = datetime(2025, 9, 1, 8, tzinfo=UTC)
_ONE_AT_A_TIME = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[SqlStorage]:
    """An empty, migrated storage on each database (PostgreSQL: the session's server)."""
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        storage = SqlStorage.open(server.fresh_database(), migrate=True)
        yield storage
        storage.close()
        return
    folder = Path(tempfile.mkdtemp(prefix="educonnect-bulk-"))
    storage = SqlStorage.open(f"sqlite:///{folder / 'bulk.db'}", migrate=True)
    yield storage
    storage.close()
    shutil.rmtree(folder, ignore_errors=True)


@st.composite
def full_accounts(draw: st.DrawFn) -> Account:
    """Any account, with every optional column drawn (mobile, locks, last login)."""
    account = draw(accounts())
    moments = st.none() | st.integers(-(10**6), 10**6).map(lambda s: _NOW + timedelta(seconds=s))
    return attrs.evolve(
        account,
        mobile=draw(st.none() | mobiles()),
        last_login_at=draw(moments),
        login_failures=FailureCounter(draw(st.integers(0, 9)), draw(moments)),
        birth_date_failures=FailureCounter(draw(st.integers(0, 9)), draw(moments)),
        version=draw(st.integers(0, 50)),
    )


@st.composite
def pupils(draw: st.DrawFn) -> Student:
    """Any pupil, eligible or not."""
    digits = f"{draw(st.integers(0, 9_999_999)):07d}"
    return Student(
        f"E{draw(st.integers(0, 10**6))}",
        surname=draw(person_names()),
        first_name=draw(person_names()),
        birth_date=draw(birth_dates()),
        uai=Uai(digits + uai_check_letter(digits)),
        class_id=draw(st.none() | st.sampled_from(("K1", "CE1-CE2 É"))),
        level=draw(st.none() | st.sampled_from(("CP", "CM2", "ULIS")).map(Level)),
        ine=draw(st.none() | ines()),
        admitted=draw(st.booleans()),
    )


def _raw(connection: Connection, table: str, columns: tuple[str, ...]) -> Any:
    return connection.exec_driver_sql(f"SELECT {', '.join(columns)} FROM {table}").one()  # noqa: S608


class TestSameRowsAsTypedPath:
    """For all accounts and pupils, the bulk statements store the very values SQLAlchemy's typed
    statements store, and both readings give the value back.
    """

    @_ONE_AT_A_TIME
    @given(account=full_accounts())
    def test_accounts(self, database: SqlStorage, account: Account) -> None:
        with database.engine.connect() as connection:
            connection.begin()
            dialect = connection.dialect
            connection.execute(ACCOUNTS.insert(), [account_row(account, account.version)])
            typed = _raw(connection, "accounts", ACCOUNT_COLUMNS)
            read_typed = account_from_row(connection.execute(select(ACCOUNTS)).mappings().one())
            connection.execute(delete(ACCOUNTS))
            values = account_values(
                account, account.version, binder(ACCOUNTS.c.created_at, dialect)
            )
            executemany(connection, insert_sql(ACCOUNTS, ACCOUNT_COLUMNS, dialect), [values])
            assert _raw(connection, "accounts", ACCOUNT_COLUMNS) == typed
            raw = _raw(connection, "accounts", ACCOUNT_READ)
            read_bulk = account_from_values(raw, loader(ACCOUNTS.c.created_at, dialect))
            connection.rollback()
        assert read_bulk == read_typed == account

    @_ONE_AT_A_TIME
    @given(pupil=pupils())
    def test_pupils(self, database: SqlStorage, pupil: Student) -> None:
        with database.engine.connect() as connection:
            connection.begin()
            dialect = connection.dialect
            connection.execute(STUDENTS.insert(), [student_row(pupil)])
            typed = _raw(connection, "students", STUDENT_COLUMNS)
            read_typed = student_from_row(connection.execute(select(STUDENTS)).mappings().one())
            connection.execute(delete(STUDENTS))
            day, flag = binder(STUDENTS.c.birth_date, dialect), binder(STUDENTS.c.admitted, dialect)
            statement = insert_sql(STUDENTS, STUDENT_COLUMNS, dialect, "update", "student_id")
            executemany(connection, statement, [student_values(pupil, day, flag)])
            assert _raw(connection, "students", STUDENT_COLUMNS) == typed
            raw = _raw(connection, "students", STUDENT_READ)
            read_bulk = student_from_values(raw, loader(STUDENTS.c.birth_date, dialect))
            connection.rollback()
        assert read_bulk == read_typed == pupil

    def test_no_ids(self, database: SqlStorage) -> None:
        with database.engine.connect() as connection:
            dialect = connection.dialect
            query = f"SELECT count(*) FROM accounts WHERE {in_ids('account_id', dialect)}"  # noqa: S608
            found = connection.exec_driver_sql(query, (ids_parameter([], dialect),)).scalar()
        assert found == 0


def _school_snapshot(schools: int, pupils_per_school: int) -> DirectorySnapshot:
    """Schools of pupils with one or two guardians each, among few surnames (homonym logins)."""
    school_list = [School(Uai(f"{9_100_000 + n:07d}" + uai_check_letter(f"{9_100_000 + n:07d}")),
                          f"ECOLE {n}") for n in range(schools)]  # fmt: skip
    classes = [SchoolClass(f"K{n}", s.uai, f"CLASSE {n}") for n, s in enumerate(school_list)]
    students, responsables, links = [], [], []
    for i in range(schools * pupils_per_school):
        n = i // pupils_per_school
        students.append(
            Student.create(
                f"E{i:05d}",
                surname=("Martin", "Durand", "Nguyễn")[i % 3],
                first_name="Léa",
                birth_date=date(2017, 1 + i % 12, 1 + i % 28),
                uai=school_list[n].uai,
                class_id=f"K{n}",
                level="CE1",
                ine=f"{i:010d}A",
            )
        )
        for g in range(1 + i % 2):
            rid = f"R{i}-{g}"
            surname = ("Martin", "Durand", "Nguyễn", "Ébrard")[(i + g) % 4]
            responsables.append(Responsable(rid, surname, ("Jean", "Jeanne")[g]))
            links.append(GuardianLink(rid, f"E{i:05d}"))
    return DirectorySnapshot(school_list, classes, students, responsables, links)


def _indexes(storage: SqlStorage) -> list[Any]:
    return sorted(inspect(storage.engine).get_indexes("accounts"), key=lambda i: str(i["name"]))


class TestManyIdsAsInMemory:
    """Reads of more ids than any batch the adapter ever cut answer exactly as the in-memory
    reference: the same objects, in the order asked, unknown ids ignored.
    """

    def test_reads(self, database: SqlStorage) -> None:
        snapshot = _school_snapshot(schools=3, pupils_per_school=450)
        memory = InMemoryStorage()
        indexes = _indexes(database)
        database.lane_batch = 97  # the load goes through the lane, in many batches
        for storage in (memory, database):
            in_memory_world(seed=3, storage=storage).app.integrate(snapshot)
        assert _indexes(database) == indexes
        pupil_ids = [s.student_id for s in reversed(snapshot.students)] + ["E-unknown"]
        guardian_ids = [r.responsable_id for r in reversed(snapshot.responsables)] + ["R-unknown"]
        uais = [s.uai for s in snapshot.schools][::-1]
        bases = {"l.martin", "l.durand", "l.nguyen", "j.ebrard", "nobody"}
        answers = []
        for storage in (memory, database):
            with storage.unit_of_work() as uow:
                answers.append(
                    (
                        list(uow.accounts.get_many(guardian_ids).items()),
                        list(uow.directory.students(pupil_ids).items()),
                        list(uow.directory.students_in(uais)),
                        list(uow.directory.links_of_students(pupil_ids)),
                        uow.accounts.logins_taken(bases),
                    )
                )
        assert answers[0] == answers[1]
        assert len(answers[1][0]) == len(snapshot.responsables)


def _stored(storage: Storage, snapshot: DirectorySnapshot) -> tuple[Any, ...]:
    with storage.unit_of_work() as uow:
        ids = sorted({r.responsable_id for r in snapshot.responsables})
        pupils = sorted({s.student_id for s in snapshot.students})
        return (
            dict(uow.accounts.get_many(ids)),
            dict(uow.directory.students(pupils)),
            sorted(uow.directory.links_of_students(pupils), key=attrs.astuple),
        )


def integrates_like_memory(
    sql: SqlStorage, first: DirectorySnapshot, second: DirectorySnapshot
) -> None:
    """`first` then `second` (then `second` again) integrated into `sql` give the in-memory
    storage's reports and stored data, and the last integration rewrites nothing.
    """
    reports: list[list[Any]] = []
    stored = []
    for storage in (InMemoryStorage(), sql):
        app = in_memory_world(seed=7, storage=storage).app
        reports.append([app.integrate(first), app.integrate(second)])
        stored.append(_stored(storage, second))
        reports[-1].append(app.integrate(second))
    assert reports[0] == reports[1]
    assert stored[0] == stored[1]
    assert not reports[1][2].changed
    assert _stored(sql, second) == stored[1]  # versions included: nothing rewritten


@pytest.fixture(scope="module")
def sqlite_template() -> Iterator[Path]:
    """An empty, migrated SQLite file to copy (migrating for each example would be slow)."""
    folder = Path(tempfile.mkdtemp(prefix="educonnect-bulk-template-"))
    SqlStorage.open(f"sqlite:///{folder / 'empty.db'}", migrate=True).close()
    yield folder / "empty.db"
    shutil.rmtree(folder, ignore_errors=True)


class TestIntegrationAsInMemory:
    """For all sequences of snapshots and all sizes of the batches handed to the lane,
    integrating them into SQLite reports and stores what the in-memory reference does, and
    integrating the last one again rewrites no account.
    """

    @_ONE_AT_A_TIME
    @given(
        first=directory_snapshots(max_schools=3, max_pupils=10),
        second=directory_snapshots(max_schools=3, max_pupils=10),
        complete=st.booleans(),
        lane_batch=st.sampled_from((1, 3, 20_000)),
    )
    def test_integrations(
        self,
        sqlite_template: Path,
        tmp_path_factory: pytest.TempPathFactory,
        *,
        first: DirectorySnapshot,
        second: DirectorySnapshot,
        complete: bool,
        lane_batch: int,
    ) -> None:
        second = attrs.evolve(second, complete=complete)
        path = tmp_path_factory.mktemp("integration") / "educonnect.db"
        shutil.copyfile(sqlite_template, path)
        sql = SqlStorage.open(f"sqlite:///{path}")
        sql.lane_batch = lane_batch
        try:
            integrates_like_memory(sql, first, second)
        finally:
            sql.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    """A new, empty storage on each database."""
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        storage = SqlStorage.open(server.fresh_database(), migrate=True)
    else:
        storage = SqlStorage.open(f"sqlite:///{tmp_path / 'lane.db'}", migrate=True)
    yield storage
    storage.close()


class TestLaneConflicts:
    """A login taken by a committed account, met in a batch the lane inserts, raises
    ConcurrentChange no later than commit, stores none of the unit of work's accounts, and
    leaves every index of the accounts in place.
    """

    @pytest.mark.parametrize("position", [0, 2, 4])
    def test_taken_login(self, fresh: SqlStorage, position: int) -> None:
        taken = Responsable("R-old", "Dupont", "Jean")
        with fresh.unit_of_work() as uow:
            uow.accounts.add(Account.pre_create(taken, Login("j.dupont"), "ABCD2345", _NOW))
            uow.commit()
        indexes = _indexes(fresh)
        fresh.lane_batch = 2
        new = [Responsable(f"R{n}", f"Nom{n}", "Léa") for n in range(5)]
        with fresh.unit_of_work() as uow, pytest.raises(ConcurrentChange) as refused:  # noqa: PT012
            for n, responsable in enumerate(new):
                login = Login("j.dupont" if n == position else f"l.nom{n}")
                uow.accounts.add(Account.pre_create(responsable, login, "ABCD2345", _NOW))
            uow.commit()
        assert refused.value.account_id == f"R{position}"
        with fresh.unit_of_work() as uow:
            assert set(uow.accounts.get_many([r.responsable_id for r in new])) == set()
            assert uow.accounts.logins_taken({"j.dupont", "l.nom"}) == {"j.dupont"}
        assert _indexes(fresh) == indexes


class TestLoginsTakenAsInMemory:
    """`logins_taken` finds the same logins as the in-memory reference when a login base itself
    ends with digits (« p.parent1002 », a surname with digits): a guardian of an earlier group
    or run holding that login must not be given it again (it was, and the insert failed with
    `ConcurrentChange`).
    """

    @pytest.mark.parametrize("committed", [True, False])
    def test_base_ending_with_digits(self, fresh: SqlStorage, committed: bool) -> None:
        logins = ("p.parent1002", "p.parent10022", "p.parent", "p.parent1002x", "p.parent100")
        bases = {"p.parent1002", "p.parent10"}
        found: dict[str, set[str]] = {}
        for name, storage in (("sql", fresh), ("reference", InMemoryStorage())):
            with storage.unit_of_work() as uow:
                for n, login in enumerate(logins):
                    responsable = Responsable(f"RL{n}", "PARENT", "Paul")
                    uow.accounts.add(Account.pre_create(responsable, Login(login), "AB23", _NOW))
                if committed:
                    uow.commit()
                else:
                    found[name] = uow.accounts.logins_taken(bases)
            if committed:
                with storage.unit_of_work() as uow:
                    found[name] = uow.accounts.logins_taken(bases)
        assert found["reference"] == {"p.parent1002", "p.parent10022", "p.parent100"}
        assert found["sql"] == found["reference"]
