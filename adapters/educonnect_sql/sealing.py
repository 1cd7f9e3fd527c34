"""Secrets at rest: provisional passwords and outbox letters encrypted with AES-256-GCM.

A sealed value is ``ec1:`` and the base64 of a fresh 12-byte nonce followed by the ciphertext
and its tag. The associated data names the table, the column and the row (account id, message
id): a ciphertext copied onto another row, or another column, does not decrypt
(`SecretUnreadable`). ``educonnect_meta.key_check`` holds a known text sealed with the key in use:
opening with another key fails on it (`WrongKey`) before anything is written, and a database
whose check is set cannot be opened without a key (`KeyMissing`).

The first opening of a database with a key seals what it holds in one transaction; `rotate`
re-encrypts every secret under a new key in one transaction too.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, bindparam, select, update

from educonnect_sql.errors import KeyMissing, SecretUnreadable, WrongKey
from educonnect_sql.keys import Key
from educonnect_sql.schema import ACCOUNTS, META, OUTBOX

__all__ = [
    "PREFIX",
    "Sealer",
    "check_key",
    "reseal",
]

#: What every sealed value starts with (the format's version).
PREFIX: Final = "ec1:"
_CHECK: Final = "educonnect key check"
_NONCE: Final = 12


def _as_is(_row: str, text: str) -> str:
    return text


class Sealer:
    """Seals and opens the secrets of one database with its key (or, without a key, leaves them
    as they are: a database never opened with a key).
    """

    def __init__(self, key: Key | None, where: str) -> None:
        self.key = key
        self.where = where
        self._aead = None if key is None else AESGCM(key.material)

    def __repr__(self) -> str:
        return f"<Sealer {self.key!r} {self.where}>"

    @property
    def sealing(self) -> bool:
        """Whether secrets are encrypted."""
        return self._aead is not None

    @staticmethod
    def _data(table: str, column: str, row: str) -> bytes:
        return f"{table}\x00{column}\x00{row}".encode()

    def seal(self, text: str, table: str, column: str, row: str) -> str:
        """`text` encrypted for (`table`, `column`, `row`) — or `text` itself without a key."""
        if self._aead is None:
            return text
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), self._data(table, column, row))
        return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str, table: str, column: str, row: str) -> str:
        """The text `seal` gave `stored` for this row (`SecretUnreadable` if it was altered,
        moved from another row, or is not sealed in a database that is).
        """
        if self._aead is None:
            return stored
        if not stored.startswith(PREFIX):
            raise SecretUnreadable(self.where, table, column, row)
        try:
            raw = base64.b64decode(stored[len(PREFIX) :], validate=True)
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], self._data(table, column, row))
        except (binascii.Error, ValueError, InvalidTag) as error:
            raise SecretUnreadable(self.where, table, column, row) from error
        return plain.decode("utf-8")

    def account_secret(self) -> Callable[[str, str], str]:
        """(account id, provisional password) → what the column stores."""
        if self._aead is None:
            return _as_is
        return lambda account_id, secret: self.seal(
            secret, "accounts", "provisional_secret", account_id
        )

    def account_opener(self) -> Callable[[str, str], str]:
        """(account id, stored column) → the provisional password."""
        if self._aead is None:
            return _as_is
        return lambda account_id, stored: self.open(
            stored, "accounts", "provisional_secret", account_id
        )

    def check_value(self) -> str:
        """The sealed known text stored in ``educonnect_meta.key_check``."""
        return self.seal(_CHECK, "educonnect_meta", "key_check", "1")


def check_key(connection: Connection, sealer: Sealer, *, lock: bool = False) -> bool:
    """Whether the database is sealed, after checking that `sealer` can open it: `KeyMissing`
    (sealed, no key) or `WrongKey` (another key). Reads only; with `lock`, the row of the check
    stays locked until the transaction ends (PostgreSQL), so that two processes do not both
    seal the same secrets.
    """
    query = select(META.c.key_check).where(META.c.id == 1)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    check = connection.execute(query).scalar()
    if check is None:
        return False
    if not sealer.sealing:
        raise KeyMissing(sealer.where)
    try:
        found = sealer.open(check, "educonnect_meta", "key_check", "1")
    except SecretUnreadable as error:
        raise WrongKey(sealer.where) from error
    if found != _CHECK:  # pragma: no cover - AES-GCM would have refused first
        raise WrongKey(sealer.where)
    return True


def reseal(connection: Connection, old: Sealer, new: Sealer) -> int:
    """Re-encrypt every provisional password and waiting letter from `old` (a sealer without a
    key: the values in clear) to `new`, and set the key check; in the caller's transaction.
    Returns how many values were re-encrypted.
    """
    count = 0
    rows = connection.execute(
        select(ACCOUNTS.c.account_id, ACCOUNTS.c.provisional_secret).where(
            ACCOUNTS.c.provisional_secret.is_not(None)
        )
    ).all()
    opened, sealed = old.account_opener(), new.account_secret()
    values = [
        {"b_id": account_id, "b_secret": sealed(account_id, opened(account_id, stored))}
        for account_id, stored in rows
    ]
    if values:
        connection.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.account_id == bindparam("b_id"))
            .values(provisional_secret=bindparam("b_secret")),
            values,
        )
    count += len(values)
    letters = connection.execute(
        select(OUTBOX.c.message_id, OUTBOX.c.letter).where(OUTBOX.c.letter.is_not(None))
    ).all()
    values = [
        {
            "b_id": message_id,
            "b_letter": new.seal(
                old.open(stored, "outbox", "letter", message_id), "outbox", "letter", message_id
            ),
        }
        for message_id, stored in letters
    ]
    if values:
        connection.execute(
            update(OUTBOX)
            .where(OUTBOX.c.message_id == bindparam("b_id"))
            .values(letter=bindparam("b_letter")),
            values,
        )
    count += len(values)
    check = new.check_value() if new.sealing else None
    connection.execute(update(META).where(META.c.id == 1).values(key_check=check))
    return count
