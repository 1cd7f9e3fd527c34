"""The composition root of the command line: opens the storage named by ``--db`` and wires an
`EduConnect` on the real adapters (SQLite/PostgreSQL, PDF, the ``.eml`` outbox or SMTP).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from educonnect_argon2 import Argon2Hasher
from educonnect_cli.settings import Settings
from educonnect_core import (
    Clock,
    Director,
    EduConnect,
    EduconnectError,
    Mailer,
    PasswordHasher,
    SecretSource,
    SystemClock,
    SystemSecrets,
    Uai,
)
from educonnect_mail import FileOutbox, Sender
from educonnect_pdf import PdfRenderer
from educonnect_sql import SqlStorage
from educonnect_sql.keys import default_key, existing_key

__all__ = [
    "PARIS",
    "BadDirectorsFile",
    "MissingDatabase",
    "Settings",
    "UnknownDirector",
    "acting_director",
    "database_url",
    "directors",
    "open_app",
    "password_hasher",
]

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_SENDER = Sender("ne-pas-repondre@educonnect.invalid")


def database_url(db: str, *, read_only: bool = False) -> str:
    """A SQLAlchemy URL from ``--db``: a URL is kept, a path becomes a SQLite file URL (opened
    read-only, through SQLite's ``mode=ro``, when `read_only`).
    """
    if "://" in db:
        return db
    path = Path(db).expanduser().resolve()
    if read_only:
        return f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true"
    return f"sqlite:///{path}"


class MissingDatabase(EduconnectError, LookupError):
    """A command that only reads was given a database file that does not exist: none is created."""

    def __init__(self, db: str) -> None:
        self.db = db
        super().__init__(f"no database at {db}")

    @property
    def french(self) -> str:  # type: ignore[override]
        """The sentence shown to a person."""
        return (
            f"La base {self.db} n'existe pas : indiquez-la avec --db, ou intégrez d'abord un "
            "flux annuaire (educonnect integrate)."
        )


def password_hasher() -> PasswordHasher:
    """Argon2id (the ``argon2`` extra comes with the command line's install)."""
    return Argon2Hasher()


class BadDirectorsFile(EduconnectError, ValueError):
    """The directors file is not the JSON list the command line expects."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")

    @property
    def french(self) -> str:  # type: ignore[override]
        """The sentence shown to a person."""
        return (
            f"Le fichier des directeurs {self.path} est illisible : une liste JSON "
            '[{"id": …, "name": …, "uais": […]}] est attendue.'
        )


def directors(path: Path) -> dict[str, Director]:
    """The directors file: ``[{"id": …, "name": …, "uais": […]}, …]`` (empty if absent)."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            entry["id"]: Director(
                entry["id"], {Uai.parse(u) for u in entry["uais"]}, entry.get("name", "")
            )
            for entry in data
        }
    except (ValueError, KeyError, TypeError) as error:
        if isinstance(error, EduconnectError):
            raise
        raise BadDirectorsFile(path, str(error)) from error


@contextmanager
def open_app(
    settings: Settings,
    *,
    mailer: Mailer | None = None,
    clock: Clock | None = None,
    secrets: SecretSource | None = None,
    hasher: PasswordHasher | None = None,
    deliver_after_commit: bool = False,
    read_only: bool = False,
    create: bool = False,
) -> Iterator[EduConnect]:
    """An `EduConnect` on the storage of `settings`, closed on exit. E-mails stay in the
    database's outbox until ``outbox send`` unless `deliver_after_commit`.

    A SQLite file must exist (`MissingDatabase`) unless `create` (``integrate``); with
    `read_only` (commands that only show things) it is opened read-only: nothing is created,
    migrated or written.
    """
    if not create and "://" not in settings.db and not Path(settings.db).expanduser().is_file():
        raise MissingDatabase(settings.db)
    plain = database_url(settings.db)
    key = existing_key(plain) if read_only else default_key(plain)
    storage = SqlStorage.open(
        database_url(settings.db, read_only=read_only), migrate=not read_only, key=key
    )
    try:
        yield EduConnect(
            storage=storage,
            mailer=mailer or FileOutbox(settings.outbox, DEFAULT_SENDER),
            renderer=PdfRenderer(),
            clock=clock or SystemClock(),
            secrets=secrets or SystemSecrets(),
            hasher=hasher or password_hasher(),
            timezone=PARIS,
            deliver_after_commit=deliver_after_commit,
        )
    finally:
        storage.close()


class UnknownDirector(EduconnectError, LookupError):
    """``--director`` names no one of the directors file."""

    def __init__(self, name: str, path: Path, known: list[str]) -> None:
        self.name, self.path, self.known = name, path, known
        super().__init__(f"director {name!r} not in {path}")

    @property
    def french(self) -> str:  # type: ignore[override]
        """The sentence shown to a person."""
        known = ", ".join(self.known) or "aucun"
        return (
            f"Le directeur « {self.name} » n'est pas dans le fichier {self.path}. "
            f"Directeurs connus : {known}."
        )


def acting_director(settings: Settings, uai: str | None = None) -> Director:
    """The director a command acts as: the one named by ``--director``, else the operator of
    the command line acting as director of the school named.
    """
    if settings.director is not None:
        known = directors(settings.directors_file)
        if settings.director not in known:
            raise UnknownDirector(settings.director, settings.directors_file, sorted(known))
        return known[settings.director]
    return Director("ligne-de-commande", {Uai.parse(uai)} if uai else set())
