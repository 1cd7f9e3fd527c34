"""Issues 9.10 and 9.11 on real databases: a guardian's login never conflicts with a director's
action, and parallel wrong logins each answer `CredentialsRefused` and are each counted.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.sql.conftest import PostgresServer
from tests.sql.scenario import DIRECTOR, UAI, GatedStorage, snapshot

from educonnect_core.domain.lifecycle import Channel
from educonnect_core.domain.policy import Policy, Throttle
from educonnect_core.domain.selection import Selection
from educonnect_core.errors import CredentialsRefused
from educonnect_core.testing import in_memory_world
from educonnect_sql import SqlStorage
from educonnect_sql.engine import build_engine
from educonnect_sql.migrate import downgrade, upgrade

#: Enough free failures that the six parallel ones are all checked (none refused as locked).
POLICY = Policy(login_throttle=Throttle(free=10, first_wait=timedelta(minutes=1)))
GUARDIANS = 5
WRONG = "Mauvais2025"


def prepare(url: str) -> list[str]:
    """A school of `GUARDIANS` notified guardians; returns their logins."""
    storage = SqlStorage.open(url)
    try:
        world = in_memory_world(seed=1, storage=storage, policy=POLICY)
        world.app.integrate(snapshot(GUARDIANS))
        admin = world.app.administration(DIRECTOR)
        admin.notify(UAI, Selection(), Channel.PAPER)
        return sorted(row.login for row in admin.rows(UAI, Selection(page_size=0)).rows)
    finally:
        storage.close()


def failures(url: str, login: str) -> int:
    """The login failures stored for `login`."""
    storage = SqlStorage.open(url)
    try:
        with storage.unit_of_work() as uow:
            account = uow.accounts.by_login(login)
        assert account is not None
        return account.login_failures.failures
    finally:
        storage.close()


def notification_racing_a_wrong_login(url: str) -> None:
    """The director's school-wide paper notification reads every account, then — just before
    it commits — a guardian of one selected account types a wrong password on another
    connection and commits; the notification must still go through, and the failure stay.
    """
    logins = prepare(url)
    target = logins[2]
    storage = SqlStorage.open(url)
    try:
        guardian = in_memory_world(seed=2, storage=storage, policy=POLICY)
        refused: list[Exception] = []

        def wrong_login() -> None:
            try:
                guardian.app.portal().login(target, WRONG)
            except CredentialsRefused as error:
                refused.append(error)

        director = in_memory_world(
            seed=3, storage=GatedStorage(storage, wrong_login), policy=POLICY
        )
        report = director.app.administration(DIRECTOR).notify(
            UAI, Selection(), Channel.PAPER, reset=True
        )
        assert len(refused) == 1
        assert [o.done for o in report.outcomes] == [True] * GUARDIANS
    finally:
        storage.close()
    # The reset gave new credentials: the failure typed against the old ones no longer counts.
    assert failures(url, target) == 0


def notification_without_reset_keeps_the_failure(url: str) -> None:
    """The same race with a notification that gives no new password: the failure stays."""
    logins = prepare(url)
    target = logins[0]
    storage = SqlStorage.open(url)
    try:
        guardian = in_memory_world(seed=2, storage=storage, policy=POLICY)

        def wrong_login() -> None:
            with pytest.raises(CredentialsRefused):
                guardian.app.portal().login(target, WRONG)

        director = in_memory_world(
            seed=3, storage=GatedStorage(storage, wrong_login), policy=POLICY
        )
        report = director.app.administration(DIRECTOR).notify(UAI, Selection(), Channel.PAPER)
        assert [o.done for o in report.outcomes] == [True] * GUARDIANS
    finally:
        storage.close()
    assert failures(url, target) == 1


def parallel_wrong_logins(url: str, login: str, attempts: int = 6) -> list[str]:
    """`attempts` wrong logins at once, each on its own connection (threads); the name of
    what each one raised.
    """
    storage = SqlStorage.open(url)
    gate = threading.Barrier(attempts)
    found: list[str] = []
    lock = threading.Lock()

    def attempt(seed: int) -> None:
        world = in_memory_world(seed=seed, storage=storage, policy=POLICY)
        portal = world.app.portal()
        gate.wait(60)
        try:
            portal.login(login, WRONG)
        except Exception as error:  # whatever it is, the test names it
            outcome = f"{type(error).__name__}: {error}"
        else:
            outcome = "logged in"
        with lock:
            found.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        storage.close()
    return found


def six_parallel_wrong_logins(url: str) -> None:
    """Six parallel wrong logins on one account: six `CredentialsRefused`, six failures; six
    on an unknown login: the same six answers.
    """
    logins = prepare(url)
    outcomes = parallel_wrong_logins(url, logins[1])
    refused = f"CredentialsRefused: {CredentialsRefused()}"
    assert outcomes == [refused] * 6
    assert failures(url, logins[1]) == 6
    assert parallel_wrong_logins(url, "x.personne") == [refused] * 6


@pytest.fixture
def sqlite_url() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="educonnect-activity-"))
    url = f"sqlite:///{folder / 'activity.db'}"
    SqlStorage.open(url, migrate=True).close()
    yield url
    shutil.rmtree(folder, ignore_errors=True)


class TestOnSqlite:
    """On SQLite (a file, WAL, one connection per unit of work)."""

    def test_a_notification_racing_a_wrong_login(self, sqlite_url: str) -> None:
        """A bulk notification with reset is not aborted by a guardian's wrong password."""
        notification_racing_a_wrong_login(sqlite_url)

    def test_a_notification_keeps_the_failure(self, sqlite_url: str) -> None:
        """A bulk notification without reset neither conflicts nor erases the failure."""
        notification_without_reset_keeps_the_failure(sqlite_url)

    def test_six_parallel_wrong_logins(self, sqlite_url: str) -> None:
        """Six parallel wrong logins: six refusals, six failures counted."""
        six_parallel_wrong_logins(sqlite_url)


class TestOnPostgres:
    """On PostgreSQL (READ COMMITTED, row locks)."""

    def test_a_notification_racing_a_wrong_login(self, postgres: PostgresServer) -> None:
        """A bulk notification with reset is not aborted by a guardian's wrong password."""
        notification_racing_a_wrong_login(postgres.fresh_database())

    def test_a_notification_keeps_the_failure(self, postgres: PostgresServer) -> None:
        """A bulk notification without reset neither conflicts nor erases the failure."""
        notification_without_reset_keeps_the_failure(postgres.fresh_database())

    @pytest.mark.parametrize("round_", range(3))
    def test_six_parallel_wrong_logins(self, postgres: PostgresServer, round_: int) -> None:
        """Six parallel wrong logins: six refusals, six failures counted."""
        six_parallel_wrong_logins(postgres.fresh_database())


class TestMigration0002:
    """Revision 0002 adds the activity columns to a database already holding accounts."""

    def test_accounts_keep_their_failures(self, tmp_path: Path) -> None:
        """An account written at revision 0001 with 3 failures reads back with them after the
        upgrade, at credentials generation 0 and not blocked; the downgrade drops the columns.
        """
        url = f"sqlite:///{tmp_path / 'old.db'}"
        engine = build_engine(url)
        try:
            upgrade(engine, "0001")
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO accounts (account_id, login, login_base, surname, first_name, "
                    "surname_key, first_name_key, password_kind, provisional_secret, "
                    "provisional_carried_at, created_at, state, origin, login_failures, "
                    "birth_date_failures, version) VALUES ('R1', 'c.lebrun', 'c.lebrun', "
                    "'LEBRUN', 'Claire', 'lebrun', 'claire', 'provisional', 'ABCD2345', "
                    "'2025-09-01 08:00:00.000000', '2025-09-01 08:00:00.000000', 'NOTIFIED', "
                    "'SCHOOL', 3, 0, 2)"
                )
            storage = SqlStorage.open(url, migrate=True)
            try:
                with storage.unit_of_work() as uow:
                    found = uow.accounts.get("R1")
            finally:
                storage.close()
            assert found is not None
            assert (found.login_failures.failures, found.credentials, found.blocked) == (
                3,
                0,
                False,
            )
            assert found.version == 2
            downgrade(engine, "0001")
            with engine.connect() as connection:
                columns = {c["name"] for c in sa.inspect(connection).get_columns("accounts")}
            assert "credentials" not in columns
            assert "login_failures" in columns
        finally:
            engine.dispose()
