"""The `Account` aggregate: a guardian's online-services account, national, one per guardian.

Every state change goes through the shared machine (`lifecycle.fire`); every director action is
checked against the permission matrix first. The methods are named after the guide.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from educonnect_core.domain.directory import Responsable, full_name
from educonnect_core.domain.lifecycle import AccountState, Event, Origin, fire
from educonnect_core.domain.permissions import Action, permission
from educonnect_core.domain.policy import Policy, Throttle
from educonnect_core.domain.values import Email, Login, Mobile
from educonnect_core.errors import ActionNotAllowed

__all__ = [
    "HIDDEN_PASSWORD",
    "Account",
    "ActivationLink",
    "Chosen",
    "FailureCounter",
    "NoPassword",
    "NotifyOutcome",
    "Password",
    "Provisional",
]

#: How a chosen password is shown to a director (guide §5.2).
HIDDEN_PASSWORD = "******"


@attrs.frozen
class Provisional:
    """A system-generated password the director may read, until the guardian replaces it.

    `carried_at` is the last notification (or reset) that gave it out: the password is valid for
    the policy's months from then.
    """

    secret: str = attrs.field(repr=False)
    carried_at: datetime


@attrs.frozen
class Chosen:
    """A password the guardian chose: only its hash is ever kept."""

    hash: str = attrs.field(repr=False)


@attrs.frozen
class NoPassword:
    """No password at all: the account was activated through FranceConnect, which erased the
    provisional one (issue 9.8). Nothing opens it by login and password; the director
    sees it masked, like a chosen password. A reset gives it a provisional password again.
    """


Password = Provisional | Chosen | NoPassword


@attrs.frozen
class ActivationLink:
    """The pending address-confirmation link (C07): single use, expiring, superseded by a resend.

    Only a digest of the token is kept; the token itself travels in the e-mail alone.
    """

    digest: str = attrs.field(repr=False)
    email: Email
    expires_at: datetime


@attrs.frozen
class FailureCounter:
    """Consecutive failures, the lock they imposed, and whether they reached the hard cap that
    blocks the account until a director resets its password.
    """

    failures: int = 0
    locked_until: datetime | None = None
    blocked: bool = False

    @classmethod
    def after(
        cls, failures: int, now: datetime, throttle: Throttle, block_after: int | None = None
    ) -> FailureCounter:
        """The counter once the `failures`-th consecutive failure happened at `now`."""
        wait = throttle.lock_after(failures)
        return cls(
            failures,
            None if wait is None else now + wait,
            block_after is not None and failures >= block_after,
        )

    def locked(self, now: datetime) -> bool:
        """Whether an attempt at `now` must be refused without being checked."""
        return self.blocked or (self.locked_until is not None and now < self.locked_until)

    def failed(
        self, now: datetime, throttle: Throttle, block_after: int | None = None
    ) -> FailureCounter:
        """The counter after one more failure at `now`."""
        return FailureCounter.after(self.failures + 1, now, throttle, block_after)


@attrs.frozen
class NotifyOutcome:
    """What one notification did to one account."""

    state_before: AccountState
    password_reset: bool
    #: A reset was asked for but the matrix gives none (NOT_NOTIFIED accounts): warn the director.
    reset_skipped: bool


@attrs.define(repr=False)
class Account:
    """A guardian's account. Construct with `Account.pre_create`; change only through methods."""

    account_id: str
    login: Login
    surname: str
    first_name: str
    password: Password
    created_at: datetime
    state: AccountState = AccountState.NOT_NOTIFIED
    origin: Origin = Origin.NONE
    directory_email: Email | None = None
    #: The address the guardian gave or confirmed; never overwritten by the feed (SPEC §8).
    chosen_email: Email | None = None
    mobile: Mobile | None = None
    distributed_at: datetime | None = None
    last_login_at: datetime | None = None
    activated_at: datetime | None = None
    login_failures: FailureCounter = FailureCounter()
    birth_date_failures: FailureCounter = FailureCounter()
    activation: ActivationLink | None = None
    #: The FranceConnect identity (`sub`) bound at the first FranceConnect connection.
    franceconnect_sub: str | None = None
    #: The pending forgotten-password link (same shape as the activation link), if any.
    recovery: ActivationLink | None = None
    #: The generation of the credentials: one more at every reset, password or e-mail change.
    #: Login failures counted under an older generation no longer count (the storage keeps the
    #: counter apart from the versioned state, tagged with the generation it counts against).
    credentials: int = 0
    #: Bumped by the storage on every committed write (optimistic concurrency).
    version: int = 0

    def __repr__(self) -> str:
        return f"<Account {self.login} {self.state.name} v{self.version}>"

    # -- construction and directory data ------------------------------------------------------

    @classmethod
    def pre_create(
        cls, responsable: Responsable, login: Login, provisional_secret: str, now: datetime
    ) -> Account:
        """The account the directory import pre-creates: NOT_NOTIFIED, origin NONE, provisional."""
        return cls(
            account_id=responsable.responsable_id,
            login=login,
            surname=responsable.surname,
            first_name=responsable.first_name,
            password=Provisional(provisional_secret, now),
            created_at=now,
            directory_email=responsable.email,
            mobile=responsable.mobile,
        )

    def update_from_directory(self, responsable: Responsable) -> bool:
        """Take the feed's names, e-mail and mobile; return whether anything changed. The
        guardian's own e-mail, the state, the password and the history are never touched.
        """
        before = (self.surname, self.first_name, self.directory_email, self.mobile)
        after = (responsable.surname, responsable.first_name, responsable.email, responsable.mobile)
        if before == after:
            return False
        self.surname, self.first_name, self.directory_email, self.mobile = after
        return True

    def clear_birth_date_failures(self) -> bool:
        """A corrected birth date in the feed lifts the birth-date lock (SPEC §8, §10)."""
        if self.birth_date_failures == FailureCounter():
            return False
        self.birth_date_failures = FailureCounter()
        return True

    # -- what a director sees -----------------------------------------------------------------

    @property
    def name(self) -> str:
        """« Prénom NOM »."""
        return full_name(self.first_name, self.surname)

    @property
    def email(self) -> Email | None:
        """The account's e-mail: the guardian's own if given, else the directory's."""
        return self.chosen_email or self.directory_email

    @property
    def blocked(self) -> bool:
        """Whether the hard cap of consecutive login failures was reached (`Policy.
        login_block_after`, NIST SP 800-63B §5.2.2): every login is refused until a director
        resets the password.
        """
        return self.login_failures.blocked

    @property
    def provisional(self) -> bool:
        """Whether the password is provisional (must be changed at the next login)."""
        return isinstance(self.password, Provisional)

    @property
    def readable_password(self) -> str | None:
        """The provisional password as the director may read it: never for NOT_NOTIFIED
        accounts, never once the guardian chose theirs.
        """
        if isinstance(self.password, Provisional) and self.state is not AccountState.NOT_NOTIFIED:
            return self.password.secret
        return None

    @property
    def credential_address(self) -> Email | None:
        """Where a letter carrying a password may be mailed (issue 9, item 6): the guardian's
        own address once it is confirmed (an ACTIVATED account's), else the directory's — never
        the address typed at first connection that nobody confirmed yet.
        """
        if self.state is AccountState.ACTIVATED and self.chosen_email is not None:
            return self.chosen_email
        return self.directory_email

    @property
    def password_display(self) -> str:
        """The password column of the account page and the exports: clear, ``******`` or empty."""
        if self.state is AccountState.NOT_NOTIFIED:
            return ""
        if isinstance(self.password, Provisional):
            return self.password.secret
        return HIDDEN_PASSWORD

    def provisional_expires_at(self, policy: Policy) -> datetime | None:
        """The last instant the provisional password works, if there is one."""
        if isinstance(self.password, Provisional):
            return policy.provisional_expiry(self.password.carried_at)
        return None

    # -- director actions ---------------------------------------------------------------------

    def _require(self, action: Action) -> bool:
        cell = permission(action, self.state)
        if not cell.allowed:
            raise ActionNotAllowed(self.account_id, self.state.name, action.name)
        return cell.resets_password

    def notify(self, now: datetime, *, reset: bool, new_secret: Callable[[], str]) -> NotifyOutcome:
        """(Re)notify (guide §5.3): NOT_NOTIFIED becomes NOTIFIED with origin SCHOOL, other states
        stay; `distributed_at` becomes `now`; with `reset`, a new provisional password where the
        matrix allows it. A provisional password given out again is valid from `now`.
        """
        before = self.state
        resets = self._require(Action.NOTIFY_WITH_RESET if reset else Action.NOTIFY)
        fire(self, Event.NOTIFY)
        if before is AccountState.NOT_NOTIFIED:
            self.origin = Origin.SCHOOL
        if resets:
            self._new_credentials(Provisional(new_secret(), now))
        elif isinstance(self.password, Provisional):
            self.password = Provisional(self.password.secret, now)
        self.distributed_at = now
        return NotifyOutcome(before, password_reset=resets, reset_skipped=reset and not resets)

    def reset_password(self, now: datetime, new_secret: str) -> None:
        """Give a new provisional password (guide §5.5); the old one stops working at once and
        the state does not change. Refused for NOT_NOTIFIED accounts.
        """
        self._require(Action.RESET_PASSWORD)
        fire(self, Event.RESET_PASSWORD)
        self._new_credentials(Provisional(new_secret, now))

    def resend_activation(self, link: ActivationLink) -> None:
        """Replace the pending activation link (guide §5.6), possibly to a corrected address;
        the previous link stops working. ACTIVATING accounts only.
        """
        self._require(Action.RESEND_ACTIVATION_EMAIL)
        fire(self, Event.RESEND_ACTIVATION)
        self.chosen_email = link.email
        self.activation = link

    # -- guardian events ----------------------------------------------------------------------

    def _new_credentials(self, password: Password, link: ActivationLink | None = None) -> None:
        """The credentials change: `password` replaces the old one, `link` (or none) replaces
        every outstanding activation link, and the login failures start again from zero. Every
        reset, password change and e-mail change goes through here (issue 9.5: a link never
        survives the credentials it was sent under).
        """
        self.password = password
        self.activation = link
        self.recovery = None
        self.credentials += 1
        self.login_failures = FailureCounter()

    def birth_date_failed(self, now: datetime, throttle: Throttle) -> None:
        """Record a wrong birth date at first connection."""
        self.birth_date_failures = self.birth_date_failures.failed(now, throttle)

    def begin_activation(self, now: datetime, password_hash: str, link: ActivationLink) -> None:
        """First connection done (guide §1.3.5 (3)): the chosen password replaces the provisional
        one (erasing it), the e-mail is the guardian's, a confirmation link is pending.
        """
        fire(self, Event.BEGIN_ACTIVATION)
        self._new_credentials(Chosen(password_hash), link)
        self.chosen_email = link.email
        self.birth_date_failures = FailureCounter()

    def confirm_email(self, now: datetime) -> None:
        """The guardian opened the link: the account is activated and the link used up."""
        fire(self, Event.CONFIRM_EMAIL)
        self.activation = None
        self.activated_at = now

    def self_activate(
        self,
        now: datetime,
        origin: Origin,
        password_hash: str | None,
        email: Email | None = None,
    ) -> bool:
        """SMS sign-up, FranceConnect or the 2nd-degree transition from ATEN or an ENT (det.
        §1.3.4: such accounts go straight to « Activé »): a not-yet-activated account becomes
        ACTIVATED with that origin. An account already activated keeps its origin; returns
        whether it changed.

        Self-activation erases any provisional password (issue 9.8): with `password_hash` (SMS)
        the chosen one replaces it, without (FranceConnect) the account has `NoPassword`; a
        password the guardian already chose is kept. `email`, if given, becomes the guardian's own
        address.
        """
        if origin in (Origin.NONE, Origin.SCHOOL):
            raise ValueError(f"self-activation has no origin {origin.name}")
        if email is not None:
            self.chosen_email = email
        if self.state is AccountState.ACTIVATED:
            if password_hash is not None:
                self.change_password(now, password_hash)
            return False
        fire(self, Event.SELF_ACTIVATE)
        self.origin = origin
        if password_hash is not None:
            self._new_credentials(Chosen(password_hash))
        elif isinstance(self.password, Provisional):
            self._new_credentials(NoPassword())
        self.activation = None
        self.activated_at = now
        self.birth_date_failures = FailureCounter()
        return True

    def change_password(self, now: datetime, password_hash: str) -> None:
        """The guardian replaces a reset (provisional) or their own password; any pending
        activation link stops working.
        """
        fire(self, Event.CHANGE_PASSWORD)
        self._new_credentials(Chosen(password_hash))

    def change_email(self, email: Email, link: ActivationLink | None = None) -> None:
        """The guardian changes their e-mail: from their account once ACTIVATED, or by logging
        in again while ACTIVATING, in which case `link` (to the new address) replaces the pending
        one; any other outstanding link stops working.
        """
        if self.state is AccountState.ACTIVATING and link is None:
            raise ValueError("an ACTIVATING account needs a new activation link")
        fire(self, Event.CHANGE_EMAIL)
        self.chosen_email = email
        self._new_credentials(
            self.password, link if self.state is AccountState.ACTIVATING else None
        )

    def bind_franceconnect(self, sub: str) -> None:
        """Bind the FranceConnect identity `sub`: from now on it logs in to this account."""
        if not sub:
            raise ValueError("a FranceConnect sub cannot be empty")
        self.franceconnect_sub = sub

    def begin_recovery(self, link: ActivationLink) -> None:
        """A forgotten password (guide v1.9 det. §1.3.3): `link` replaces any pending recovery
        link. ACTIVATED accounts only (the others have their letter or their activation link).
        """
        if self.state is not AccountState.ACTIVATED:
            raise ActionNotAllowed(self.account_id, self.state.name, "RECOVER_PASSWORD")
        self.recovery = link

    def recover_password(self, now: datetime, password_hash: str) -> None:
        """The guardian chose a new password through a recovery path (e-mail link or SMS code):
        it replaces the old one and every outstanding link stops working.
        """
        if self.state is not AccountState.ACTIVATED:
            raise ActionNotAllowed(self.account_id, self.state.name, "RECOVER_PASSWORD")
        self.change_password(now, password_hash)
