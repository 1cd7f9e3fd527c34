"""The outbox relay: hands committed e-mails to the mailer after commit, marks them sent, retries
failures with growing waits. A message is marked sent in its own unit of work right after the
mailer accepted it, so a retry never sends a delivered message again.
"""

from __future__ import annotations

from datetime import timedelta

import attrs

from educonnect_core.errors import EduconnectError
from educonnect_core.ports import Mailer
from educonnect_core.services.runtime import Runtime

__all__ = ["DeliveryReport", "OutboxRelay"]


@attrs.frozen
class DeliveryReport:
    """What one pass of the relay did."""

    sent: tuple[str, ...] = ()
    #: (message id, account id, error) for each failed attempt.
    failed: tuple[tuple[str, str, str], ...] = ()


@attrs.define
class OutboxRelay:
    """Delivers pending outbox messages through a `Mailer`."""

    runtime: Runtime
    mailer: Mailer
    first_retry: timedelta = timedelta(minutes=1)
    max_retry: timedelta = timedelta(hours=6)
    batch: int = 200

    def backoff(self, attempts: int) -> timedelta:
        """The wait before the next try after `attempts` failures (1 min, 2, 4… at most 6 h)."""
        wait: timedelta = self.first_retry * (2 ** min(attempts - 1, 20))
        return min(wait, self.max_retry)

    def deliver_pending(self) -> DeliveryReport:
        """Send every message due now, once each; return what was sent and what failed."""
        sent: list[str] = []
        failed: list[tuple[str, str, str]] = []
        storage = self.runtime.storage
        while True:
            now = self.runtime.now()
            with storage.unit_of_work() as uow:
                due = [
                    m
                    for m in uow.outbox.pending(now, self.batch)
                    if m.message_id not in sent and m.message_id not in {f[0] for f in failed}
                ]
            if not due:
                break
            for message in due:
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
                            detail=f"{message.letter.kind.name} {reason}",
                        )
                        uow.commit()
                    failed.append((message.message_id, message.account_id, reason))
                    continue
                with storage.unit_of_work() as uow:
                    uow.outbox.mark_sent(message.message_id, now)
                    self.runtime.audit(
                        uow,
                        "relay",
                        "SEND_EMAIL",
                        "done",
                        account_id=message.account_id,
                        at=now,
                        detail=message.letter.kind.name,
                    )
                    uow.commit()
                sent.append(message.message_id)
        return DeliveryReport(tuple(sent), tuple(failed))
