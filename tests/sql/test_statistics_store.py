"""Stored statistics (guide §6.1) round-trip through SQLite exactly as the in-memory storage keeps
them, and storing them is not a directory write (no conflict with an integration).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from educonnect_core import Director, Uai
from educonnect_core.ports import Storage
from educonnect_core.testing import InMemoryStorage, in_memory_world
from educonnect_core.testing.demo import UAI, snapshot
from educonnect_sql import SqlStorage


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """The reference storage and SQLite, migrated to the head (revision 0003 included)."""
    if request.param == "memory":
        yield InMemoryStorage()
        return
    sql = SqlStorage.open(f"sqlite:///{tmp_path / 'educonnect.db'}", migrate=True)
    yield sql
    sql.close()


class TestStoredStatistics:
    """What `compute_statistics` stored is what `statistics` shows, until the next computation."""

    def test_round_trip(self, storage: Storage) -> None:
        world = in_memory_world(seed=2, storage=storage)
        world.app.integrate(snapshot(birth_date_of_tom=date(2019, 2, 8)))
        admin = world.app.administration(Director("d", {Uai.parse(UAI)}))
        assert admin.statistics(UAI).statistics is None
        computed = admin.compute_statistics(UAI)
        assert admin.statistics(UAI).statistics == computed
        assert [line.label for line in computed.by_level] == ["CP", "CM1", "Total"]
        world.clock.advance(days=1)
        again = admin.compute_statistics(UAI)
        assert admin.statistics(UAI).statistics == again != computed
        world.app.integrate(snapshot(birth_date_of_tom=date(2019, 2, 8)))
        assert admin.statistics(UAI).statistics == again
