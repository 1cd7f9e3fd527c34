"""Director authentication belongs to the host (ARENA, an SSO, OpenID Connect): the console asks an
`Authenticator`. `DirectorsFile` is the built-in one for the demo and the tests: the CLI's directors
JSON file, each entry with a ``password_hash`` (scrypt, as `educonnect_core.ScryptHasher` writes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from educonnect_core import Director, PasswordHasher, ScryptHasher, Uai

__all__ = ["Authenticator", "DirectorsFile", "directors_entry"]


class Authenticator(Protocol):
    """Who a director is.

    An implementation must:

    - return the `Director` (id, the UAIs in their charge, name) when `username`/`password` are
      right, None otherwise — the same None for an unknown user and a wrong password, in about the
      same time;
    - never log or keep the password;
    - read the UAIs in charge from the host's source of truth at each login (the console keeps
      them for the session only).

    Hosts whose directors log in elsewhere (OpenID Connect) implement `director(username)` only
    and call `educonnect_web.login_director` after their own callback; see docs/web.md.
    """

    def authenticate(self, username: str, password: str) -> Director | None:
        """The director if the credentials are right, else None."""
        ...

    def director(self, director_id: str) -> Director | None:
        """The director known under `director_id` (after an external login), else None."""
        ...


def directors_entry(
    director: Director, password: str, hasher: PasswordHasher | None = None
) -> dict[str, object]:
    """One entry of a directors file, with the scrypt hash of `password`."""
    return {
        "id": director.director_id,
        "name": director.name,
        "uais": sorted(u.value for u in director.uais),
        "password_hash": (hasher or ScryptHasher()).hash(password),
    }


class DirectorsFile:
    """Directors read from the CLI's JSON file: ``[{"id", "name", "uais", "password_hash"}]``.
    An entry without ``password_hash`` cannot log in to the web console.
    """

    def __init__(self, path: Path, hasher: PasswordHasher | None = None) -> None:
        self.path = path
        self._hasher = hasher or ScryptHasher()
        self._dummy = self._hasher.hash("educonnect-web-timing-equaliser")

    def __repr__(self) -> str:
        return f"<DirectorsFile {self.path}>"

    def _entries(self) -> Mapping[str, Mapping[str, object]]:
        if not self.path.is_file():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return {str(entry["id"]): entry for entry in data}

    @staticmethod
    def _director(entry: Mapping[str, object]) -> Director:
        uais = entry.get("uais", [])
        assert isinstance(uais, list)  # noqa: S101 - the file's shape, checked for mypy
        return Director(
            str(entry["id"]), {Uai.parse(str(u)) for u in uais}, str(entry.get("name", ""))
        )

    def authenticate(self, username: str, password: str) -> Director | None:
        """The director if `password` matches the entry's ``password_hash``."""
        entry = self._entries().get(username)
        stored = None if entry is None else entry.get("password_hash")
        if not isinstance(stored, str):
            self._hasher.verify(self._dummy, password)
            return None
        if not self._hasher.verify(stored, password):
            return None
        assert entry is not None  # noqa: S101 - stored came from it
        return self._director(entry)

    def director(self, director_id: str) -> Director | None:
        """The director of the file with this id."""
        entry = self._entries().get(director_id)
        return None if entry is None else self._director(entry)
