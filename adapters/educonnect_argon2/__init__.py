"""Argon2id hashing of chosen passwords (argon2-cffi), for the `PasswordHasher` port.

Install with the ``argon2`` extra. Parameters are argon2-cffi's RFC 9106 « low memory » profile
(t=3, m=64 MiB, p=4), which OWASP's password-storage guidance accepts.
"""

from __future__ import annotations

try:  # The « argon2 » extra's libraries: say which extra to install, not just what is missing.
    import argon2 as _argon2  # noqa: F401
except ModuleNotFoundError as _missing:
    raise ModuleNotFoundError(
        f"educonnect_argon2 needs {_missing.name}, which the « argon2 » extra installs: "
        'pip install "educonnect-core[argon2]"',
        name=_missing.name,
    ) from _missing

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["Argon2Hasher"]


class Argon2Hasher:
    """Argon2id through argon2-cffi; hashes are PHC strings (``$argon2id$v=19$m=…``)."""

    def __init__(self, hasher: _Argon2 | None = None) -> None:
        self._hasher = hasher or _Argon2()

    def __repr__(self) -> str:
        return f"<Argon2Hasher t={self._hasher.time_cost} m={self._hasher.memory_cost}>"

    def hash(self, password: str) -> str:
        """A salted argon2id hash of `password`."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether `password` matches; False for a mismatch or a malformed hash."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
