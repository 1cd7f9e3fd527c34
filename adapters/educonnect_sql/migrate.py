"""The schema's revisions: where the database stands, and bringing it to the library's head.

Alembic is driven programmatically on a connection of the adapter's engine; the migrations live
in the package (`educonnect_sql/migrations`), so an installed wheel can migrate a database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, Text, inspect
from sqlalchemy.types import TypeEngine

from educonnect_sql.errors import NotOurDatabase, SchemaMismatch
from educonnect_sql.schema import VERSION_TABLE, BinaryText

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "check_schema",
    "compare_type",
    "current_revision",
    "downgrade",
    "head",
    "upgrade",
]

#: The folder of the migration scripts.
MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration on the shipped migrations (and on `connection`, if given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision this library's code expects."""
    revision = _scripts().get_current_head()
    if revision is None:  # pragma: no cover - the package always ships its migrations
        raise RuntimeError("no migration shipped")
    return revision


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None: never migrated)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def check_schema(connection: Connection, where: str, *, migrate: bool) -> str | None:
    """Check that the database is ours and at `head()`.

    Returns the revision found when it is an older one that `migrate` allows upgrading (the
    caller then runs `upgrade`), None when the schema is current. Raises `NotOurDatabase` for a
    database holding other tables and no revision, `SchemaMismatch` for a schema at another
    revision that may not (or cannot) be upgraded.
    """
    tables = set(inspect(connection).get_table_names())
    expected = head()
    if VERSION_TABLE not in tables:
        if tables:
            listed = ", ".join(sorted(tables)[:5])
            raise NotOurDatabase(where, f"it holds other tables ({listed}) and no revision")
        if not migrate:
            raise SchemaMismatch(where, None, expected, known=True)
        return "base"
    found = current_revision(connection)
    if found == expected:
        return None
    known = found is not None and _known(found)
    if not (known and migrate):
        raise SchemaMismatch(where, found, expected, known=known)
    return found


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def compare_type(
    context: MigrationContext,
    inspected_column: Any,
    metadata_column: Any,
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Alembic's type comparison, knowing that `BinaryText` is text with the « C » collation on
    PostgreSQL (False: same type; None: let Alembic decide).
    """
    if isinstance(metadata_type, BinaryText):
        collation = getattr(inspected_type, "collation", None)
        wanted = "C" if context.dialect.name == "postgresql" else None
        return not (isinstance(inspected_type, Text) and collation == wanted)
    return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to `revision` in one transaction."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Run the migrations down to `revision` (tests and operators only)."""
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
