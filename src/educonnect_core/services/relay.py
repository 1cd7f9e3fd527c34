"""The outbox relay: hands committed e-mails to the mailer after commit, marks them sent, retries
failures with growing waits.

Each message goes through three short units of work: marked « in flight » (committed before the
mailer is called), handed to the mailer, then marked sent (or failed). A crash between the
mailer's acceptance and `mark_sent` leaves the message in flight: the next run sends it again,
with the same id (so the same Message-ID header), and reports it as possibly duplicated — SMTP
delivery is at least once, never « exactly once », and a duplicate is recognisable by its
Message-ID. Run one relay at a time per storage (one worker, or this relay's own lock within a
process): a second relay running at once would take the first one's in-flight messages for
stranded ones.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import attrs

from educonnect_core.domain.records import OutboxMessage
from educonnect_core.errors import EduconnectError
from educonnect_core.ports import Mailer
from educonnect_core.services.runtime import Runtime

__all__ = ["POSSIBLY_DUPLICATED", "DeliveryReport", "OutboxRelay"]

#: Added to the audit detail of a message sent again after it was found in flight.
POSSIBLY_DUPLICATED = "possibly_duplicated"


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


@attrs.define
class OutboxRelay:
    """Delivers pending outbox messages through a `Mailer`."""

    runtime: Runtime
    mailer: Mailer
    first_retry: timedelta = timedelta(minutes=1)
    max_retry: timedelta = timedelta(hours=6)
    batch: int = 200
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
        sent: list[str] = []
        failed: list[tuple[str, str, str]] = []
        storage = self.runtime.storage
        with storage.unit_of_work() as uow:
            stranded = list(uow.outbox.in_flight())
        for message in stranded:
            self._deliver(message, self.runtime.now(), sent, failed, stranded=True)
        done = {m.message_id for m in stranded}
        while True:
            now = self.runtime.now()
            with storage.unit_of_work() as uow:
                due = [m for m in uow.outbox.pending(now, self.batch) if m.message_id not in done]
            if not due:
                break
            for message in due:
                done.add(message.message_id)
                self._deliver(message, now, sent, failed, stranded=False)
        return DeliveryReport(tuple(sent), tuple(failed), tuple(m.message_id for m in stranded))

    def _deliver(
        self,
        message: OutboxMessage,
        now: datetime,
        sent: list[str],
        failed: list[tuple[str, str, str]],
        *,
        stranded: bool,
    ) -> None:
        storage = self.runtime.storage
        kind = message.letter.kind.name
        note = f" {POSSIBLY_DUPLICATED}" if stranded else ""
        if not stranded:
            with storage.unit_of_work() as uow:
                uow.outbox.mark_in_flight(message.message_id, now)
                uow.commit()
        try:
            self.mailer.send(message)
        except EduconnectError as error:
            reason = type(error).__name__ + ": " + str(error)
            with storage.unit_of_work() as uow:
                attempts = uow.outbox.attempts(message.message_id) + 1
                uow.outbox.mark_failed(
                    message.message_id, now, reason, now + self.backoff(attempts)
                )
                self.runtime.audit(
                    uow,
                    "relay",
                    "SEND_EMAIL",
                    "failed",
                    account_id=message.account_id,
                    at=now,
                    detail=f"{kind}{note} {reason}",
                )
                uow.commit()
            failed.append((message.message_id, message.account_id, reason))
            return
        with storage.unit_of_work() as uow:
            uow.outbox.mark_sent(message.message_id, now)
            self.runtime.audit(
                uow,
                "relay",
                "SEND_EMAIL",
                "done",
                account_id=message.account_id,
                at=now,
                detail=kind + note,
            )
            uow.commit()
        sent.append(message.message_id)
