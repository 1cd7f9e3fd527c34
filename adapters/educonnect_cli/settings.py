"""What every command shares, from the group's options: the database, the outbox folder, the
directors file and the director acted as. Light on purpose (imported by ``--help``).
"""

from __future__ import annotations

from pathlib import Path

import attrs
import typer

__all__ = ["DEFAULT_DB", "Settings", "settings_of"]

DEFAULT_DB = "educonnect.sqlite3"


@attrs.frozen
class Settings:
    """The database (`db`: a SQLite path or a URL), the ``.eml`` outbox folder, the directors
    file, and the director the command acts as (None: the operator, for the school named).
    """

    db: str = DEFAULT_DB
    outbox: Path = Path("outbox")
    directors_file: Path = Path("educonnect-directors.json")
    director: str | None = None


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the group's callback stored in `ctx`."""
    found = ctx.find_root().obj
    return found if isinstance(found, Settings) else Settings()
