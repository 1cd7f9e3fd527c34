"""What every use case runs with: the ports and the policy, bundled once by the application."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

import attrs

from educonnect_core.domain.account import ActivationLink
from educonnect_core.domain.letters import LetterSettings
from educonnect_core.domain.policy import Policy
from educonnect_core.domain.records import AuditEntry
from educonnect_core.domain.values import Email
from educonnect_core.ports import (
    Clock,
    DocumentRenderer,
    PasswordHasher,
    SecretSource,
    Storage,
    UnitOfWork,
)

__all__ = ["Runtime", "token_digest"]


def token_digest(token: str) -> str:
    """The digest under which an activation token is stored (the token itself never is)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@attrs.frozen
class Runtime:
    """The ports and rules a use case needs."""

    storage: Storage
    clock: Clock
    secrets: SecretSource
    hasher: PasswordHasher
    renderer: DocumentRenderer
    policy: Policy = Policy()
    letters: LetterSettings = LetterSettings()
    #: Where the people using the library live: file names and printed dates use it.
    timezone: tzinfo = UTC
    #: Called after a use case committed e-mails to the outbox (the relay, when delivering at once).
    mail_queued: Callable[[], object] | None = None
    _dummy: dict[str, str] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def dummy_hash(self) -> str:
        """A hash of a password nobody has, made once by this runtime's hasher (same algorithm,
        same cost): verifying against it costs what verifying a real one costs, so that every
        refusal spends the same work (issue 9.4).
        """
        found = self._dummy.get("hash")
        if found is None:
            found = self._dummy["hash"] = self.hasher.hash("educonnect-timing-equaliser-0")
        return found

    def now(self) -> datetime:
        """The clock's instant, checked to be timezone-aware."""
        moment = self.clock.now()
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("the Clock must return timezone-aware datetimes")
        return moment.astimezone(UTC)

    def after_mail(self) -> None:
        """Tell the application that committed e-mails wait in the outbox."""
        if self.mail_queued is not None:
            self.mail_queued()

    def local(self, moment: datetime) -> datetime:
        """`moment` in the users' time zone."""
        return moment.astimezone(self.timezone)

    def new_provisional(self) -> str:
        """A fresh provisional password under the policy."""
        return self.secrets.provisional_password(
            self.policy.provisional_alphabet, self.policy.provisional_length
        )

    def new_activation(self, email: Email, now: datetime) -> tuple[str, ActivationLink]:
        """A fresh activation token and the link record that keeps only its digest."""
        token = self.secrets.token(self.policy.token_bytes)
        expires = now + self.policy.activation_link_validity
        return token, ActivationLink(token_digest(token), email, expires)

    def message_id(self) -> str:
        """A fresh id for an outgoing e-mail."""
        return self.secrets.token(12)

    def audit(
        self,
        uow: UnitOfWork,
        actor: str,
        action: str,
        outcome: str,
        *,
        account_id: str | None = None,
        uai: str | None = None,
        detail: str = "",
        at: datetime | None = None,
    ) -> None:
        """Record one audit entry in `uow` (the caller makes sure `detail` holds no secret)."""
        uow.audit.record(
            AuditEntry(
                at=at or self.now(),
                actor=actor,
                action=action,
                outcome=outcome,
                account_id=account_id,
                uai=uai,
                detail=detail,
            )
        )
