"""Every deadline of the lifecycle at its boundary, on the fake clock: valid at the limit, refused
one second later (or, for a lock, refused one second before it ends and free at its end).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.core.support import (
    CHOSEN,
    CLAIRE,
    EMAILS,
    JEAN,
    JEANNE,
    LOGINS,
    MARC,
    SECOND,
    UAI,
    Scene,
    notified,
    rentree,
)

from educonnect_core import (
    AccountState,
    ActivationLinkRefused,
    BirthDateLocked,
    BirthDateRefused,
    Channel,
    CredentialsRefused,
    FirstConnectionRequired,
    Policy,
    Session,
    Throttle,
)
from educonnect_core.domain.policy import add_months

#: A passphrase the hardened rule accepts.
LONG_CHOICE = "a long enough passphrase"
END_OF_AUGUST = datetime(2025, 8, 31, 9, 30, tzinfo=UTC)


class TestCalendarMonths:
    """The provisional password's 3 months are calendar months, clamped to the month's end."""

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (datetime(2025, 8, 31, 9, 30, tzinfo=UTC), datetime(2025, 11, 30, 9, 30, tzinfo=UTC)),
            (datetime(2025, 11, 30, 0, 0, tzinfo=UTC), datetime(2026, 2, 28, 0, 0, tzinfo=UTC)),
            (datetime(2023, 11, 30, 0, 0, tzinfo=UTC), datetime(2024, 2, 29, 0, 0, tzinfo=UTC)),
            (datetime(2025, 9, 1, 8, 0, tzinfo=UTC), datetime(2025, 12, 1, 8, 0, tzinfo=UTC)),
            (datetime(2025, 12, 15, 8, 0, tzinfo=UTC), datetime(2026, 3, 15, 8, 0, tzinfo=UTC)),
        ],
    )
    def test_known_dates(self, start: datetime, end: datetime) -> None:
        assert Policy().provisional_expiry(start) == end

    @given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
    def test_for_all_instants_three_months_later_by_the_calendar(self, naive: datetime) -> None:
        start = naive.replace(tzinfo=UTC)
        end = add_months(start, 3)
        assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == 3
        assert end.time() == start.time()
        assert end.day == start.day or (end.day < start.day and (end + timedelta(days=1)).day == 1)
        assert timedelta(days=89) <= end - start <= timedelta(days=92)


def _login_at(scene: Scene, login: str, password: str, moment: datetime) -> object:
    scene.world.clock.set(moment)
    return scene.portal.login(login, password)


class TestProvisionalPasswordThreeMonths:
    """A provisional password works until the same instant 3 calendar months after the last
    notification that carried it, and not one second more; a re-notification restarts it.
    """

    def test_notified_on_31_august_valid_until_30_november(self) -> None:
        scene = notified(start=END_OF_AUGUST)
        login = LOGINS[JEAN]
        password = scene.password(login)
        limit = datetime(2025, 11, 30, 9, 30, tzinfo=UTC)
        assert scene.stored(login).provisional_expires_at(scene.app.policy) == limit
        assert isinstance(_login_at(scene, login, password, limit), FirstConnectionRequired)
        with pytest.raises(CredentialsRefused):
            _login_at(scene, login, password, limit + SECOND)
        audit = scene.audit_of(login)
        assert audit[-1] == ("guardian:j.dupont", "LOGIN", "refused: wrong or expired password")

    def test_renotification_restarts_the_three_months(self) -> None:
        scene = notified(start=END_OF_AUGUST)
        login = LOGINS[MARC]
        password = scene.password(login)
        scene.world.clock.set(datetime(2025, 10, 15, 12, 0, tzinfo=UTC))
        scene.admin.notify(UAI, [login], Channel.PAPER)
        assert scene.password(login) == password
        limit = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
        assert isinstance(
            _login_at(scene, login, password, datetime(2025, 12, 1, tzinfo=UTC)),
            FirstConnectionRequired,
        )
        assert isinstance(_login_at(scene, login, password, limit), FirstConnectionRequired)
        with pytest.raises(CredentialsRefused):
            _login_at(scene, login, password, limit + SECOND)

    def test_an_expired_password_comes_back_with_a_renotification(self) -> None:
        scene = notified(start=END_OF_AUGUST)
        login = LOGINS[MARC]
        password = scene.password(login)
        late = datetime(2026, 2, 1, tzinfo=UTC)
        with pytest.raises(CredentialsRefused):
            _login_at(scene, login, password, late)
        scene.admin.notify(UAI, [login], Channel.PAPER)
        assert isinstance(scene.portal.login(login, password), FirstConnectionRequired)

    def test_first_connection_is_held_to_the_same_limit(self) -> None:
        scene = notified(start=END_OF_AUGUST)
        login = LOGINS[JEANNE]
        limit = datetime(2025, 11, 30, 9, 30, tzinfo=UTC)
        scene.world.clock.set(limit + SECOND)
        with pytest.raises(CredentialsRefused):
            scene.first_connection(login)
        scene.world.clock.set(limit)
        scene.first_connection(login)
        assert scene.stored(login).state is AccountState.ACTIVATING

    def test_a_reset_password_runs_from_the_reset(self) -> None:
        scene = notified()
        login = LOGINS[CLAIRE]
        scene.activate(login)
        reset_at = scene.world.clock.advance(days=100)
        report = scene.admin.reset_password(UAI, login)
        assert report.messages == ("Le mot de passe a bien été réinitialisé.",)
        page = scene.page(login)
        limit = add_months(reset_at, 3)
        _login_at(scene, login, page.password, limit)
        with pytest.raises(CredentialsRefused):
            _login_at(scene, login, page.password, limit + SECOND)


class TestActivationLink:
    """The C07 link works until 3 days after it was sent and not one second more, once only, and
    a resend supersedes it.
    """

    def test_valid_at_three_days_refused_one_second_later(self) -> None:
        for late in (False, True):
            scene = notified()
            login = LOGINS[CLAIRE]
            sent_at = scene.now
            scene.first_connection(login)
            token = scene.token(EMAILS[CLAIRE])
            scene.world.clock.set(sent_at + timedelta(days=3) + (SECOND if late else timedelta()))
            if late:
                with pytest.raises(ActivationLinkRefused):
                    scene.portal.confirm_email(token)
                assert scene.stored(login).state is AccountState.ACTIVATING
                assert scene.audit_of(login)[-1][2] == "refused: expired"
            else:
                assert scene.portal.confirm_email(token) == login
                assert scene.stored(login).state is AccountState.ACTIVATED

    def test_hardened_policy_gives_24_hours(self) -> None:
        scene = notified(policy=Policy.hardened())
        login = LOGINS[JEANNE]
        sent_at = scene.now
        scene.first_connection(login, new_password=LONG_CHOICE)
        token = scene.token(EMAILS[JEANNE])
        scene.world.clock.set(sent_at + timedelta(hours=24) + SECOND)
        with pytest.raises(ActivationLinkRefused):
            scene.portal.confirm_email(token)

    def test_single_use(self) -> None:
        scene = notified()
        login = LOGINS[JEANNE]
        scene.first_connection(login)
        token = scene.token(EMAILS[JEANNE])
        assert scene.portal.confirm_email(token) == login
        version = scene.stored(login).version
        with pytest.raises(ActivationLinkRefused):
            scene.portal.confirm_email(token)
        assert scene.stored(login).version == version

    def test_a_resent_link_supersedes_and_restarts(self) -> None:
        scene = notified()
        login = LOGINS[CLAIRE]
        scene.first_connection(login)
        first = scene.token(EMAILS[CLAIRE])
        resent_at = scene.world.clock.advance(days=2)
        scene.admin.resend_activation_email(UAI, login)
        second = scene.token(EMAILS[CLAIRE])
        with pytest.raises(ActivationLinkRefused):
            scene.portal.confirm_email(first)
        scene.world.clock.set(resent_at + timedelta(days=3))
        assert scene.portal.confirm_email(second) == login

    def test_an_expired_link_is_replaced_by_a_resend(self) -> None:
        scene = notified()
        login = LOGINS[CLAIRE]
        scene.first_connection(login)
        scene.world.clock.advance(days=10)
        scene.admin.resend_activation_email(UAI, login)
        assert scene.portal.confirm_email(scene.token(EMAILS[CLAIRE])) == login


class TestLoginThrottle:
    """After the free failures the login locks for growing waits (1, 2, 4… minutes, at most an
    hour); the right password is refused one second before the lock ends and works at its end.
    """

    def test_growing_waits(self) -> None:
        scene = notified()
        login = LOGINS[CLAIRE]
        scene.activate(login)
        throttle = scene.app.policy.login_throttle
        assert throttle == Throttle(free=5, first_wait=timedelta(minutes=1))
        for _ in range(throttle.free - 1):
            with pytest.raises(CredentialsRefused):
                scene.portal.login(login, "wrong-password1")
        assert scene.stored(login).login_failures.locked_until is None
        waits = []
        for _ in range(8):
            with pytest.raises(CredentialsRefused):
                scene.portal.login(login, "wrong-password1")
            counter = scene.stored(login).login_failures
            assert counter.locked_until is not None
            wait = counter.locked_until - scene.now
            waits.append(wait)
            scene.world.clock.set(counter.locked_until - SECOND)
            with pytest.raises(CredentialsRefused):
                scene.portal.login(login, CHOSEN)
            assert scene.stored(login).login_failures == counter
            scene.world.clock.set(counter.locked_until)
        assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]
        assert isinstance(scene.portal.login(login, CHOSEN), Session)
        assert scene.stored(login).login_failures.failures == 0
        outcomes = [outcome for _, action, outcome in scene.audit_of(login) if action == "LOGIN"]
        assert outcomes.count("refused: locked") == 8

    @given(st.integers(0, 40), st.integers(1, 10), st.integers(1, 600))
    def test_for_all_throttles_waits_grow_and_stay_capped(
        self, failures: int, free: int, first_minutes: int
    ) -> None:
        throttle = Throttle(free=free, first_wait=timedelta(minutes=first_minutes))
        now, more = throttle.lock_after(failures), throttle.lock_after(failures + 1)
        if failures < free:
            assert now is None
        else:
            assert now is not None
            assert more is not None
            assert timedelta(minutes=first_minutes) <= now or now == throttle.max_wait
            assert now <= more <= throttle.max_wait


class TestBirthDateLock:
    """The birth-date check allows 3 wrong answers, then waits of 15, 30, 60 minutes; the lock
    holds one second before its end and lifts at its end.
    """

    def test_growing_waits(self) -> None:
        scene = notified()
        login = LOGINS[JEAN]
        password = scene.password(login)
        wrong = scene.feed.students["s-leo"].birth_date + timedelta(days=1)

        def attempt(day: date = wrong) -> str:
            return scene.portal.first_connection(
                login, password, new_password=CHOSEN, email="jean@example.org", birth_date=day
            )

        for _ in range(2):
            with pytest.raises(BirthDateRefused):
                attempt()
        waits = []
        for _ in range(4):
            with pytest.raises(BirthDateLocked) as locked:
                attempt()
            retry_at = locked.value.retry_at
            waits.append(retry_at - scene.now)
            scene.world.clock.set(retry_at - SECOND)
            with pytest.raises(BirthDateLocked):
                attempt(scene.feed.students["s-leo"].birth_date)
            scene.world.clock.set(retry_at)
        assert waits == [timedelta(minutes=m) for m in (15, 30, 60, 60)]
        attempt(scene.feed.students["s-leo"].birth_date)
        assert scene.stored(login).state is AccountState.ACTIVATING
        assert scene.stored(login).birth_date_failures.failures == 0


class TestRemindersDeadline:
    """The reminder list shows the day the 3 months end; `within` keeps an account from exactly
    that much before its deadline, not one second earlier.
    """

    def test_deadline_day_and_window_boundary(self) -> None:
        scene = notified(start=END_OF_AUGUST)
        expiry = datetime(2025, 11, 30, 9, 30, tzinfo=UTC)
        (reminder, *_) = scene.admin.reminders(UAI)
        assert reminder.deadline == expiry.date()
        week = timedelta(days=7)
        scene.world.clock.set(expiry - week - SECOND)
        assert scene.admin.reminders(UAI, within=week) == []
        scene.world.clock.set(expiry - week)
        assert len(scene.admin.reminders(UAI, within=week)) == 5

    def test_the_deadline_is_the_last_day_the_password_works(self) -> None:
        scene = notified(start=END_OF_AUGUST)
        login = LOGINS[MARC]
        (reminder,) = [r for r in scene.admin.reminders(UAI) if r.login == login]
        password = scene.password(login)
        last = scene.stored(login).provisional_expires_at(scene.app.policy)
        assert last is not None
        assert last.date() == reminder.deadline
        assert isinstance(_login_at(scene, login, password, last), FirstConnectionRequired)
        with pytest.raises(CredentialsRefused):
            _login_at(scene, login, password, last + SECOND)

    def test_not_notified_accounts_have_no_reminder(self) -> None:
        scene = rentree()
        assert scene.admin.reminders(UAI) == []
