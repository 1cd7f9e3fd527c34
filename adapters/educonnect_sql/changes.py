"""`Directory.differing` in SQL: a feed group's fingerprints compared with the stored rows,
set-wise, in the database.

The group's records travel as three JSON parameters (arrays of arrays), unpacked by
``json_each`` on SQLite and ``jsonb_array_elements`` on PostgreSQL; each comparison is one
statement over the stored tables (a pupil joined with its stored class, a guardian with its
account, the links as two ``EXCEPT`` differences): only the ids that differ come back. Memory is
one group's parameters, whatever the size of the base.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Final

from sqlalchemy import Connection

from educonnect_core.domain.fingerprints import DirectoryRecords, RecordChanges
from educonnect_core.domain.values import Uai

__all__ = ["differing"]

_PUPIL_NAMES: Final = (
    "id",
    "uai",
    "surname",
    "first_name",
    "birth",
    "class_id",
    "class_uai",
    "class_name",
    "level",
    "ine",
    "admitted",
)
_GUARDIAN_NAMES: Final = ("id", "surname", "first_name", "email", "mobile")


def _rows(parameter: str, names: tuple[str, ...], dialect: str) -> str:
    """A sub-query of the rows of the JSON array of arrays `parameter`, columns `names`."""
    if dialect == "sqlite":
        fields = ", ".join(f"json_extract(value, '$[{i}]') AS {n}" for i, n in enumerate(names))
        return f"SELECT {fields} FROM json_each({parameter})"  # noqa: S608 - our own names
    # « C », as the stored ids: a set operation refuses two different implicit collations.
    fields = ", ".join(f'(value ->> {i}) COLLATE "C" AS {n}' for i, n in enumerate(names))
    return f"SELECT {fields} FROM jsonb_array_elements(CAST({parameter} AS jsonb))"  # noqa: S608


def _statements(dialect: str) -> tuple[str, str, str, str]:
    """The pupils, links, guardians and departures statements for `dialect`."""
    sqlite = dialect == "sqlite"
    mark = "?" if sqlite else "%s"
    differs = "IS NOT" if sqlite else "IS DISTINCT FROM"
    birth = "st.birth" if sqlite else "CAST(st.birth AS date)"
    admitted = "st.admitted" if sqlite else "CAST(st.admitted AS boolean)"
    pupils = (
        f"SELECT st.id FROM ({_rows(mark, _PUPIL_NAMES, dialect)}) AS st "  # noqa: S608
        "LEFT JOIN students s ON s.student_id = st.id "
        "LEFT JOIN classes c ON c.class_id = s.class_id "
        "WHERE s.student_id IS NULL"
        f" OR s.uai {differs} st.uai OR s.surname {differs} st.surname"
        f" OR s.first_name {differs} st.first_name OR s.birth_date {differs} {birth}"
        f" OR s.class_id {differs} st.class_id OR c.uai {differs} st.class_uai"
        f" OR c.name {differs} st.class_name OR s.level {differs} st.level"
        f" OR s.ine {differs} st.ine OR s.admitted {differs} {admitted}"
    )
    ids = f"SELECT id FROM ({_rows(mark, ('id',), dialect)}) AS i"  # noqa: S608 - of the pupils
    staged = f"SELECT sid, rid FROM ({_rows(mark, ('sid', 'rid'), dialect)}) AS sl"  # noqa: S608
    stored = (
        "SELECT student_id AS sid, responsable_id AS rid FROM guardian_links "  # noqa: S608
        f"WHERE student_id IN ({ids})"
    )
    links = (
        f"SELECT sid FROM ({stored} EXCEPT {staged}) AS gone "  # noqa: S608
        f"UNION SELECT sid FROM ({staged} EXCEPT {stored}) AS new"
    )
    guardians = (
        f"SELECT sg.id FROM ({_rows(mark, _GUARDIAN_NAMES, dialect)}) AS sg "  # noqa: S608
        "LEFT JOIN accounts a ON a.account_id = sg.id "
        "WHERE a.account_id IS NULL"
        f" OR a.surname {differs} sg.surname OR a.first_name {differs} sg.first_name"
        f" OR a.directory_email {differs} sg.email OR a.mobile {differs} sg.mobile"
    )
    uais = f"SELECT id FROM ({_rows(mark, ('id',), dialect)}) AS u"  # noqa: S608
    departures = (
        f"SELECT student_id FROM students WHERE uai IN ({uais})"  # noqa: S608
        f" AND student_id NOT IN ({ids}) ORDER BY student_id"
    )
    return pupils, links, guardians, departures


_STATEMENTS: Final = {name: _statements(name) for name in ("sqlite", "postgresql")}


def differing(
    connection: Connection, records: DirectoryRecords, uais: Collection[Uai]
) -> RecordChanges:
    """`Directory.differing` on `connection` (pending writes already flushed)."""
    pupils_sql, links_sql, guardians_sql, departures_sql = _STATEMENTS[connection.dialect.name]
    pupils = json.dumps(records.pupils, ensure_ascii=False, separators=(",", ":"))
    links = json.dumps(records.links, ensure_ascii=False, separators=(",", ":"))
    guardians = json.dumps(records.guardians, ensure_ascii=False, separators=(",", ":"))
    schools = json.dumps([[u.value] for u in uais])

    def column(statement: str, *parameters: str) -> list[str]:
        return [str(v) for (v,) in connection.exec_driver_sql(statement, parameters).fetchall()]

    changed = set(column(pupils_sql, pupils)) if records.pupils else set()
    if records.pupils:
        changed.update(column(links_sql, pupils, links, links, pupils))
    guardian_ids = set(column(guardians_sql, guardians)) if records.guardians else set()
    departures = column(departures_sql, schools, pupils) if uais else []
    return RecordChanges(frozenset(changed), frozenset(guardian_ids), tuple(departures))
