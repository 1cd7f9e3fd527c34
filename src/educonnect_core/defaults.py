"""Production implementations of the small ports that need no third-party library: the system
clock, the OS CSPRNG, and scrypt password hashing (`hashlib.scrypt`, RFC 7914).

Argon2id is available through the `educonnect_argon2` adapter (extra ``argon2``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

import attrs

__all__ = ["ScryptHasher", "SystemClock", "SystemSecrets", "uniform_string", "url_token"]

#: The first symbol of a token: URL-safe, and never « - » nor « _ » (a token typed on a command
#: line must not read as an option).
TOKEN_HEAD: Final = string.ascii_letters + string.digits


def uniform_string(random_bytes: Callable[[int], bytes], alphabet: str, length: int) -> str:
    """`length` symbols of `alphabet` from a source of random bytes, uniformly: a byte is kept
    only below the largest multiple of the alphabet's size (rejection sampling), so no symbol is
    likelier than another. One call to the source covers a whole password in the usual case.
    """
    size = len(alphabet)
    if not 1 <= size <= 256:
        raise ValueError("an alphabet has 1 to 256 symbols")
    limit = 256 - 256 % size
    out: list[str] = []
    while len(out) < length:
        out.extend(alphabet[b % size] for b in random_bytes(2 * (length - len(out))) if b < limit)
    return "".join(out[:length])


def url_token(random_bytes: Callable[[int], bytes], nbytes: int) -> str:
    """A URL-safe token of `nbytes` random bytes (base64url, unpadded) behind one letter or
    digit drawn uniformly: it never starts with « - », whatever the bytes (issue 9.3), and
    carries a little more randomness than `nbytes` bytes.
    """
    head = uniform_string(random_bytes, TOKEN_HEAD, 1)
    body = base64.urlsafe_b64encode(random_bytes(nbytes)).decode("ascii").rstrip("=")
    return head + body


class SystemClock:
    """The real time, in UTC."""

    def __repr__(self) -> str:
        return "<SystemClock>"

    def now(self) -> datetime:
        """The current instant (UTC, timezone-aware)."""
        return datetime.now(UTC)


class SystemSecrets:
    """Secrets from the operating system's CSPRNG (`secrets`)."""

    def __repr__(self) -> str:
        return "<SystemSecrets>"

    def provisional_password(self, alphabet: str, length: int) -> str:
        """`length` symbols drawn uniformly from `alphabet` (bytes of the CSPRNG, the few that
        would bias the draw rejected).
        """
        return uniform_string(secrets.token_bytes, alphabet, length)

    def token(self, nbytes: int) -> str:
        """A URL-safe token of `nbytes` random bytes, never starting with « - » (`url_token`)."""
        return url_token(secrets.token_bytes, nbytes)


_PREFIX: Final = "scrypt"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


@attrs.frozen
class ScryptHasher:
    """scrypt with OWASP's recommended cost (N=2^17, r=8, p=1, 128 MiB) by default.

    Hashes read ``scrypt$<log2 N>$<r>$<p>$<salt>$<key>`` (base64), so parameters can be raised
    later while old hashes still verify. Tests may lower `log2_n` to run fast.
    """

    log2_n: int = 17
    r: int = 8
    p: int = 1
    key_length: int = 32

    def _derive(self, password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
        n = 2**log2_n
        return hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=n,
            r=r,
            p=p,
            maxmem=128 * r * (n + p + 2) + 1024 * 1024,
            dklen=self.key_length,
        )

    def hash(self, password: str) -> str:
        """A salted scrypt hash of `password`."""
        salt = secrets.token_bytes(16)
        key = self._derive(password, salt, self.log2_n, self.r, self.p)
        return f"{_PREFIX}${self.log2_n}${self.r}${self.p}${_b64(salt)}${_b64(key)}"

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether `password` matches; False for a malformed hash."""
        try:
            prefix, log2_n, r, p, salt, key = password_hash.split("$")
            if prefix != _PREFIX or not 1 <= int(log2_n) <= 22:
                return False
            expected = _unb64(key)
            actual = self._derive(password, _unb64(salt), int(log2_n), int(r), int(p))
        except (ValueError, TypeError):
            return False
        return hmac.compare_digest(expected, actual)
