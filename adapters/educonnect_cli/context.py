"""The composition root of the command line: opens the storage named by ``--db`` and wires an
`EduConnect` on the real adapters (SQLite/PostgreSQL, PDF, the ``.eml`` outbox or SMTP).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs

from educonnect_argon2 import Argon2Hasher
from educonnect_core import (
    Clock,
    Director,
    EduConnect,
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
from educonnect_sql.keys import default_key

__all__ = ["PARIS", "Settings", "database_url", "directors", "open_app", "password_hasher"]

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_DB = "educonnect.sqlite3"
DEFAULT_SENDER = Sender("ne-pas-repondre@educonnect.invalid")


def database_url(db: str) -> str:
    """A SQLAlchemy URL from ``--db``: a URL is kept, a path becomes a SQLite file URL."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def password_hasher() -> PasswordHasher:
    """Argon2id (the ``argon2`` extra comes with the command line's install)."""
    return Argon2Hasher()


@attrs.frozen
class Settings:
    """What every command shares: the database, the outbox folder, the directors file."""

    db: str = DEFAULT_DB
    outbox: Path = Path("outbox")
    directors_file: Path = Path("educonnect-directors.json")


def directors(path: Path) -> dict[str, Director]:
    """The directors file: ``[{"id": …, "name": …, "uais": […]}, …]`` (empty if absent)."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        entry["id"]: Director(
            entry["id"], {Uai.parse(u) for u in entry["uais"]}, entry.get("name", "")
        )
        for entry in data
    }


@contextmanager
def open_app(
    settings: Settings,
    *,
    mailer: Mailer | None = None,
    clock: Clock | None = None,
    secrets: SecretSource | None = None,
    hasher: PasswordHasher | None = None,
    deliver_after_commit: bool = False,
) -> Iterator[EduConnect]:
    """An `EduConnect` on the storage of `settings`, closed on exit. E-mails stay in the
    database's outbox until ``outbox send`` unless `deliver_after_commit`.
    """
    url = database_url(settings.db)
    storage = SqlStorage.open(url, migrate=True, key=default_key(url))
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
