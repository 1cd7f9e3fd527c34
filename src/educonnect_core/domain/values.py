"""Validated value objects: UAI, INE, e-mail, mobile, login, level, and the text folding rules.

Each `parse` names the record and the field when it refuses a value, so that a feed or a form can
report exactly what is wrong (`InvalidField`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING, Final

import attrs

from educonnect_core.errors import InvalidField

if TYPE_CHECKING:
    from email_validator import ValidatedEmail

__all__ = [
    "LEVELS",
    "SMTPUTF8",
    "Email",
    "Ine",
    "Level",
    "Login",
    "Mobile",
    "Uai",
    "ascii_fold",
    "search_key",
]

UAI_KEYS: Final = "ABCDEFGHJKLMNPRSTUVWXYZ"
_UAI = re.compile(r"[0-9]{7}[A-Z]")
_INE = re.compile(r"[0-9A-Z]{10}[A-Z]")
_MOBILE = re.compile(r"\+?[0-9]{8,15}")
_MOBILE_SEPARATORS = re.compile(r"[\s.\-()]")
_LOGIN = re.compile(r"[a-z0-9][a-z0-9.\-]{0,62}[a-z0-9]")
_FOLD_EXTRA: Final = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o"}
)


@functools.lru_cache(maxsize=1 << 16)
def ascii_fold(text: str) -> str:
    """Return `text` without accents or ligatures (« Nguyễn Œdipe » → « Nguyen OEdipe »)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=1 << 16)
def search_key(text: str) -> str:
    """Fold `text` for case- and accent-insensitive search (SPEC §5.1)."""
    return " ".join(ascii_fold(text).casefold().split())


def uai_check_letter(digits: str) -> str:
    """The check letter of a UAI's seven digits (SPEC §1)."""
    return UAI_KEYS[int(digits) % 23]


@attrs.frozen(order=True)
class Uai:
    """A school's national id: seven digits and their check letter, e.g. ``0750654D``."""

    value: str

    @classmethod
    def parse(cls, raw: str, *, record: str = "école") -> Uai:
        """Validate `raw` (surrounding spaces ignored, case-insensitive) or raise `InvalidField`."""
        text = str(raw).strip().upper()
        if not _UAI.fullmatch(text):
            raise InvalidField(record, "uai", "7 chiffres suivis d’une lettre attendus")
        if uai_check_letter(text[:7]) != text[7]:
            raise InvalidField(record, "uai", f"lettre clé {text[7]} incorrecte")
        return cls(text)

    def __str__(self) -> str:
        return self.value


@attrs.frozen(order=True)
class Ine:
    """A pupil's national id (INE): eleven characters, ten digits or capitals then a capital."""

    value: str

    @classmethod
    def parse(cls, raw: str, *, record: str = "élève") -> Ine:
        """Validate `raw` or raise `InvalidField`. The check-key algorithm differs between INE
        families (RNIE, BEA, base élèves), so only the shape is checked.
        """
        text = str(raw).strip().upper()
        if not _INE.fullmatch(text):
            raise InvalidField(record, "ine", "11 caractères (chiffres ou lettres) attendus")
        return cls(text)

    def __str__(self) -> str:
        return self.value


#: Whether addresses whose local part is not ASCII (« élodie@orange.fr ») are accepted. Off by
#: default: sending to them needs SMTPUTF8 (RFC 6531) end to end, which the French mailbox
#: providers do not all offer, and a letter carrying credentials must reach its guardian. A host
#: whose relay and guardians' providers support it passes ``smtputf8=True`` to `Email.parse`.
#: Internationalised domains (« x@café.fr ») are accepted either way, stored in their ASCII form.
SMTPUTF8: Final = False
_RESERVED_TLD: Final = ".invalid"


#: An address whose local part is a plain dot-atom and whose domain is plain ASCII labels: the
#: split and the local part that email-validator checks are then trivial, only its domain check
#: (per domain, memoised) and the lengths remain (`_plain_address`).
_PLAIN_ADDRESS: Final = re.compile(
    r"([A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*)@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*)"
)


@functools.cache
def _case_insensitive() -> frozenset[str]:
    """The local parts RFC 2142 names (postmaster…), which email-validator lower-cases.

    email-validator is imported on the first address checked, not with the package: compiling
    its patterns is a third of `import educonnect_core` (issue 14, item 4).
    """
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES  # noqa: PLC0415 - on first use (issue 14, item 4)

    return frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


#: The limit (in UTF-8 bytes) email-validator puts on each form of the address (RFC 5321).
_ADDRESS_MAX: Final = 254


def _validate(text: str, smtputf8: bool) -> ValidatedEmail:
    """email-validator's check of `text`, with the options `Email.parse` documents."""
    from email_validator import validate_email  # noqa: PLC0415 - on first use (issue 14, item 4)

    return validate_email(
        text,
        allow_smtputf8=smtputf8,
        allow_empty_local=False,
        allow_quoted_local=False,
        allow_domain_literal=False,
        allow_display_name=False,
        strict=False,
        check_deliverability=False,
        test_environment=True,
        globally_deliverable=True,
    )


@functools.lru_cache(maxsize=1 << 12)
def _domain_forms(domain: str) -> tuple[str, str, int] | None:
    """The domain of ``a@<domain>`` as email-validator gives it back (its normalised and ASCII
    forms, and the longest of the two in UTF-8 bytes), or None when it refuses that address.
    Memoised: a feed's addresses share a few domains, and checking one costs 15 µs.
    """
    from email_validator import EmailNotValidError  # noqa: PLC0415 - on first use (issue 14, item 4)

    try:
        checked = _validate("a@" + domain, smtputf8=False)
    except EmailNotValidError:
        return None
    forms = (checked.domain, checked.ascii_domain)
    return (*forms, max(len(form.encode()) for form in forms))


def _plain_address(text: str, smtputf8: bool) -> str | None:
    """The normalised form of `text` when it is a plain address email-validator accepts, else
    None (then `_validated_address` decides, accepting or refusing).

    For ``local@domain`` with a local part of ASCII letters, digits and ``_+-`` in dot-separated
    runs and a domain of ASCII letters, digits and hyphens in dot-separated labels, email-validator
    (2.x) splits at the only ``@``, accepts the local part as it is (a dot-atom, no Unicode
    normalisation, no quoting), checks the domain alone (`_domain_forms`), lower-cases the local
    parts RFC 2142 names (postmaster…: left to it here) and checks the length of the address as
    given, normalised, and with its ASCII domain. This gives the same address; the equivalence is
    tested against email-validator itself on hostile shapes (tests/core/test_email_plain.py).
    """
    match = _PLAIN_ADDRESS.fullmatch(text)
    if match is None:
        return None
    local, domain = match.groups()
    if local.lower() in _case_insensitive() or (forms := _domain_forms(domain)) is None:
        return None
    normalised, ascii_domain, width = forms
    if "." not in ascii_domain or max(len(text), len(local) + 1 + width) > _ADDRESS_MAX:
        return None
    return f"{local}@{normalised if smtputf8 else ascii_domain}"


def _validated_address(record: str, field: str, text: str, smtputf8: bool) -> str:
    """email-validator's normalised form of `text`, or `InvalidField` naming record and field."""
    from email_validator import EmailNotValidError  # noqa: PLC0415 - on first use (issue 14, item 4)

    try:
        checked = _validate(text, smtputf8)
    except EmailNotValidError as error:
        raise InvalidField(record, field, "adresse mail mal formée") from error
    if "." not in checked.ascii_domain:
        raise InvalidField(record, field, "adresse mail mal formée")
    return checked.normalized if smtputf8 else (checked.ascii_email or checked.normalized)


@attrs.frozen(order=True)
class Email:
    """An e-mail address in its normalised form: the domain lower-cased (and in its ASCII,
    IDNA form unless SMTPUTF8 is on), the local part kept as given (NFC). Two spellings of one
    address that differ only in the domain's case compare equal, so that a feed re-sending the
    same address changes nothing.
    """

    value: str

    @classmethod
    def parse(
        cls,
        raw: str,
        *,
        record: str = "responsable",
        field: str = "email",
        smtputf8: bool = SMTPUTF8,
    ) -> Email:
        """Validate `raw` (surrounding spaces ignored) or raise `InvalidField`.

        The syntax is checked by `email-validator` (RFC 5321/5322 dot-atoms, at most 254
        characters, a dotted domain (the reserved ``.test`` and ``.invalid`` included), no
        display name « Nom <a@b.fr> », no quoted local part, no
        IP literal, no control character), without any DNS look-up. The stored form is exactly
        what the SMTP envelope will carry.
        """
        text = str(raw).strip()
        # RFC 2606 reserves « .test » and « .invalid » for examples and samples (the ministry's
        # AAF sample writes « @example.invalid »): email-validator refuses « .invalid » as a
        # special-use name, so it is checked as « .test », its twin, and given back unchanged.
        reserved = text.lower().endswith(_RESERVED_TLD)
        if reserved:
            text = text[: -len(_RESERVED_TLD)] + ".test"
        value = _plain_address(text, smtputf8) or _validated_address(record, field, text, smtputf8)
        if reserved:
            value = value.removesuffix(".test") + _RESERVED_TLD
        return cls(value)

    def __str__(self) -> str:
        return self.value


@attrs.frozen(order=True)
class Mobile:
    """A mobile number, digits only (a leading ``+`` kept); spaces, dots and dashes dropped."""

    value: str

    @classmethod
    def parse(cls, raw: str, *, record: str = "responsable") -> Mobile:
        """Validate `raw` or raise `InvalidField`."""
        text = _MOBILE_SEPARATORS.sub("", str(raw))
        if not _MOBILE.fullmatch(text):
            raise InvalidField(record, "mobile", "numéro de téléphone mal formé")
        return cls(text)

    def same_line(self, other: Mobile) -> bool:
        """Whether two numbers reach the same line (``+33 6…`` and ``06…`` do)."""

        def national(v: str) -> str:
            return "0" + v[3:] if v.startswith("+33") else v

        return national(self.value) == national(other.value)

    def __str__(self) -> str:
        return self.value


@attrs.frozen(order=True)
class Login:
    """An account's public login: lower-case ASCII letters, digits, dots and dashes."""

    value: str

    @classmethod
    def parse(cls, raw: str, *, record: str = "compte") -> Login:
        """Validate `raw` (case-insensitive) or raise `InvalidField`."""
        text = str(raw).strip().lower()
        if not _LOGIN.fullmatch(text):
            raise InvalidField(record, "login", "identifiant mal formé")
        return cls(text)

    def __str__(self) -> str:
        return self.value


LEVELS: Final[dict[str, str]] = {
    "TPS": "Toute petite section",
    "PS": "Petite section",
    "MS": "Moyenne section",
    "GS": "Grande section",
    "CP": "Cours préparatoire",
    "CE1": "Cours élémentaire 1ère année",
    "CE2": "Cours élémentaire 2ème année",
    "CM1": "Cours moyen 1ère année",
    "CM2": "Cours moyen 2ème année",
}
_LEVEL_ORDER: Final = {code: rank for rank, code in enumerate(LEVELS)}


@attrs.frozen
class Level:
    """A grade. The nine levels of SPEC §1 carry their full French names; any other code a feed
    sends (CLIS, ULIS, CP-CE1…) is kept as it is, written out by its code, never refused.
    """

    code: str

    @classmethod
    def parse(cls, raw: str, *, record: str = "élève") -> Level:
        """Normalise `raw` (spaces, case); only an empty code is refused."""
        text = " ".join(str(raw).split()).upper()
        if not text:
            raise InvalidField(record, "niveau", "niveau vide")
        return cls(text)

    @property
    def known(self) -> bool:
        """Whether the code is one of the nine levels of the French primary school."""
        return self.code in LEVELS

    @property
    def name(self) -> str:
        """The full French name used in exports (« Cours moyen 1ère année »), or the code."""
        return LEVELS.get(self.code, self.code)

    @property
    def rank(self) -> int:
        """Position in school order; unknown codes come after CM2."""
        return _LEVEL_ORDER.get(self.code, len(LEVELS))

    def __str__(self) -> str:
        return self.code
