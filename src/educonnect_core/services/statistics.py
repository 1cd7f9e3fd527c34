"""The statistics page (guide §6.1): computed every night (`compute_all`, a call the host
schedules) and on demand (« Calculer les statistiques »), stored, and shown as last computed
with « Dernière mise à jour le JJ-MM-AAAA à HH:MM:SS » — or, before any computation, the guide's
« Les statistiques pour cette structure ne sont pas calculées. … ».
"""

from __future__ import annotations

from datetime import datetime

import attrs

from educonnect_core.domain.messages import Say, last_update
from educonnect_core.domain.statistics import (
    COUNT_HEADERS,
    GROUP_HEADERS,
    PUPILS_HEADER,
    TITLES,
    SchoolStatistics,
    StatisticsTable,
)
from educonnect_core.domain.values import Uai
from educonnect_core.services.runtime import Runtime

__all__ = ["StatisticsPage", "compute_all", "compute_and_store", "stored_page"]


@attrs.frozen
class StatisticsPage:
    """The statistics page of one school: the last stored figures, or none yet."""

    uai: str
    #: The last computation, None if the statistics were never computed.
    statistics: SchoolStatistics | None
    #: When they were computed, in the users' time zone.
    updated_at: datetime | None = None

    @property
    def computed(self) -> bool:
        """Whether the statistics were computed at least once."""
        return self.statistics is not None

    @property
    def message(self) -> str | None:
        """The guide's sentence when nothing was computed yet (quick guide §7.1), else None."""
        return None if self.computed else Say.STATS_NOT_COMPUTED.text

    @property
    def last_update(self) -> str:
        """« Dernière mise à jour le JJ-MM-AAAA à HH:MM:SS » (or « … le Non Renseigné »)."""
        return last_update(self.updated_at if self.computed else None)

    @property
    def button(self) -> str:
        """The label of the button that computes them now."""
        return Say.COMPUTE_STATISTICS.text

    def tables(self) -> tuple[StatisticsTable, StatisticsTable, StatisticsTable]:
        """The three tables; before any computation, their headers and the guide's messages."""
        if self.statistics is not None:
            return self.statistics.tables()
        return (
            StatisticsTable(
                TITLES[0], (*COUNT_HEADERS, PUPILS_HEADER), (), Say.STATS_NOT_COMPUTED.text
            ),
            StatisticsTable(
                TITLES[1],
                (GROUP_HEADERS[0], *COUNT_HEADERS),
                (),
                Say.STATS_NOT_COMPUTED_CLASSES.text,
            ),
            StatisticsTable(
                TITLES[2],
                (GROUP_HEADERS[1], *COUNT_HEADERS),
                (),
                Say.STATS_NOT_COMPUTED_LEVELS.text,
            ),
        )


def _page(runtime: Runtime, uai: Uai, found: SchoolStatistics | None) -> StatisticsPage:
    when = None if found is None else runtime.local(found.computed_at)
    return StatisticsPage(uai.value, found, when)


def stored_page(runtime: Runtime, uai: Uai) -> StatisticsPage:
    """The page as last computed (nothing is computed here)."""
    with runtime.storage.unit_of_work() as uow:
        return _page(runtime, uai, uow.directory.stored_statistics(uai))


def compute_and_store(runtime: Runtime, uai: Uai) -> SchoolStatistics:
    """Count the school's figures now and store them as its last computation."""
    with runtime.storage.unit_of_work() as uow:
        figures = uow.directory.statistics(uai, runtime.now())
        uow.directory.store_statistics(figures)
        uow.commit()
    return figures


def compute_all(runtime: Runtime) -> tuple[SchoolStatistics, ...]:
    """The nightly computation: every school's figures, one unit of work per school."""
    with runtime.storage.unit_of_work() as uow:
        uais = [school.uai for school in uow.directory.schools()]
    return tuple(compute_and_store(runtime, uai) for uai in uais)
