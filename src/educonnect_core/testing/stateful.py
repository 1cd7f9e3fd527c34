"""The lifecycle stateful test: random interleavings of director actions, guardian actions,
directory integrations and clock jumps, checked step by step against a small reference model.

Any storage can run it: ``lifecycle_test(make_storage)`` returns a `unittest.TestCase` class that
pytest collects. Requires the ``testing`` extra (hypothesis).

    TestLifecycleOnMyStorage = lifecycle_test(lambda: MyStorage.open(":memory:"))
"""

from __future__ import annotations

import calendar
import contextlib
import unicodedata
import unittest
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import ClassVar

import attrs
from hypothesis import Phase, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from educonnect_core.domain.account import Chosen
from educonnect_core.domain.directory import DirectorySnapshot, GuardianLink, Student
from educonnect_core.domain.letters import LetterContent, LetterKind, LetterSettings
from educonnect_core.domain.lifecycle import AccountState, Channel, Origin
from educonnect_core.domain.policy import Policy, Throttle
from educonnect_core.domain.records import Director, OutboxMessage
from educonnect_core.domain.recovery import RecoveryRefused
from educonnect_core.domain.selection import Selection
from educonnect_core.domain.sms import SmsPurpose
from educonnect_core.domain.values import Email, Mobile, Uai
from educonnect_core.errors import (
    ActionNotAllowed,
    ActivationLinkRefused,
    BirthDateRefused,
    CredentialsRefused,
    IdentityNotRecognised,
    NotFound,
)
from educonnect_core.ports import Storage
from educonnect_core.services.franceconnect import (
    FranceConnectIdentity,
    FranceConnectLinkRequired,
)
from educonnect_core.services.merge import MergeResult
from educonnect_core.services.portal import Portal, Session
from educonnect_core.services.reports import Skip
from educonnect_core.testing.fakes import RecordingSms
from educonnect_core.testing.memory import InMemoryStorage
from educonnect_core.testing.strategies import directory_snapshots
from educonnect_core.testing.world import World, in_memory_world

__all__ = ["LifecycleMachine", "SpecRules", "lifecycle_test"]

N, D, A, V = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)
WRONG = "Faux2000faux"
#: Locks are tested at their boundaries elsewhere; here they would only hide the lifecycle.
POLICY_LETTERS = LetterSettings()
POLICY = Policy(login_throttle=Throttle(free=10**6), birth_date_throttle=Throttle(free=10**6))


class SpecRules:
    """The rules the reference model checks, transcribed from SPEC.md and the ministry's guides.

    Nothing here is imported from the code under test: a rule changed by mistake in the library
    (a validity, a name comparison) makes the model and the library disagree, and the test fail.
    When a rule changes ON PURPOSE, change it here, in this one place.
    """

    #: SPEC §9: « valid 3 months from the last notification that carried it ».
    PROVISIONAL_VALIDITY_MONTHS = 3
    #: The project's default lifetime of an activation (C07) link (SPEC §9: « expires »).
    ACTIVATION_LINK_VALIDITY = timedelta(days=3)
    #: SPEC §10: « a reset, a re-notification with reset, a password or e-mail change supersedes
    #: every outstanding link » (issue 9.5). False would model a library where only a newer link
    #: (a first connection, a resend) supersedes the older ones.
    CREDENTIAL_CHANGE_SUPERSEDES_LINKS = True
    #: SPEC §9: « SMS sign-up and FranceConnect activation erase any provisional password »
    #: (issue 9.8): the activation of a not-yet-activated account erases it.
    FRANCECONNECT_ERASES_PROVISIONAL = True
    #: Issue 13.5: the forgotten-password link is « single-use, valid like the activation link »,
    #: and sent only to an ACTIVATED account's confirmed address (det. §1.3.3).
    RECOVERY_LINK_VALIDITY = ACTIVATION_LINK_VALIDITY
    #: Issue 13.3: the FranceConnect identity's ``given_name`` may hold several given names; the
    #: first one suffices to recognise the directory's first name.
    FRANCECONNECT_FIRST_GIVEN_NAME_SUFFICES = True
    #: SMS codes: one request per line per minute (the resend cooldown of issue 13.1).
    SMS_RESEND_COOLDOWN = timedelta(minutes=1)
    #: Ligatures folded to letters before accents are dropped (« Œdipe » is « oedipe »).
    LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o"})

    @classmethod
    def provisional_expiry(cls, carried_at: datetime) -> datetime:
        """The last instant a provisional password carried at `carried_at` works: the same day
        three calendar months later, or that month's last day when it is shorter (31 Aug → 30 Nov).
        """
        months = carried_at.month - 1 + cls.PROVISIONAL_VALIDITY_MONTHS
        year, month = carried_at.year + months // 12, months % 12 + 1
        day = min(carried_at.day, calendar.monthrange(year, month)[1])
        return carried_at.replace(year=year, month=month, day=day)

    @classmethod
    def same_name(cls, a: str, b: str) -> bool:
        """Whether two names are the same for the guardian's self-service (SPEC §5.1: case- and
        accent-insensitive, spaces collapsed).
        """

        def fold(text: str) -> str:
            decomposed = unicodedata.normalize("NFKD", text.translate(cls.LIGATURES))
            plain = "".join(c for c in decomposed if not unicodedata.combining(c))
            return " ".join(plain.casefold().split())

        return fold(a) == fold(b)

    @staticmethod
    def same_line(a: str, b: str) -> bool:
        """Whether two mobile numbers reach the same line: ``+33 6…`` is ``06…``."""

        def national(number: str) -> str:
            return "0" + number[3:] if number.startswith("+33") else number

        return national(a) == national(b)


@attrs.define
class ModelAccount:
    """What the reference model knows of one account."""

    account_id: str
    login: str
    surname: str
    first_name: str
    uais: set[Uai]
    children: list[str]
    carried_at: datetime
    directory_email: str | None
    mobile: Mobile | None
    state: AccountState = N
    origin: Origin = Origin.NONE
    provisional: bool = True
    secret: str | None = None
    chosen: str | None = None
    chosen_email: str | None = None
    token: str | None = None
    token_expires: datetime | None = None
    old_tokens: list[str] = attrs.Factory(list)
    #: The FranceConnect identity bound to the account (issue 13.3).
    sub: str | None = None
    recovery: str | None = None
    recovery_expires: datetime | None = None
    old_recoveries: list[str] = attrs.Factory(list)

    @property
    def email(self) -> str | None:
        return self.chosen_email or self.directory_email

    @property
    def display(self) -> str:
        if self.state is N:
            return ""
        return (self.secret or "?") if self.provisional else "******"


def _can_activate(m: ModelAccount) -> bool:
    """Whether the first connection is open to `m` today (expiry aside)."""
    return m.provisional and m.secret is not None and m.state in (D, A)


def _token(letter: LetterContent, prefix: str = POLICY_LETTERS.activation_url) -> str:
    (line,) = [x for x in letter.lines if x.startswith(prefix)]
    return line.removeprefix(prefix)


def _recorded_twice(snapshot: DirectorySnapshot) -> DirectorySnapshot:
    """`snapshot` with its first guardian recorded a second time (« -BIS »), same names and
    mobile, for a pupil the first record is not linked to (none such: `snapshot` unchanged).
    """
    first = min(snapshot.responsables, key=lambda r: r.responsable_id)
    own = {
        link.student_id for link in snapshot.links if link.responsable_id == first.responsable_id
    }
    free = sorted(s.student_id for s in snapshot.students if s.student_id not in own)
    if not free:
        return snapshot
    mobile = first.mobile or Mobile.parse("06 12 34 56 78")
    first = attrs.evolve(first, mobile=mobile)
    twin = attrs.evolve(first, responsable_id=first.responsable_id + "-BIS")
    return attrs.evolve(
        snapshot,
        responsables=[
            first if r.responsable_id == first.responsable_id else r for r in snapshot.responsables
        ]
        + [twin],
        links=[*snapshot.links, GuardianLink(twin.responsable_id, free[0])],
    )


class LifecycleMachine(RuleBasedStateMachine):
    """Director actions, guardian actions, integrations and clock jumps against a model."""

    #: Builds a fresh, empty storage for each example; override (or use `lifecycle_test`).
    storage_factory: ClassVar[Callable[[], Storage]] = InMemoryStorage

    def __init__(self) -> None:
        super().__init__()
        self.world: World
        self.model: dict[str, ModelAccount] = {}
        self.students: dict[str, Student] = {}
        self.snapshot = DirectorySnapshot()
        self.passwords = 0
        self.audited = 0
        self.sms = RecordingSms()
        #: Every SMS code, proof and recovery token the guardians were handed (never audited).
        self.handed: set[str] = set()
        #: The accounts merged into another one: deleted, out of everyone's reach.
        self.deleted: dict[str, ModelAccount] = {}

    # -- helpers --------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The fake clock's instant."""
        return self.world.clock.now()

    def _new_password(self) -> str:
        self.passwords += 1
        return f"Choisi{self.passwords:04d}x"

    def _expired(self, m: ModelAccount) -> bool:
        return m.provisional and self.now > SpecRules.provisional_expiry(m.carried_at)

    def _pick(
        self, data: st.DataObject, prefer: Callable[[ModelAccount], bool] | None = None
    ) -> ModelAccount:
        """Any account, or half of the time one for which `prefer` holds (when there is one):
        short examples then reach the later steps of the lifecycle too.
        """
        liked = sorted(i for i, x in self.model.items() if prefer is not None and prefer(x))
        preferred: bool = bool(liked) and data.draw(st.booleans(), label="preferred")
        if preferred:
            return self.model[data.draw(st.sampled_from(liked), label="account")]
        return self.model[data.draw(st.sampled_from(sorted(self.model)), label="account")]

    def _audit_count(self) -> int:
        with self.world.storage.unit_of_work() as uow:
            return len(uow.audit.entries())

    def _audited(self) -> None:
        count = self._audit_count()
        assert count > self.audited, "every action leaves an audit entry"
        self.audited = count

    def _letters_since(self, sent_before: int) -> dict[str, LetterContent]:
        return {m.letter.login: m.letter for m in self.world.mailer.sent[sent_before:]}

    def _mail_to(
        self, m: ModelAccount, sent_before: int, what: str, to: str | None = None
    ) -> LetterContent:
        """The letter e-mailed to `m` since `sent_before`, checked to have reached the model's
        address; fails naming the lost message when the committed e-mail never left the outbox.
        """
        mailed: dict[str, OutboxMessage] = {
            x.letter.login: x for x in self.world.mailer.sent[sent_before:]
        }
        message = mailed.get(m.login)
        assert message is not None, (
            f"lost outbox message: the {what} e-mail to {m.login} <{m.email}> was committed but "
            f"never delivered (outbox.pending did not hand it to the relay; delivered instead: "
            f"{sorted(mailed)})"
        )
        expected = m.email if to is None else to
        assert message.to.value == expected, (
            f"the {what} e-mail to {m.login} went to <{message.to.value}>, not <{expected}>"
        )
        return message.letter

    # -- setup ----------------------------------------------------------------------------------

    @initialize(
        snapshot=directory_snapshots(ineligible=False),
        seed=st.integers(0, 2**16),
        twice=st.booleans(),
    )
    def start(self, snapshot: DirectorySnapshot, seed: int, twice: bool) -> None:
        """Integrate a generated feed and learn the logins; with `twice`, one guardian is
        recorded twice (same names and mobile, another child: the case of the merge).
        """
        if twice:
            snapshot = _recorded_twice(snapshot)
        self.world = in_memory_world(seed=seed, policy=POLICY, storage=type(self).storage_factory())
        self.snapshot = snapshot
        report = self.world.app.integrate(snapshot)
        assert report.rejected == ()
        uais = {s.uai for s in snapshot.schools}
        self.admin = self.world.app.administration(Director("d-1", uais))
        self.portal = Portal(self.world.app.runtime, self.sms)
        self.students = {s.student_id: s for s in snapshot.students}
        by_id = {r.responsable_id: r for r in snapshot.responsables}
        logins = {
            row.account_id: row.login
            for uai in uais
            for row in self.admin.rows(uai, Selection(page_size=0)).rows
        }
        for link in snapshot.links:
            r = by_id[link.responsable_id]
            m = self.model.get(r.responsable_id)
            if m is None:
                m = self.model[r.responsable_id] = ModelAccount(
                    r.responsable_id,
                    logins[r.responsable_id],
                    r.surname,
                    r.first_name,
                    set(),
                    [],
                    self.now,
                    None if r.email is None else r.email.value,
                    r.mobile,
                )
            m.uais.add(self.students[link.student_id].uai)
            m.children.append(link.student_id)
        assert report.accounts_created == len(self.model)
        self.audited = self._audit_count()

    # -- director -------------------------------------------------------------------------------

    @rule(data=st.data(), channel=st.sampled_from(Channel), reset=st.booleans())
    def notify(self, data: st.DataObject, channel: Channel, reset: bool) -> None:
        """A director (re)notifies some accounts of a school, by paper or e-mail."""
        uai = data.draw(st.sampled_from(sorted({u for m in self.model.values() for u in m.uais})))
        here = sorted(i for i, m in self.model.items() if uai in m.uais)
        chosen = data.draw(st.lists(st.sampled_from(here), min_size=1, unique=True))
        sent_before = len(self.world.mailer.sent)
        report = self.admin.notify(uai, [self.model[i].login for i in chosen], channel, reset=reset)
        note(f"notify {channel.name} reset={reset}: {report.messages}")
        outcomes = {o.login: o for o in report.outcomes}
        printed = {x.login: x for x in (self.world.renderer.sheets[-1] if report.document else ())}
        for i in chosen:
            m = self.model[i]
            outcome = outcomes[m.login]
            if channel is Channel.EMAIL and m.email is None:
                assert (outcome.done, outcome.skip) == (False, Skip.NO_EMAIL)
                continue
            confirmed = m.chosen_email if m.state is V and m.chosen_email else m.directory_email
            carries = m.provisional or (reset and m.state is not N)
            if channel is Channel.EMAIL and carries and confirmed is None:
                assert (outcome.done, outcome.skip) == (False, Skip.UNCONFIRMED_EMAIL)
                continue
            if channel is Channel.EMAIL:
                # A letter carrying a password goes only to a confirmed or the directory's
                # address (issue 9.6); one without a password goes to the account's address.
                letter = self._mail_to(
                    m,
                    sent_before,
                    f"notification ({'reset' if reset else 'new'})",
                    to=confirmed if carries else m.email,
                )
            else:
                assert m.login in printed, f"no notification sheet was printed for {m.login}"
                letter = printed[m.login]
            before = m.state
            if before is N:
                m.state, m.origin = D, Origin.SCHOOL
            kinds = {
                (True, Channel.PAPER): LetterKind.C01,
                (True, Channel.EMAIL): LetterKind.C02,
                (False, Channel.PAPER): LetterKind.C05 if reset else LetterKind.C03,
                (False, Channel.EMAIL): LetterKind.C06 if reset else LetterKind.C04,
            }
            assert letter.kind is kinds[before in (N, D), channel]
            if reset and before is not N:
                m.provisional, m.chosen, m.secret = True, None, letter.password
                self._credentials_changed(m)
            elif m.provisional and m.secret is None:
                m.secret = letter.password
            if m.provisional:
                m.carried_at = self.now
            assert letter.password == (m.secret if m.provisional else None)
            assert outcome.skip is (Skip.RESET_NOT_APPLIED if reset and before is N else None)
        self._audited()

    @rule(data=st.data())
    def reset_passwords(self, data: st.DataObject) -> None:
        """A director resets one account's password from the list."""
        self._reset(self._pick(data))

    def _reset(self, m: ModelAccount) -> None:
        uai = sorted(m.uais)[0]
        report = self.admin.reset_passwords(uai, [m.login])
        (outcome,) = report.outcomes
        if m.state is N:
            assert outcome.skip is Skip.RESET_NOT_APPLIED
        else:
            assert outcome.done
            row = self.admin.rows(uai, Selection(logins={m.login})).rows[0]
            assert row.password != "******"
            m.provisional, m.chosen, m.secret, m.carried_at = True, None, row.password, self.now
            self._credentials_changed(m)
        self._audited()

    @rule(data=st.data(), corrected=st.booleans())
    def resend_activation_email(self, data: st.DataObject, corrected: bool) -> None:
        """A director resends the activation e-mail, maybe to a corrected address."""
        m = self._pick(data, prefer=lambda x: x.state is A)
        address = f"corrige.{m.account_id.lower()}@example.org" if corrected else None
        sent_before = len(self.world.mailer.sent)
        if m.state is not A:
            try:
                self.admin.resend_activation_email(sorted(m.uais)[0], m.login, address)
            except ActionNotAllowed:
                self._audited()
                return
            raise AssertionError("resend must be refused outside ACTIVATING")
        self.admin.resend_activation_email(sorted(m.uais)[0], m.login, address)
        m.chosen_email = address or m.email
        letter = self._mail_to(m, sent_before, "activation (resent)")
        assert letter.kind is LetterKind.C07
        if m.token:
            m.old_tokens.append(m.token)
        m.token, m.token_expires = _token(letter), self.now + SpecRules.ACTIVATION_LINK_VALIDITY
        self._audited()

    # -- guardian -------------------------------------------------------------------------------

    def _credentials_changed(self, m: ModelAccount) -> None:
        """A reset or a password change: outstanding activation and recovery links die if the
        rule says so.
        """
        if SpecRules.CREDENTIAL_CHANGE_SUPERSEDES_LINKS and m.token:
            m.old_tokens.append(m.token)
            m.token = None
        if SpecRules.CREDENTIAL_CHANGE_SUPERSEDES_LINKS and m.recovery:
            m.old_recoveries.append(m.recovery)
            m.recovery = None

    def _sms_proof(self, mobile: Mobile, purpose: SmsPurpose) -> str:
        """The guardian asks a code once the cooldown is over, reads it and types it: the proof
        of the line for `purpose`.
        """
        self.world.clock.advance(SpecRules.SMS_RESEND_COOLDOWN)
        sent_before = len(self.sms.sent)
        self.portal.sms.request(mobile.value, purpose)
        (sms,) = self.sms.sent[sent_before:]
        assert SpecRules.same_line(sms.line, mobile.value), sms.line
        code = sms.code
        proof = self.portal.sms.verify(mobile.value, code, purpose)
        self.handed |= {code, proof}
        return proof

    def _current(self, m: ModelAccount) -> str | None:
        return m.secret if m.provisional else m.chosen

    def _opens(self, m: ModelAccount, password: str | None) -> bool:
        return (
            m.state is not N
            and password is not None
            and password == self._current(m)
            and not self._expired(m)
        )

    @rule(data=st.data(), correct=st.booleans())
    def login(self, data: st.DataObject, correct: bool) -> None:
        """A guardian logs in with the right or a wrong password."""
        m = self._pick(data, prefer=lambda x: x.state is not N)
        password = self._current(m) if correct else WRONG
        if not self._opens(m, password):
            try:
                self.portal.login(m.login, password or WRONG)
            except CredentialsRefused:
                self._audited()
                return
            raise AssertionError("login must be refused")
        assert password is not None
        result = self.portal.login(m.login, password)
        expected = {
            (True, D): "FirstConnectionRequired",
            (True, A): "FirstConnectionRequired",
            (True, V): "PasswordChangeRequired",
            (False, A): "PendingActivation",
            (False, V): "Session",
        }[m.provisional, m.state]
        assert type(result).__name__ == expected
        self._audited()

    @rule(
        data=st.data(),
        good_password=st.booleans(),
        good_date=st.booleans(),
        own_email=st.booleans(),
    )
    def first_connection(
        self, data: st.DataObject, good_password: bool, good_date: bool, own_email: bool
    ) -> None:
        """A guardian does the first connection, right or wrong."""
        m = self._pick(data, prefer=lambda x: x.provisional and x.state in (D, A))
        self._first_connection(m, good_password, good_date, own_email)

    @precondition(lambda self: any(_can_activate(x) for x in self.model.values()))
    @rule(data=st.data(), own_email=st.booleans(), confirm=st.booleans())
    def guardian_activates(self, data: st.DataObject, own_email: bool, confirm: bool) -> None:
        """A notified guardian does the first connection right, and maybe opens the activation
        link at once (short examples get to ACTIVATED).
        """
        ready = sorted(i for i, x in self.model.items() if _can_activate(x))
        m = self.model[data.draw(st.sampled_from(ready), label="account")]
        self._first_connection(m, True, True, own_email)
        token = m.token
        if confirm and token is not None:
            assert self.portal.confirm_email(token) == m.login
            m.state, m.token = V, None
            m.old_tokens.append(token)
            self._audited()

    def _first_connection(
        self, m: ModelAccount, good_password: bool, good_date: bool, own_email: bool
    ) -> None:
        password = self._current(m) if good_password else WRONG
        child = min(
            (self.students[c] for c in m.children),
            key=lambda s: (s.surname, s.first_name, s.student_id),
        )
        day = child.birth_date if good_date else child.birth_date + timedelta(days=1)
        email = (
            f"choisi.{m.account_id.lower()}@example.org" if own_email or not m.email else m.email
        )
        new = self._new_password()
        sent_before = len(self.world.mailer.sent)

        def call() -> str:
            return self.portal.first_connection(
                m.login, password or WRONG, new_password=new, email=email, birth_date=day
            )

        if not (self._opens(m, password) and m.provisional and m.state in (D, A)):
            try:
                call()
            except CredentialsRefused:
                self._audited()
                return
            raise AssertionError("first connection must be refused")
        if not good_date:
            try:
                call()
            except BirthDateRefused:
                self._audited()
                return
            raise AssertionError("a wrong birth date must be refused")
        assert call() == email
        m.state, m.provisional, m.secret, m.chosen, m.chosen_email = A, False, None, new, email
        letter = self._mail_to(m, sent_before, "activation")
        assert letter.kind is LetterKind.C07
        if m.token:
            m.old_tokens.append(m.token)
        m.token, m.token_expires = _token(letter), self.now + SpecRules.ACTIVATION_LINK_VALIDITY
        self._audited()

    @rule(data=st.data(), fresh=st.booleans())
    def confirm_email(self, data: st.DataObject, fresh: bool) -> None:
        """A guardian opens the latest or a superseded activation link."""
        holders = sorted(i for i, x in self.model.items() if x.token or x.old_tokens)
        if not holders:
            return
        m = self.model[data.draw(st.sampled_from(holders), label="account")]
        token = m.token if (fresh and m.token) or not m.old_tokens else m.old_tokens[-1]
        assert token is not None
        valid = (
            token == m.token
            and m.state is A
            and m.token_expires is not None
            and self.now <= m.token_expires
        )
        if not valid:
            try:
                self.portal.confirm_email(token)
            except ActivationLinkRefused:
                return
            raise AssertionError("an unusable link must be refused")
        assert self.portal.confirm_email(token) == m.login
        m.state, m.token = V, None
        m.old_tokens.append(token)
        self._audited()

    @rule(data=st.data())
    def change_password(self, data: st.DataObject) -> None:
        """A guardian changes their password with the current one."""
        m = self._pick(data)
        current = self._current(m)
        new = self._new_password()
        if not self._opens(m, current):
            try:
                self.portal.change_password(m.login, current or WRONG, new)
            except CredentialsRefused:
                self._audited()
                return
            raise AssertionError("a change with a wrong password must be refused")
        assert current is not None
        if m.state not in (A, V):
            try:
                self.portal.change_password(m.login, current, new)
            except ActionNotAllowed:
                return
            raise AssertionError("a NOTIFIED account must go through its first connection")
        self.portal.change_password(m.login, current, new)
        m.provisional, m.secret, m.chosen = False, None, new
        self._credentials_changed(m)
        self._audited()

    @rule(data=st.data(), via=st.sampled_from((Origin.RESPONSABLE, Origin.FRANCECONNECT)))
    def self_service(self, data: st.DataObject, via: Origin) -> None:
        """A guardian signs up by SMS or connects with FranceConnect."""
        reachable = sorted(i for i, x in self.model.items() if x.mobile is not None)
        if not reachable:
            return
        m = self.model[data.draw(st.sampled_from(reachable), label="account")]
        assert m.mobile is not None
        twins = sorted(
            (
                x
                for x in self.model.values()
                if x.mobile is not None
                and SpecRules.same_line(x.mobile.value, m.mobile.value)
                and SpecRules.same_name(x.surname, m.surname)
                and SpecRules.same_name(x.first_name, m.first_name)
            ),
            key=lambda x: x.login,
        )
        m = twins[0]
        if any(set(x.children) & set(m.children) for x in twins if x is not m):
            return  # the answers would attach a twin too: the merge is not modelled here
        dates: dict[str, date] = {c: self.students[c].birth_date for c in m.children}
        if via is Origin.RESPONSABLE:
            new = self._new_password()
            login = self.portal.sign_up_by_sms(
                surname=m.surname,
                first_name=m.first_name,
                mobile=m.mobile.value if m.mobile else "",
                birth_dates=dates,
                new_password=new,
            )
            m.provisional, m.secret, m.chosen = False, None, new
            self._credentials_changed(m)  # a chosen password replaces the old one
        else:
            login = self.portal.connect_with_franceconnect(
                surname=m.surname,
                first_name=m.first_name,
                mobile=m.mobile.value if m.mobile else "",
                birth_dates=dates,
            )
        assert login == m.login
        self._self_activated(m, via)
        self._audited()

    def _self_activated(self, m: ModelAccount, via: Origin) -> None:
        """A self-service activation: a not-yet-activated account becomes ACTIVATED with origin
        `via`, its activation link dead and its provisional password erased (9.8).
        """
        if m.state is V:
            return
        m.state, m.origin = V, via
        if m.token:
            m.old_tokens.append(m.token)
            m.token = None
        if SpecRules.FRANCECONNECT_ERASES_PROVISIONAL and m.provisional:
            m.provisional, m.secret = False, None

    def _franceconnect_twins(self, m: ModelAccount, given_name: str, sub: str) -> list[str]:
        """The accounts a FranceConnect identity with `m`'s surname and `given_name` finds on
        `m`'s line: same line, same surname, the first name or the first given name, and no
        other identity bound.
        """
        assert m.mobile is not None
        names = [given_name]
        if SpecRules.FRANCECONNECT_FIRST_GIVEN_NAME_SUFFICES and given_name.split():
            names.append(given_name.split(maxsplit=1)[0])
        return sorted(
            x.account_id
            for x in self.model.values()
            if x.mobile is not None
            and SpecRules.same_line(x.mobile.value, m.mobile.value)
            and SpecRules.same_name(x.surname, m.surname)
            and any(SpecRules.same_name(x.first_name, n) for n in names)
            and x.sub in (None, sub)
        )

    @rule(data=st.data(), second_given_name=st.booleans(), again=st.booleans())
    def franceconnect(self, data: st.DataObject, second_given_name: bool, again: bool) -> None:
        """A guardian comes with a FranceConnect identity: bound, it logs straight in; else the
        first connection (mobile, SMS code, the children's birth dates) binds its `sub`, makes
        the account ACTIVATED with origin FranceConnect and erases a provisional password.
        """
        reachable = sorted(i for i, x in self.model.items() if x.mobile is not None)
        if not reachable:
            return
        m = self.model[data.draw(st.sampled_from(reachable), label="account")]
        assert m.mobile is not None
        sub = m.sub or f"fc-{m.account_id}"
        given = m.first_name + (" Marie" if second_given_name and " " not in m.first_name else "")
        identity = FranceConnectIdentity(sub, m.surname, given)
        if m.sub == sub:
            assert self.portal.franceconnect_login(identity) == Session(m.login)
            event("franceconnect: logged straight in")
            self._audited()
            return
        twins = [self.model[i] for i in self._franceconnect_twins(m, given, sub)]
        if any(set(x.children) & set(m.children) for x in twins if x is not m):
            return  # the answers would attach a twin too: the merge is not modelled here
        assert isinstance(self.portal.franceconnect_login(identity), FranceConnectLinkRequired)
        proof = self._sms_proof(m.mobile, SmsPurpose.FRANCECONNECT)
        dates: dict[str, date] = {c: self.students[c].birth_date for c in m.children}
        login = self.portal.franceconnect_link(
            identity, mobile=m.mobile.value, proof=proof, birth_dates=dates
        )
        assert login == m.login
        m.sub = sub
        event(f"franceconnect: linked an account in state {m.state.name}")
        self._self_activated(m, Origin.FRANCECONNECT)
        self._audited()
        if again:  # « de façon automatique »: the same identity now logs straight in
            assert self.portal.franceconnect_login(identity) == Session(m.login)
            self._audited()

    @rule(data=st.data(), then=st.sampled_from(("wait", "use", "use twice", "reset, then use")))
    def forgot_password(self, data: st.DataObject, then: str) -> None:
        """A guardian who forgot their password types their login: an ACTIVATED account with a
        confirmed address gets the recovery link there; any other gets nothing (and the answer
        is the same). Then, maybe, the guardian uses the link (once, or twice: the second is
        refused), or the director resets the password first (the link is then refused).
        """
        self._forgot(self._pick(data), then)

    def _forgot(self, m: ModelAccount, then: str) -> None:
        sent_before = len(self.world.mailer.sent)
        self.portal.forgot_by_email(m.login)
        if m.state is not V or m.chosen_email is None:
            mailed = {x.letter.login for x in self.world.mailer.sent[sent_before:]}
            assert m.login not in mailed, f"{m.login} got a recovery e-mail in {m.state.name}"
            self._audited()
            return
        letter = self._mail_to(m, sent_before, "recovery", to=m.chosen_email)
        token = _token(letter, POLICY_LETTERS.recovery_url)
        self.handed.add(token)
        if m.recovery:
            m.old_recoveries.append(m.recovery)
        m.recovery, m.recovery_expires = token, self.now + SpecRules.RECOVERY_LINK_VALIDITY
        event("recovery: link sent")
        self._audited()
        if then == "reset, then use":
            self._reset(m)
        if then != "wait":
            self._recover(m, token)
        if then == "use twice":
            self._recover(m, token)

    @precondition(lambda self: any(x.state is V and x.chosen_email for x in self.model.values()))
    @rule(data=st.data(), then=st.sampled_from(("use", "use twice", "reset, then use")))
    def activated_guardian_forgets(self, data: st.DataObject, then: str) -> None:
        """An ACTIVATED guardian with a confirmed address forgets the password (short examples
        get to the recovery link).
        """
        ready = sorted(i for i, x in self.model.items() if x.state is V and x.chosen_email)
        m = self.model[data.draw(st.sampled_from(ready), label="account")]
        self._forgot(m, then)

    @rule(data=st.data(), fresh=st.booleans())
    def recover_password(self, data: st.DataObject, fresh: bool) -> None:
        """A guardian opens the latest or a superseded recovery link and chooses a password:
        the link works once, within its validity, until the credentials change.
        """
        holders = sorted(i for i, x in self.model.items() if x.recovery or x.old_recoveries)
        if not holders:
            return
        m = self.model[data.draw(st.sampled_from(holders), label="account")]
        token = (
            m.recovery if (fresh and m.recovery) or not m.old_recoveries else m.old_recoveries[-1]
        )
        assert token is not None
        self._recover(m, token)

    def _recover(self, m: ModelAccount, token: str) -> None:
        new = self._new_password()
        valid = (
            token == m.recovery
            and m.state is V
            and m.recovery_expires is not None
            and self.now <= m.recovery_expires
        )
        if not valid:
            try:
                self.portal.recover_by_email(token, new)
            except RecoveryRefused:
                event("recovery: unusable link refused")
                self._audited()
                return
            raise AssertionError(f"{m.login}: an unusable recovery link was accepted")
        assert self.portal.recover_by_email(token, new) == m.login
        event("recovery: password chosen")
        m.provisional, m.secret, m.chosen = False, None, new
        self._credentials_changed(m)
        self._audited()

    @rule(data=st.data(), how=st.sampled_from(("password", "sms")), right=st.booleans())
    def merge_accounts(self, data: st.DataObject, how: str, right: bool) -> None:
        """An ACTIVATED guardian brings a second account onto theirs (« regroupement de
        comptes », det. §1.2): proven by its login and password (a wrong one is refused), or by
        an SMS code to the line every record of the same names carries. The children come onto
        the survivor; the other account is deleted.
        """
        ready = sorted(
            i for i, x in self.model.items() if x.state is V and self._opens(x, self._current(x))
        )
        if not ready:
            return
        m = self.model[data.draw(st.sampled_from(ready), label="account")]
        if how == "password":
            merged = self._merge_by_password(data, m, right)
        else:
            merged = self._merge_by_sms(m)
        self._merged(m, merged, how)

    def _twins(self, m: ModelAccount) -> list[ModelAccount]:
        """The other accounts with `m`'s names on `m`'s line, by login."""
        if m.mobile is None:
            return []
        line = m.mobile.value
        return sorted(
            (
                x
                for x in self.model.values()
                if x is not m
                and x.mobile is not None
                and SpecRules.same_line(x.mobile.value, line)
                and SpecRules.same_name(x.surname, m.surname)
                and SpecRules.same_name(x.first_name, m.first_name)
            ),
            key=lambda x: x.login,
        )

    def _merge_ready(self, m: ModelAccount) -> bool:
        return m.state is V and self._opens(m, self._current(m)) and bool(self._twins(m))

    @precondition(lambda self: any(self._merge_ready(x) for x in self.model.values()))
    @rule(data=st.data())
    def guardian_recorded_twice_merges(self, data: st.DataObject) -> None:
        """An ACTIVATED guardian recorded twice merges the other record's account by SMS
        (short examples get there).
        """
        ready = sorted(i for i, x in self.model.items() if self._merge_ready(x))
        m = self.model[data.draw(st.sampled_from(ready), label="account")]
        self._merged(m, self._merge_by_sms(m), "sms")

    def _merged(self, m: ModelAccount, merged: list[ModelAccount], how: str) -> None:
        """The model of a merge into `m`: children and schools move, the others are deleted."""
        if not merged:
            return
        event(f"merge by {how} of {sorted(x.state.name for x in merged)}")
        for o in merged:
            for child in o.children:
                if child not in m.children:
                    m.children.append(child)
            m.uais |= o.uais
            if m.sub is None:
                m.sub = o.sub  # the FranceConnect identity follows the children
            del self.model[o.account_id]
            self.deleted[o.account_id] = o
        self._audited()
        for o in merged:  # a deleted account no longer logs in, no director reaches it
            with contextlib.suppress(CredentialsRefused):
                self.portal.login(o.login, self._current(o) or WRONG)
                raise AssertionError(f"the deleted account {o.login} still logs in")
            for uai in o.uais:
                with contextlib.suppress(NotFound):
                    self.admin.account(uai, o.login)
                    raise AssertionError(f"the deleted account {o.login} is reachable in {uai}")

    def _merge_by_password(
        self, data: st.DataObject, m: ModelAccount, right: bool
    ) -> list[ModelAccount]:
        """Merge another account that opens, by its password; the accounts merged (none when
        the password was wrong and the merge refused).
        """
        current = self._current(m) or WRONG
        others = sorted(
            i
            for i, x in self.model.items()
            if i != m.account_id and self._opens(x, self._current(x))
        )
        if not others:
            return []
        o = self.model[data.draw(st.sampled_from(others), label="other")]
        password = (self._current(o) if right else None) or WRONG
        try:
            result = self.portal.merge_accounts(
                m.login, current, other_login=o.login, other_password=password
            )
        except CredentialsRefused:
            assert not right, f"{o.login} not merged into {m.login} with its password"
            self._audited()
            return []
        assert right, f"{o.login} merged into {m.login} with a wrong password"
        assert result == MergeResult(m.login, (o.login,))
        return [o]

    def _merge_by_sms(self, m: ModelAccount) -> list[ModelAccount]:
        """Merge every other account of `m`'s names on `m`'s line, proven by an SMS code; the
        accounts merged (none when there is none: refused).
        """
        if m.mobile is None:
            return []
        current, line = self._current(m) or WRONG, m.mobile.value
        merged = self._twins(m)
        proof = self._sms_proof(m.mobile, SmsPurpose.MERGE)
        if not self._opens(m, self._current(m)):  # the code took a minute: a deadline passed
            with contextlib.suppress(CredentialsRefused):
                self.portal.merge_by_sms(m.login, current, mobile=line, proof=proof)
                raise AssertionError(f"{m.login}: merged with an expired password")
            self._audited()
            return []
        try:
            result = self.portal.merge_by_sms(m.login, current, mobile=line, proof=proof)
        except IdentityNotRecognised:
            assert not merged, f"{m.login}: {[x.login for x in merged]} not merged"
            self._audited()
            return []
        assert result == MergeResult(m.login, tuple(x.login for x in merged))
        return merged

    # -- directory and time ---------------------------------------------------------------------

    @rule(data=st.data(), change=st.sampled_from(("same", "birth date", "e-mail")))
    def integrate(self, data: st.DataObject, change: str) -> None:
        """The feed runs again: the same, a corrected birth date, or a new e-mail."""
        snapshot = self.snapshot
        if change == "birth date":
            sid = data.draw(st.sampled_from(sorted(self.students)))
            corrected = attrs.evolve(
                self.students[sid], birth_date=self.students[sid].birth_date - timedelta(days=2)
            )
            snapshot = attrs.evolve(
                snapshot,
                students=[corrected if s.student_id == sid else s for s in snapshot.students],
            )
            self.students[sid] = corrected
        elif change == "e-mail":
            # Often a guardian who chose an address: the feed must not overwrite it (SPEC §8).
            m = self._pick(data, prefer=lambda x: x.chosen_email is not None)
            address = f"annuaire.{m.account_id.lower()}.{self.passwords}@example.org"
            snapshot = attrs.evolve(
                snapshot,
                responsables=[
                    attrs.evolve(r, email=Email.parse(address))
                    if r.responsable_id == m.account_id
                    else r
                    for r in snapshot.responsables
                ],
            )
            m.directory_email = address
        report = self.world.app.integrate(snapshot)
        self.snapshot = snapshot
        assert report.accounts_created == 0 and report.pupils_removed == 0
        if change == "same":
            assert not report.changed, "integrating the same feed twice changes nothing"
        self._audited()

    @precondition(lambda self: any(x.chosen_email for x in self.model.values()))
    @rule(data=st.data())
    def feed_changes_a_chosen_address(self, data: st.DataObject) -> None:
        """The feed brings a new e-mail for a guardian who chose one (kept, SPEC §8)."""
        self.integrate(data, "e-mail")

    @rule(data=st.data(), after=st.booleans())
    def provisional_deadline(self, data: st.DataObject, after: bool) -> None:
        """The clock reaches a provisional password's last second, or the one after, and the
        guardian logs in with it: accepted up to the deadline, refused after.
        """
        holders = sorted(
            i
            for i, x in self.model.items()
            if x.provisional
            and x.secret
            and x.state is not N
            and SpecRules.provisional_expiry(x.carried_at) > self.now
        )
        if not holders:
            return
        m = self.model[data.draw(st.sampled_from(holders), label="account")]
        deadline = SpecRules.provisional_expiry(m.carried_at)
        self.world.clock.set(deadline + timedelta(microseconds=1) if after else deadline)
        assert m.secret is not None
        if after:
            try:
                self.portal.login(m.login, m.secret)
            except CredentialsRefused:
                self._audited()
                return
            raise AssertionError(f"{m.login}: a provisional password works after {deadline}")
        self.portal.login(m.login, m.secret)
        self._audited()

    @rule(days=st.sampled_from((0, 1, 3, 30, 95)), minutes=st.integers(0, 60 * 24))
    def time_passes(self, days: int, minutes: int) -> None:
        """The clock jumps forward."""
        self.world.clock.advance(days=days, minutes=minutes)

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def accounts_agree_with_the_model(self) -> None:
        """Every account's state, origin, e-mail and password column match the model."""
        for uai in {u for m in self.model.values() for u in m.uais}:
            rows = {r.account_id: r for r in self.admin.rows(uai, Selection(page_size=0)).rows}
            gone = sorted(set(rows) & set(self.deleted))
            assert not gone, f"deleted accounts {gone} are still listed in {uai}"
            for m in (x for x in self.model.values() if uai in x.uais):
                row = rows[m.account_id]
                assert (row.state, row.origin) == (m.state, m.origin), m.login
                assert row.has_email is (m.email is not None), m.login
                if m.secret is not None or not m.provisional or m.state is N:
                    assert row.password == m.display, m.login

    @invariant()
    def addresses_agree_with_the_model(self) -> None:
        """Every account's e-mail address is the model's: the one the guardian chose, else the
        directory's (the feed never overwrites a chosen address, SPEC §8).
        """
        with self.world.storage.unit_of_work() as uow:
            stored = uow.accounts.get_many(list(self.model))
        for m in self.model.values():
            email = stored[m.account_id].email
            found = None if email is None else email.value
            assert found == m.email, f"{m.login}: e-mail <{found}>, expected <{m.email}>"
            sub = stored[m.account_id].franceconnect_sub
            assert sub == m.sub, f"{m.login}: FranceConnect sub {sub!r}, expected {m.sub!r}"

    @invariant()
    def statistics_equal_a_recount(self) -> None:
        """The statistics equal a recount of the model."""
        for uai in {u for m in self.model.values() for u in m.uais}:
            stats = self.admin.recount_statistics(uai)
            here = [m for m in self.model.values() if uai in m.uais]
            assert stats.summary.accounts == len(here)
            for state, count in stats.summary.by_state.items():
                assert count == sum(1 for m in here if m.state is state)
            pupils = [s for s in self.students.values() if s.uai == uai]
            assert stats.summary.pupils == len(pupils)
            activated = sum(
                1 for s in pupils if any(s.student_id in m.children and m.state is V for m in here)
            )
            assert stats.summary.pupils_with_activated_guardian == activated

    @invariant()
    def no_code_proof_or_token_in_the_audit(self) -> None:
        """No SMS code, SMS proof or recovery token the guardians were handed appears in any
        audit entry (its instant aside: a code is six digits, like a timestamp's microseconds).
        """
        if not self.handed:
            return
        with self.world.storage.unit_of_work() as uow:
            entries = uow.audit.entries()
        for entry in entries:
            words = " ".join(str(v) for v in attrs.astuple(entry) if not isinstance(v, datetime))
            leaked = sorted(h for h in self.handed if h in words)
            assert not leaked, f"{leaked} in the audit: {entry}"

    @invariant()
    def no_secret_in_the_clear(self) -> None:
        """No secret in the audit trail; chosen passwords only hashed, never mailed or printed."""
        chosen = {m.chosen for m in self.model.values() if m.chosen}
        secrets = set(self.world.secrets.issued) | chosen
        with self.world.storage.unit_of_work() as uow:
            for entry in uow.audit.entries():
                text = " ".join(str(v) for v in attrs.astuple(entry))
                assert not any(s in text for s in secrets), entry
            stored = uow.accounts.get_many([m.account_id for m in self.model.values()])
        for m in self.model.values():
            password = stored[m.account_id].password
            if m.chosen is not None and not m.provisional:
                assert isinstance(password, Chosen) and m.chosen not in password.hash
        for message in self.world.mailer.sent:
            assert not any(c in line for c in chosen for line in message.letter.lines)
        for document in self.world.renderer.documents:
            text = document.content.decode("utf-8")
            assert not any(c in text for c in chosen)


def lifecycle_test(
    storage_factory: Callable[[], Storage], *, shrink: bool = False
) -> type[unittest.TestCase]:
    """The lifecycle stateful test as a `TestCase` class running on storages from
    `storage_factory` (called once per generated example).

    The failing example is reported as hypothesis found it, without shrinking: shrinking these
    interleavings takes minutes, while the failure already names the broken rule, the account
    and the message. Pass ``shrink=True`` to get a minimal example when hunting a bug. Every other
    setting comes from the hypothesis profile loaded when this is called.
    """
    machine = type(
        "LifecycleOn" + getattr(storage_factory, "__name__", "Storage"),
        (LifecycleMachine,),
        {"storage_factory": staticmethod(storage_factory)},
    )
    case: type[unittest.TestCase] = machine.TestCase  # type: ignore[attr-defined]
    if not shrink:
        case.settings = settings(  # type: ignore[attr-defined]
            phases=[p for p in Phase if p not in (Phase.shrink, Phase.explain)]
        )
    return case
