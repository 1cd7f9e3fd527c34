"""Fakes of the small ports, for tests and simulations: a clock you move, seeded secrets, a
mailer and a renderer that record what they were given, and a fast (test-only) hasher.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import attrs

from educonnect_core.defaults import uniform_string
from educonnect_core.domain.letters import LetterContent
from educonnect_core.domain.records import AccountList, Document, OutboxMessage
from educonnect_core.errors import DeliveryFailed, EduconnectError
from educonnect_core.services.exports import export_filename, export_values
from educonnect_core.services.relay import send_each

__all__ = [
    "FakeClock",
    "FastHasher",
    "RecordingMailer",
    "RecordingRenderer",
    "RecordingSms",
    "SeededSecrets",
]

#: The default start of a fake clock: the rentrée 2025, 08:00 UTC.
RENTREE = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)


@attrs.define
class FakeClock:
    """A clock that stands still until moved."""

    current: datetime = RENTREE

    def now(self) -> datetime:
        """The clock's instant."""
        return self.current

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by `delta` (or `timedelta(**kwargs)`) and return the new instant."""
        self.current += delta if delta is not None else timedelta(**kwargs)
        return self.current

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (timezone-aware)."""
        if moment.tzinfo is None:
            raise ValueError("FakeClock needs timezone-aware datetimes")
        self.current = moment


class SeededSecrets:
    """Reproducible « secrets » from a seeded PRNG. For tests and simulations only: never use it
    to issue real credentials.
    """

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self.issued: list[str] = []

    def __repr__(self) -> str:
        return f"<SeededSecrets issued={len(self.issued)}>"

    def provisional_password(self, alphabet: str, length: int) -> str:
        """A reproducible password; remembered in `issued` so tests can look for leaks."""
        secret = uniform_string(self._random.randbytes, alphabet, length)
        self.issued.append(secret)
        return secret

    def token(self, nbytes: int) -> str:
        """A reproducible URL-safe token: `nbytes` bytes in hexadecimal, so it never starts with
        « - » (the `SecretSource` promise), whatever the seed.
        """
        token = self._random.randbytes(nbytes).hex()
        self.issued.append(token)
        return token


class FastHasher:
    """A salted SHA-256 « hash » that costs nothing: tests only, where scrypt would be slow.
    Never use it in production: it does not resist guessing.
    """

    def __init__(self) -> None:
        self._counter = 0

    def __repr__(self) -> str:
        return "<FastHasher (tests only)>"

    def hash(self, password: str) -> str:
        """A salted digest of `password`."""
        self._counter += 1
        salt = f"{self._counter:08x}"
        digest = hashlib.sha256((salt + password).encode("utf-8")).hexdigest()
        return f"fast${salt}${digest}"

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether `password` matches `password_hash`."""
        try:
            prefix, salt, digest = password_hash.split("$")
        except ValueError:
            return False
        expected = hashlib.sha256((salt + password).encode("utf-8")).hexdigest()
        return prefix == "fast" and hmac.compare_digest(expected, digest)


class RecordingMailer:
    """Keeps every message it is given; refuses (every time) the addresses in `refuse`."""

    def __init__(self, refuse: Sequence[str] = ()) -> None:
        self.sent: list[OutboxMessage] = []
        self.refuse = set(refuse)
        self.attempts = 0

    def __repr__(self) -> str:
        return f"<RecordingMailer sent={len(self.sent)}>"

    def send(self, message: OutboxMessage) -> None:
        """Record `message`, or raise `DeliveryFailed` for a refused address."""
        self.attempts += 1
        if message.to.value in self.refuse:
            raise DeliveryFailed(message.message_id, message.to.value, "recipient refused")
        self.sent.append(message)

    def send_many(self, messages: Sequence[OutboxMessage]) -> list[EduconnectError | None]:
        """`send` each message in order (`send_each`): a refused address fails that message
        only.
        """
        return send_each(self.send, messages)

    def to(self, address: str) -> list[OutboxMessage]:
        """The messages sent to `address`, oldest first."""
        return [m for m in self.sent if m.to.value == address]


class RecordingRenderer:
    """Renders documents as plain text (pages separated by form feeds) and keeps them."""

    def __init__(self) -> None:
        self.documents: list[Document] = []
        self.sheets: list[tuple[LetterContent, ...]] = []
        #: When each entry of `sheets` was printed (its `created_at`), for ordering across channels.
        self.printed_at: list[datetime] = []
        self.lists: list[AccountList] = []

    def __repr__(self) -> str:
        return f"<RecordingRenderer documents={len(self.documents)}>"

    def notification_sheets(
        self, letters: Sequence[LetterContent], created_at: datetime
    ) -> Document:
        """One text page per letter."""
        self.sheets.append(tuple(letters))
        self.printed_at.append(created_at)
        pages = ["\n".join((f"[{letter.kind.name}]", *letter.lines)) for letter in letters]
        return self._keep(
            Document(
                f"Educonnect-Courriers-{created_at:%Y%m%d%H%M%S}.txt",
                "text/plain",
                "\f".join(pages).encode("utf-8"),
            )
        )

    def account_list(self, listing: AccountList) -> Document:
        """The list as text, one line per row."""
        self.lists.append(listing)
        lines = [f"Ecole : {listing.school.uai} - {listing.school.name}"]
        lines += [";".join(export_values(listing.school.name, row)) for row in listing.rows]
        return self._keep(
            Document(
                export_filename(listing.created_at, "txt"),
                "text/plain",
                "\n".join(lines).encode("utf-8"),
            )
        )

    def _keep(self, document: Document) -> Document:
        self.documents.append(document)
        return document


@attrs.frozen
class Sms:
    """One SMS as a `RecordingSms` received it."""

    line: str
    text: str

    @property
    def code(self) -> str:
        """The one-time code the text carries (the first run of 6 digits)."""
        found = re.search(r"\b(\d{6})\b", self.text)
        if found is None:
            raise LookupError("no code in this SMS")
        return found.group(1)


@attrs.define
class RecordingSms:
    """An `SmsSender` that keeps every SMS, duplicates included, in order; with `fail` set, the
    next sends raise `DeliveryFailed` (and are not kept).
    """

    sent: list[Sms] = attrs.Factory(list)
    fail: bool = False

    def send(self, line: str, text: str) -> None:
        """Record one SMS (or refuse it, if `fail`)."""
        if self.fail:
            raise DeliveryFailed("sms", line, "passerelle SMS indisponible")
        self.sent.append(Sms(line, text))

    def last_code(self, line: str) -> str:
        """The code of the last SMS sent to `line` (E.164)."""
        for sms in reversed(self.sent):
            if sms.line == line:
                return sms.code
        raise LookupError(f"no SMS was sent to {line}")
