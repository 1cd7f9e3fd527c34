"""The guardian's side (guide §1.3.4–1.3.5, SPEC §9): login, first connection, e-mail
confirmation, password and e-mail changes, and the SMS / FranceConnect self-service paths.

An unknown login, a wrong password, a locked or blocked account and an expired provisional password
all give the same `CredentialsRefused`, at the same cost (one password-hash verification per
attempt, whatever the path); what really happened is in the audit trail. The guardian's activity
(failures, last login) is recorded apart from the account's versioned state, so that it never
conflicts with a director's action; a use case that still loses a race is run once more, then
refused like a wrong password.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TypeVar

import attrs

from educonnect_core.domain.account import Account, Chosen, Provisional
from educonnect_core.domain.directory import Student
from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.records import OutboxMessage
from educonnect_core.domain.values import Email, Login, Mobile, search_key
from educonnect_core.errors import (
    ActionNotAllowed,
    ActivationLinkRefused,
    BirthDateLocked,
    BirthDateRefused,
    ConcurrentChange,
    CredentialsRefused,
    EduconnectError,
    IdentityNotRecognised,
    InvalidField,
    NotFound,
)
from educonnect_core.ports import SmsSender, UnitOfWork
from educonnect_core.services.administration import activation_letter
from educonnect_core.services.franceconnect import (
    FranceConnect,
    FranceConnectIdentity,
    FranceConnectLinkRequired,
)
from educonnect_core.services.merge import AccountMerge, MergeResult, absorb
from educonnect_core.services.recovery import Recovery
from educonnect_core.services.runtime import Runtime, token_digest
from educonnect_core.services.signup import ChildToConfirm, SmsSignUp, attach_children
from educonnect_core.services.sms import SmsCodes

__all__ = [
    "FirstConnectionRequired",
    "LoginResult",
    "PasswordChangeRequired",
    "PendingActivation",
    "Portal",
    "Session",
]


@attrs.frozen
class Session:
    """Logged in: an activated account with its own password."""

    login: str


@attrs.frozen
class FirstConnectionRequired:
    """A provisional password from a notification: the first-connection step must follow, asking
    the birth date of `child_name` and offering `email` pre-filled.
    """

    login: str
    child_name: str
    email: str | None


@attrs.frozen
class PasswordChangeRequired:
    """A provisional password after a reset on an activated account: choose a new one."""

    login: str


@attrs.frozen
class PendingActivation:
    """First connection done, address not confirmed yet: the guardian may change it (a new link
    is sent) or open the link already sent to `email`.
    """

    login: str
    email: str | None


T = TypeVar("T")

LoginResult = Session | FirstConnectionRequired | PasswordChangeRequired | PendingActivation


def _require_dates(record: str, days: Iterable[object]) -> None:
    """Refuse, before anything is read or counted, a birth date that is not a date."""
    if any(not isinstance(day, date) for day in days):
        raise InvalidField(record, "date de naissance", "date attendue")


def named_child(children: Sequence[Student]) -> Student:
    """The child whose birth date the first connection asks for (the same one every time)."""
    return min(children, key=lambda s: (s.surname, s.first_name, s.student_id))


class Portal:
    """The guardian-side use cases; obtained from `EduConnect.portal()`."""

    def __init__(self, runtime: Runtime, sms: SmsSender | None = None) -> None:
        self._rt = runtime
        #: The SMS one-time codes (guide v1.9 det. §1.3.4); needs the `SmsSender`.
        self.sms = SmsCodes(runtime, sms)
        self._signup = SmsSignUp(self)
        self._franceconnect = FranceConnect(self)
        self._merge = AccountMerge(self)
        self._recovery = Recovery(self)

    def __repr__(self) -> str:
        return "<Portal>"

    # -- authentication -----------------------------------------------------------------------

    def _opens(self, account: Account, password: str, now: datetime) -> bool:
        """Whether `password` opens `account` now, at the cost of exactly ONE hash verification
        whatever the password's kind (a provisional password is compared in constant time, and
        a verification against the runtime's dummy hash is spent beside it).
        """
        stored = account.password
        if isinstance(stored, Chosen):
            return self._rt.hasher.verify(stored.hash, password)
        self._rt.hasher.verify(self._rt.dummy_hash(), password)
        if isinstance(stored, Provisional):
            expiry = account.provisional_expires_at(self._rt.policy)
            same = hmac.compare_digest(stored.secret.encode("utf-8"), password.encode("utf-8"))
            return same and expiry is not None and now <= expiry
        return False

    def _refusal(self, account: Account, now: datetime) -> str | None:
        """Why `account` is refused whatever the password, if it is."""
        if account.state is AccountState.NOT_NOTIFIED:
            return "refused: not notified"
        if account.blocked:
            return "refused: blocked"
        if account.login_failures.locked(now):
            return "refused: locked"
        return None

    def _authenticate(
        self, uow: UnitOfWork, login: str, password: str, now: datetime, event: str
    ) -> Account | None:
        """The account if `password` opens it now; else records why (failure counted, audited)
        and returns None. The caller commits, then raises `CredentialsRefused`.

        Every path costs exactly one `PasswordHasher.verify` (issue 9.4): a malformed or
        unknown login, a NOT_NOTIFIED, locked or blocked account and a provisional password
        each spend one verification against the dummy hash, so that time tells nothing.
        """
        self._rt.dummy_hash()  # made once per runtime, before any path can differ
        try:
            parsed = Login.parse(login)
        except EduconnectError:
            self._rt.hasher.verify(self._rt.dummy_hash(), password)
            self._rt.audit(uow, "guardian:?", event, "refused: malformed login", at=now)
            return None
        account = uow.accounts.by_login(parsed.value)
        actor = f"guardian:{parsed.value}"
        if account is None:
            self._rt.hasher.verify(self._rt.dummy_hash(), password)
            self._rt.audit(uow, actor, event, "refused: unknown login", at=now)
            return None
        opened = self._opens(account, password, now)
        refusal = self._refusal(account, now)
        if refusal is not None:
            self._rt.audit(uow, actor, event, refusal, account_id=account.account_id, at=now)
            return None
        if not opened:
            policy = self._rt.policy
            counter = uow.accounts.record_login_failure(
                account.account_id, now, policy.login_throttle, policy.login_block_after
            )
            self._rt.audit(
                uow,
                actor,
                event,
                "refused: wrong or expired password",
                account_id=account.account_id,
                at=now,
                detail=f"failures={counter.failures}" + (" blocked" if counter.blocked else ""),
            )
            return None
        return account

    def _retrying(self, call: Callable[[], T], refusal: Callable[[], EduconnectError]) -> T:
        """`call()`, run once more if it lost a race (`ConcurrentChange`); a second loss gives
        `refusal()` — a guardian never sees a conflict, nor the ids it names (issue 9.11).
        """
        try:
            return call()
        except ConcurrentChange:
            pass
        try:
            return call()
        except ConcurrentChange:
            raise refusal() from None

    def _refuse_new_password(
        self, password: str, event: str, *, record: str, login: str | None
    ) -> None:
        """Check a new password against the policy; a refusal is audited (for `login`, if it is
        one), then raised.
        """
        try:
            self._rt.policy.password_rule.check(password, record=record, login=login)
        except InvalidField:
            now = self._rt.now()
            try:
                actor = "guardian:?" if login is None else f"guardian:{Login.parse(login).value}"
            except EduconnectError:
                actor = "guardian:?"
            with self._rt.storage.unit_of_work() as uow:
                self._rt.audit(uow, actor, event, "refused: password policy", at=now)
                uow.commit()
            raise

    def login(self, login: str, password: str) -> LoginResult:
        """Log in with login and password; says what the guardian must do next.

        Only a login that goes through (`Session`, `PendingActivation`) sets the date of last
        connection; a right password ends a run of failures whatever comes next.
        """
        return self._retrying(lambda: self._login(login, password), CredentialsRefused)

    def _login(self, login: str, password: str) -> LoginResult:
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            account = self._authenticate(uow, login, password, now, "LOGIN")
            if account is None:
                uow.commit()
                raise CredentialsRefused
            result = self._next_step(uow, account)
            uow.accounts.record_login_success(
                account.account_id, now, connected=isinstance(result, Session | PendingActivation)
            )
            self._rt.audit(
                uow,
                f"guardian:{account.login}",
                "LOGIN",
                "done",
                account_id=account.account_id,
                at=now,
                detail=type(result).__name__,
            )
            uow.commit()
        return result

    def _next_step(self, uow: UnitOfWork, account: Account) -> LoginResult:
        login = account.login.value
        email = None if account.email is None else account.email.value
        if account.provisional and account.state in (
            AccountState.NOTIFIED,
            AccountState.ACTIVATING,
        ):
            child = named_child(self._children(uow, account))
            return FirstConnectionRequired(login, child.name, email)
        if account.provisional:
            return PasswordChangeRequired(login)
        if account.state is AccountState.ACTIVATING:
            return PendingActivation(login, email)
        return Session(login)

    def _children(self, uow: UnitOfWork, account: Account) -> Sequence[Student]:
        children = uow.directory.children([account.account_id]).get(account.account_id, ())
        if not children:
            raise NotFound("enfant rattaché", account.login.value)
        return children

    # -- first connection and activation --------------------------------------------------------

    def first_connection(
        self,
        login: str,
        provisional_password: str,
        *,
        new_password: str,
        email: str,
        birth_date: date,
    ) -> str:
        """The one-step first connection (guide §1.3.5 (3)): a new password, the e-mail address
        (the directory's, or another), and the birth date of the child named on screen. The
        account becomes ACTIVATING and the C07 e-mail with its link is queued. Returns the address
        the link goes to.

        A wrong birth date is counted (3 allowed, then growing waits) and nothing else changes.
        """
        record = str(login)
        self._refuse_new_password(new_password, "FIRST_CONNECTION", record=record, login=record)
        address = Email.parse(email, record=record)
        _require_dates(record, [birth_date])
        return self._retrying(
            lambda: self._first_connection(
                login, provisional_password, new_password, address, birth_date
            ),
            CredentialsRefused,
        )

    def _first_connection(
        self,
        login: str,
        provisional_password: str,
        new_password: str,
        address: Email,
        birth_date: date,
    ) -> str:
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            account = self._authenticate(uow, login, provisional_password, now, "FIRST_CONNECTION")
            if account is not None and (
                not account.provisional
                or account.state not in (AccountState.NOTIFIED, AccountState.ACTIVATING)
            ):
                self._rt.audit(
                    uow,
                    f"guardian:{account.login}",
                    "FIRST_CONNECTION",
                    "refused: not awaiting a first connection",
                    account_id=account.account_id,
                    at=now,
                )
                account = None
            if account is None:
                uow.commit()
                raise CredentialsRefused
            children = self._children(uow, account)
            self._check_birth_dates(
                uow, account, children, now, {named_child(children).student_id: birth_date}
            )
            token, link = self._rt.new_activation(address, now)
            account.begin_activation(now, self._rt.hasher.hash(new_password), link)
            uow.accounts.update(account)
            uow.accounts.record_login_success(account.account_id, now, connected=True)
            uow.outbox.add(
                OutboxMessage(
                    self._rt.message_id(),
                    account.account_id,
                    address,
                    activation_letter(self._rt, account, token),
                    now,
                )
            )
            self._rt.audit(
                uow,
                f"guardian:{account.login}",
                "FIRST_CONNECTION",
                "done",
                account_id=account.account_id,
                at=now,
                detail="e-mail changed" if address != account.directory_email else "",
            )
            uow.commit()
        self._rt.after_mail()
        return address.value

    def _check_birth_dates(
        self,
        uow: UnitOfWork,
        account: Account,
        children: Sequence[Student],
        now: datetime,
        answers: Mapping[str, date],
    ) -> None:
        """Check the birth dates given for `answers`' pupils among the account's `children`; on a
        mismatch, count the failure, commit it and raise. A lock in force refuses without checking.
        """
        actor = f"guardian:{account.login}"
        throttle = self._rt.policy.birth_date_throttle
        locked_until = account.birth_date_failures.locked_until
        if locked_until is not None and account.birth_date_failures.locked(now):
            self._rt.audit(
                uow, actor, "BIRTH_DATE", "refused: locked", account_id=account.account_id, at=now
            )
            uow.commit()
            raise BirthDateLocked(account.login.value, locked_until)
        known = {c.student_id: c for c in children}
        if (
            all(sid in known and known[sid].birth_date == day for sid, day in answers.items())
            and answers
        ):
            return
        account.birth_date_failed(now, throttle)
        uow.accounts.update(account)
        failures = account.birth_date_failures.failures
        self._rt.audit(
            uow,
            actor,
            "BIRTH_DATE",
            "refused: wrong birth date",
            account_id=account.account_id,
            at=now,
            detail=f"failures={failures}",
        )
        uow.commit()
        locked_until = account.birth_date_failures.locked_until
        if locked_until is not None:
            raise BirthDateLocked(account.login.value, locked_until)
        raise BirthDateRefused(account.login.value, max(0, throttle.free - failures))

    def confirm_email(self, token: str) -> str:
        """The guardian opened the C07 link: the account is ACTIVATED. Returns the login.
        An unknown, used, superseded or expired link gives `ActivationLinkRefused` (so does a
        link that loses a race twice, e.g. with the director's resend).
        """
        return self._retrying(lambda: self._confirm_email(token), ActivationLinkRefused)

    def _confirm_email(self, token: str) -> str:
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            account = uow.accounts.by_activation_digest(token_digest(str(token)))
            if account is None or account.activation is None:
                # Neither the token nor its digest goes to the trail: a mistyped link is a secret.
                self._rt.audit(uow, "guardian:?", "CONFIRM_EMAIL", "refused: unknown link", at=now)
                uow.commit()
                raise ActivationLinkRefused
            if now > account.activation.expires_at or account.state is not AccountState.ACTIVATING:
                self._rt.audit(
                    uow,
                    f"guardian:{account.login}",
                    "CONFIRM_EMAIL",
                    "refused: expired",
                    account_id=account.account_id,
                    at=now,
                )
                uow.commit()
                raise ActivationLinkRefused
            account.confirm_email(now)
            uow.accounts.update(account)
            self._rt.audit(
                uow,
                f"guardian:{account.login}",
                "CONFIRM_EMAIL",
                "done",
                account_id=account.account_id,
                at=now,
            )
            uow.commit()
        return account.login.value

    # -- changes from the guardian's account ----------------------------------------------------

    def change_password(self, login: str, current_password: str, new_password: str) -> None:
        """Replace the password: the provisional one after a reset (required at the next login),
        or their own. Accounts not yet through their first connection must do that instead.
        """
        self._refuse_new_password(
            new_password, "CHANGE_PASSWORD", record=str(login), login=str(login)
        )
        self._retrying(
            lambda: self._change_password(login, current_password, new_password),
            CredentialsRefused,
        )

    def _change_password(self, login: str, current_password: str, new_password: str) -> None:
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            account = self._authenticate(uow, login, current_password, now, "CHANGE_PASSWORD")
            if account is None:
                uow.commit()
                raise CredentialsRefused
            if account.state not in (AccountState.ACTIVATING, AccountState.ACTIVATED):
                raise ActionNotAllowed(account.account_id, account.state.name, "CHANGE_PASSWORD")
            account.change_password(now, self._rt.hasher.hash(new_password))
            uow.accounts.update(account)
            uow.accounts.record_login_success(account.account_id, now, connected=True)
            self._rt.audit(
                uow,
                f"guardian:{account.login}",
                "CHANGE_PASSWORD",
                "done",
                account_id=account.account_id,
                at=now,
            )
            uow.commit()

    def change_email(self, login: str, password: str, new_email: str) -> None:
        """Change the account's e-mail: directly once ACTIVATED; while ACTIVATING, a new C07 link
        goes to the new address and the old link stops working.
        """
        address = Email.parse(new_email, record=str(login))
        self._retrying(lambda: self._change_email(login, password, address), CredentialsRefused)
        self._rt.after_mail()

    def _change_email(self, login: str, password: str, address: Email) -> None:
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            account = self._authenticate(uow, login, password, now, "CHANGE_EMAIL")
            if account is None:
                uow.commit()
                raise CredentialsRefused
            if account.provisional or account.state not in (
                AccountState.ACTIVATING,
                AccountState.ACTIVATED,
            ):
                raise ActionNotAllowed(account.account_id, account.state.name, "CHANGE_EMAIL")
            if account.state is AccountState.ACTIVATING:
                token, link = self._rt.new_activation(address, now)
                account.change_email(address, link)
                uow.outbox.add(
                    OutboxMessage(
                        self._rt.message_id(),
                        account.account_id,
                        address,
                        activation_letter(self._rt, account, token),
                        now,
                    )
                )
            else:
                account.change_email(address)
            uow.accounts.update(account)
            uow.accounts.record_login_success(account.account_id, now, connected=False)
            self._rt.audit(
                uow,
                f"guardian:{account.login}",
                "CHANGE_EMAIL",
                "done",
                account_id=account.account_id,
                at=now,
            )
            uow.commit()

    # -- self-service (v1.9) ----------------------------------------------------------------------

    def sign_up_by_sms(
        self,
        *,
        surname: str,
        first_name: str,
        mobile: str,
        birth_dates: Mapping[str, date],
        new_password: str,
    ) -> str:
        """Self sign-up after the SMS code was checked by the host (guide §1.3.4): names and
        mobile find the accounts, every child's birth date is confirmed, the chosen password is
        set; the account becomes ACTIVATED with origin RESPONSABLE. Returns the login. Every
        record whose children are all confirmed is attached and merged into one account.
        Prefer `sms_sign_up`, where the core checks the SMS code itself.
        """
        self._refuse_new_password(new_password, "RESPONSABLE", record="inscription", login=None)
        return self._self_activate(
            Origin.RESPONSABLE,
            surname=surname,
            first_name=first_name,
            mobile=mobile,
            birth_dates=birth_dates,
            new_password=new_password,
        )

    def connect_with_franceconnect(
        self, *, surname: str, first_name: str, mobile: str, birth_dates: Mapping[str, date]
    ) -> str:
        """First FranceConnect connection, after the SMS code (guide §1.3.5): the account
        becomes ACTIVATED with origin FRANCECONNECT if it never was activated. Returns the login.
        """
        return self._self_activate(
            Origin.FRANCECONNECT,
            surname=surname,
            first_name=first_name,
            mobile=mobile,
            birth_dates=birth_dates,
            new_password=None,
        )

    def _self_activate(
        self,
        origin: Origin,
        *,
        surname: str,
        first_name: str,
        mobile: str,
        birth_dates: Mapping[str, date],
        new_password: str | None,
    ) -> str:
        line = Mobile.parse(mobile, record="inscription")
        _require_dates("inscription", birth_dates.values())
        return self._retrying(
            lambda: self._self_activation(
                origin, (surname, first_name, line), birth_dates, new_password
            ),
            IdentityNotRecognised,
        )

    def _self_activation(
        self,
        origin: Origin,
        identity: tuple[str, str, Mobile],
        birth_dates: Mapping[str, date],
        new_password: str | None,
    ) -> str:
        surname, first_name, line = identity
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            candidates = sorted(
                (
                    a
                    for a in uow.accounts.by_mobile(line)
                    if search_key(a.surname) == search_key(surname)
                    and search_key(a.first_name) == search_key(first_name)
                ),
                key=lambda a: a.login.value,
            )
            if not candidates:
                self._rt.audit(
                    uow, "guardian:?", origin.name, "refused: identity not recognised", at=now
                )
                uow.commit()
                raise IdentityNotRecognised
            # Every record of the guardian whose children are all confirmed is attached, and
            # they are merged into one account (issue 13.2: not only `candidates[0]`).
            ids = [a.account_id for a in candidates]
            known = {c.student_id for k in uow.directory.children(ids).values() for c in k}
            answers = {sid: day for sid, day in birth_dates.items() if sid in known}
            account, others = attach_children(self, uow, candidates, answers, now)
            for other in others:
                absorb(self._rt, uow, account, other, now, how=origin.name.lower())
            password_hash = None if new_password is None else self._rt.hasher.hash(new_password)
            changed = account.self_activate(now, origin, password_hash)
            uow.accounts.update(account)
            uow.accounts.record_login_success(account.account_id, now, connected=True)
            self._rt.audit(
                uow,
                f"guardian:{account.login}",
                origin.name,
                "done" if changed else "done: already activated",
                account_id=account.account_id,
                at=now,
            )
            uow.commit()
        return account.login.value

    # -- self-service with the core's own SMS codes (issue 13) ----------------------------------

    def sms_children(
        self, *, surname: str, first_name: str, mobile: str, proof: str
    ) -> tuple[ChildToConfirm, ...]:
        """The children an SMS sign-up may attach (see `services.signup.SmsSignUp.children`)."""
        return self._signup.children(
            surname=surname, first_name=first_name, mobile=mobile, proof=proof
        )

    def sms_sign_up(
        self,
        *,
        surname: str,
        first_name: str,
        mobile: str,
        proof: str,
        birth_dates: Mapping[str, date],
        new_password: str,
        email: str,
    ) -> str:
        """Self sign-up with the proof of `sms.verify` (purpose SIGN_UP): see
        `services.signup.SmsSignUp.sign_up`. Returns the login.
        """
        return self._signup.sign_up(
            surname=surname,
            first_name=first_name,
            mobile=mobile,
            proof=proof,
            birth_dates=birth_dates,
            new_password=new_password,
            email=email,
        )

    def franceconnect_login(
        self, identity: FranceConnectIdentity
    ) -> Session | FranceConnectLinkRequired:
        """Log in with a FranceConnect identity the host verified (`services.franceconnect`)."""
        found = self._franceconnect.login(identity)
        return Session(found) if isinstance(found, str) else found

    def franceconnect_link(
        self,
        identity: FranceConnectIdentity,
        *,
        mobile: str,
        proof: str,
        birth_dates: Mapping[str, date],
    ) -> str:
        """The first FranceConnect connection (`services.franceconnect.FranceConnect.link`)."""
        return self._franceconnect.link(
            identity, mobile=mobile, proof=proof, birth_dates=birth_dates
        )

    def merge_accounts(
        self, login: str, password: str, *, other_login: str, other_password: str
    ) -> MergeResult:
        """Merge a second account proven by its password (`services.merge`)."""
        return self._merge.with_password(
            login, password, other_login=other_login, other_password=other_password
        )

    def merge_by_sms(self, login: str, password: str, *, mobile: str, proof: str) -> MergeResult:
        """Merge the other accounts of a line proven by an SMS code (`services.merge`)."""
        return self._merge.with_sms(login, password, mobile=mobile, proof=proof)

    def forgot_by_email(self, identifier: str) -> None:
        """Forgotten login or password: e-mail the login and a recovery link to the accounts
        `identifier` (a login or an address) names (`services.recovery`). Returns nothing,
        whether or not an account exists.
        """
        self._recovery.request_by_email(identifier)

    def recover_by_email(self, token: str, new_password: str) -> str:
        """Choose a new password through the recovery link; returns the login."""
        return self._recovery.recover_by_email(token, new_password)

    def forgotten_logins_by_sms(self, mobile: str, proof: str) -> tuple[str, ...]:
        """The logins of the line proven by an SMS code (purpose RECOVERY)."""
        return self._recovery.logins_by_sms(mobile, proof)

    def recover_by_sms(self, *, mobile: str, proof: str, login: str, new_password: str) -> None:
        """Choose a new password for `login`, proven by an SMS code (purpose RECOVERY)."""
        self._recovery.password_by_sms(
            mobile=mobile, proof=proof, login=login, new_password=new_password
        )
