"""One-time codes sent by SMS (guide v1.9 det. §1.3.4): the proof that a guardian holds a mobile.

A code is 6 digits drawn from the CSPRNG (the `SecretSource`), kept only as a digest bound to the
line it was sent to, valid 10 minutes, good for one use. It is checked once: a right code becomes
a *proof* (a random token, also kept as a digest) that the next step of the same path spends.
Wrong codes are counted per line and survive a resend (3 free, then growing waits, like the birth
dates); a new code cannot be asked before the resend cooldown. Every number is in `Policy`.

Lines are compared in E.164 (`phonenumbers`, French numbers by default): ``06 12 34 56 78``,
``+33 6 12 34 56 78`` and ``0033612345678`` are one line.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from educonnect_core.domain.account import FailureCounter
from educonnect_core.domain.values import Mobile
from educonnect_core.errors import EduconnectError, InvalidField

__all__ = [
    "OneTimeCode",
    "SmsCodeLocked",
    "SmsCodeRefused",
    "SmsPurpose",
    "SmsResendTooSoon",
    "SmsUnavailable",
    "code_digest",
    "e164",
    "line_key",
    "same_line",
    "sms_text",
]

#: The region a number without an international prefix belongs to.
DEFAULT_REGION = "FR"


class SmsPurpose(enum.Enum):
    """What a code proves the mobile for: a proof is spent only by the path it was issued for."""

    SIGN_UP = "inscription"
    FRANCECONNECT = "franceconnect"
    MERGE = "regroupement"
    RECOVERY = "depannage"

    @property
    def label(self) -> str:
        """The path's French name."""
        return {
            SmsPurpose.SIGN_UP: "inscription par SMS",
            SmsPurpose.FRANCECONNECT: "première connexion FranceConnect",
            SmsPurpose.MERGE: "regroupement de comptes",
            SmsPurpose.RECOVERY: "identifiant ou mot de passe oublié",
        }[self]


def e164(raw: str | Mobile, *, record: str = "mobile") -> str:
    """The number in E.164 (``+33612345678``), national numbers read as French; raise
    `InvalidField` for a number that is not a possible phone number.
    """
    # On first use: `import educonnect_core` stays domain-only and light (issue 14, item 4).
    import phonenumbers  # noqa: PLC0415

    text = raw.value if isinstance(raw, Mobile) else str(raw)
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidField(record, "mobile", "numéro de téléphone mal formé") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidField(record, "mobile", "numéro de téléphone mal formé")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def same_line(a: str | Mobile, b: str | Mobile) -> bool:
    """Whether two numbers reach the same line (False if either is not a phone number)."""
    try:
        return e164(a) == e164(b)
    except InvalidField:
        return False


def line_key(mobile: Mobile) -> str:
    """The key under which storages index a directory mobile: its E.164 form, so that two
    numbers reaching the same line have the same key (``06…``, ``+336…``, ``00336…``). French
    forms take a fast path (no parsing: a bulk load keys a million numbers); a number that is not
    a possible phone number keys as it is.
    """
    value = mobile.value
    if value.startswith("+33") and len(value) == 12:
        return value
    if len(value) == 10 and value[0] == "0" and value[1] != "0":
        return "+33" + value[1:]
    if value.startswith("0033") and len(value) == 13:
        return "+" + value[2:]
    try:
        return e164(value)
    except InvalidField:
        return value


def code_digest(line: str, secret: str) -> str:
    """The digest under which a code (or a proof) for `line` is kept: bound to the line, so that
    a digest copied onto another line's record opens nothing.
    """
    import hashlib  # noqa: PLC0415 - on first use (issue 14, item 4)

    return hashlib.sha256(f"{line}\x00{secret}".encode()).hexdigest()


@attrs.frozen
class OneTimeCode:
    """The state of one line's codes: the outstanding code (or proof) and the wrong answers.

    `digest` is the code's until it is checked, then the proof's (`proven` True); both expire at
    `expires_at`. `failures` counts wrong codes since the last right one, across resends.
    """

    line: str
    purpose: SmsPurpose
    digest: str | None = attrs.field(repr=False)
    sent_at: datetime
    expires_at: datetime
    proven: bool = False
    failures: FailureCounter = FailureCounter()

    def usable(self, now: datetime) -> bool:
        """Whether the code or proof may still be spent at `now` (valid at the limit)."""
        return self.digest is not None and now <= self.expires_at


class SmsCodeRefused(EduconnectError):
    """A wrong, expired or already used SMS code (or proof); `attempts_left` before a wait."""

    def __init__(self, attempts_left: int) -> None:
        self.attempts_left = attempts_left
        super().__init__(f"SMS code refused ({attempts_left} attempts left before a wait)")
        self.french = "Le code saisi est incorrect ou n’est plus valide."


class SmsCodeLocked(EduconnectError):
    """Too many wrong SMS codes: the next attempt is possible at `retry_at` (UTC)."""

    def __init__(self, retry_at: datetime) -> None:
        self.retry_at = retry_at
        super().__init__(f"SMS code attempts locked until {retry_at.isoformat()}")
        self.french = "Trop de codes erronés : veuillez réessayer plus tard."


class SmsResendTooSoon(EduconnectError):
    """A new code was asked before the resend cooldown ended, at `retry_at` (UTC)."""

    def __init__(self, retry_at: datetime) -> None:
        self.retry_at = retry_at
        super().__init__(f"a new SMS code may be sent from {retry_at.isoformat()}")
        self.french = (
            "Un code vient d’être envoyé : veuillez patienter avant d’en demander un autre."
        )


class SmsUnavailable(EduconnectError):
    """No `SmsSender` was given to the application: the SMS paths cannot send codes."""

    french = "L’envoi de codes par SMS n’est pas disponible sur ce service."

    def __init__(self) -> None:
        super().__init__("no SmsSender was given (EduConnect(sms=...))")


def sms_text(code: str, validity_minutes: int) -> str:
    """The SMS carrying `code` (the only place the code is written out)."""
    return (
        f"EduConnect : votre code de vérification est {code}. Il est valable "
        f"{validity_minutes} minutes. Ne le communiquez à personne."
    )
