"""SMS one-time codes (guide v1.9 det. §1.3.4): issue, check, and spend the proof.

`request` stores a fresh code for the line and, once committed, hands it to the `SmsSender` —
only for a line the directory knows; an unknown line gets the same answer, the same cooldown and
the same record, but no SMS (the answer never tells whether an account exists). `verify` turns a
right code into a proof token for the path it was asked for; `spend_proof` uses that proof up in
the unit of work of the path's last step. The code and the proof are never audited.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import attrs

from educonnect_core.domain.account import FailureCounter
from educonnect_core.domain.sms import (
    OneTimeCode,
    SmsCodeLocked,
    SmsCodeRefused,
    SmsPurpose,
    SmsResendTooSoon,
    SmsUnavailable,
    code_digest,
    e164,
    sms_text,
)
from educonnect_core.domain.values import Mobile
from educonnect_core.errors import ConcurrentChange
from educonnect_core.ports import SmsSender, UnitOfWork
from educonnect_core.services.runtime import Runtime

__all__ = ["SmsCodes"]

_DIGITS = "0123456789"


class SmsCodes:
    """The one-time codes of the self-service paths; obtained through `Portal`."""

    def __init__(self, runtime: Runtime, sender: SmsSender | None) -> None:
        self._rt = runtime
        self._sender = sender

    def __repr__(self) -> str:
        return "<SmsCodes>"

    def request(self, mobile: str, purpose: SmsPurpose) -> None:
        """Send a new code to `mobile` for `purpose`. Refused while the line is locked by wrong
        codes (`SmsCodeLocked`) or within the resend cooldown (`SmsResendTooSoon`).
        """
        line = e164(mobile)
        if self._sender is None:
            raise SmsUnavailable
        policy = self._rt.policy
        now = self._rt.now()
        code = self._rt.secrets.provisional_password(_DIGITS, policy.sms_code_length)
        with self._rt.storage.unit_of_work() as uow:
            actor = f"sms:{line}"
            stored = uow.codes.get(line)
            failures = FailureCounter() if stored is None else stored.failures
            if failures.locked(now) and failures.locked_until is not None:
                self._rt.audit(uow, actor, "SMS_CODE", "refused: locked", at=now)
                uow.commit()
                raise SmsCodeLocked(failures.locked_until)
            if stored is not None and now < stored.sent_at + policy.sms_resend_cooldown:
                self._rt.audit(uow, actor, "SMS_CODE", "refused: too soon", at=now)
                uow.commit()
                raise SmsResendTooSoon(stored.sent_at + policy.sms_resend_cooldown)
            known = bool(uow.accounts.by_mobile(Mobile.parse(line)))
            uow.codes.put(
                OneTimeCode(
                    line,
                    purpose,
                    code_digest(line, code),
                    now,
                    now + policy.sms_code_validity,
                    failures=failures,
                )
            )
            self._rt.audit(
                uow,
                actor,
                "SMS_CODE",
                "sent" if known else "not sent: unknown line",
                at=now,
                detail=purpose.value,
            )
            uow.commit()
        if known:
            minutes = int(policy.sms_code_validity.total_seconds() // 60)
            self._sender.send(line, sms_text(code, minutes))

    def verify(self, mobile: str, code: str, purpose: SmsPurpose) -> str:
        """Check the code typed for `purpose`; a right one is used up and gives a proof (a
        token) for the path's next step, valid for the code's validity from now. A wrong,
        expired or used code is counted (3 free, then growing waits: `SmsCodeLocked`).
        """
        line = e164(mobile)
        try:
            return self._verify(line, str(code), purpose)
        except ConcurrentChange:
            raise SmsCodeRefused(0) from None

    def _verify(self, line: str, code: str, purpose: SmsPurpose) -> str:
        policy = self._rt.policy
        now = self._rt.now()
        actor = f"sms:{line}"
        with self._rt.storage.unit_of_work() as uow:
            stored = uow.codes.get(line)
            if stored is not None and stored.failures.locked(now):
                until = stored.failures.locked_until
                self._rt.audit(uow, actor, "SMS_VERIFY", "refused: locked", at=now)
                uow.commit()
                raise SmsCodeLocked(until if until is not None else now)
            right = (
                stored is not None
                and stored.digest is not None
                and not stored.proven
                and stored.purpose is purpose
                and stored.usable(now)
                and hmac.compare_digest(stored.digest, code_digest(line, code))
            )
            if stored is None or stored.digest is None or not right:
                counter = uow.codes.record_failure(line, now, policy.sms_code_throttle)
                self._rt.audit(
                    uow,
                    actor,
                    "SMS_VERIFY",
                    "refused: wrong or expired code",
                    at=now,
                    detail=f"{purpose.value} failures={counter.failures}",
                )
                uow.commit()
                if counter.locked_until is not None:
                    raise SmsCodeLocked(counter.locked_until)
                raise SmsCodeRefused(max(0, policy.sms_code_throttle.free - counter.failures))
            proof = self._rt.secrets.token(policy.token_bytes)
            uow.codes.spend(
                line,
                stored.digest,
                attrs.evolve(
                    stored,
                    digest=code_digest(line, proof),
                    proven=True,
                    expires_at=now + policy.sms_code_validity,
                    failures=FailureCounter(),
                ),
            )
            self._rt.audit(uow, actor, "SMS_VERIFY", "done", at=now, detail=purpose.value)
            uow.commit()
        return proof

    def proven(
        self, uow: UnitOfWork, line: str, proof: str, purpose: SmsPurpose, now: datetime
    ) -> OneTimeCode | None:
        """The record if `proof` is `line`'s outstanding proof for `purpose` at `now`."""
        stored = uow.codes.get(line)
        if (
            stored is None
            or stored.digest is None
            or not stored.proven
            or stored.purpose is not purpose
            or not stored.usable(now)
            or not hmac.compare_digest(stored.digest, code_digest(line, str(proof)))
        ):
            return None
        return stored

    def require_proof(
        self, uow: UnitOfWork, line: str, proof: str, purpose: SmsPurpose, now: datetime
    ) -> None:
        """Check `proof` and stage its use (the caller commits); if it is not a valid proof,
        audit, commit and raise `SmsCodeRefused`.
        """
        stored = self.proven(uow, line, proof, purpose, now)
        if stored is None or stored.digest is None:
            self._rt.audit(uow, f"sms:{line}", purpose.name, "refused: no valid SMS proof", at=now)
            uow.commit()
            raise SmsCodeRefused(0)
        uow.codes.spend(line, stored.digest, attrs.evolve(stored, digest=None))
