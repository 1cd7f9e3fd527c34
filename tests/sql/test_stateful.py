"""The lifecycle stateful test (director, guardians, feed, clock) on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
import unittest
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from tests.sql.conftest import PostgresServer

from educonnect_core.ports import Storage
from educonnect_core.testing.stateful import lifecycle_test
from educonnect_sql import SqlStorage


class _OneAtATime:
    """A storage factory that closes the previous storage when it makes the next one, so
    that hundreds of examples never hold hundreds of connection pools.
    """

    def __init__(self, make: Callable[[], SqlStorage]) -> None:
        self._make = make
        self._last: SqlStorage | None = None
        self.__name__ = "SqlStorage"

    def __call__(self) -> Storage:
        self.close()
        self._last = self._make()
        return self._last

    def close(self) -> None:
        if self._last is not None:
            self._last.close()
            self._last = None


@pytest.fixture(scope="module")
def sqlite_factory() -> Iterator[_OneAtATime]:
    folder = Path(tempfile.mkdtemp(prefix="educonnect-stateful-"))
    template = folder / "template.db"
    SqlStorage.open(f"sqlite:///{template}", migrate=True).close()
    copies = iter(range(10**9))

    def make() -> SqlStorage:
        target = folder / f"example-{next(copies)}.db"
        shutil.copyfile(template, target)
        return SqlStorage.open(f"sqlite:///{target}")

    factory = _OneAtATime(make)
    yield factory
    factory.close()
    shutil.rmtree(folder, ignore_errors=True)


def _run(case: type[unittest.TestCase], share: int) -> None:
    """Run `case` on 1/`share` of the profile's examples (each step makes real round trips)."""
    base = settings.default
    assert base is not None
    case.settings = settings(base, max_examples=max(10, base.max_examples // share))  # type: ignore[attr-defined]
    result = unittest.TestResult()
    case("runTest").run(result)
    problems = result.errors + result.failures
    assert not problems, problems[0][1]


class TestLifecycleOnSqlite:
    """The lifecycle machine keeps its model and invariants on SQLite."""

    def test_lifecycle(self, sqlite_factory: _OneAtATime) -> None:
        _run(lifecycle_test(sqlite_factory), share=4)


class TestLifecycleOnPostgres:
    """The lifecycle machine keeps its model and invariants on PostgreSQL."""

    def test_lifecycle(self, postgres: PostgresServer) -> None:
        url = postgres.fresh_database()
        factory = _OneAtATime(lambda: SqlStorage.open(postgres.emptied(url)))
        try:
            _run(lifecycle_test(factory), share=10)
        finally:
            factory.close()
