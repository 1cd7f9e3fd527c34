"""The composition root: `EduConnect` holds the ports and hands out the use cases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, tzinfo

import attrs

from educonnect_core.domain.directory import DirectorySnapshot
from educonnect_core.domain.letters import LetterSettings
from educonnect_core.domain.policy import Policy
from educonnect_core.domain.records import Director
from educonnect_core.domain.statistics import SchoolStatistics
from educonnect_core.ports import (
    Clock,
    DocumentRenderer,
    Mailer,
    PasswordHasher,
    SecretSource,
    SmsSender,
    Storage,
)
from educonnect_core.services.administration import Administration
from educonnect_core.services.integration import IntegrationReport, Rejection, integrate
from educonnect_core.services.portal import Portal
from educonnect_core.services.relay import DeliveryReport, OutboxRelay
from educonnect_core.services.runtime import Runtime
from educonnect_core.services.statistics import compute_all

__all__ = ["EduConnect"]


class EduConnect:
    """The library's entry point: give it a storage, a mailer, a document renderer, a clock, a
    source of secrets and a password hasher; ask it for a director's administration, the
    guardian portal, or an integration of the directory feed.

    With `deliver_after_commit` (the default), e-mails queued by a use case are handed to the
    mailer as soon as it commits; without, call `deliver_pending()` yourself (a worker, a cron).
    `sms`, an `SmsSender`, lets the guardian's self-service paths send one-time codes.
    """

    def __init__(
        self,
        *,
        storage: Storage,
        mailer: Mailer,
        renderer: DocumentRenderer,
        clock: Clock,
        secrets: SecretSource,
        hasher: PasswordHasher,
        policy: Policy | None = None,
        letters: LetterSettings | None = None,
        timezone: tzinfo = UTC,
        deliver_after_commit: bool = True,
        sms: SmsSender | None = None,
    ) -> None:
        runtime = Runtime(
            storage=storage,
            clock=clock,
            secrets=secrets,
            hasher=hasher,
            renderer=renderer,
            policy=policy or Policy(),
            letters=letters or LetterSettings(),
            timezone=timezone,
        )
        self.relay = OutboxRelay(runtime, mailer)
        #: The SMS gateway of the guardian's self-service paths (None: they are unavailable).
        self.sms = sms
        hook = self.relay.deliver_pending if deliver_after_commit else None
        self.runtime = attrs.evolve(runtime, mail_queued=hook)

    def __repr__(self) -> str:
        return f"<EduConnect on {type(self.runtime.storage).__name__}>"

    @property
    def policy(self) -> Policy:
        """The rules in force."""
        return self.runtime.policy

    def administration(self, director: Director) -> Administration:
        """The use cases of one director, scoped to the schools in their charge."""
        return Administration(self.runtime, director)

    def portal(self) -> Portal:
        """The guardian-side use cases."""
        return Portal(self.runtime, self.sms)

    def integrate(
        self, snapshot: DirectorySnapshot, rejected: Iterable[Rejection] = ()
    ) -> IntegrationReport:
        """Apply one run of the directory feed (SPEC §8); see `services.integration`."""
        return integrate(self.runtime, snapshot, rejected)

    def compute_all_statistics(self) -> tuple[SchoolStatistics, ...]:
        """The nightly computation of every school's statistics (guide §6.1 « automatiquement
        toutes les nuits »): the host schedules this call; one unit of work per school.
        """
        return compute_all(self.runtime)

    def deliver_pending(self) -> DeliveryReport:
        """Hand every committed, due e-mail to the mailer (the outbox relay)."""
        return self.relay.deliver_pending()
