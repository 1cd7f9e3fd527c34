"""Issue 9 (guardian side) and 10.4: tokens a shell cannot misread, the same work on every
refusal, links that die with the credentials, a hard cap on failures, FranceConnect erasing the
provisional password, refusals in the audit trail, guardians who never see a conflict, and the
date of last connection set only by a connection that went through.
"""

from __future__ import annotations

import contextlib
import random
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.core.support import (
    AWA,
    CHOSEN,
    CLAIRE,
    EMAILS,
    LOGINS,
    OTHER_CHOSEN,
    UAI,
    Scene,
    notified,
    rentree,
    sample_feed,
)
from tests.sql.scenario import GatedStorage

from educonnect_core import (
    ActivationLinkRefused,
    BirthDateRefused,
    Channel,
    ConcurrentChange,
    CredentialsRefused,
    FirstConnectionRequired,
    InvalidField,
    NoPassword,
    PasswordChangeRequired,
    PendingActivation,
    Policy,
    Selection,
    Session,
    SystemSecrets,
    Throttle,
)
from educonnect_core.ports import Storage, UnitOfWork
from educonnect_core.testing import InMemoryStorage, SeededSecrets, in_memory_world
from educonnect_core.testing.wrapping import DelegatingUnitOfWork

LOGIN = LOGINS[CLAIRE]
MASKED = "******"
TOO_SHORT = "abc"
WRONG = "Mauvais2025"
#: No throttle lock in the way: only the hard cap (default 100) counts.
NO_LOCK = Policy(login_throttle=Throttle(free=10**6))


class _Stream:
    """A source of bytes: `prefix` first, then a seeded PRNG's bytes."""

    def __init__(self, prefix: bytes, seed: int) -> None:
        self._pending = bytearray(prefix)
        self._random = random.Random(seed)

    def __call__(self, n: int) -> bytes:
        head, self._pending = bytes(self._pending[:n]), self._pending[n:]
        return head + self._random.randbytes(n - len(head))


class TestTokensNeverStartWithADash:
    """Issue 9.3: a token is never read as a command-line option, whatever the random bytes."""

    @settings(max_examples=200)
    @given(prefix=st.binary(max_size=8), seed=st.integers(0, 2**32))
    def test_system_tokens_for_all_bytes(self, prefix: bytes, seed: int) -> None:
        """SystemSecrets' tokens (activation links, message ids) never start with « - », even
        when the CSPRNG's first byte is one that base64url writes as « - » (0xF8–0xFB).
        """
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(secrets, "token_bytes", _Stream(b"\xf8" + prefix, seed))
            token = SystemSecrets().token(32)
        assert not token.startswith("-")
        assert len(token) >= 43

    @given(seed=st.integers(0, 2**64), nbytes=st.sampled_from([12, 32]))
    def test_seeded_tokens_for_all_seeds(self, seed: int, nbytes: int) -> None:
        """The testing secrets keep the same promise, whatever the seed."""
        source = SeededSecrets(seed)
        assert not any(source.token(nbytes).startswith("-") for _ in range(20))


# -- the same work on every path ---------------------------------------------------------------


def _count_verifies(scene: Scene, call: Callable[[], object]) -> int:
    """How many times `call` verified a password hash (it may raise anything)."""
    hasher = scene.world.hasher
    real = hasher.verify
    calls = 0

    def counting(password_hash: str, password: str) -> bool:
        nonlocal calls
        calls += 1
        return real(password_hash, password)

    hasher.verify = counting  # type: ignore[method-assign]
    try:
        with contextlib.suppress(Exception):  # refusals are the point; only the count matters
            call()
    finally:
        del hasher.verify
    return calls


def _activated(policy: Policy | None = None) -> Scene:
    scene = notified(policy=policy)
    scene.activate(LOGIN)
    return scene


def _locked() -> Scene:
    scene = _activated()
    for _ in range(scene.app.policy.login_throttle.free):
        with pytest.raises(CredentialsRefused):
            scene.portal.login(LOGIN, WRONG)
    assert scene.stored(LOGIN).login_failures.locked(scene.now)
    return scene


def _blocked() -> Scene:
    scene = _activated(Policy(login_throttle=Throttle(free=10**6), login_block_after=3))
    for _ in range(3):
        with pytest.raises(CredentialsRefused):
            scene.portal.login(LOGIN, WRONG)
    assert scene.stored(LOGIN).blocked
    return scene


def _expired() -> Scene:
    scene = notified()
    scene.world.clock.advance(days=120)
    return scene


def _franceconnected() -> Scene:
    scene = notified()
    _franceconnect(scene)
    return scene


def _franceconnect(scene: Scene) -> str:
    feed = scene.feed
    return scene.portal.connect_with_franceconnect(
        surname="LEBRUN",
        first_name="Claire",
        mobile="0600000001",
        birth_dates={s: feed.students[s].birth_date for s in ("s-lina", "s-hugo")},
    )


#: Each path: the scene it needs, the login typed, and which password (from the scene).
PATHS: dict[str, tuple[Callable[[], Scene], str, Callable[[Scene], str]]] = {
    "malformed login": (notified, "Claire Lebrun!", lambda s: WRONG),
    "unknown login": (notified, "x.personne", lambda s: WRONG),
    "not notified": (rentree, LOGIN, lambda s: s.stored(LOGIN).password.secret),  # type: ignore[union-attr]
    "wrong provisional": (notified, LOGIN, lambda s: WRONG),
    "expired provisional": (_expired, LOGIN, lambda s: s.password(LOGIN)),
    "right provisional": (notified, LOGIN, lambda s: s.password(LOGIN)),
    "wrong chosen": (_activated, LOGIN, lambda s: WRONG),
    "right chosen": (_activated, LOGIN, lambda s: CHOSEN),
    "locked": (_locked, LOGIN, lambda s: CHOSEN),
    "blocked": (_blocked, LOGIN, lambda s: CHOSEN),
    "no password (FranceConnect)": (_franceconnected, LOGIN, lambda s: WRONG),
}

#: Each guardian use case that takes a password, called with otherwise valid input.
OPERATIONS: dict[str, Callable[[Scene, str, str], object]] = {
    "login": lambda s, login, pw: s.portal.login(login, pw),
    "first_connection": lambda s, login, pw: s.portal.first_connection(
        login,
        pw,
        new_password=OTHER_CHOSEN,
        email=EMAILS[CLAIRE],
        birth_date=s.feed.students["s-hugo"].birth_date,
    ),
    "change_password": lambda s, login, pw: s.portal.change_password(login, pw, OTHER_CHOSEN),
    "change_email": lambda s, login, pw: s.portal.change_email(login, pw, "claire@example.org"),
}


class TestSameWorkOnEveryPath:
    """Issue 9.4: every attempt of every guardian use case verifies exactly one password hash,
    whatever the path — so the time of an answer tells nothing about the account.
    """

    @pytest.mark.parametrize("operation", sorted(OPERATIONS))
    @pytest.mark.parametrize("path", sorted(PATHS))
    def test_exactly_one_verification(self, path: str, operation: str) -> None:
        """One `PasswordHasher.verify` per attempt, on refusals and successes alike."""
        make, login, password = PATHS[path]
        scene = make()
        typed = password(scene)
        calls = _count_verifies(scene, lambda: OPERATIONS[operation](scene, login, typed))
        assert calls == 1, (path, operation)

    def test_every_refusal_is_the_same_error(self) -> None:
        """Unknown, malformed, not notified, wrong, expired, locked, blocked: one error."""
        for path, (make, login, password) in sorted(PATHS.items()):
            if path.startswith("right"):
                continue
            scene = make()
            with pytest.raises(CredentialsRefused) as caught:
                scene.portal.login(login, password(scene))
            assert caught.value.french == CredentialsRefused().french, path


# -- links bound to the credentials ------------------------------------------------------------


def _pending_link() -> tuple[Scene, str]:
    scene = notified()
    address = scene.first_connection(LOGIN)
    return scene, scene.token(address)


SUPERSEDERS: dict[str, Callable[[Scene], object]] = {
    "unit reset": lambda s: s.admin.reset_password(UAI, LOGIN),
    "bulk reset": lambda s: s.admin.reset_passwords(UAI, Selection()),
    "notify with reset": lambda s: s.admin.notify(UAI, [LOGIN], Channel.PAPER, reset=True),
    "e-mail notify with reset": lambda s: s.admin.notify(
        UAI, Selection(), Channel.EMAIL, reset=True
    ),
    "guardian's password change": lambda s: s.portal.change_password(LOGIN, CHOSEN, OTHER_CHOSEN),
    "guardian's e-mail change": lambda s: s.portal.change_email(
        LOGIN, CHOSEN, "claire.new@example.org"
    ),
}


class TestLinksDieWithTheCredentials:
    """Issue 9.5: after a first connection, any reset or change of password or e-mail
    supersedes the link already sent; whoever holds it can no longer activate the account.
    """

    @pytest.mark.parametrize("path", sorted(SUPERSEDERS))
    def test_old_link_refused(self, path: str) -> None:
        """The old link gives `ActivationLinkRefused` and the account stays ACTIVATING."""
        scene, old = _pending_link()
        SUPERSEDERS[path](scene)
        with pytest.raises(ActivationLinkRefused):
            scene.portal.confirm_email(old)
        assert scene.stored(LOGIN).state.name == "ACTIVATING"

    def test_a_resend_after_a_reset_gives_a_working_link(self) -> None:
        """The director's resend after a reset sends a fresh link that works."""
        scene, old = _pending_link()
        scene.admin.reset_password(UAI, LOGIN)
        scene.admin.resend_activation_email(UAI, LOGIN)
        fresh = scene.token(EMAILS[CLAIRE])
        assert fresh != old
        assert scene.portal.confirm_email(fresh) == LOGIN

    def test_a_plain_renotification_keeps_the_link(self) -> None:
        """A re-notification without reset changes no credential: the link still works."""
        scene, old = _pending_link()
        scene.admin.notify(UAI, [LOGIN], Channel.PAPER)
        assert scene.portal.confirm_email(old) == LOGIN


# -- hard cap ----------------------------------------------------------------------------------


class TestHardCap:
    """Issue 9.7: 100 consecutive failures block the account until a director resets it."""

    def test_the_policy_number(self) -> None:
        """The default cap is NIST SP 800-63B §5.2.2's 100; the hardened preset keeps it."""
        assert Policy().login_block_after == 100
        assert Policy.hardened().login_block_after == 100

    def test_99_then_100(self) -> None:
        """99 failures do not block (the right password still works after them); the 100th
        does, and then the right password is refused as well.
        """
        scene = _activated(NO_LOCK)
        for _ in range(99):
            with pytest.raises(CredentialsRefused):
                scene.portal.login(LOGIN, WRONG)
        stored = scene.stored(LOGIN)
        assert (stored.login_failures.failures, stored.blocked) == (99, False)
        with pytest.raises(CredentialsRefused):
            scene.portal.login(LOGIN, WRONG)
        assert scene.stored(LOGIN).blocked
        assert scene.page(LOGIN) is not None
        page = scene.admin.account(UAI, LOGIN)
        assert page.blocked
        assert page.fields()[-1] == (
            "Connexion",
            "Bloquée après trop d'échecs de connexion consécutifs : réinitialisez le mot de passe "
            "pour la débloquer.",
        )
        with pytest.raises(CredentialsRefused):
            scene.portal.login(LOGIN, CHOSEN)
        scene.world.clock.advance(days=365)
        with pytest.raises(CredentialsRefused):
            scene.portal.login(LOGIN, CHOSEN)
        outcomes = [o for _, action, o in scene.audit_of(LOGIN) if action == "LOGIN"]
        assert outcomes[-2:] == ["refused: blocked", "refused: blocked"]

    def test_the_right_password_before_the_cap_starts_again(self) -> None:
        """The cap counts consecutive failures: a success in between starts from zero."""
        scene = _activated(NO_LOCK)
        for _ in range(99):
            with pytest.raises(CredentialsRefused):
                scene.portal.login(LOGIN, WRONG)
        assert isinstance(scene.portal.login(LOGIN, CHOSEN), Session)
        with pytest.raises(CredentialsRefused):
            scene.portal.login(LOGIN, WRONG)
        assert not scene.stored(LOGIN).blocked

    @pytest.mark.parametrize(
        "unblock",
        [
            lambda s: s.admin.reset_password(UAI, LOGIN),
            lambda s: s.admin.notify(UAI, [LOGIN], Channel.PAPER, reset=True),
        ],
        ids=["reset", "notify with reset"],
    )
    def test_a_reset_unblocks(self, unblock: Callable[[Scene], object]) -> None:
        """A director's reset (or notification with reset) lifts the block: the new
        provisional password opens the account.
        """
        scene = _activated(Policy(login_throttle=Throttle(free=10**6), login_block_after=3))
        for _ in range(3):
            with pytest.raises(CredentialsRefused):
                scene.portal.login(LOGIN, WRONG)
        assert scene.stored(LOGIN).blocked
        unblock(scene)
        assert not scene.stored(LOGIN).blocked
        assert isinstance(scene.portal.login(LOGIN, scene.password(LOGIN)), PasswordChangeRequired)

    def test_a_plain_renotification_does_not_unblock(self) -> None:
        """Notifying again without reset gives no new password: the account stays blocked."""
        scene = _activated(Policy(login_throttle=Throttle(free=10**6), login_block_after=3))
        for _ in range(3):
            with pytest.raises(CredentialsRefused):
                scene.portal.login(LOGIN, WRONG)
        scene.admin.notify(UAI, [LOGIN], Channel.PAPER)
        assert scene.stored(LOGIN).blocked
        with pytest.raises(CredentialsRefused):
            scene.portal.login(LOGIN, CHOSEN)


# -- FranceConnect erases the provisional password ---------------------------------------------


class TestSelfActivationErasesTheProvisionalPassword:
    """Issue 9.8: an account activated by FranceConnect or SMS no longer has a readable
    provisional password, and the old one no longer logs in.
    """

    def test_franceconnect(self) -> None:
        """FranceConnect: no password at all; page and list show it masked."""
        scene = notified()
        old = scene.password(LOGIN)
        assert _franceconnect(scene) == LOGIN
        stored = scene.stored(LOGIN)
        assert stored.password == NoPassword()
        assert stored.readable_password is None
        assert stored.password_display == MASKED
        rows = scene.admin.rows(UAI, Selection(logins={LOGIN})).rows
        assert rows
        assert {row.password for row in rows} == {MASKED}
        assert scene.page(LOGIN).password == MASKED
        assert old not in scene.admin.export_csv(UAI).content.decode("utf-8")
        with pytest.raises(CredentialsRefused):
            scene.portal.login(LOGIN, old)

    def test_sms(self) -> None:
        """SMS sign-up: the chosen password replaces the provisional one, which stops working."""
        scene = notified()
        old = scene.password(LOGIN)
        feed = scene.feed
        scene.portal.sign_up_by_sms(
            surname="LEBRUN",
            first_name="Claire",
            mobile="0600000001",
            birth_dates={s: feed.students[s].birth_date for s in ("s-lina", "s-hugo")},
            new_password=OTHER_CHOSEN,
        )
        assert scene.stored(LOGIN).readable_password is None
        with pytest.raises(CredentialsRefused):
            scene.portal.login(LOGIN, old)
        assert isinstance(scene.portal.login(LOGIN, OTHER_CHOSEN), Session)

    def test_a_reset_gives_a_password_again(self) -> None:
        """After FranceConnect, a director's reset gives a provisional password that works."""
        scene = _franceconnected()
        scene.admin.reset_password(UAI, LOGIN)
        assert isinstance(scene.portal.login(LOGIN, scene.password(LOGIN)), PasswordChangeRequired)


# -- refusals in the audit trail ---------------------------------------------------------------


class TestRefusalsAreAudited:
    """Issue 9.15 (guardian part): malformed logins, unknown links and password-policy refusals
    leave an audit entry — holding neither the typed text nor the token.
    """

    def test_malformed_login(self) -> None:
        """A malformed login is recorded as such, without what was typed."""
        scene = notified()
        with pytest.raises(CredentialsRefused):
            scene.portal.login("<script>Claire", WRONG)
        last = scene.audit()[-1]
        assert (last.actor, last.action, last.outcome) == (
            "guardian:?",
            "LOGIN",
            "refused: malformed login",
        )
        assert "script" not in str(last)

    def test_unknown_activation_link(self) -> None:
        """An unknown token is recorded, and neither it nor its digest is in the trail."""
        scene = notified()
        token = "Zz" + "unknown-token-0123456789" * 2
        with pytest.raises(ActivationLinkRefused):
            scene.portal.confirm_email(token)
        last = scene.audit()[-1]
        assert (last.action, last.outcome) == ("CONFIRM_EMAIL", "refused: unknown link")
        assert all(token not in str(e) for e in scene.audit())

    @pytest.mark.parametrize("operation", ["first_connection", "change_password"])
    def test_password_policy(self, operation: str) -> None:
        """A new password refused by the policy is recorded for the login, never quoted."""
        scene = _activated() if operation == "change_password" else notified()
        current = CHOSEN if operation == "change_password" else scene.password(LOGIN)

        def call() -> object:
            if operation == "change_password":
                scene.portal.change_password(LOGIN, current, TOO_SHORT)
                return None
            return scene.portal.first_connection(
                LOGIN,
                current,
                new_password=TOO_SHORT,
                email=EMAILS[CLAIRE],
                birth_date=scene.feed.students["s-hugo"].birth_date,
            )

        with pytest.raises(InvalidField, match="mot de passe"):
            call()
        last = scene.audit()[-1]
        assert (last.actor, last.action, last.outcome) == (
            f"guardian:{LOGIN}",
            operation.upper(),
            "refused: password policy",
        )
        assert TOO_SHORT not in last.detail


# -- a guardian never sees a conflict ----------------------------------------------------------


class _ConflictingStorage:
    """Every commit loses a race."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.commits = 0

    def unit_of_work(self) -> _ConflictingUnitOfWork:
        return _ConflictingUnitOfWork(self, self.inner.unit_of_work())


class _ConflictingUnitOfWork(DelegatingUnitOfWork):
    def __init__(self, storage: _ConflictingStorage, inner: UnitOfWork) -> None:
        super().__init__(inner)
        self.storage = storage

    def commit(self) -> None:
        self.storage.commits += 1
        self.inner.rollback()
        raise ConcurrentChange("R-secret-id", 1, 2)


class TestGuardiansNeverSeeAConflict:
    """Issues 9.10 and 9.11 (core): a director's action and a guardian's login do not conflict;
    a guardian call that still loses a race is tried once more, then refused like a wrong
    password — never `ConcurrentChange`, never an id.
    """

    @pytest.mark.parametrize(
        "call",
        [
            lambda s, p: s.portal.login(LOGIN, p),
            lambda s, p: s.portal.first_connection(
                LOGIN,
                p,
                new_password=OTHER_CHOSEN,
                email=EMAILS[CLAIRE],
                birth_date=s.feed.students["s-hugo"].birth_date,
            ),
        ],
        ids=["login", "first_connection"],
    )
    def test_lost_races_become_credentials_refused(self, call: Callable[..., Any]) -> None:
        """Two lost races in a row: `CredentialsRefused`, after exactly two tries."""
        storage = InMemoryStorage()
        scene = Scene(in_memory_world(seed=7, storage=storage), sample_feed())
        scene.integrate()
        scene.admin.notify(UAI, Selection(), Channel.PAPER)
        password = scene.password(LOGIN)
        conflicting = _ConflictingStorage(storage)
        racing = Scene(in_memory_world(seed=7, storage=conflicting), scene.feed)
        with pytest.raises(CredentialsRefused) as caught:
            call(racing, password)
        assert "R-secret-id" not in str(caught.value)
        assert conflicting.commits == 2

    def test_a_wrong_login_during_a_bulk_notification(self) -> None:
        """A wrong password on a selected account while a school-wide notification is being
        committed: the notification succeeds and the failure is counted.
        """
        storage = InMemoryStorage()
        scene = Scene(in_memory_world(seed=7, storage=storage), sample_feed())
        scene.integrate()
        scene.admin.notify(UAI, Selection(), Channel.PAPER)

        def guardian_fails() -> None:
            with pytest.raises(CredentialsRefused):
                scene.portal.login(LOGINS[AWA], WRONG)

        director = Scene(
            in_memory_world(seed=8, storage=GatedStorage(storage, guardian_fails)), scene.feed
        )
        report = director.admin.notify(UAI, Selection(), Channel.PAPER, reset=False)
        assert all(o.done for o in report.outcomes)
        assert scene.stored(LOGINS[AWA]).login_failures.failures == 1

    def test_a_director_update_keeps_the_failures(self) -> None:
        """A director's action that does not touch the credentials keeps the failure count."""
        scene = notified()
        for _ in range(3):
            with pytest.raises(CredentialsRefused):
                scene.portal.login(LOGIN, WRONG)
        scene.admin.notify(UAI, [LOGIN], Channel.PAPER)
        assert scene.stored(LOGIN).login_failures.failures == 3


# -- date of last connection -------------------------------------------------------------------


class TestLastConnection:
    """Issue 10.4: « Date de dernière connexion » is set only by a connection that went
    through — a completed first connection or a session — not by a login that stopped at the
    first-connection step or the birth date.
    """

    def test_only_connections_that_went_through(self) -> None:
        scene = notified()
        provisional = scene.password(LOGIN)
        assert isinstance(scene.portal.login(LOGIN, provisional), FirstConnectionRequired)
        assert scene.stored(LOGIN).last_login_at is None
        with pytest.raises(BirthDateRefused):
            scene.portal.first_connection(
                LOGIN,
                provisional,
                new_password=CHOSEN,
                email=EMAILS[CLAIRE],
                birth_date=scene.feed.students["s-hugo"].birth_date - timedelta(days=1),
            )
        assert scene.stored(LOGIN).last_login_at is None
        scene.world.clock.advance(minutes=5)
        scene.first_connection(LOGIN)
        done = scene.now
        assert scene.stored(LOGIN).last_login_at == done
        scene.world.clock.advance(hours=1)
        assert isinstance(scene.portal.login(LOGIN, CHOSEN), PendingActivation)
        assert scene.stored(LOGIN).last_login_at == scene.now
        scene.admin.reset_password(UAI, LOGIN)
        before = scene.stored(LOGIN).last_login_at
        scene.world.clock.advance(hours=1)
        assert isinstance(scene.portal.login(LOGIN, scene.password(LOGIN)), FirstConnectionRequired)
        assert scene.stored(LOGIN).last_login_at == before
