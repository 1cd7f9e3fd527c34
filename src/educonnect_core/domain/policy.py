"""The rules EduConnect applies, as one replaceable value: `Policy()` is the service's own,
`Policy.hardened()` follows OWASP ASVS 5.0 (chapter V6, authentication).
"""

from __future__ import annotations

import calendar
import enum
import functools
import re
from datetime import date, datetime, timedelta
from typing import Final

import attrs

from educonnect_core.domain.values import ascii_fold
from educonnect_core.errors import InvalidField

__all__ = ["LoginScheme", "PasswordRule", "Policy", "Throttle", "add_months"]

#: A–Z and 2–9 without the look-alikes I and O (0 and 1 are not in 2–9 anyway).
PROVISIONAL_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#: The hardened preset adds lower case letters, still without look-alikes (l, o).
HARDENED_ALPHABET: Final = PROVISIONAL_ALPHABET + "abcdefghijkmnpqrstuvwxyz"


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus calendar months, the day clamped to the month's end (31 Aug + 3 → 30 Nov)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@attrs.frozen
class PasswordRule:
    """What a password chosen by a guardian must look like."""

    min_length: int = 8
    max_length: int = 14
    require_letter: bool = True
    require_digit: bool = True
    letters_and_digits_only: bool = True
    description: str = "8 caractères minimum, 14 maximum, chiffres et lettres obligatoires"

    def check(self, password: str, *, record: str, login: str | None = None) -> None:
        """Raise `InvalidField` (never quoting the password) unless `password` meets the rule."""
        field = "mot de passe"
        if not self.min_length <= len(password) <= self.max_length:
            raise InvalidField(record, field, self.description)
        if self.letters_and_digits_only and not re.fullmatch(r"[A-Za-z0-9]+", password):
            raise InvalidField(record, field, self.description)
        if self.require_letter and not re.search(r"[A-Za-z]", password):
            raise InvalidField(record, field, self.description)
        if self.require_digit and not re.search(r"[0-9]", password):
            raise InvalidField(record, field, self.description)
        if login is not None and password.casefold() == login.casefold():
            raise InvalidField(record, field, "le mot de passe ne peut pas être l’identifiant")


@attrs.frozen
class Throttle:
    """Growing waits after repeated failures: `free` failures cost nothing, then each further one
    locks for `first_wait`, doubled every time, at most `max_wait`.
    """

    free: int = 3
    first_wait: timedelta = timedelta(minutes=1)
    max_wait: timedelta = timedelta(hours=1)

    def lock_after(self, failures: int) -> timedelta | None:
        """The lock imposed once `failures` consecutive failures have happened, if any."""
        if failures < self.free:
            return None
        wait: timedelta = self.first_wait * (2 ** min(failures - self.free, 30))
        return min(wait, self.max_wait)


_NOT_LOGIN = re.compile(r"[^a-z0-9\-]")
_DASHES = re.compile(r"-{2,}")


@functools.lru_cache(maxsize=1 << 16)
def _login_part(text: str) -> str:
    """A name as it appears in a login: folded, lower case, spaces as dashes, nothing else."""
    kept = _NOT_LOGIN.sub("", ascii_fold(text).lower().replace(" ", "-"))
    return _DASHES.sub("-", kept).strip("-")


class LoginScheme(enum.Enum):
    """How a login is built from a guardian's names (homonyms get 2, 3, … appended)."""

    #: ``j.dupont``: first-name initial and surname (the default the project settled on).
    INITIAL_SURNAME = "initial.surname"
    #: ``jean.dupont``: whole first name and surname, as in the guide's sample letters.
    FIRST_NAME_SURNAME = "first_name.surname"

    def base(self, first_name: str, surname: str) -> str:
        """The login before any homonym number, ASCII-folded, lower case, without spaces or
        apostrophes (« Éloïse N'Diaye-Lô » → ``e.ndiaye-lo``).
        """
        first = _login_part(first_name) or "x"
        last = _login_part(surname) or "x"
        head = first[0] if self is LoginScheme.INITIAL_SURNAME else first
        # Cut to leave room for a homonym number; a login never ends with « - » or « . ».
        return f"{head}.{last}"[:56].rstrip("-.")


def next_free_login(base: str, taken: set[str], hints: dict[str, int] | None = None) -> str:
    """`base` if free, else `base` followed by the smallest free number from 2.

    `hints` remembers, per base, the number to try first; pass the same dict for a batch in which
    `taken` only grows, so that thousands of homonyms (« j.martin ») cost linear, not quadratic,
    time. Every smaller number was taken when it was passed, so the result stays the smallest.
    """
    if base not in taken:
        return base
    number = 2 if hints is None else hints.get(base, 2)
    while f"{base}{number}" in taken:
        number += 1
    if hints is not None:
        hints[base] = number + 1
    return f"{base}{number}"


@attrs.frozen
class Policy:
    """Every rule with a number in it, EduConnect's values by default."""

    provisional_alphabet: str = PROVISIONAL_ALPHABET
    provisional_length: int = 8
    #: A provisional password is valid this many months from the notification that carried it.
    provisional_validity_months: int = 3
    password_rule: PasswordRule = PasswordRule()
    login_scheme: LoginScheme = LoginScheme.INITIAL_SURNAME
    #: The activation (C07) link's lifetime.
    activation_link_validity: timedelta = timedelta(days=3)
    login_throttle: Throttle = Throttle(free=5, first_wait=timedelta(minutes=1))
    #: After this many consecutive login failures the account is blocked until a director resets
    #: its password (NIST SP 800-63B §5.2.2: « no more than 100 consecutive failed attempts »).
    #: None: no hard cap.
    login_block_after: int | None = 100
    #: The birth-date check allows 3 wrong answers, then growing waits.
    birth_date_throttle: Throttle = Throttle(free=3, first_wait=timedelta(minutes=15))
    #: Bytes of randomness in an activation link's token.
    token_bytes: int = 32
    #: Digits of an SMS one-time code (guide v1.9 det. §1.3.4).
    sms_code_length: int = 6
    #: How long an SMS code (and the proof a right code gives) may be used.
    sms_code_validity: timedelta = timedelta(minutes=10)
    #: Wrong SMS codes: 3 allowed, then growing waits (counted per line, across resends).
    sms_code_throttle: Throttle = Throttle(free=3, first_wait=timedelta(minutes=5))
    #: The wait between two codes sent to the same line.
    sms_resend_cooldown: timedelta = timedelta(minutes=1)

    @classmethod
    def hardened(cls) -> Policy:
        """ASVS 5.0-minded preset: 16-character provisional secrets from a 56-symbol alphabet
        (≈ 93 bits), passphrases of 15 to 128 characters of any kind with no composition rule
        (V6.2.1, V6.2.5, V6.2.9), 24-hour activation links, a stricter login throttle.
        """
        return cls(
            provisional_alphabet=HARDENED_ALPHABET,
            provisional_length=16,
            password_rule=PasswordRule(
                min_length=15,
                max_length=128,
                require_letter=False,
                require_digit=False,
                letters_and_digits_only=False,
                description="15 caractères minimum, 128 maximum, tous caractères acceptés",
            ),
            activation_link_validity=timedelta(hours=24),
            login_throttle=Throttle(free=3, first_wait=timedelta(minutes=5)),
        )

    def provisional_expiry(self, carried_at: datetime) -> datetime:
        """The last instant a provisional password carried at `carried_at` still works."""
        return add_months(carried_at, self.provisional_validity_months)

    def provisional_deadline(self, carried_at: datetime) -> date:
        """The day the 3 months end, as the reminders show it."""
        return self.provisional_expiry(carried_at).date()
