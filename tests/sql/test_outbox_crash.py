"""The transactional outbox survives a crash at any point of a bulk e-mail notification.

A forked child notifies a small school by e-mail and runs the relay; it dies (``os._exit``) at a
random step: around each commit, before or after the mailer appends a message to its file, or
before the ``fsync``. A recovery then runs the same work again. Whatever the step, no message is
lost, every account's state matches what was delivered, and a message delivered twice (the
mailer records every delivery, duplicates included: SMTP cannot do better than at least once) is
one the recovery reported as possibly duplicated — in its result and in the audit trail. The
relay works in batches of `BATCH` (marked in flight together, handed over together): a kill
between two deliveries of a batch leaves it all in flight, so the recovery may send twice only
the messages of that one batch, and reports every one of them.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.sql.conftest import PostgresServer
from tests.sql.scenario import DIRECTOR, UAI, GatedStorage, snapshot

from educonnect_core.domain.account import Provisional
from educonnect_core.domain.lifecycle import AccountState, Channel
from educonnect_core.domain.records import OutboxMessage
from educonnect_core.domain.selection import Selection
from educonnect_core.errors import EduconnectError
from educonnect_core.services.relay import POSSIBLY_DUPLICATED, DeliveryReport, send_each
from educonnect_core.testing import in_memory_world
from educonnect_sql import SqlStorage

GUARDIANS = 4
#: The relay's batch in these runs: two batches (3 + 1), so a kill strands at most one batch.
BATCH = 3
KILLED = 86
#: Killed runs on SQLite (each step of a run is about as likely to be hit).
RUNS = 80


class Steps:
    """Counts the steps of a run and kills the process at step `kill_at`."""

    def __init__(self, kill_at: int | None) -> None:
        self.kill_at = kill_at
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        if self.count == self.kill_at:
            os._exit(KILLED)


class FileMailer:
    """Appends one line per delivery to a file, with fsync — every delivery, a message already
    delivered too (as an SMTP server would accept it again), so duplicates can be counted.
    """

    def __init__(self, path: Path, step: Callable[[], None]) -> None:
        self.path = path
        self.step = step

    def delivered(self) -> list[list[str]]:
        if not self.path.exists():
            return []
        return [line.split("\t") for line in self.path.read_text("utf-8").splitlines()]

    def send(self, message: OutboxMessage) -> None:
        self.step()
        with self.path.open("a", encoding="utf-8") as out:
            letter = message.letter
            out.write(f"{message.message_id}\t{message.account_id}\t{letter.password}\n")
            out.flush()
            self.step()
            os.fsync(out.fileno())
        self.step()

    def send_many(self, messages: Sequence[OutboxMessage]) -> list[EduconnectError | None]:
        """`send` each message of the batch: a kill may fall between two of them."""
        return send_each(self.send, messages)


class CommitSteps(GatedStorage):
    """A storage with a step just before and just after every commit."""

    def unit_of_work(self) -> Any:
        uow = super().unit_of_work()
        inner_commit = uow.inner.commit

        def commit() -> None:
            self.gate()
            inner_commit()
            self.gate()

        uow.commit = commit  # type: ignore[method-assign]
        return uow


def work(url: str, mail_file: Path, step: Callable[[], None]) -> DeliveryReport:
    """Notify by e-mail every not-yet-notified guardian, then deliver what is pending."""
    storage = SqlStorage.open(url)
    try:
        world = in_memory_world(
            seed=3, storage=CommitSteps(storage, step), deliver_after_commit=False
        )
        world.app.relay.mailer = FileMailer(mail_file, step)
        world.app.relay.batch = BATCH
        admin = world.app.administration(DIRECTOR)
        admin.notify(UAI, Selection(states={AccountState.NOT_NOTIFIED}), Channel.EMAIL)
        return world.app.deliver_pending()
    finally:
        storage.close()


def _child(url: str, mail_file: Path, kill_at: int) -> None:
    code = 0
    try:
        work(url, mail_file, Steps(kill_at))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def run_killed(url: str, mail_file: Path, kill_at: int) -> int:
    """Run `work` in a forked child killed at step `kill_at`; its exit code."""
    child = multiprocessing.get_context("fork").Process(
        target=_child, args=(url, mail_file, kill_at)
    )
    child.start()
    child.join(60)
    return child.exitcode if child.exitcode is not None else -1


def check_recovered(url: str, mail_file: Path, report: DeliveryReport) -> int:
    """No message lost, states as delivered, every duplicate reported; the duplicates."""
    delivered = FileMailer(mail_file, lambda: None).delivered()
    ids = [fields[0] for fields in delivered]
    twice = {i for i, n in Counter(ids).items() if n > 1}
    assert twice <= set(report.possibly_duplicated), "a duplicate was not reported"
    assert len(report.possibly_duplicated) <= BATCH, "more than one batch was left in flight"
    storage = SqlStorage.open(url)
    try:
        with storage.unit_of_work() as uow:
            accounts = [
                uow.accounts.by_login(r.login)
                for r in uow.directory.responsable_rows(
                    snapshot(1).schools[0].uai, Selection(page_size=0)
                ).rows
            ]
            assert uow.outbox.pending(_far_future()) == []
            assert uow.outbox.in_flight() == []
            assert set(uow.outbox.sent_ids()) == set(ids)
            flagged = {
                e.account_id
                for e in uow.audit.entries()
                if e.action == "SEND_EMAIL" and POSSIBLY_DUPLICATED in e.detail.split()
            }
    finally:
        storage.close()
    assert len(accounts) == GUARDIANS
    by_account = {fields[1]: fields for fields in delivered}
    by_id = {fields[0]: fields[1] for fields in delivered}
    assert len(by_account) == GUARDIANS, "a notification was lost or sent to one guardian twice"
    for account in accounts:
        assert account is not None
        assert account.state is AccountState.NOTIFIED
        assert isinstance(account.password, Provisional)
        assert by_account[account.account_id][2] == account.password.secret
    assert {by_id[i] for i in report.possibly_duplicated} == flagged
    return len(twice)


def _far_future() -> datetime:
    return datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="educonnect-crash-"))
    path = folder / "template.db"
    storage = SqlStorage.open(f"sqlite:///{path}", migrate=True)
    in_memory_world(seed=1, storage=storage).app.integrate(snapshot(GUARDIANS))
    storage.close()
    yield path
    shutil.rmtree(folder, ignore_errors=True)


def _steps_of_a_full_run(url: str, mail_file: Path) -> int:
    steps = Steps(None)
    work(url, mail_file, steps)
    return steps.count


class TestCrashRecoveryOnSqlite:
    """Killed at any of 80 random steps, a SQLite outbox loses nothing once recovered, and
    sends twice only messages it reports as possibly duplicated.
    """

    def test_random_kills(self, template: Path, tmp_path: Path) -> None:
        dry = tmp_path / "dry.db"
        shutil.copyfile(template, dry)
        total = _steps_of_a_full_run(f"sqlite:///{dry}", tmp_path / "dry.mail")
        assert total > 10
        rng = random.Random(20250901)
        killed = duplicates = 0
        for run in range(RUNS):
            db, mail = tmp_path / f"run{run}.db", tmp_path / f"run{run}.mail"
            shutil.copyfile(template, db)
            url = f"sqlite:///{db}"
            code = run_killed(url, mail, rng.randint(1, total))
            assert code in (0, KILLED), f"run {run}: child failed with {code}"
            killed += code == KILLED
            duplicates += check_recovered(url, mail, work(url, mail, lambda: None))
        assert killed == RUNS
        assert duplicates > 0  # some kills fell between the mailer and mark_sent


class TestCrashRecoveryOnPostgres:
    """Killed at random steps, a PostgreSQL outbox loses nothing; duplicates are reported."""

    def test_random_kills(self, postgres: PostgresServer, tmp_path: Path) -> None:
        rng = random.Random(7)
        url = postgres.fresh_database()
        total = 0
        for run in range(21):
            postgres.emptied(url)
            storage = SqlStorage.open(url)
            in_memory_world(seed=1, storage=storage).app.integrate(snapshot(GUARDIANS))
            storage.close()
            mail = tmp_path / f"run{run}.mail"
            if run == 0:
                total = _steps_of_a_full_run(url, mail)
                continue
            code = run_killed(url, mail, rng.randint(1, total))
            assert code == KILLED, f"run {run}: child failed with {code}"
            check_recovered(url, mail, work(url, mail, lambda: None))
