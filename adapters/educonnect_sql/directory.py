"""The directory of a unit of work: set-based writes that skip unchanged rows, and its reads.

The read models of the director's list and statistics live in `readmodels`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from educonnect_core.domain.directory import GuardianLink, School, SchoolClass, Student
from educonnect_core.domain.fingerprints import DirectoryRecords, RecordChanges
from educonnect_core.domain.selection import Page, Selection
from educonnect_core.domain.statistics import SchoolStatistics
from educonnect_core.domain.values import Uai
from educonnect_core.serialization import structure, unstructure
from educonnect_sql.accounts import chunks
from educonnect_sql.bulk import binder, ids_parameter, in_ids, loader
from educonnect_sql.changes import differing
from educonnect_sql.codec import (
    STUDENT_COLUMNS,
    STUDENT_READ,
    class_row,
    student_from_values,
    student_values,
)
from educonnect_sql.copy import delete_rows, store_rows
from educonnect_sql.readmodels import responsable_rows, school_statistics
from educonnect_sql.schema import CLASSES, LINKS, SCHOOLS, STATISTICS, STUDENTS

if TYPE_CHECKING:
    from educonnect_sql.work import Work as SqlUnitOfWork

__all__ = ["SqlDirectory", "upsert"]


def upsert(connection: Connection, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    """Insert `rows`, or update the stored row with the same `key` where a column differs
    (unchanged rows are not rewritten).
    """
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    columns = [c for c in table.c if c.name != key]
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={c.name: statement.excluded[c.name] for c in columns},
        where=or_(*(c.is_distinct_from(statement.excluded[c.name]) for c in columns)),
    )
    connection.execute(statement, rows)


class SqlDirectory:
    """`educonnect_core.ports.Directory` on the unit of work's transaction."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _all(self, query: Any) -> list[Any]:
        with self._uow.guard():
            return list(self._uow.connection.execute(query).mappings().all())

    # -- reads --------------------------------------------------------------------------------

    def schools(self, uais: Collection[Uai] | None = None) -> Sequence[School]:
        """The schools among `uais` (all when None), by UAI."""
        query = select(SCHOOLS)
        if uais is not None:
            query = query.where(SCHOOLS.c.uai.in_(sorted(u.value for u in uais)))
        found = [School(Uai(r["uai"]), r["name"]) for r in self._all(query)]
        return sorted(found, key=lambda s: s.uai)

    def classes(self, uai: Uai) -> Sequence[SchoolClass]:
        """The classes of a school, by name."""
        rows = self._all(select(CLASSES).where(CLASSES.c.uai == uai.value))
        found = [SchoolClass(r["class_id"], Uai(r["uai"]), r["name"]) for r in rows]
        return sorted(found, key=lambda c: (c.name, c.class_id))

    def _select_in(
        self,
        columns: Sequence[str],
        table: str,
        column: str,
        ids: Collection[str],
        order: Sequence[str] = (),
    ) -> Sequence[Any]:
        """The rows (tuples of `columns`) of `table` whose `column` is one of `ids`, sorted by
        `order` (binary collation: as Python sorts): one query.
        """
        if not ids:
            return []
        with self._uow.guard():
            connection = self._uow.connection
            dialect = connection.dialect
            query = f"SELECT {', '.join(columns)} FROM {table} WHERE {in_ids(column, dialect)}"  # noqa: S608
            if order:
                query += f" ORDER BY {', '.join(order)}"
            return connection.exec_driver_sql(query, (ids_parameter(ids, dialect),)).fetchall()

    def _students(
        self, column: str, ids: Collection[str], order: Sequence[str] = ()
    ) -> list[Student]:
        rows = self._select_in(STUDENT_READ, "students", column, ids, order)
        day = loader(STUDENTS.c.birth_date, self._uow.connection.dialect)
        return [student_from_values(row, day) for row in rows]

    def students(self, student_ids: Collection[str]) -> Mapping[str, Student]:
        """The pupils among `student_ids` that exist, by id."""
        found = {s.student_id: s for s in self._students("student_id", set(student_ids))}
        return {i: found[i] for i in student_ids if i in found}

    def students_in(self, uais: Collection[Uai]) -> Sequence[Student]:
        """Every pupil of these schools (school by school, by id)."""
        by_school: dict[str, list[Student]] = defaultdict(list)
        for student in self._students("uai", {u.value for u in uais}, ("uai", "student_id")):
            by_school[student.uai.value].append(student)
        out: list[Student] = []
        for uai in uais:
            out.extend(by_school.pop(uai.value, ()))
        return out

    def _links(self, column: str, ids: Collection[str]) -> dict[str, list[str]]:
        """The other ends of the links of `ids`, each list sorted."""
        other = "responsable_id" if column == "student_id" else "student_id"
        found: dict[str, list[str]] = defaultdict(list)
        pairs = (column, other)
        for key, value in self._select_in(pairs, "guardian_links", column, set(ids), pairs):
            found[key].append(value)
        return found

    def links_of_students(self, student_ids: Collection[str]) -> Sequence[GuardianLink]:
        """The guardian links of these pupils."""
        found = self._links("student_id", student_ids)
        return [GuardianLink(rid, sid) for sid in student_ids for rid in found.get(sid, ())]

    def children(self, account_ids: Collection[str]) -> Mapping[str, Sequence[Student]]:
        """The pupils of each account that has some, by account id."""
        found = self._links("responsable_id", account_ids)
        students = self.students({sid for sids in found.values() for sid in sids})
        out: dict[str, Sequence[Student]] = {}
        for account_id in account_ids:
            sids = found.get(account_id)
            if sids:
                out[account_id] = [students[i] for i in sids if i in students]
        return out

    def guardian_ids(self, uai: Uai) -> set[str]:
        """The accounts with a child in school `uai`."""
        query = (
            select(LINKS.c.responsable_id)
            .join(STUDENTS, STUDENTS.c.student_id == LINKS.c.student_id)
            .where(STUDENTS.c.uai == uai.value)
        )
        with self._uow.guard():
            return set(self._uow.connection.execute(query).scalars())

    def differing(self, records: DirectoryRecords, uais: Collection[Uai]) -> RecordChanges:
        """The records that differ from what is stored, compared by the database (`changes`)."""
        self._uow.flush()
        with self._uow.guard():
            return differing(self._uow.connection, records, uais)

    # -- writes -------------------------------------------------------------------------------

    def put_schools(self, schools: Iterable[School]) -> None:
        """Insert or replace schools (unchanged ones are not rewritten)."""
        rows = {s.uai.value: {"uai": s.uai.value, "name": s.name} for s in schools}
        if rows:
            with self._uow.guard():
                upsert(self._uow.directory_writer(), SCHOOLS, "uai", list(rows.values()))

    def put_classes(self, classes: Iterable[SchoolClass]) -> None:
        """Insert or replace classes (unchanged ones are not rewritten)."""
        rows = {c.class_id: class_row(c) for c in classes}
        if rows:
            with self._uow.guard():
                upsert(self._uow.directory_writer(), CLASSES, "class_id", list(rows.values()))

    def put_students(self, students: Iterable[Student]) -> None:
        """Insert or replace pupils (unchanged ones are not rewritten)."""
        rows = {s.student_id: s for s in students}
        if rows:
            with self._uow.guard():
                connection = self._uow.directory_writer()
                dialect = connection.dialect
                day = binder(STUDENTS.c.birth_date, dialect)
                flag = binder(STUDENTS.c.admitted, dialect)
                values = (student_values(s, day, flag) for s in rows.values())
                least = self._uow.storage.copy_min
                store_rows(
                    connection,
                    STUDENTS,
                    STUDENT_COLUMNS,
                    values,
                    conflict="update",
                    key="student_id",
                    least=least,
                    size=len(rows),
                )

    def remove_students(self, student_ids: Collection[str]) -> None:
        """Remove pupils and their links (accounts are kept)."""
        if not student_ids:
            return
        with self._uow.guard():
            connection = self._uow.directory_writer()
            for batch in chunks(sorted(set(student_ids)), self._uow.storage.chunk):
                connection.execute(delete(LINKS).where(LINKS.c.student_id.in_(batch)))
                connection.execute(delete(STUDENTS).where(STUDENTS.c.student_id.in_(batch)))

    def add_links(self, links: Iterable[GuardianLink]) -> None:
        """Add links; one already stored is left as it is."""
        rows = {(link.student_id, link.responsable_id): None for link in links}
        if not rows:
            return
        with self._uow.guard():
            connection = self._uow.directory_writer()
            pairs = ("student_id", "responsable_id")
            least = self._uow.storage.copy_min
            store_rows(connection, LINKS, pairs, rows, conflict="nothing", least=least)

    def remove_links(self, links: Iterable[GuardianLink]) -> None:
        """Remove links."""
        rows = [(link.student_id, link.responsable_id) for link in links]
        if not rows:
            return
        with self._uow.guard():
            connection = self._uow.directory_writer()
            pairs = ("student_id", "responsable_id")
            delete_rows(connection, LINKS, pairs, rows, least=self._uow.storage.copy_min)

    # -- read models --------------------------------------------------------------------------

    def responsable_rows(self, uai: Uai, selection: Selection) -> Page:
        """The director's list, filtered, sorted and paged by the database."""
        self._uow.flush()
        with self._uow.guard():
            opened = self._uow.storage.sealer.account_opener()
            return responsable_rows(self._uow.connection, uai, selection, opened)

    def statistics(self, uai: Uai, at: datetime) -> SchoolStatistics:
        """The statistics of a school, counted by the database."""
        self._uow.flush()
        with self._uow.guard():
            return school_statistics(self._uow.connection, uai, at)

    def store_statistics(self, statistics: SchoolStatistics) -> None:
        """Replace the school's stored statistics (not a directory write: no version bump)."""
        row = {
            "uai": statistics.uai,
            "computed_at": statistics.computed_at,
            "body": json.dumps(unstructure(statistics), ensure_ascii=False, sort_keys=True),
        }
        with self._uow.guard():
            upsert(self._uow.writer(), STATISTICS, "uai", [row])

    def stored_statistics(self, uai: Uai) -> SchoolStatistics | None:
        """The school's last stored statistics, if any."""
        with self._uow.guard():
            body = self._uow.connection.execute(
                select(STATISTICS.c.body).where(STATISTICS.c.uai == uai.value)
            ).scalar_one_or_none()
        return None if body is None else structure(json.loads(body), SchoolStatistics)
