"""SMS one-time codes (issue 13.1): 6 digits from the secrets port, a digest only, 10 minutes,
single use, 3 wrong codes then growing waits, a resend cooldown, never in the audit trail.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.selfservice.support import SOPHIE_LINE, SOPHIE_MOBILE, self_scene

from educonnect_core import Portal
from educonnect_core.domain.sms import (
    SmsCodeLocked,
    SmsCodeRefused,
    SmsPurpose,
    SmsResendTooSoon,
    SmsUnavailable,
    e164,
    same_line,
)
from educonnect_core.errors import InvalidField

SIGN_UP = SmsPurpose.SIGN_UP


class TestLines:
    """Mobile numbers are compared in E.164, French numbers by default."""

    def test_national_and_international_forms_are_one_line(self) -> None:
        """« 06 55 44 33 22 », « +33 6 55 44 33 22 » and « 0033655443322 » are one line."""
        assert e164("06 55 44 33 22") == "+33655443322"
        assert same_line("+33 6 55 44 33 22", "0033655443322")
        assert not same_line("06 55 44 33 22", "06 55 44 33 23")

    def test_a_non_number_is_refused_in_french(self) -> None:
        """A text that is no phone number is an `InvalidField`, not a silent miss."""
        with pytest.raises(InvalidField):
            e164("bonjour")


class TestIssue:
    """A code is sent only to a line the directory knows, but the answer is the same."""

    def test_the_code_is_six_digits_and_only_its_digest_is_stored(self) -> None:
        """The SMS carries 6 digits; the stored record holds neither the code nor its text."""
        s = self_scene()
        s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        (sms,) = s.sms.sent
        assert sms.line == SOPHIE_LINE
        assert len(sms.code) == 6
        assert sms.code.isdigit()
        with s.scene.world.storage.unit_of_work() as uow:
            stored = uow.codes.get(SOPHIE_LINE)
        assert stored is not None
        assert stored.digest is not None
        assert sms.code not in repr(stored)
        assert sms.code not in stored.digest

    def test_an_unknown_line_gets_the_same_answer_and_no_sms(self) -> None:
        """Asking a code for a number nobody has returns like a known one, sends nothing."""
        s = self_scene()
        s.portal.sms.request("07 00 00 00 00", SIGN_UP)
        assert s.sms.sent == []
        with pytest.raises(SmsResendTooSoon):
            s.portal.sms.request("07 00 00 00 00", SIGN_UP)

    def test_resend_waits_for_the_cooldown(self) -> None:
        """A second code within the cooldown is refused; at its end it goes; both SMS are kept."""
        s = self_scene()
        cooldown = s.scene.app.policy.sms_resend_cooldown
        s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        s.scene.world.clock.advance(cooldown - timedelta(seconds=1))
        with pytest.raises(SmsResendTooSoon):
            s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        s.scene.world.clock.advance(seconds=1)
        s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        assert len(s.sms.sent) == 2


class TestCheck:
    """A right code gives a proof once; wrong, stale or reused codes are refused and counted."""

    def test_valid_at_ten_minutes_refused_one_second_later(self) -> None:
        """The code works at the limit of its validity and not one second after."""
        for late, works in ((timedelta(0), True), (timedelta(seconds=1), False)):
            s = self_scene()
            s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
            s.scene.world.clock.advance(s.scene.app.policy.sms_code_validity + late)
            code = s.sms.last_code(SOPHIE_LINE)
            if works:
                assert s.portal.sms.verify(SOPHIE_MOBILE, code, SIGN_UP)
            else:
                with pytest.raises(SmsCodeRefused):
                    s.portal.sms.verify(SOPHIE_MOBILE, code, SIGN_UP)

    def test_a_code_is_used_once(self) -> None:
        """The same right code typed twice works the first time only."""
        s = self_scene()
        s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        code = s.sms.last_code(SOPHIE_LINE)
        s.portal.sms.verify(SOPHIE_MOBILE, code, SIGN_UP)
        with pytest.raises(SmsCodeRefused):
            s.portal.sms.verify(SOPHIE_MOBILE, code, SIGN_UP)

    def test_a_code_proves_only_its_own_path(self) -> None:
        """A code sent for sign-up does not open the merge path."""
        s = self_scene()
        s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        with pytest.raises(SmsCodeRefused):
            s.portal.sms.verify(SOPHIE_MOBILE, s.sms.last_code(SOPHIE_LINE), SmsPurpose.MERGE)

    def test_three_wrong_codes_then_growing_waits_that_survive_a_resend(self) -> None:
        """The third wrong code locks the line, for the right code and a fresh one alike, and
        the next lock is twice as long.
        """
        s = self_scene()
        policy = s.scene.app.policy
        s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        right = s.sms.last_code(SOPHIE_LINE)
        wrong = "000000" if right != "000000" else "111111"
        lefts = []
        for _ in range(2):
            with pytest.raises(SmsCodeRefused) as refused:
                s.portal.sms.verify(SOPHIE_MOBILE, wrong, SIGN_UP)
            lefts.append(refused.value.attempts_left)
        assert lefts == [2, 1]
        with pytest.raises(SmsCodeLocked) as first:
            s.portal.sms.verify(SOPHIE_MOBILE, wrong, SIGN_UP)
        first_wait = first.value.retry_at - s.scene.now
        assert first_wait == policy.sms_code_throttle.first_wait
        with pytest.raises(SmsCodeLocked):  # even the right code, while locked
            s.portal.sms.verify(SOPHIE_MOBILE, right, SIGN_UP)
        with pytest.raises(SmsCodeLocked):  # and no new code either
            s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        s.scene.world.clock.set(first.value.retry_at)
        s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        with pytest.raises(SmsCodeLocked) as second:
            s.portal.sms.verify(SOPHIE_MOBILE, wrong, SIGN_UP)
        assert second.value.retry_at - s.scene.now == 2 * first_wait

    def test_neither_code_nor_proof_reaches_the_audit(self) -> None:
        """Every step is audited, and no entry carries the code or the proof."""
        s = self_scene()
        s.portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        code = s.sms.last_code(SOPHIE_LINE)
        with pytest.raises(SmsCodeRefused):
            s.portal.sms.verify(SOPHIE_MOBILE, "999999" if code != "999999" else "888888", SIGN_UP)
        proof = s.portal.sms.verify(SOPHIE_MOBILE, code, SIGN_UP)
        trail = s.scene.audit()
        actions = [(e.action, e.outcome) for e in trail if e.actor == f"sms:{SOPHIE_LINE}"]
        assert actions == [
            ("SMS_CODE", "sent"),
            ("SMS_VERIFY", "refused: wrong or expired code"),
            ("SMS_VERIFY", "done"),
        ]
        text = repr(trail)
        assert code not in text
        assert proof not in text


class TestWithoutGateway:
    """Without an `SmsSender` the code paths say so in French, before anything is stored."""

    def test_no_gateway_is_a_french_refusal(self) -> None:
        """`request` raises `SmsUnavailable` and stores no code."""
        s = self_scene()
        portal = Portal(s.scene.app.runtime)
        with pytest.raises(SmsUnavailable) as refused:
            portal.sms.request(SOPHIE_MOBILE, SIGN_UP)
        assert "SMS" in refused.value.french
        with s.scene.world.storage.unit_of_work() as uow:
            assert uow.codes.get(SOPHIE_LINE) is None
