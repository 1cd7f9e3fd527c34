"""Forgotten login or password (issue 13.5): by a single-use e-mail link or by SMS code, with
answers that never tell whether an account exists.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.core.support import CHOSEN, OTHER_CHOSEN
from tests.selfservice.support import NINA, SOPHIE_MOBILE, SelfScene, self_scene

from educonnect_core.domain.letters import LetterKind, LetterSettings
from educonnect_core.domain.recovery import RecoveryRefused
from educonnect_core.domain.sms import SmsPurpose
from educonnect_core.errors import CredentialsRefused
from educonnect_core.services.portal import Session

LOGIN = "s.martin"
EMAIL = "sophie.martin@example.org"
URL = LetterSettings().recovery_url


def _activated() -> SelfScene:
    s = self_scene()
    proof = s.proof(SOPHIE_MOBILE, SmsPurpose.SIGN_UP)
    s.portal.sms_sign_up(
        surname="Martin",
        first_name="Sophie",
        mobile=SOPHIE_MOBILE,
        proof=proof,
        birth_dates={NINA: s.scene.feed.students[NINA].birth_date},
        new_password=CHOSEN,
        email=EMAIL,
    )
    s.scene.world.clock.advance(s.scene.app.policy.sms_resend_cooldown)
    return s


def _token(s: SelfScene) -> str:
    (message,) = [m for m in s.scene.mails_to(EMAIL) if m.letter.kind is LetterKind.R01]
    (line,) = [x for x in message.letter.lines if x.startswith(URL)]
    assert f"Votre identifiant est : {LOGIN}" in message.letter.lines
    return line.removeprefix(URL)


class TestByEmail:
    """The recovery e-mail carries the login and a single-use link valid like the activation
    link; unknown identities get the same (empty) answer and no e-mail.
    """

    @pytest.mark.parametrize("identifier", [LOGIN, f"  {EMAIL} "])
    def test_the_link_sets_a_new_password_once(self, identifier: str) -> None:
        """By login or by address: the link sets the new password, the old one stops, and the
        link cannot be used again.
        """
        s = _activated()
        s.portal.forgot_by_email(identifier)
        token = _token(s)
        assert s.portal.recover_by_email(token, OTHER_CHOSEN) == LOGIN
        assert isinstance(s.portal.login(LOGIN, OTHER_CHOSEN), Session)
        with pytest.raises(CredentialsRefused):
            s.portal.login(LOGIN, CHOSEN)
        with pytest.raises(RecoveryRefused):
            s.portal.recover_by_email(token, CHOSEN)

    def test_the_link_expires_like_the_activation_link(self) -> None:
        """Valid at the end of the activation link's validity, refused one second later."""
        for late, works in ((timedelta(0), True), (timedelta(seconds=1), False)):
            s = _activated()
            s.portal.forgot_by_email(LOGIN)
            s.scene.world.clock.advance(s.scene.app.policy.activation_link_validity + late)
            if works:
                assert s.portal.recover_by_email(_token(s), OTHER_CHOSEN) == LOGIN
            else:
                with pytest.raises(RecoveryRefused):
                    s.portal.recover_by_email(_token(s), OTHER_CHOSEN)

    def test_unknown_identities_answer_the_same_and_send_nothing(self) -> None:
        """An unknown login, an unknown address and a NOT_NOTIFIED account: no e-mail, no
        error, the same answer as a known one; the same random draws as a known one.
        """
        s = _activated()
        secrets = s.scene.world.secrets
        drawn = []
        for identifier in ("x.inconnu", "personne@example.org", "s.martin2", "!!"):
            before = len(secrets.issued)
            s.portal.forgot_by_email(identifier)
            drawn.append(len(secrets.issued) - before)
        before = len(secrets.issued)
        s.portal.forgot_by_email(LOGIN)
        known = len(secrets.issued) - before
        assert [m.letter.kind for m in s.scene.world.mailer.sent].count(LetterKind.R01) == 1
        assert set(drawn) == {known}

    def test_the_token_is_never_audited(self) -> None:
        """Neither the recovery token nor the new password reach the audit trail."""
        s = _activated()
        s.portal.forgot_by_email(LOGIN)
        token = _token(s)
        s.portal.recover_by_email(token, OTHER_CHOSEN)
        text = repr(s.scene.audit())
        assert token not in text
        assert OTHER_CHOSEN not in text


class TestBySms:
    """The SMS proof gives the line's logins, and a new password for one of them."""

    def test_logins_then_new_password(self) -> None:
        """The proven line lists Sophie's login; a second proof sets her new password."""
        s = _activated()
        proof = s.proof(SOPHIE_MOBILE, SmsPurpose.RECOVERY)
        assert s.portal.forgotten_logins_by_sms(SOPHIE_MOBILE, proof) == (LOGIN,)
        s.scene.world.clock.advance(s.scene.app.policy.sms_resend_cooldown)
        proof = s.proof(SOPHIE_MOBILE, SmsPurpose.RECOVERY)
        s.portal.recover_by_sms(
            mobile=SOPHIE_MOBILE, proof=proof, login=LOGIN, new_password=OTHER_CHOSEN
        )
        assert isinstance(s.portal.login(LOGIN, OTHER_CHOSEN), Session)

    def test_a_login_of_another_line_is_refused_like_an_unknown_one(self) -> None:
        """Another line's login and an unknown login give the same refusal."""
        s = _activated()
        proof = s.proof(SOPHIE_MOBILE, SmsPurpose.RECOVERY)
        refusals = []
        for login in ("c.lebrun", "x.inconnu"):
            with pytest.raises(RecoveryRefused) as refused:
                s.portal.recover_by_sms(
                    mobile=SOPHIE_MOBILE, proof=proof, login=login, new_password=OTHER_CHOSEN
                )
            refusals.append(refused.value.french)
        assert refusals[0] == refusals[1]
