"""The statistics page of guide §6.1 (SPEC §7): counts per state, % activated, % of pupils with an
activated guardian, for the school and per class and per level.

Per class and per level, a guardian counts once in each group where they have a child, so the
« Total » rows add up the groups and can exceed the school's figure: that is how the guide's own
example reads (238 accounts in the summary, 313 in the class detail, 311 in the level detail).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from educonnect_core.domain.lifecycle import AccountState
from educonnect_core.domain.values import Level

__all__ = ["Enrolment", "SchoolStatistics", "StatisticsLine", "compute_statistics", "percent"]

TOTAL = "Total"


def percent(part: int, whole: int) -> float:
    """`part` of `whole` in per cent, rounded to one decimal; 0 when `whole` is 0."""
    return 0.0 if whole == 0 else round(100.0 * part / whole, 1)


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
        levels[(level.rank, level.name) if level else (99, "Non renseigné")].append(pupil)
    by_class = [_line(name, group) for (name, _), group in sorted(classes.items())]
    by_level = [_line(name, group) for (_, name), group in sorted(levels.items())]
    return SchoolStatistics(
        uai=uai,
        computed_at=at,
        summary=_line(TOTAL, pupils),
        by_class=(*by_class, _total(by_class)),
        by_level=(*by_level, _total(by_level)),
    )
