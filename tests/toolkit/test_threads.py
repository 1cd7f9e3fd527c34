"""One `EduConnect` shared by threads, on SQLite and PostgreSQL: every request is served or
refused with ConcurrentChange; nothing else goes wrong and nothing is lost.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.sql.conftest import PostgresServer, postgres  # noqa: F401 - the fixture, imported.
from tests.sql.scenario import DIRECTOR, UAI, snapshot

from educonnect_core import Channel, Selection
from educonnect_core.errors import ConcurrentChange
from educonnect_core.testing import World, in_memory_world
from educonnect_sql import SqlStorage

THREADS = 6
ROUNDS = 5


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty, migrated database of each kind."""
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres")
        yield server.fresh_database()
        return
    folder = Path(tempfile.mkdtemp(prefix="educonnect-threads-"))
    try:
        yield f"sqlite:///{folder / 'educonnect.db'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _shared_world(url: str) -> tuple[World, SqlStorage, dict[str, str]]:
    storage = SqlStorage.open(url, migrate=True)
    world = in_memory_world(seed=5, storage=storage)
    world.app.integrate(snapshot(THREADS))
    admin = world.app.administration(DIRECTOR)
    admin.notify(UAI, Selection(), Channel.PAPER)
    rows = admin.rows(UAI, Selection(page_size=0)).rows
    return world, storage, {r.login: r.password for r in rows}


def _race(work: Callable[[int], str]) -> Counter[str]:
    """Run `work(i)` in THREADS threads at once; count what they report, errors included."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def run(i: int) -> None:
        start.wait()
        for _ in range(ROUNDS):
            try:
                outcome = work(i)
            except ConcurrentChange:
                outcome = "ConcurrentChange"
            except Exception as error:
                outcome = f"{type(error).__name__}: {error}"
            with lock:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_threads_on_different_accounts_are_all_served(url: str) -> None:
    """Each thread logs its own guardian in, another reads the list: every request succeeds."""
    world, storage, passwords = _shared_world(url)
    logins = sorted(passwords)
    try:
        portal, admin = world.app.portal(), world.app.administration(DIRECTOR)

        def work(i: int) -> str:
            if i == 0:
                return f"{len(admin.rows(UAI, Selection(page_size=0)).rows)} rows"
            return type(portal.login(logins[i], passwords[logins[i]])).__name__

        outcomes = _race(work)
        assert outcomes == Counter(
            {f"{THREADS} rows": ROUNDS, "FirstConnectionRequired": (THREADS - 1) * ROUNDS}
        )
        with storage.unit_of_work() as uow:
            logged = [e for e in uow.audit.entries() if e.action == "LOGIN"]
        assert len(logged) == (THREADS - 1) * ROUNDS
    finally:
        storage.close()


def test_threads_on_one_account_are_served_or_told_to_retry(url: str) -> None:
    """Every thread logs the same guardian in: each request succeeds or raises
    ConcurrentChange (retry it); nothing else, and each success is in the audit trail.
    """
    world, storage, passwords = _shared_world(url)
    login = sorted(passwords)[0]
    try:
        portal = world.app.portal()
        outcomes = _race(lambda _: type(portal.login(login, passwords[login])).__name__)
        assert set(outcomes) <= {"FirstConnectionRequired", "ConcurrentChange"}, outcomes
        assert outcomes["FirstConnectionRequired"] >= 1
        with storage.unit_of_work() as uow:
            logged = [e for e in uow.audit.entries() if e.action == "LOGIN" and e.outcome == "done"]
        assert len(logged) == outcomes["FirstConnectionRequired"]
    finally:
        storage.close()
