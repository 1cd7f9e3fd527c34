"""The audit trail is tamper-evident: an entry edited behind the library's back is named by
`verify_audit` and ``educonnect audit verify``; a database whose append-only triggers were dropped
or disabled is refused on open; entries recorded before the chain existed are chained by the
migration.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa
from tests.sql.conftest import PostgresServer
from tests.sql.scenario import DIRECTOR, UAI, snapshot
from typer.testing import CliRunner

from educonnect_cli.main import app as cli
from educonnect_core.domain.audit import chain_digest
from educonnect_core.domain.lifecycle import Channel
from educonnect_core.domain.selection import Selection
from educonnect_core.services.audit import verify_audit
from educonnect_core.testing import in_memory_world
from educonnect_sql import SqlStorage
from educonnect_sql import migrate as migrations
from educonnect_sql.engine import build_engine
from educonnect_sql.errors import AuditUnprotected
from educonnect_sql.keys import KEY_VARIABLE, ensure_key_file

TRIGGERS = ("audit_trail_no_update", "audit_trail_no_delete")
CREATE = {
    verb: f"CREATE TRIGGER audit_trail_no_{verb.lower()} BEFORE {verb} ON audit_trail "
    "BEGIN SELECT RAISE(ABORT, 'audit_trail is append-only'); END"
    for verb in ("UPDATE", "DELETE")
}


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_VARIABLE, raising=False)


def _fill(storage: SqlStorage) -> int:
    """A school integrated and notified by e-mail, its letters delivered; the entry count."""
    world = in_memory_world(seed=2, storage=storage)
    world.app.integrate(snapshot(3))
    world.app.administration(DIRECTOR).notify(UAI, Selection(), Channel.EMAIL)
    with storage.unit_of_work() as uow:
        return len(uow.audit.chain())


@pytest.fixture
def database(tmp_path: Path) -> tuple[Path, int]:
    """A closed SQLite database with a key file and audit entries."""
    path = tmp_path / "educonnect.db"
    storage = SqlStorage.open(f"sqlite:///{path}", migrate=True, key=ensure_key_file(path))
    count = _fill(storage)
    assert verify_audit(storage) is None
    storage.close()
    return path, count


def _tamper(path: Path, statement: str, parameters: tuple[str, ...] = ()) -> None:
    """Run `statement` on the file with the triggers dropped for that moment only."""
    raw = sqlite3.connect(path)
    with raw:
        for name in TRIGGERS:
            raw.execute(f"DROP TRIGGER {name}")
        raw.execute(statement, parameters)
        for create in CREATE.values():
            raw.execute(create)
    raw.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(path), *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


class TestTamperingShows:
    """An entry changed, deleted or inserted with raw SQL is the first broken one."""

    @pytest.mark.parametrize(
        ("statement", "position"),
        [
            ("UPDATE audit_trail SET detail = 'channel=PAPER' WHERE seq = 3", 3),
            ("UPDATE audit_trail SET outcome = 'refused' WHERE seq = 1", 1),
            ("DELETE FROM audit_trail WHERE seq = 2", 2),
            (
                "INSERT INTO audit_trail (seq, at, actor, action, outcome, detail, digest) "
                "SELECT 100, at, 'director:x', 'EXPORT', 'done', '', digest FROM audit_trail "
                "WHERE seq = 4",
                0,  # appended: the entry after the last one
            ),
        ],
    )
    def test_verify_names_the_entry(
        self, database: tuple[Path, int], tmp_path: Path, statement: str, position: int
    ) -> None:
        path, count = database
        copy = tmp_path / "copy.db"
        shutil.copyfile(path, copy)
        shutil.copyfile(path.with_name(path.name + ".key"), copy.with_name(copy.name + ".key"))
        _tamper(copy, statement)
        storage = SqlStorage.open(f"sqlite:///{copy}", key=ensure_key_file(copy))
        try:
            broken = verify_audit(storage)
        finally:
            storage.close()
        assert broken is not None
        position = position or count + 1
        assert broken.position == position
        code, out = _cli(copy, "audit", "verify")
        assert code == 1
        assert f"l’entrée n° {position} " in " ".join(out.split())
        code, out = _cli(path, "audit", "verify")
        assert code == 0
        assert f"Journal d’audit intact : {count} entrée(s)" in " ".join(out.split())

    def test_rewritten_digest_breaks_the_next_entry(self, database: tuple[Path, int]) -> None:
        """Editing entry 2 and giving it the digest its new content calls for moves the break
        to entry 3, whose digest was computed from the old one.
        """
        path, _count = database
        storage = SqlStorage.open(f"sqlite:///{path}", key=ensure_key_file(path))
        with storage.unit_of_work() as uow:
            first, second = uow.audit.chain()[:2]
        storage.close()
        forged = attrs.evolve(second.entry, detail="channel=PAPER")
        _tamper(
            path,
            "UPDATE audit_trail SET detail = 'channel=PAPER', digest = ? WHERE seq = 2",
            (chain_digest(first.digest, forged),),
        )
        storage = SqlStorage.open(f"sqlite:///{path}", key=ensure_key_file(path))
        try:
            with storage.unit_of_work() as uow:
                assert uow.audit.chain()[1].entry == forged
            broken = verify_audit(storage)
        finally:
            storage.close()
        assert broken is not None
        assert broken.position == 3


class TestDroppedTriggersRefused:
    """A database whose append-only triggers are gone is refused on open, untouched."""

    @pytest.mark.parametrize("name", TRIGGERS)
    def test_sqlite(self, database: tuple[Path, int], name: str) -> None:
        path, _count = database
        raw = sqlite3.connect(path)
        with raw:
            raw.execute(f"DROP TRIGGER {name}")
        raw.close()
        before = _digest(path)
        for migrate in (False, True):
            with pytest.raises(AuditUnprotected) as refused:
                SqlStorage.open(f"sqlite:///{path}", migrate=migrate, key=ensure_key_file(path))
            assert "journal d’audit" in refused.value.french
        assert _digest(path) == before
        code, out = _cli(path, "audit", "verify")
        assert code == 1
        assert "n’est plus protégé" in " ".join(out.split())

    @pytest.mark.parametrize(
        "statement",
        [
            "DROP TRIGGER audit_trail_append_only ON audit_trail",
            "ALTER TABLE audit_trail DISABLE TRIGGER audit_trail_append_only",
        ],
    )
    def test_postgres(self, postgres: PostgresServer, statement: str) -> None:
        url = postgres.fresh_database()
        storage = SqlStorage.open(url)
        _fill(storage)
        storage.close()
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
        engine.dispose()
        with pytest.raises(AuditUnprotected):
            SqlStorage.open(url)

    def test_postgres_tampering_shows(self, postgres: PostgresServer) -> None:
        url = postgres.fresh_database()
        storage = SqlStorage.open(url)
        _fill(storage)
        storage.close()
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "ALTER TABLE audit_trail DISABLE TRIGGER audit_trail_append_only"
            )
            connection.exec_driver_sql("UPDATE audit_trail SET actor = 'feed' WHERE seq = 2")
            connection.exec_driver_sql(
                "ALTER TABLE audit_trail ENABLE TRIGGER audit_trail_append_only"
            )
        engine.dispose()
        storage = SqlStorage.open(url)
        try:
            broken = verify_audit(storage)
        finally:
            storage.close()
        assert broken is not None
        assert broken.position == 2


class TestMigration:
    """Entries recorded at revision 0001 get their digests from the migration: the chain holds,
    and later entries continue it.
    """

    def test_entries_before_the_chain(self, tmp_path: Path) -> None:
        path = tmp_path / "old.db"
        engine = build_engine(f"sqlite:///{path}")
        migrations.upgrade(engine, "0001")
        with engine.begin() as connection:
            for number in range(3):
                connection.exec_driver_sql(
                    "INSERT INTO audit_trail (at, actor, action, outcome, account_id, uai, detail)"
                    " VALUES (?, 'feed', 'INTEGRATE', 'done', NULL, ?, ?)",
                    (f"2025-09-0{number + 1} 08:00:00.000000", UAI, f"n={number}"),
                )
        engine.dispose()
        storage = SqlStorage.open(f"sqlite:///{path}", migrate=True)
        try:
            assert verify_audit(storage) is None
            world = in_memory_world(seed=1, storage=storage)
            world.app.integrate(snapshot(2))
            with storage.unit_of_work() as uow:
                chain = uow.audit.chain()
            assert len(chain) > 3
            assert chain[0].entry.detail == "n=0"
            assert chain[0].entry.at.date() == date(2025, 9, 1)
            assert verify_audit(storage) is None
        finally:
            storage.close()
