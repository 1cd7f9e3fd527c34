"""The key that encrypts the secrets at rest, and the files that hold secrets.

A key is 32 random bytes (AES-256), written in base64: in the ``EDUCONNECT_KEY`` environment
variable, or in a key file readable by its owner only (0600). `ensure_key_file` gives the key
file beside a SQLite database (``<database>.key``), creating it the first time; the host decides
where the key lives for PostgreSQL. Losing the key loses the provisional passwords and the
letters waiting in the outbox (a reset makes new ones); keep a copy apart from the database's
backups.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Self

import attrs
from sqlalchemy.engine import make_url

from educonnect_sql.errors import KeyUnreadable

__all__ = [
    "KEY_VARIABLE",
    "Key",
    "create_private_file",
    "default_key",
    "ensure_key_file",
    "existing_key",
    "key_path",
    "sqlite_file",
    "write_key_file",
]

#: The environment variable a key is read from when none is given.
KEY_VARIABLE: Final = "EDUCONNECT_KEY"
_SIZE: Final = 32


def _material(value: bytes) -> bytes:
    if len(value) != _SIZE:
        raise ValueError(f"a key is {_SIZE} bytes, not {len(value)}")
    return value


@attrs.frozen(repr=False)
class Key:
    """An AES-256 key (never shown by `repr`)."""

    material: bytes = attrs.field(converter=_material)

    def __repr__(self) -> str:
        return f"<Key {self.fingerprint}>"

    @property
    def fingerprint(self) -> str:
        """A short public name for the key (16 hex digits of a hash), to tell keys apart."""
        return hashlib.sha256(b"educonnect key id\n" + self.material).hexdigest()[:16]

    @classmethod
    def generate(cls) -> Self:
        """A new random key (OS CSPRNG)."""
        return cls(secrets.token_bytes(_SIZE))

    @classmethod
    def from_text(cls, text: str, *, source: str = "fournie") -> Self:
        """The key written by `text` (base64 of 32 bytes; surrounding blanks ignored)."""
        try:
            return cls(base64.b64decode(text.strip(), validate=True))
        except (binascii.Error, ValueError) as error:
            raise KeyUnreadable(source, str(error)) from error

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Self:
        """The key in the file at `path` (`KeyUnreadable` if it cannot be read or parsed)."""
        try:
            text = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise KeyUnreadable(str(path), str(error)) from error
        return cls.from_text(text, source=str(path))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Self | None:
        """The key in ``EDUCONNECT_KEY``, or None when the variable is unset or empty."""
        text = (os.environ if environ is None else environ).get(KEY_VARIABLE, "")
        return cls.from_text(text, source=KEY_VARIABLE) if text.strip() else None

    def text(self) -> str:
        """The key in base64 (what a key file or ``EDUCONNECT_KEY`` holds)."""
        return base64.b64encode(self.material).decode("ascii")


def create_private_file(path: str | os.PathLike[str]) -> bool:
    """Create `path` empty with mode 0600 unless it exists; whether it was created. SQLite then
    creates the database's ``-wal`` and ``-shm`` files with the same mode.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def key_path(database: str | os.PathLike[str]) -> Path:
    """Where the key file of a SQLite database is: beside it, ``<database>.key``."""
    path = Path(database)
    return path.with_name(path.name + ".key")


def write_key_file(path: str | os.PathLike[str], key: Key, *, replace: bool = False) -> None:
    """Write `key` to `path` (mode 0600, flushed to disk) atomically: a temporary file in the
    same folder, then a link (never replacing an existing file) or, with `replace`, a rename.
    """
    target = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".key-", suffix=".part")
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key.text() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, target)
        else:
            os.link(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def ensure_key_file(database: str | os.PathLike[str]) -> Key:
    """The key of the SQLite database at `database`: ``EDUCONNECT_KEY`` when set, else the key
    file beside it (`key_path`), created with a new key (0600) when there is none.
    """
    found = Key.from_environment()
    if found is not None:
        return found
    path = key_path(database)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first: read it
            write_key_file(path, Key.generate())
    return Key.from_file(path)


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def default_key(url: str) -> Key | None:
    """The key a command line uses for the database at `url`: ``EDUCONNECT_KEY`` when set; for
    a SQLite file, its key file (`ensure_key_file`, created when missing); otherwise None.
    """
    path = sqlite_file(url)
    if path is None:
        return Key.from_environment()
    return ensure_key_file(path)


def existing_key(url: str) -> Key | None:
    """Like `default_key`, but never creates a key file (for commands that only read)."""
    found = Key.from_environment()
    if found is not None:
        return found
    path = sqlite_file(url)
    if path is None or not key_path(path).exists():
        return None
    return Key.from_file(key_path(path))
