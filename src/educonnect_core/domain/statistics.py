"""The statistics page of guide §6.1 (SPEC §7): counts per state, % activated, % of pupils with an
activated guardian, for the school and per class and per level — and how the guide prints them
(its titles, column headers, level codes, percentages).

Per class and per level, a guardian counts once in each group where they have a child, so the
« Total » rows add up the groups and can exceed the school's figure: that is how the guide's own
example reads (238 accounts in the summary, 313 in the class detail, 311 in the level detail).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import attrs

from educonnect_core.domain.lifecycle import AccountState
from educonnect_core.domain.values import Level

__all__ = [
    "COUNT_HEADERS",
    "GROUP_HEADERS",
    "NO_LEVEL",
    "PUPILS_HEADER",
    "TITLES",
    "Enrolment",
    "SchoolStatistics",
    "StatisticsLine",
    "StatisticsTable",
    "compute_statistics",
    "format_percent",
    "level_label",
    "percent",
]

TOTAL = "Total"
#: The label of pupils whose level the directory does not give.
NO_LEVEL = "Non renseigné"

#: The titles of the three tables (guide §6.1): summary, by class, by level.
TITLES: Final = (
    "Synthèse des comptes responsables de la structure",
    "Synthèse des comptes responsables par classe",
    "Synthèse des comptes responsables par niveau",
)
#: The columns every table has, in the guide's words and order (§6.1).
COUNT_HEADERS: Final = (
    "Nombre de comptes responsables",
    "Nombre de comptes non notifiés",
    "Nombre de comptes notifiés et non activés",
    "Nombre de comptes en cours d'activation",
    "Nombre de comptes activés",
    "% de comptes resp. avec un compte activé",
)
#: The column only the school summary has.
PUPILS_HEADER: Final = "% d'élèves ayant au moins un resp. avec un compte activé"
#: The first column of the per-class and per-level tables.
GROUP_HEADERS: Final = ("Classe", "Niveau")

_HUNDREDTH: Final = Decimal("0.01")


def percent(part: int, whole: int) -> float:
    """`part` of `whole` in per cent, rounded half up to two decimals; 0 when `whole` is 0."""
    if whole == 0:
        return 0.0
    exact = Decimal(100 * part) / Decimal(whole)
    return float(exact.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP))


def format_percent(value: float) -> str:
    """A percentage as the guide prints it: up to two decimals, no trailing zero, a point and a
    space before « % » (« 0.84 % », « 9.09 % », « 3.7 % », « 4 % », « 0 % »).
    """
    text = f"{Decimal(str(value)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") + " %"


def level_label(level: Level | None) -> str:
    """A level's row label: its code as the guide prints it (PS, MS, GS, CP, CE1 … CM2)."""
    return NO_LEVEL if level is None else level.code


@attrs.frozen
class Enrolment:
    """A pupil of the school and the states of their guardians' accounts (statistics' input)."""

    student_id: str
    class_id: str
    class_name: str
    level: Level | None
    #: (account id, state) for each guardian with legal responsibility.
    guardians: tuple[tuple[str, AccountState], ...] = ()


@attrs.frozen
class StatisticsLine:
    """One line of a statistics table."""

    label: str
    accounts: int
    not_notified: int
    notified: int
    activating: int
    activated: int
    pupils: int
    pupils_with_activated_guardian: int

    @property
    def by_state(self) -> Mapping[AccountState, int]:
        """The counts per state."""
        return {
            AccountState.NOT_NOTIFIED: self.not_notified,
            AccountState.NOTIFIED: self.notified,
            AccountState.ACTIVATING: self.activating,
            AccountState.ACTIVATED: self.activated,
        }

    @property
    def percent_activated(self) -> float:
        """% of the accounts that are activated."""
        return percent(self.activated, self.accounts)

    @property
    def percent_pupils_with_activated_guardian(self) -> float:
        """% of the pupils with at least one activated guardian."""
        return percent(self.pupils_with_activated_guardian, self.pupils)

    def cells(self, *, pupils: bool = False) -> tuple[str, ...]:
        """The line's cells as the guide prints them: the counts, the % of accounts activated,
        and with `pupils` (the school summary only) the % of pupils.
        """
        cells = (
            str(self.accounts),
            str(self.not_notified),
            str(self.notified),
            str(self.activating),
            str(self.activated),
            format_percent(self.percent_activated),
        )
        if pupils:
            return (*cells, format_percent(self.percent_pupils_with_activated_guardian))
        return cells


@attrs.frozen
class StatisticsTable:
    """One table of the statistics page, ready to show: title, headers, rows of text; when the
    statistics were never computed, no rows and the guide's `message` instead.
    """

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    message: str | None = None


@attrs.frozen
class SchoolStatistics:
    """The statistics of one school, stamped with the time they were computed."""

    uai: str
    computed_at: datetime
    summary: StatisticsLine
    #: One line per class, by class name, then the « Total » line.
    by_class: tuple[StatisticsLine, ...]
    #: One line per level, in school order, then the « Total » line.
    by_level: tuple[StatisticsLine, ...]

    def tables(self) -> tuple[StatisticsTable, StatisticsTable, StatisticsTable]:
        """The three tables of the page (guide §6.1): the summary (with the « % d'élèves »
        column), per class and per level (labels PS … CM2), each group table ending in « Total ».
        """
        return (
            StatisticsTable(
                TITLES[0], (*COUNT_HEADERS, PUPILS_HEADER), (self.summary.cells(pupils=True),)
            ),
            StatisticsTable(
                TITLES[1],
                (GROUP_HEADERS[0], *COUNT_HEADERS),
                tuple((line.label, *line.cells()) for line in self.by_class),
            ),
            StatisticsTable(
                TITLES[2],
                (GROUP_HEADERS[1], *COUNT_HEADERS),
                tuple((line.label, *line.cells()) for line in self.by_level),
            ),
        )


def _line(label: str, pupils: list[Enrolment]) -> StatisticsLine:
    states: dict[str, AccountState] = {}
    for pupil in pupils:
        states.update(pupil.guardians)
    counts = defaultdict(int, dict.fromkeys(AccountState, 0))
    for state in states.values():
        counts[state] += 1
    return StatisticsLine(
        label=label,
        accounts=len(states),
        not_notified=counts[AccountState.NOT_NOTIFIED],
        notified=counts[AccountState.NOTIFIED],
        activating=counts[AccountState.ACTIVATING],
        activated=counts[AccountState.ACTIVATED],
        pupils=len(pupils),
        pupils_with_activated_guardian=sum(
            1 for p in pupils if any(s is AccountState.ACTIVATED for _, s in p.guardians)
        ),
    )


def _total(lines: list[StatisticsLine]) -> StatisticsLine:
    return StatisticsLine(
        TOTAL,
        *(sum(getattr(line, f.name) for line in lines) for f in attrs.fields(StatisticsLine)[1:]),
    )


def compute_statistics(uai: str, at: datetime, enrolments: Iterable[Enrolment]) -> SchoolStatistics:
    """The statistics of a school from its pupils and their guardians' states."""
    pupils = list(enrolments)
    classes: dict[tuple[str, str], list[Enrolment]] = defaultdict(list)
    levels: dict[tuple[int, str], list[Enrolment]] = defaultdict(list)
    for pupil in pupils:
        classes[pupil.class_name, pupil.class_id].append(pupil)
        level = pupil.level
        levels[(level.rank if level else 99, level_label(level))].append(pupil)
    by_class = [_line(name, group) for (name, _), group in sorted(classes.items())]
    by_level = [_line(name, group) for (_, name), group in sorted(levels.items())]
    return SchoolStatistics(
        uai=uai,
        computed_at=at,
        summary=_line(TOTAL, pupils),
        by_class=(*by_class, _total(by_class)),
        by_level=(*by_level, _total(by_level)),
    )
