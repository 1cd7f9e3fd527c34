"""The self-service paths as scenarios (issue 13.2–13.4): SMS sign-up attaching both records of a
guardian recorded twice, FranceConnect first and later connections, and account merges across
two schools, followed by the next feed.
"""

from __future__ import annotations

import pytest
from tests.core.support import AWA, CHOSEN, LOGINS, MOUSSA, OTHER_CHOSEN, OTHER_UAI, UAI
from tests.selfservice.support import (
    NINA,
    PARC_DIRECTOR,
    PAUL,
    SOPHIE,
    SOPHIE_MOBILE,
    SOPHIE_PARC,
    SelfScene,
    Worlds,
)

from educonnect_core import Selection, Uai
from educonnect_core.domain.account import NoPassword
from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.sms import SmsCodeRefused, SmsPurpose
from educonnect_core.errors import CredentialsRefused, NotFound
from educonnect_core.services.franceconnect import (
    FranceConnectIdentity,
    FranceConnectLinkRequired,
)
from educonnect_core.services.portal import Session

FIRST, SECOND = "s.martin", "s.martin2"
SOPHIE_EMAIL = "sophie.martin@example.org"
WRONG = OTHER_CHOSEN[::-1]


def _dates(s: SelfScene, *sids: str) -> dict[str, object]:
    return {sid: s.scene.feed.students[sid].birth_date for sid in sids}


def _ids(s: SelfScene, uai: str) -> set[str]:
    with s.scene.world.storage.unit_of_work() as uow:
        return uow.directory.guardian_ids(Uai.parse(uai))


def _account_ids(s: SelfScene) -> set[str]:
    with s.scene.world.storage.unit_of_work() as uow:
        found = uow.accounts.get_many([SOPHIE, SOPHIE_PARC])
    return set(found)


def _sign_up(s: SelfScene, *sids: str) -> str:
    proof = s.proof(SOPHIE_MOBILE, SmsPurpose.SIGN_UP)
    return s.portal.sms_sign_up(
        surname="Martin",
        first_name="Sophie",
        mobile=SOPHIE_MOBILE,
        proof=proof,
        birth_dates=_dates(s, *sids),  # type: ignore[arg-type]
        new_password=CHOSEN,
        email=SOPHIE_EMAIL,
    )


class TestSmsSignUp(Worlds):
    """Self sign-up by SMS attaches every confirmed record and activates one account."""

    def test_both_records_are_offered_and_merged_into_one_activated_account(self) -> None:
        """Sophie, recorded in two schools, attaches both children: one ACTIVATED account with
        origin RESPONSABLE, her e-mail, both children; the other account is gone.
        """
        s = self.new()
        proof = s.proof(SOPHIE_MOBILE, SmsPurpose.SIGN_UP)
        listed = s.portal.sms_children(
            surname="MARTIN", first_name="sophie", mobile=SOPHIE_MOBILE, proof=proof
        )
        assert [c.student_id for c in listed] == [NINA, PAUL]
        login = s.portal.sms_sign_up(
            surname="Martin",
            first_name="Sophie",
            mobile="+33 6 55 44 33 22",
            proof=proof,
            birth_dates=_dates(s, NINA, PAUL),  # type: ignore[arg-type]
            new_password=CHOSEN,
            email=SOPHIE_EMAIL,
        )
        assert login == FIRST
        account = s.scene.stored(login)
        assert (account.state, account.origin) == (AccountState.ACTIVATED, Origin.RESPONSABLE)
        assert account.email is not None
        assert account.email.value == SOPHIE_EMAIL
        assert _account_ids(s) == {SOPHIE}
        assert isinstance(s.portal.login(login, CHOSEN), Session)
        with pytest.raises(CredentialsRefused):
            s.portal.login(SECOND, CHOSEN)
        assert SOPHIE in _ids(s, UAI)
        assert SOPHIE in _ids(s, OTHER_UAI)
        assert SOPHIE_PARC not in _ids(s, OTHER_UAI)

    def test_one_record_only_when_one_child_is_confirmed(self) -> None:
        """Confirming only Nina activates her record's account and leaves the other alone."""
        s = self.new()
        assert _sign_up(s, NINA) == FIRST
        assert _account_ids(s) == {SOPHIE, SOPHIE_PARC}
        assert s.scene.stored(SECOND).state is AccountState.NOT_NOTIFIED

    def test_a_proof_is_spent_by_the_sign_up(self) -> None:
        """The same proof cannot sign up twice."""
        s = self.new()
        proof = s.proof(SOPHIE_MOBILE, SmsPurpose.SIGN_UP)
        kwargs = {
            "surname": "Martin",
            "first_name": "Sophie",
            "mobile": SOPHIE_MOBILE,
            "proof": proof,
            "birth_dates": _dates(s, NINA),
            "new_password": CHOSEN,
            "email": SOPHIE_EMAIL,
        }
        s.portal.sms_sign_up(**kwargs)  # type: ignore[arg-type]
        with pytest.raises(SmsCodeRefused):
            s.portal.sms_sign_up(**kwargs)  # type: ignore[arg-type]


class TestFranceConnect(Worlds):
    """The first FranceConnect connection binds the `sub`; the next ones log in directly."""

    def test_first_time_links_then_logs_in_directly(self) -> None:
        """Unknown sub: link required; after mobile, code and birth dates the account is
        ACTIVATED with origin FRANCECONNECT, no password, and the sub logs straight in.
        """
        s = self.new(notify=True)
        identity = FranceConnectIdentity("fc-sub-1", "MARTIN", "Sophie Anne")
        assert isinstance(s.portal.franceconnect_login(identity), FranceConnectLinkRequired)
        assert s.scene.stored(FIRST).provisional
        proof = s.proof(SOPHIE_MOBILE, SmsPurpose.FRANCECONNECT)
        login = s.portal.franceconnect_link(
            identity,
            mobile=SOPHIE_MOBILE,
            proof=proof,
            birth_dates=_dates(s, NINA, PAUL),  # type: ignore[arg-type]
        )
        account = s.scene.stored(login)
        assert (account.state, account.origin) == (AccountState.ACTIVATED, Origin.FRANCECONNECT)
        assert isinstance(account.password, NoPassword)
        assert account.franceconnect_sub == "fc-sub-1"
        assert s.portal.franceconnect_login(identity) == Session(login)
        assert _account_ids(s) == {SOPHIE}


class TestMerge(Worlds):
    """An activated guardian brings a second account onto theirs."""

    def _activated(self, *, notify: bool = False) -> SelfScene:
        s = self.new(notify=notify)
        assert _sign_up(s, NINA) == FIRST
        s.scene.world.clock.advance(s.scene.app.policy.sms_resend_cooldown)
        return s

    def test_merge_across_two_schools_by_sms_of_a_not_notified_account(self) -> None:
        """The NOT_NOTIFIED record of the other school is merged by SMS: the other director's
        list shows the survivor, the deleted account is out of reach, the audit names both.
        """
        s = self._activated()
        before = _ids(s, UAI) | _ids(s, OTHER_UAI)
        proof = s.proof(SOPHIE_MOBILE, SmsPurpose.MERGE)
        result = s.portal.merge_by_sms(FIRST, CHOSEN, mobile=SOPHIE_MOBILE, proof=proof)
        assert _ids(s, UAI) | _ids(s, OTHER_UAI) == before - {SOPHIE_PARC}  # one account each
        assert (result.login, result.merged) == (FIRST, (SECOND,))
        parc = s.scene.app.administration(PARC_DIRECTOR)
        logins = {r.login for r in parc.rows(OTHER_UAI, Selection().everything()).rows}
        assert FIRST in logins
        assert SECOND not in logins
        with pytest.raises(NotFound):
            parc.account(OTHER_UAI, SECOND)
        stats = parc.compute_statistics(OTHER_UAI)
        assert stats.summary.accounts == len(_ids(s, OTHER_UAI)) == 2  # Awa and Sophie, once
        merges = [e for e in s.scene.audit() if e.action == "MERGE"]
        assert {e.account_id for e in merges} == {SOPHIE, SOPHIE_PARC}

    def test_the_next_feed_keeps_both_records_on_the_survivor(self) -> None:
        """The feed still sends both records: nothing is created again, both children stay."""
        s = self._activated()
        proof = s.proof(SOPHIE_MOBILE, SmsPurpose.MERGE)
        s.portal.merge_by_sms(FIRST, CHOSEN, mobile=SOPHIE_MOBILE, proof=proof)
        report = s.scene.next_day_integration()
        assert report.accounts_created == 0
        assert _account_ids(s) == {SOPHIE}
        assert SOPHIE in _ids(s, OTHER_UAI)
        with s.scene.world.storage.unit_of_work() as uow:
            kids = uow.directory.children([SOPHIE])[SOPHIE]
        assert {k.student_id for k in kids} == {NINA, PAUL}

    def test_merge_by_password_and_refusal_when_it_is_wrong(self) -> None:
        """A wrong password for the second account is refused and counted on it; with the
        right one its children come onto the first account.
        """
        s = self._activated(notify=True)
        s.scene.activate(LOGINS[AWA], new_password=OTHER_CHOSEN)
        with pytest.raises(CredentialsRefused):
            s.portal.merge_accounts(
                LOGINS[AWA], OTHER_CHOSEN, other_login=FIRST, other_password=WRONG
            )
        assert s.scene.stored(FIRST).login_failures.failures == 1
        result = s.portal.merge_accounts(
            LOGINS[AWA], OTHER_CHOSEN, other_login=FIRST, other_password=CHOSEN
        )
        assert result.merged == (FIRST,)
        with s.scene.world.storage.unit_of_work() as uow:
            kids = uow.directory.children([AWA])[AWA]
        assert NINA in {k.student_id for k in kids}
        assert MOUSSA in {k.student_id for k in kids}


class TestMergeKeepsFranceConnect(Worlds):
    """A FranceConnect identity of the merged account passes to the survivor."""

    def test_the_sub_of_the_deleted_account_logs_into_the_survivor(self) -> None:
        """Sophie linked FranceConnect to Paul's record, then merges it into Nina's account by
        password: the same sub now opens the surviving account.
        """
        s = self.new()
        identity = FranceConnectIdentity("fc-sub-2", "MARTIN", "Sophie")
        proof = s.proof(SOPHIE_MOBILE, SmsPurpose.FRANCECONNECT)
        linked = s.portal.franceconnect_link(
            identity,
            mobile=SOPHIE_MOBILE,
            proof=proof,
            birth_dates=_dates(s, PAUL),  # type: ignore[arg-type]
        )
        assert linked == SECOND
        s.scene.world.clock.advance(s.scene.app.policy.sms_resend_cooldown)
        assert _sign_up(s, NINA) == FIRST
        s.scene.world.clock.advance(s.scene.app.policy.sms_resend_cooldown)
        proof = s.proof(SOPHIE_MOBILE, SmsPurpose.MERGE)
        s.portal.merge_by_sms(FIRST, CHOSEN, mobile=SOPHIE_MOBILE, proof=proof)
        assert s.portal.franceconnect_login(identity) == Session(FIRST)
