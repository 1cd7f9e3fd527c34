"""The schema is built and evolved by Alembic only, and equals the metadata the queries use."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from tests.sql.conftest import PostgresServer

from educonnect_sql import SqlStorage, schema_head
from educonnect_sql.engine import build_engine
from educonnect_sql.migrate import compare_type, current_revision, downgrade, upgrade
from educonnect_sql.schema import METADATA, VERSION_TABLE


def _differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": compare_type, "version_table": VERSION_TABLE}
        )
        return list(compare_metadata(context, METADATA))


class TestMigrationsOnSqlite:
    """`upgrade head` on an empty SQLite file builds exactly the metadata; down and up again."""

    def test_upgrade_builds_the_metadata(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'm.db'}"
        SqlStorage.open(url, migrate=True).close()
        engine = build_engine(url)
        assert _differences(engine) == []
        with engine.connect() as connection:
            assert current_revision(connection) == schema_head()
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        downgrade(engine, "base")
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) == {VERSION_TABLE}
        upgrade(engine)
        assert _differences(engine) == []
        engine.dispose()

    def test_audit_trail_is_append_only(self, tmp_path: Path) -> None:
        """The database itself refuses to change or delete an audit entry."""
        storage = SqlStorage.open(f"sqlite:///{tmp_path / 'a.db'}", migrate=True)
        try:
            with storage.engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO audit_trail (at, actor, action, outcome, detail) "
                    "VALUES ('2025-09-01 08:00:00.000000', 'feed', 'X', 'done', '')"
                )
            for statement in (
                "UPDATE audit_trail SET outcome = 'forged'",
                "DELETE FROM audit_trail",
            ):
                with (
                    pytest.raises(sa.exc.DBAPIError, match="append-only"),
                    storage.engine.begin() as connection,
                ):
                    connection.exec_driver_sql(statement)
            with storage.engine.connect() as connection:
                outcomes = connection.exec_driver_sql("SELECT outcome FROM audit_trail").all()
            assert [tuple(row) for row in outcomes] == [("done",)]
        finally:
            storage.close()


class TestMigrationsOnPostgres:
    """`upgrade head` on an empty PostgreSQL database builds exactly the metadata."""

    def test_upgrade_builds_the_metadata(self, postgres: PostgresServer) -> None:
        engine = build_engine(postgres.empty_database())
        upgrade(engine)
        assert _differences(engine) == []
        downgrade(engine, "base")
        upgrade(engine)
        assert _differences(engine) == []
        engine.dispose()
