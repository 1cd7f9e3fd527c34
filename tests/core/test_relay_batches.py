"""The outbox relay works a batch at a time: ONE unit of work marks the batch in flight (before
the mailer sees any of it), the mailer gets the batch at once, ONE unit of work records what
happened (the one that marks the next batch). A failed message is retried after a wait; nothing
is lost, nothing is sent twice unless a crash left a batch in flight (then reported).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from tests.sql.scenario import DIRECTOR, UAI, snapshot

from educonnect_core.domain.lifecycle import Channel
from educonnect_core.domain.records import OutboxMessage
from educonnect_core.domain.selection import Selection
from educonnect_core.errors import DeliveryFailed, EduconnectError
from educonnect_core.ports import Storage, UnitOfWork
from educonnect_core.services.relay import POSSIBLY_DUPLICATED, send_each
from educonnect_core.testing import InMemoryStorage, in_memory_world
from educonnect_core.testing.world import World
from educonnect_core.testing.wrapping import DelegatingUnitOfWork


class CountingStorage:
    """Counts the commits made through it."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.commits = 0

    def unit_of_work(self) -> UnitOfWork:
        return _Counted(self, self.inner.unit_of_work())


class _Counted(DelegatingUnitOfWork):
    def __init__(self, storage: CountingStorage, inner: UnitOfWork) -> None:
        super().__init__(inner)
        self.storage = storage

    def commit(self) -> None:
        self.inner.commit()
        self.storage.commits += 1


class LedgerMailer:
    """Records every delivery, duplicates included (as an SMTP server accepts a message twice);
    fails the messages at the positions of `fail_at` (1 for the first of a batch) of its first
    `failing_batches` batches; sees, at each batch, which messages are committed in flight.
    """

    def __init__(
        self, storage: Storage, *, fail_at: Sequence[int] = (), failing_batches: int = 1
    ) -> None:
        self.storage = storage
        self.fail_at = set(fail_at)
        self.failing_batches = failing_batches
        self.delivered: list[str] = []
        self.batches: list[list[str]] = []
        self.in_flight_at_hand_over: list[set[str]] = []

    def send(self, message: OutboxMessage) -> None:
        self.delivered.append(message.message_id)

    def send_many(self, messages: Sequence[OutboxMessage]) -> list[EduconnectError | None]:
        with self.storage.unit_of_work() as uow:
            self.in_flight_at_hand_over.append({m.message_id for m in uow.outbox.in_flight()})
        self.batches.append([m.message_id for m in messages])
        failing = len(self.batches) <= self.failing_batches
        results: list[EduconnectError | None] = []
        for position, message in enumerate(messages, start=1):
            if failing and position in self.fail_at:
                results.append(DeliveryFailed(message.message_id, message.to.value, "450 busy"))
            else:
                self.send(message)
                results.append(None)
        return results


def notified(guardians: int, **mailer: Any) -> tuple[World, CountingStorage, LedgerMailer]:
    """A school of `guardians` notified by e-mail, nothing delivered yet."""
    storage = CountingStorage(InMemoryStorage())
    world = in_memory_world(seed=4, storage=storage, deliver_after_commit=False)
    world.app.integrate(snapshot(guardians))
    world.app.administration(DIRECTOR).notify(UAI, Selection(), Channel.EMAIL)
    ledger = LedgerMailer(storage, **mailer)
    world.app.relay.mailer = ledger
    return world, storage, ledger


def relay_audit(world: World) -> list[tuple[str | None, str, str]]:
    with world.app.runtime.storage.unit_of_work() as uow:
        return [
            (e.account_id, e.outcome, e.detail) for e in uow.audit.entries() if e.actor == "relay"
        ]


class TestOneUnitOfWorkPerStep:
    """A batch is marked in flight in one commit and recorded in one commit (the next batch's)."""

    def test_one_commit_per_batch(self) -> None:
        """450 messages in batches of 200: 3 batches, 4 commits — each marks a batch in flight
        and records the one before, the last records the last (it was 2 per message).
        """
        world, storage, ledger = notified(450)
        storage.commits = 0
        report = world.app.deliver_pending()
        assert len(report.sent) == 450
        assert [len(batch) for batch in ledger.batches] == [200, 200, 50]
        assert storage.commits == 4

    def test_the_whole_batch_is_in_flight_before_the_mailer_sees_it(self) -> None:
        """At hand-over, exactly the batch is committed in flight (so a crash then resends
        all of it, reported).
        """
        world, _storage, ledger = notified(7)
        world.app.relay.batch = 3
        world.app.deliver_pending()
        assert [len(batch) for batch in ledger.batches] == [3, 3, 1]
        assert ledger.in_flight_at_hand_over == [set(batch) for batch in ledger.batches]

    def test_batch_size_is_at_least_one(self) -> None:
        world, _storage, _ledger = notified(1)
        with pytest.raises(ValueError, match="batch"):
            type(world.app.relay)(world.app.runtime, world.app.relay.mailer, batch=0)


class TestAFailureInABatch:
    """The 3rd message of a batch of 5 fails: the 4 others are sent once, the 3rd is retried
    after the wait and sent once; none lost, none sent twice.
    """

    def test_third_of_five_fails_then_is_retried(self) -> None:
        world, _storage, ledger = notified(5, fail_at=[3])
        first = world.app.deliver_pending()
        (batch,) = ledger.batches
        third = batch[2]
        assert list(first.sent) == [batch[0], batch[1], batch[3], batch[4]]
        assert [f[0] for f in first.failed] == [third]
        assert "450 busy" in first.failed[0][2]
        with world.app.runtime.storage.unit_of_work() as uow:
            assert uow.outbox.in_flight() == []
            assert uow.outbox.attempts(third) == 1
            assert [m.message_id for m in uow.outbox.pending(world.clock.now())] == []
        assert world.app.deliver_pending().sent == ()  # not before the wait
        world.clock.advance(minutes=1)
        second = world.app.deliver_pending()
        assert second.sent == (third,)
        assert Counter(ledger.delivered) == dict.fromkeys(batch, 1)
        with world.app.runtime.storage.unit_of_work() as uow:
            assert set(uow.outbox.sent_ids()) == set(batch)
            assert uow.outbox.pending(world.clock.now() + timedelta(days=1)) == []
        outcomes = Counter(outcome for _, outcome, _ in relay_audit(world))
        assert outcomes == {"done": 5, "failed": 1}

    def test_every_message_of_a_batch_failing(self) -> None:
        """A batch whose every message fails (a server down): all pending again, counted."""
        world, _storage, ledger = notified(4, fail_at=[1, 2, 3, 4])
        report = world.app.deliver_pending()
        assert report.sent == ()
        assert len(report.failed) == 4
        world.clock.advance(minutes=1)
        assert len(world.app.deliver_pending().sent) == 4
        assert sorted(Counter(ledger.delivered).values()) == [1, 1, 1, 1]


class _Crash(BaseException):
    """The process dying in the middle of a batch."""


class DiesMidBatch(LedgerMailer):
    """Delivers the first `survive` messages of its first batch, then « dies »."""

    def __init__(self, storage: Storage, survive: int) -> None:
        super().__init__(storage)
        self.survive = survive

    def send_many(self, messages: Sequence[OutboxMessage]) -> list[EduconnectError | None]:
        self.batches.append([m.message_id for m in messages])
        if len(self.batches) == 1:
            for message in messages[: self.survive]:
                self.send(message)
            raise _Crash
        return send_each(self.send, messages)


class TestCrashInTheMiddleOfABatch:
    """A crash after 2 of a batch of 3 were delivered leaves the batch in flight: the next run
    sends the 3 again, reports exactly them as possibly duplicated, and the other batches once.
    """

    def test_only_the_stranded_batch_is_resent_and_reported(self) -> None:
        world, storage, _ = notified(7)
        world.app.relay.batch = 3
        dying = DiesMidBatch(storage, survive=2)
        world.app.relay.mailer = dying
        with pytest.raises(_Crash):
            world.app.deliver_pending()
        stranded = dying.batches[0]
        report = world.app.deliver_pending()
        assert set(report.possibly_duplicated) == set(stranded)
        assert len(report.sent) == 7
        twice = {i for i, n in Counter(dying.delivered).items() if n > 1}
        assert twice == set(stranded[:2])
        assert twice <= set(report.possibly_duplicated)
        assert len(dying.delivered) == 7 + 2
        flagged = [d for _, _, d in relay_audit(world) if POSSIBLY_DUPLICATED in d.split()]
        assert len(flagged) == 3


class TestSendEach:
    """`send_each`: one result per message; an `EduconnectError` is that message's result,
    any other error is raised.
    """

    def test_results_in_order(self) -> None:
        seen: list[str] = []

        def send(message: OutboxMessage) -> None:
            if message.message_id == "b":
                raise DeliveryFailed("b", "x@example.org", "refused")
            seen.append(message.message_id)

        world, _storage, _ledger = notified(3)
        with world.app.runtime.storage.unit_of_work() as uow:
            messages = list(uow.outbox.pending(world.clock.now()))
        renamed = [
            OutboxMessage(i, m.account_id, m.to, m.letter, m.created_at)
            for i, m in zip("abc", messages, strict=True)
        ]
        results = send_each(send, renamed)
        assert results[0] is None
        assert isinstance(results[1], DeliveryFailed)
        assert results[2] is None
        assert seen == ["a", "c"]

        def broken(message: OutboxMessage) -> None:
            raise RuntimeError("bug")

        with pytest.raises(RuntimeError):
            send_each(broken, renamed)
