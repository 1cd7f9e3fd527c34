"""A director's reset and an integration racing on the same account: exactly one wins."""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.sql.conftest import PostgresServer
from tests.sql.scenario import DIRECTOR, UAI, GatedStorage, snapshot

from educonnect_core.domain.account import Provisional
from educonnect_core.domain.lifecycle import Channel
from educonnect_core.errors import ConcurrentChange
from educonnect_core.testing import in_memory_world
from educonnect_sql import SqlStorage

LOGIN = "c.lebrun"


def prepare(url: str) -> tuple[int, str]:
    """One notified guardian; returns the account's version and provisional password."""
    storage = SqlStorage.open(url)
    try:
        world = in_memory_world(seed=1, storage=storage)
        world.app.integrate(snapshot(1))
        admin = world.app.administration(DIRECTOR)
        account_id = admin.rows(UAI).rows[0].account_id
        assert admin.rows(UAI).rows[0].login == LOGIN
        admin.notify(UAI, [LOGIN], Channel.PAPER)
        with storage.unit_of_work() as uow:
            account = uow.accounts.get(account_id)
        assert account is not None
        assert isinstance(account.password, Provisional)
        return account.version, account.password.secret
    finally:
        storage.close()


def act(role: str, url: str, gate: Callable[[], Any]) -> str:
    """Run the director's reset or the feed's renaming; return « won » or « conflict »."""
    storage = SqlStorage.open(url)
    try:
        world = in_memory_world(seed=7, storage=GatedStorage(storage, gate))
        try:
            if role == "director":
                world.app.administration(DIRECTOR).reset_passwords(UAI, [LOGIN])
            else:
                world.app.integrate(snapshot(1, surname="LEBRUN-MARTIN"))
        except ConcurrentChange:
            return "conflict"
        return "won"
    finally:
        storage.close()


def _in_process(role: str, url: str, barrier: Any, results: Any) -> None:
    results.put((role, act(role, url, lambda: barrier.wait(60))))


def race(url: str, *, processes: bool) -> dict[str, str]:
    """Run both roles at once, each on its own connection (threads or processes)."""
    if processes:
        context = multiprocessing.get_context("fork")
        barrier, results = context.Barrier(2), context.Queue()
        workers = [
            context.Process(target=_in_process, args=(role, url, barrier, results))
            for role in ("director", "feed")
        ]
        for worker in workers:
            worker.start()
        outcome = dict(results.get(timeout=120) for _ in workers)
        for worker in workers:
            worker.join(60)
        return outcome
    gate = threading.Barrier(2)
    found: dict[str, str] = {}

    def run(role: str) -> None:
        try:
            found[role] = act(role, url, lambda: gate.wait(60))
        except BaseException as error:
            found[role] = repr(error)
            gate.abort()

    threads = [threading.Thread(target=run, args=(role,)) for role in ("director", "feed")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return found


def check(url: str, version: int, password: str, outcome: dict[str, str]) -> None:
    """Exactly one won, and the stored account holds the winner's change only."""
    assert sorted(outcome.values()) == ["conflict", "won"], outcome
    storage = SqlStorage.open(url)
    try:
        with storage.unit_of_work() as uow:
            account = uow.accounts.by_login(LOGIN)
    finally:
        storage.close()
    assert account is not None
    assert account.version == version + 1
    assert isinstance(account.password, Provisional)
    if outcome["director"] == "won":
        assert (account.surname, account.password.secret != password) == ("LEBRUN", True)
    else:
        assert (account.surname, account.password.secret) == ("LEBRUN-MARTIN", password)


@pytest.fixture
def sqlite_url() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="educonnect-race-"))
    url = f"sqlite:///{folder / 'race.db'}"
    SqlStorage.open(url, migrate=True).close()
    yield url
    shutil.rmtree(folder, ignore_errors=True)


class TestRaceOnSqlite:
    """On SQLite, with two connections (threads) or two processes, exactly one writer wins."""

    @pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
    def test_exactly_one_wins(self, sqlite_url: str, processes: bool) -> None:
        version, password = prepare(sqlite_url)
        check(sqlite_url, version, password, race(sqlite_url, processes=processes))


class TestRaceOnPostgres:
    """On PostgreSQL, with two connections (threads) or two processes, exactly one wins."""

    @pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
    @pytest.mark.parametrize("round_", range(3))
    def test_exactly_one_wins(self, postgres: PostgresServer, processes: bool, round_: int) -> None:
        url = postgres.fresh_database()
        version, password = prepare(url)
        check(url, version, password, race(url, processes=processes))
