"""The self-service scenarios again, on SQLite and PostgreSQL: the SQL adapter keeps every rule
of the paths.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.selfservice import test_paths
from tests.sql.conftest import PostgresServer

from educonnect_core.ports import Storage
from educonnect_sql import SqlStorage


class OnSqlite:
    """Scenes on fresh SQLite files of the test's folder, closed after the test."""

    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> Iterator[None]:
        self._tmp = tmp_path
        self._opened: list[SqlStorage] = []
        yield
        for storage in self._opened:
            storage.close()

    def storage(self) -> Storage | None:
        name = f"db{next(_NUMBERS)}.sqlite"
        opened = SqlStorage.open(f"sqlite:///{self._tmp / name}", migrate=True)
        self._opened.append(opened)
        return opened


_NUMBERS = itertools.count()


class TestSmsSignUpOnSqlite(OnSqlite, test_paths.TestSmsSignUp):
    """SMS sign-up on SQLite."""


class TestFranceConnectOnSqlite(OnSqlite, test_paths.TestFranceConnect):
    """FranceConnect on SQLite."""


class TestMergeOnSqlite(OnSqlite, test_paths.TestMerge):
    """Account merge on SQLite."""


class _OnPostgres:
    @pytest.fixture(autouse=True)
    def _server(self, postgres: PostgresServer) -> Iterator[None]:
        self._server_ = postgres
        self._opened: list[SqlStorage] = []
        yield
        for storage in self._opened:
            storage.close()

    def storage(self) -> Storage | None:
        opened = SqlStorage.open(self._server_.fresh_database(), migrate=True)
        self._opened.append(opened)
        return opened


class TestSmsSignUpOnPostgres(_OnPostgres, test_paths.TestSmsSignUp):
    """SMS sign-up on PostgreSQL."""


class TestMergeOnPostgres(_OnPostgres, test_paths.TestMerge):
    """Account merge on PostgreSQL."""
