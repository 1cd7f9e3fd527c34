"""The outbox relay: hands committed e-mails to the mailer after commit, marks them sent, retries
failures with growing waits.

The relay works a batch at a time (at most `OutboxRelay.batch` messages, 200 by default): ONE
unit of work reads the due batch, marks it all « in flight » and commits, before the mailer is
called; the mailer is handed the batch (`Mailer.send_many`: one SMTP connection for it); ONE unit
of work then marks each message of it sent or failed, with its audit entry — the same unit that
takes and marks the next batch, so a pass commits once per batch (plus once at the end). A
message whose delivery failed (a refused recipient; or, when the connection is lost, that
message and the rest of the batch, not tried) is pending again after a wait that doubles with
each failure (`backoff`): never lost.

A crash between the mailer's acceptance and the commit that records it leaves the batch in
flight — up to `batch` messages, some delivered, some perhaps not (the next batch is marked by
that same commit, so it is never in flight before the previous one is recorded): the next run
hands every one of them over again, with the same id (so the same Message-ID header), and
reports them as possibly duplicated (`DeliveryReport.possibly_duplicated`,
``possibly_duplicated`` in their audit detail). SMTP delivery is at least once, never « exactly
once »; a duplicate is recognisable by its Message-ID, and the number a crash can duplicate is
at most one batch. Run one relay at a time per storage (one worker, or this relay's own lock
within a process): a second relay running at once would take the first one's in-flight messages
for stranded ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

import attrs

from educonnect_core.domain.records import OutboxMessage
from educonnect_core.errors import EduconnectError
from educonnect_core.ports import Mailer, UnitOfWork
from educonnect_core.services.runtime import Runtime

__all__ = ["POSSIBLY_DUPLICATED", "DeliveryReport", "OutboxRelay", "send_each"]

#: Added to the audit detail of a message sent again after it was found in flight.
POSSIBLY_DUPLICATED = "possibly_duplicated"


def send_each(
    send: Callable[[OutboxMessage], None], messages: Sequence[OutboxMessage]
) -> list[EduconnectError | None]:
    """`Mailer.send_many` for a mailer without a session: `send` once per message, in order;
    None for each accepted, the `EduconnectError` of each that was not (any other error is
    raised).
    """
    results: list[EduconnectError | None] = []
    for message in messages:
        try:
            send(message)
        except EduconnectError as error:
            results.append(error)
        else:
            results.append(None)
    return results


@attrs.frozen
class DeliveryReport:
    """What one pass of the relay did."""

    sent: tuple[str, ...] = ()
    #: (message id, account id, error) for each failed attempt.
    failed: tuple[tuple[str, str, str], ...] = ()
    #: The ids of the messages found in flight — a previous run stopped after handing them to
    #: the mailer and before recording it — and so handed over again: their recipients may
    #: receive them twice (same Message-ID).
    possibly_duplicated: tuple[str, ...] = ()


@attrs.frozen
class _HandedOver:
    """A batch the mailer had, waiting to be recorded: when, the audit note, the results."""

    batch: Sequence[OutboxMessage]
    at: datetime
    note: str
    results: Sequence[EduconnectError | None]


@attrs.define
class _Tally:
    sent: list[str] = attrs.Factory(list)
    failed: list[tuple[str, str, str]] = attrs.Factory(list)


def _batches(messages: Sequence[OutboxMessage], size: int) -> Iterator[Sequence[OutboxMessage]]:
    for start in range(0, len(messages), size):
        yield messages[start : start + size]


@attrs.define
class OutboxRelay:
    """Delivers pending outbox messages through a `Mailer`, `batch` at a time."""

    runtime: Runtime
    mailer: Mailer
    first_retry: timedelta = timedelta(minutes=1)
    max_retry: timedelta = timedelta(hours=6)
    #: Messages marked in flight together and handed to the mailer in one session: also the
    #: most a crash can leave to be sent twice.
    batch: int = attrs.field(default=200, validator=attrs.validators.ge(1))
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)

    def backoff(self, attempts: int) -> timedelta:
        """The wait before the next try after `attempts` failures (1 min, 2, 4… at most 6 h)."""
        wait: timedelta = self.first_retry * (2 ** min(attempts - 1, 20))
        return min(wait, self.max_retry)

    def deliver_pending(self) -> DeliveryReport:
        """Send again the messages a previous run left in flight, then every message due now,
        once each; return what was sent, what failed and what may have been sent twice.
        """
        with self._lock:
            return self._deliver_all()

    def _deliver_all(self) -> DeliveryReport:
        tally = _Tally()
        storage = self.runtime.storage
        with storage.unit_of_work() as uow:
            stranded = list(uow.outbox.in_flight())
        waiting = list(_batches(stranded, self.batch))
        done = {m.message_id for m in stranded}
        handed: _HandedOver | None = None
        while True:
            now = self.runtime.now()
            with storage.unit_of_work() as uow:
                if handed is not None:
                    self._record(uow, handed, tally)
                if waiting:  # already in flight: handed over again as they are
                    batch, note = waiting.pop(0), f" {POSSIBLY_DUPLICATED}"
                else:  # due now: marked in flight here
                    batch, note = self._take_due(uow, now, done), ""
                if handed is not None or (batch and not note):
                    # The results of the last batch and the next batch in flight, together,
                    # before the mailer sees any of the next one.
                    uow.commit()
            if not batch:
                break
            done.update(m.message_id for m in batch)
            handed = _HandedOver(batch, now, note, self._hand_over(batch))
        return DeliveryReport(
            tuple(tally.sent), tuple(tally.failed), tuple(m.message_id for m in stranded)
        )

    def _take_due(self, uow: UnitOfWork, now: datetime, done: set[str]) -> Sequence[OutboxMessage]:
        """The next due batch (none already handled in this pass), marked in flight in `uow`."""
        due = [m for m in uow.outbox.pending(now, self.batch) if m.message_id not in done]
        for message in due:
            uow.outbox.mark_in_flight(message.message_id, now)
        return due

    def _hand_over(self, batch: Sequence[OutboxMessage]) -> Sequence[EduconnectError | None]:
        """The mailer's result for each message of `batch` (all failed if it raised)."""
        try:
            results = self.mailer.send_many(batch)
        except EduconnectError as error:
            return [error] * len(batch)
        if len(results) != len(batch):
            # A mailer bug: the batch stays in flight, sent again (and reported) next run.
            raise RuntimeError(f"the mailer gave {len(results)} results for {len(batch)} messages")
        return results

    def _record(self, uow: UnitOfWork, handed: _HandedOver, tally: _Tally) -> None:
        """Mark each message of a handed-over batch sent or failed, with its audit entry."""
        for message, error in zip(handed.batch, handed.results, strict=True):
            if error is None:
                self._record_sent(uow, message, handed.at, handed.note)
                tally.sent.append(message.message_id)
            else:
                reason = self._record_failed(uow, message, handed.at, handed.note, error)
                tally.failed.append((message.message_id, message.account_id, reason))

    def _record_sent(
        self, uow: UnitOfWork, message: OutboxMessage, now: datetime, note: str
    ) -> None:
        uow.outbox.mark_sent(message.message_id, now)
        self.runtime.audit(
            uow,
            "relay",
            "SEND_EMAIL",
            "done",
            account_id=message.account_id,
            at=now,
            detail=message.letter.kind.name + note,
        )

    def _record_failed(
        self,
        uow: UnitOfWork,
        message: OutboxMessage,
        now: datetime,
        note: str,
        error: EduconnectError,
    ) -> str:
        reason = type(error).__name__ + ": " + str(error)
        attempts = uow.outbox.attempts(message.message_id) + 1
        uow.outbox.mark_failed(message.message_id, now, reason, now + self.backoff(attempts))
        self.runtime.audit(
            uow,
            "relay",
            "SEND_EMAIL",
            "failed",
            account_id=message.account_id,
            at=now,
            detail=f"{message.letter.kind.name}{note} {reason}",
        )
        return reason
