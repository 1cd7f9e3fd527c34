"""The director's list (guide §5.1) and the statistics (guide §6.1), computed by the database.

Both return exactly what the core's reference functions (`select_rows`, `compute_statistics`)
return over the same data; the contract suite checks it on generated schools. Text is searched
and sorted through the folded ``*_key`` columns (binary collation: Python's string order).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)

from educonnect_core.domain.account import HIDDEN_PASSWORD
from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.selection import Page, ResponsableRow, Selection, SortColumn
from educonnect_core.domain.statistics import TOTAL, SchoolStatistics, StatisticsLine, level_label
from educonnect_core.domain.values import Level, Uai, search_key
from educonnect_sql.codec import PROVISIONAL
from educonnect_sql.schema import ACCOUNTS, CLASSES, LINKS, STUDENTS

__all__ = ["responsable_rows", "school_statistics"]

S, L, A, C = STUDENTS, LINKS, ACCOUNTS, CLASSES

_STATE_RANK: Final = {state.name: rank for rank, state in enumerate(AccountState)}
_ORIGIN_RANK: Final = {
    origin.name: rank for rank, origin in enumerate(sorted(Origin, key=lambda o: o.label))
}

HAS_EMAIL: Final = or_(A.c.chosen_email.is_not(None), A.c.directory_email.is_not(None))
#: Blocked by the cap on failed logins, counted against the account's current credentials (a
#: reset since then unblocks it: the stored flag then counts for older credentials).
BLOCKED: Final = and_(A.c.login_blocked, A.c.login_failures_for == A.c.credentials)
CLASS_NAME: Final = func.coalesce(C.c.name, S.c.class_id, "")
CLASS_KEY: Final = func.coalesce(C.c.name_key, S.c.class_key)
SPACE, BAR = literal(" "), literal("|")
HAYSTACK: Final = (
    S.c.surname_key + SPACE + S.c.first_name_key + BAR + S.c.first_name_key + SPACE
    + S.c.surname_key + BAR + A.c.surname_key + SPACE + A.c.first_name_key + BAR
    + A.c.first_name_key + SPACE + A.c.surname_key
)  # fmt: skip
PAIRS: Final = (
    S.join(L, L.c.student_id == S.c.student_id)
    .join(A, A.c.account_id == L.c.responsable_id)
    .outerjoin(C, C.c.class_id == S.c.class_id)
)


def _rank(column: ColumnElement[Any], ranks: Mapping[str, int]) -> ColumnElement[int]:
    return case(ranks, value=column, else_=len(ranks))


def _when(column: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    return [case((column.is_(None), 0), else_=1), column]


_ORDER: Final[dict[SortColumn, Callable[[], list[ColumnElement[Any]]]]] = {
    SortColumn.PUPIL: list,
    SortColumn.CLASS: lambda: [CLASS_KEY],
    SortColumn.RESPONSABLE: lambda: [A.c.surname_key, A.c.first_name_key],
    SortColumn.LOGIN: lambda: [A.c.login],
    SortColumn.EMAIL: lambda: [case((HAS_EMAIL, 1), else_=0)],
    SortColumn.ORIGIN: lambda: [_rank(A.c.origin, _ORIGIN_RANK)],
    SortColumn.STATE: lambda: [_rank(A.c.state, _STATE_RANK)],
    SortColumn.DISTRIBUTED_AT: lambda: _when(A.c.distributed_at),
    SortColumn.LAST_LOGIN_AT: lambda: _when(A.c.last_login_at),
}


def _filters(connection: Connection, uai: Uai, selection: Selection) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [S.c.uai == uai.value]
    if selection.class_ids:
        where.append(func.coalesce(S.c.class_id, "").in_(sorted(selection.class_ids)))
    if selection.states:
        where.append(A.c.state.in_(sorted(s.name for s in selection.states)))
    if selection.has_email is not None:
        where.append(HAS_EMAIL if selection.has_email else ~HAS_EMAIL)
    if selection.origins:
        where.append(A.c.origin.in_(sorted(o.name for o in selection.origins)))
    if selection.logins:
        where.append(A.c.login.in_(sorted(selection.logins)))
    needle = search_key(selection.text)
    if needle:
        find = func.strpos if connection.dialect.name == "postgresql" else func.instr
        where.append(find(HAYSTACK, needle) > 0)
    return where


def _row(uai: Uai, r: Mapping[Any, Any], opened: Callable[[str, str], str]) -> ResponsableRow:
    state = AccountState[r["state"]]
    if state is AccountState.NOT_NOTIFIED:
        password = ""
    elif r["password_kind"] == PROVISIONAL:
        password = opened(r["account_id"], r["provisional_secret"])
    else:
        password = HIDDEN_PASSWORD
    return ResponsableRow(
        uai=uai.value,
        student_id=r["student_id"],
        student_surname=r["student_surname"],
        student_first_name=r["student_first_name"],
        student_birth_date=r["birth_date"],
        class_id=r["class_id"] or "",
        class_name=r["class_name"],
        level=None if r["level"] is None else Level(r["level"]),
        account_id=r["account_id"],
        login=r["login"],
        surname=r["surname"],
        first_name=r["first_name"],
        has_email=bool(r["has_email"]),
        origin=Origin[r["origin"]],
        state=state,
        distributed_at=r["distributed_at"],
        last_login_at=r["last_login_at"],
        password=password,
        blocked=bool(r["blocked"]),
    )


def responsable_rows(
    connection: Connection,
    uai: Uai,
    selection: Selection,
    opened: Callable[[str, str], str] = lambda _account_id, stored: stored,
) -> Page:
    """One page of the list of school `uai`, as `select_rows` would give it."""
    where = _filters(connection, uai, selection)
    order = [
        *_ORDER[selection.sort](),
        S.c.surname_key,
        S.c.first_name_key,
        S.c.student_id,
        A.c.surname_key,
        A.c.first_name_key,
        A.c.account_id,
    ]
    query = (
        select(
            S.c.student_id,
            S.c.surname.label("student_surname"),
            S.c.first_name.label("student_first_name"),
            S.c.birth_date,
            S.c.class_id,
            CLASS_NAME.label("class_name"),
            S.c.level,
            A.c.account_id,
            A.c.login,
            A.c.surname,
            A.c.first_name,
            HAS_EMAIL.label("has_email"),
            A.c.origin,
            A.c.state,
            A.c.distributed_at,
            A.c.last_login_at,
            A.c.password_kind,
            A.c.provisional_secret,
            BLOCKED.label("blocked"),
            func.count().over().label("total"),
        )
        .select_from(PAIRS)
        .where(*where)
        .order_by(*(c.desc() if selection.descending else c.asc() for c in order))
    )
    size = selection.page_size
    if size:
        query = query.limit(size).offset((selection.page - 1) * size)
    found = connection.execute(query).mappings().all()
    rows = tuple(_row(uai, r, opened) for r in found)
    if found:
        total = int(found[0]["total"])
    else:
        counted = select(func.count()).select_from(PAIRS).where(*where)
        total = int(connection.execute(counted).scalar_one())
    if size == 0:
        return Page(rows, total, 1, 0)
    return Page(rows, total, selection.page, size)


# -- statistics -------------------------------------------------------------------------------

#: The groupings of the statistics, on the columns of the CTEs below: school, class, level.
_GROUPS: Final = ("school", "class", "level")


def _grouped(
    source: Any, kind: str, state: ColumnElement[Any] | None, *measures: ColumnElement[Any]
) -> Any:
    key = {"school": None, "class": source.c.class_key, "level": source.c.level}[kind]
    keys = [] if key is None else [key]
    label = (literal(None, String) if key is None else key).label("key")
    by = [] if state is None else [state]
    shown = literal(None, String) if state is None else state
    return (
        select(literal(kind, String).label("kind"), label, shown.label("state"), *measures)
        .select_from(source)
        .group_by(*keys, *by)
    )


@functools.cache
def _statistics_sql(dialect: Dialect) -> tuple[str, dict[str, Any], tuple[str, ...] | None]:
    """The statistics statement of `dialect` (compiled once: the statement is the same for
    every school), its parameters' values but the school's, and their order when the driver
    takes them by position.
    """
    in_school = S.c.uai == bindparam("uai", type_=String)
    class_key = func.coalesce(S.c.class_id, "").label("class_key")
    pairs = (
        select(S.c.student_id, class_key, S.c.level, A.c.account_id, A.c.state)
        .select_from(
            S.join(L, L.c.student_id == S.c.student_id).join(
                A, A.c.account_id == L.c.responsable_id
            )
        )
        .where(in_school)
        .cte("school_pairs")
    )
    activated = (
        select(pairs.c.student_id)
        .where(pairs.c.state == literal(AccountState.ACTIVATED.name, String))
        .distinct()
        .cte("activated")
    )
    pupils_of = (
        select(
            class_key,
            S.c.level,
            CLASS_NAME.label("class_name"),
            case((activated.c.student_id.is_(None), 0), else_=1).label("activated"),
        )
        .select_from(
            S.outerjoin(C, C.c.class_id == S.c.class_id).outerjoin(
                activated, activated.c.student_id == S.c.student_id
            )
        )
        .where(in_school)
        .cte("school_pupils")
    )
    nothing = literal(None, String)
    states = [
        _grouped(
            pairs,
            kind,
            pairs.c.state,
            func.count(func.distinct(pairs.c.account_id)).label("n"),
            literal(0).label("with_activated"),
            nothing.label("class_name"),
        )
        for kind in _GROUPS
    ]
    pupils = [
        _grouped(
            pupils_of,
            kind,
            None,
            func.count().label("n"),
            func.sum(pupils_of.c.activated).label("with_activated"),
            func.min(pupils_of.c.class_name).label("class_name"),
        )
        for kind in _GROUPS
    ]
    compiled = union_all(*states, *pupils).compile(
        dialect=dialect, compile_kwargs={"render_postcompile": True}
    )
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return str(compiled), dict(compiled.params), order


def _statistics_rows(connection: Connection, uai: Uai) -> list[Any]:
    text, defaults, order = _statistics_sql(connection.dialect)
    values = {**defaults, "uai": uai.value}
    parameters: Any = values if order is None else tuple(values[name] for name in order)
    return list(connection.exec_driver_sql(text, parameters))


def school_statistics(connection: Connection, uai: Uai, at: datetime) -> SchoolStatistics:
    """The statistics of school `uai`, as `compute_statistics` would give them.

    ONE statement, compiled once per database: the school's (pupil, account) pairs are read
    once (a CTE), the pupils with an activated guardian taken from them, the school's pupils
    once (a second CTE); the three groupings (school, class, level) are counted from them for
    the accounts per state and for the pupils, in one ``UNION ALL`` — one round trip, one plan.
    """
    rows = _statistics_rows(connection, uai)
    counts: dict[tuple[str, str | None], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(_STATE_RANK, 0)
    )
    pupils = []
    for kind, key, state, n, with_activated, class_name in rows:
        if state is None:
            pupils.append((kind, key, n, with_activated, class_name))
        else:
            counts[kind, key][state] = int(n)
    lines: dict[str, list[tuple[Any, StatisticsLine]]] = defaultdict(list)
    summary = None
    order: tuple[Any, ...]
    for kind, key, n_pupils, with_activated, class_name in pupils:
        by_state = counts[kind, key]
        if kind == "class":
            label, order = class_name, (class_name, key)
        elif kind == "level":
            level = None if key is None else Level(key)
            label = level_label(level)
            order = (level.rank if level else 99, label)
        else:
            label, order = TOTAL, ()
        line = StatisticsLine(
            label=label,
            accounts=sum(by_state.values()),
            not_notified=by_state[AccountState.NOT_NOTIFIED.name],
            notified=by_state[AccountState.NOTIFIED.name],
            activating=by_state[AccountState.ACTIVATING.name],
            activated=by_state[AccountState.ACTIVATED.name],
            pupils=int(n_pupils),
            pupils_with_activated_guardian=int(with_activated or 0),
        )
        if kind == "school":
            summary = line
        else:
            lines[kind].append((order, line))
    empty = StatisticsLine(TOTAL, 0, 0, 0, 0, 0, 0, 0)
    by_class = [line for _, line in sorted(lines["class"], key=lambda item: item[0])]
    by_level = [line for _, line in sorted(lines["level"], key=lambda item: item[0])]
    return SchoolStatistics(
        uai=uai.value,
        computed_at=at,
        summary=summary or empty,
        by_class=(*by_class, _total(by_class)),
        by_level=(*by_level, _total(by_level)),
    )


def _total(lines: list[StatisticsLine]) -> StatisticsLine:
    return StatisticsLine(
        TOTAL,
        *(sum(getattr(line, name) for line in lines) for name in _COUNTS),
    )


_COUNTS: Final = (
    "accounts",
    "not_notified",
    "notified",
    "activating",
    "activated",
    "pupils",
    "pupils_with_activated_guardian",
)
