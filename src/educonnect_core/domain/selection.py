"""The responsables list of guide §5.1: one row per (pupil, guardian) pair, filters, sort, paging.

`select_rows` is the reference implementation over rows in memory; a storage adapter may run the
same `Selection` in its database, and the contract suite proves both agree.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final, Self

import attrs

from educonnect_core.domain.directory import SchoolClass, Student, full_name
from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.values import Level, search_key
from educonnect_core.errors import InvalidField

if TYPE_CHECKING:
    from educonnect_core.domain.account import Account

__all__ = ["Page", "ResponsableRow", "Selection", "SortColumn", "row_haystack", "select_rows"]

_STATE_RANK: Final = {state: rank for rank, state in enumerate(AccountState)}


class SortColumn(enum.Enum):
    """The sortable columns of the list, with their French headers."""

    PUPIL = "Elève"
    CLASS = "Classe"
    RESPONSABLE = "Responsable"
    LOGIN = "Identifiant"
    EMAIL = "Adresse mail"
    ORIGIN = "Origine"
    STATE = "Etat"
    DISTRIBUTED_AT = "Date de distribution"
    LAST_LOGIN_AT = "Date de dernière connexion"

    @property
    def label(self) -> str:
        """The French column header."""
        return self.value


@attrs.frozen
class ResponsableRow:
    """One (pupil, guardian) pair of a school, with what the list and the exports show."""

    uai: str
    student_id: str
    student_surname: str
    student_first_name: str
    student_birth_date: date
    class_id: str
    class_name: str
    level: Level | None
    account_id: str
    login: str
    surname: str
    first_name: str
    has_email: bool
    origin: Origin
    state: AccountState
    distributed_at: datetime | None
    last_login_at: datetime | None
    #: Clear if provisional, ``******`` if chosen, empty if NOT_NOTIFIED (exports only).
    password: str = attrs.field(repr=False)
    #: Blocked after too many consecutive failed logins, until a director's reset.
    blocked: bool = False

    @classmethod
    def pair(cls, student: Student, school_class: SchoolClass | None, account: Account) -> Self:
        """The row of `student` (in `school_class`, if known) and their guardian's `account`."""
        return cls(
            uai=student.uai.value,
            student_id=student.student_id,
            student_surname=student.surname,
            student_first_name=student.first_name,
            student_birth_date=student.birth_date,
            class_id=student.class_id or "",
            class_name=school_class.name if school_class else (student.class_id or ""),
            level=student.level,
            account_id=account.account_id,
            login=account.login.value,
            surname=account.surname,
            first_name=account.first_name,
            has_email=account.email is not None,
            origin=account.origin,
            state=account.state,
            distributed_at=account.distributed_at,
            last_login_at=account.last_login_at,
            password=account.password_display,
            blocked=account.blocked,
        )

    @property
    def pupil_name(self) -> str:
        """« Prénom NOM » of the pupil."""
        return full_name(self.student_first_name, self.student_surname)

    @property
    def responsable_name(self) -> str:
        """« Prénom NOM » of the guardian."""
        return full_name(self.first_name, self.surname)


def row_haystack(
    student_surname: str, student_first_name: str, surname: str, first_name: str
) -> str:
    """The folded text the free-text filter searches: both names of pupil and guardian, in both
    orders, separated so that a match never straddles two people.
    """
    s_sur, s_first = search_key(student_surname), search_key(student_first_name)
    g_sur, g_first = search_key(surname), search_key(first_name)
    return f"{s_sur} {s_first}|{s_first} {s_sur}|{g_sur} {g_first}|{g_first} {g_sur}"


def _frozen_set(items: Iterable[Any]) -> frozenset[Any]:
    return frozenset(items)


@attrs.frozen
class Selection:
    """The criteria of guide §5.1; an empty set means « all » (the UI's default)."""

    text: str = ""
    class_ids: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_set)
    states: frozenset[AccountState] = attrs.field(default=frozenset(), converter=_frozen_set)
    #: True: with an e-mail address; False: without; None: all.
    has_email: bool | None = None
    origins: frozenset[Origin] = attrs.field(default=frozenset(), converter=_frozen_set)
    #: Restrict to these logins (the ticked accounts of a bulk action); empty: all.
    logins: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_set)
    sort: SortColumn = SortColumn.PUPIL
    descending: bool = False
    page: int = 1
    #: Rows per page; 0 returns every row on one page.
    page_size: int = 50

    def __attrs_post_init__(self) -> None:
        """Refuse impossible paging and oversized text."""
        if self.page < 1:
            raise InvalidField("sélection", "page", "la première page est 1")
        if self.page_size < 0 or self.page_size > 10_000:
            raise InvalidField("sélection", "taille de page", "entre 0 et 10 000")
        if len(self.text) > 200 or "|" in self.text:
            raise InvalidField("sélection", "texte", "200 caractères au plus, sans « | »")

    def everything(self) -> Selection:
        """The same criteria on one page holding every row (for bulk actions and exports)."""
        return attrs.evolve(self, page=1, page_size=0)

    def matches(self, row: ResponsableRow) -> bool:
        """Whether `row` passes every filter."""
        if self.class_ids and row.class_id not in self.class_ids:
            return False
        if self.states and row.state not in self.states:
            return False
        if self.has_email is not None and row.has_email is not self.has_email:
            return False
        if self.origins and row.origin not in self.origins:
            return False
        if self.logins and row.login not in self.logins:
            return False
        needle = search_key(self.text)
        return not needle or needle in row_haystack(
            row.student_surname, row.student_first_name, row.surname, row.first_name
        )


def _when(value: datetime | None) -> tuple[bool, datetime | None]:
    return (value is not None, value)


_KEYS: Final[dict[SortColumn, Callable[[ResponsableRow], Any]]] = {
    SortColumn.PUPIL: lambda r: (),
    SortColumn.CLASS: lambda r: (search_key(r.class_name),),
    SortColumn.RESPONSABLE: lambda r: (search_key(r.surname), search_key(r.first_name)),
    SortColumn.LOGIN: lambda r: (r.login,),
    SortColumn.EMAIL: lambda r: (r.has_email,),
    SortColumn.ORIGIN: lambda r: (r.origin.label,),
    SortColumn.STATE: lambda r: (_STATE_RANK[r.state],),
    SortColumn.DISTRIBUTED_AT: lambda r: _when(r.distributed_at),
    SortColumn.LAST_LOGIN_AT: lambda r: _when(r.last_login_at),
}


def sort_key(column: SortColumn) -> Callable[[ResponsableRow], tuple[Any, ...]]:
    """The full sort key: the column, then pupil, guardian and ids so that order is total."""
    primary = _KEYS[column]

    def key(row: ResponsableRow) -> tuple[Any, ...]:
        return (
            *primary(row),
            search_key(row.student_surname),
            search_key(row.student_first_name),
            row.student_id,
            search_key(row.surname),
            search_key(row.first_name),
            row.account_id,
        )

    return key


@attrs.frozen
class Page:
    """One page of rows and how many rows match in all."""

    rows: tuple[ResponsableRow, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the matching rows fill (at least 1)."""
        if self.page_size == 0:
            return 1
        return max(1, math.ceil(self.total / self.page_size))


def select_rows(rows: Iterable[ResponsableRow], selection: Selection) -> Page:
    """Filter, sort and page `rows` as `selection` says (the reference semantics)."""
    kept = sorted(
        (row for row in rows if selection.matches(row)),
        key=sort_key(selection.sort),
        reverse=selection.descending,
    )
    if selection.page_size == 0:
        return Page(tuple(kept), len(kept), 1, 0)
    start = (selection.page - 1) * selection.page_size
    return Page(
        tuple(kept[start : start + selection.page_size]),
        len(kept),
        selection.page,
        selection.page_size,
    )
