"""`Directory.differing` in SQL: a feed group's fingerprints compared with the stored rows,
set-wise, in the database.

The group's records travel as three JSON parameters (arrays of arrays), unpacked by
``json_each`` on SQLite and ``jsonb_array_elements`` on PostgreSQL: each pupil and guardian as
its id and the canonical text of its other fields (`_canonical`), compared with the same text
built from the stored row (`_joined`: a pupil joined with its stored class, a guardian with its
account); the links as two ``EXCEPT`` differences. Each comparison is one statement; only the
ids that differ come back. Memory is
one group's parameters, whatever the size of the base.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from typing import Final

from sqlalchemy import Connection

from educonnect_core.domain.fingerprints import DirectoryRecords, RecordChanges
from educonnect_core.domain.values import Uai

__all__ = ["differing"]

#: Joins the fields of a record's canonical text; stands for an absent (NULL) field. Neither can
#: occur in a stored field (names are printable, ids, e-mails, mobiles and codes hold no space):
#: a record holding one is sent without a text and always differs.
_SEP: Final = "\x1f"
_NULL: Final = "\x1e"
#: Records compared per statement.
_SLICE: Final = 2_000


def _canonical(fields: tuple[object, ...], guardians: Collection[str] | None = None) -> str | None:
    """The fields but the first (the id) as one text, then (for a pupil) its `guardians`' ids
    sorted — the stored row's `_joined` form; None when a field holds `_SEP` or `_NULL`.
    """
    parts = [
        _NULL if v is None else v if v.__class__ is str else "1" if v is True else "0"
        for v in fields[1:]
    ]
    nulls = sum(1 for v in fields[1:] if v is None)
    seps = len(parts) - 1
    if guardians is not None:
        if guardians:
            ids = sorted(set(guardians))
            parts.append(_SEP.join(ids))
            seps += len(ids)
        else:
            parts.append(_NULL)
            seps, nulls = seps + 1, nulls + 1
    text = _SEP.join(parts)
    if text.count(_SEP) != seps or text.count(_NULL) != nulls:
        return None
    return text


def _joined(columns: list[str], dialect: str) -> str:
    """The SQL of the canonical text of `columns` (each NULL as `_NULL`), joined by `_SEP`."""
    if dialect == "sqlite":
        return " || char(31) || ".join(f"coalesce({c}, char(30))" for c in columns)
    text = " || chr(31) || ".join(f"coalesce(({c})::text, chr(30))" for c in columns)
    return f'({text}) COLLATE "C"'


def _rows(parameter: str, names: tuple[str, ...], dialect: str) -> str:
    """A sub-query of the rows of the JSON array of arrays `parameter`, columns `names`."""
    if dialect == "sqlite":
        fields = ", ".join(f"json_extract(value, '$[{i}]') AS {n}" for i, n in enumerate(names))
        return f"SELECT {fields} FROM json_each({parameter})"  # noqa: S608 - our own names
    # « C », as the stored ids: a set operation refuses two different implicit collations.
    fields = ", ".join(f'(value ->> {i}) COLLATE "C" AS {n}' for i, n in enumerate(names))
    return f"SELECT {fields} FROM jsonb_array_elements(CAST({parameter} AS jsonb))"  # noqa: S608


def _statements(dialect: str) -> tuple[str, str, str, str, str]:
    """The pupils, guardians and departures statements for `dialect`, and the counts of the
    stored pupils and accounts among ids.
    """
    sqlite = dialect == "sqlite"
    mark = "?" if sqlite else "%s"
    differs = "IS NOT" if sqlite else "IS DISTINCT FROM"
    birth = "s.birth_date" if sqlite else "to_char(s.birth_date, 'YYYY-MM-DD')"
    admitted = "s.admitted" if sqlite else "CASE WHEN s.admitted THEN '1' ELSE '0' END"
    # The pupil's guardians by id: the primary key (student_id, responsable_id) gives them in
    # that order on SQLite; any other order would only make the pupil differ.
    guardians_of = (
        "SELECT group_concat(responsable_id, char(31)) FROM (SELECT responsable_id "
        "FROM guardian_links l WHERE l.student_id = s.student_id ORDER BY responsable_id)"
        if sqlite
        else "SELECT string_agg(responsable_id, chr(31) ORDER BY responsable_id) "
        "FROM guardian_links l WHERE l.student_id = s.student_id"
    )
    pupil = _joined(
        [
            "s.uai",
            "s.surname",
            "s.first_name",
            birth,
            "s.class_id",
            "c.uai",
            "c.name",
            "s.level",
            "s.ine",
            admitted,
            f"({guardians_of})",
        ],
        dialect,
    )
    pupils = (
        f"SELECT st.id FROM ({_rows(mark, ('id', 'canon'), dialect)}) AS st "  # noqa: S608
        "LEFT JOIN students s ON s.student_id = st.id "
        "LEFT JOIN classes c ON c.class_id = s.class_id "
        f"WHERE s.student_id IS NULL OR st.canon IS NULL OR st.canon {differs} {pupil}"
    )
    ids = f"SELECT id FROM ({_rows(mark, ('id',), dialect)}) AS i"  # noqa: S608 - of the pupils
    guardian = _joined(["a.surname", "a.first_name", "a.directory_email", "a.mobile"], dialect)
    guardians = (
        f"SELECT sg.id FROM ({_rows(mark, ('id', 'canon'), dialect)}) AS sg "  # noqa: S608
        "LEFT JOIN accounts a ON a.account_id = sg.id "
        f"WHERE a.account_id IS NULL OR sg.canon IS NULL OR sg.canon {differs} {guardian}"
    )
    uais = f"SELECT id FROM ({_rows(mark, ('id',), dialect)}) AS u"  # noqa: S608
    departures = (
        f"SELECT student_id FROM students WHERE uai IN ({uais})"  # noqa: S608
        f" AND student_id NOT IN ({ids}) ORDER BY student_id"
    )
    any_pupil = f"SELECT count(*) FROM students WHERE student_id IN ({ids})"  # noqa: S608
    account_ids = f"SELECT id FROM ({_rows(mark, ('id',), dialect)}) AS g"  # noqa: S608
    any_account = f"SELECT count(*) FROM accounts WHERE account_id IN ({account_ids})"  # noqa: S608
    return pupils, guardians, departures, any_pupil, any_account


_STATEMENTS: Final = {name: _statements(name) for name in ("sqlite", "postgresql")}


def _json(rows: object) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def differing(
    connection: Connection, records: DirectoryRecords, uais: Collection[Uai]
) -> RecordChanges:
    """`Directory.differing` on `connection` (pending writes already flushed)."""
    statements = _STATEMENTS[connection.dialect.name]
    pupils_sql, guardians_sql, departures_sql, any_pupil_sql, any_account_sql = statements

    def column(statement: str, *parameters: str) -> list[str]:
        return [str(v) for (v,) in connection.exec_driver_sql(statement, parameters).fetchall()]

    def count(statement: str, parameter: str) -> int:
        return int(connection.exec_driver_sql(statement, (parameter,)).scalar_one())

    ids = _json([(p[0],) for p in records.pupils])
    changed: set[str] = set()
    if records.pupils and not count(any_pupil_sql, ids):  # none stored: all new (a first run)
        changed.update(p[0] for p in records.pupils)
    elif records.pupils:
        linked: defaultdict[str, list[str]] = defaultdict(list)
        for sid, rid in records.links:
            linked[sid].append(rid)
        none: list[str] = []
        # In slices: the texts of a whole group would raise the peak memory for nothing.
        for start in range(0, len(records.pupils), _SLICE):
            part = records.pupils[start : start + _SLICE]
            texts = _json([(p[0], _canonical(p, linked.get(p[0], none))) for p in part])
            changed.update(column(pupils_sql, texts))
    guardian_ids: set[str] = set()
    if records.guardians and not count(
        any_account_sql, _json([(g[0],) for g in records.guardians])
    ):
        guardian_ids.update(g[0] for g in records.guardians)
    else:
        for start in range(0, len(records.guardians), _SLICE):
            some = records.guardians[start : start + _SLICE]
            texts = _json([(g[0], _canonical(g)) for g in some])
            guardian_ids.update(column(guardians_sql, texts))
    departures: list[str] = []
    if uais:
        departures = column(departures_sql, _json([(u.value,) for u in uais]), ids)
    return RecordChanges(frozenset(changed), frozenset(guardian_ids), tuple(departures))
