"""``educonnect key rotate`` re-encrypts the secrets under a new key file; the command line opens a
database with its key file, and a wrong key is one French sentence, exit 1, nothing touched.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from tests.sql.scenario import DIRECTOR, UAI, snapshot
from typer.testing import CliRunner

from educonnect_cli.main import app as cli
from educonnect_core.domain.lifecycle import Channel
from educonnect_core.domain.selection import Selection
from educonnect_core.domain.values import Uai
from educonnect_core.testing import in_memory_world
from educonnect_sql import SqlStorage
from educonnect_sql.errors import WrongKey
from educonnect_sql.keys import KEY_VARIABLE, Key, ensure_key_file, key_path, write_key_file


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_VARIABLE, raising=False)


def _cli(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(path), *args])
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def _passwords(path: Path, key: Key) -> dict[str, str]:
    storage = SqlStorage.open(f"sqlite:///{path}", key=key)
    try:
        with storage.unit_of_work() as uow:
            rows = uow.directory.responsable_rows(Uai(UAI), Selection(page_size=0)).rows
    finally:
        storage.close()
    return {r.login: r.password for r in rows}


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "base.sqlite3"
    storage = SqlStorage.open(f"sqlite:///{path}", migrate=True, key=ensure_key_file(path))
    world = in_memory_world(seed=4, storage=storage, deliver_after_commit=False)
    world.app.integrate(snapshot(3))
    world.app.administration(DIRECTOR).notify(UAI, Selection(), Channel.EMAIL)
    storage.close()
    return path


class TestKeyRotate:
    """The command writes a new 0600 key file and every secret follows it."""

    def test_rotate(self, database: Path) -> None:
        old = ensure_key_file(database)
        before = _passwords(database, old)
        code, out = _cli(database, "key", "rotate")
        assert code == 0, out
        assert "Clé remplacée : 6 secret(s)" in out  # 3 passwords, 3 letters waiting
        new = ensure_key_file(database)
        assert new != old
        assert stat.S_IMODE(key_path(database).stat().st_mode) == 0o600
        assert list(database.parent.glob("*.new")) == []
        assert _passwords(database, new) == before
        with pytest.raises(WrongKey):
            _passwords(database, old)
        code, out = _cli(database, "audit", "verify")
        assert code == 0, out

    def test_wrong_key_file_is_one_sentence(self, database: Path) -> None:
        write_key_file(key_path(database), Key.generate(), replace=True)
        before = hashlib.sha256(database.read_bytes()).hexdigest()
        for command in (("key", "rotate"), ("audit", "verify"), ("list", UAI)):
            code, out = _cli(database, *command)
            assert code == 1
            assert "La clé fournie n’est pas celle de la base" in out
        assert hashlib.sha256(database.read_bytes()).hexdigest() == before

    def test_unwritable_key_file_changes_nothing(self, database: Path) -> None:
        old = ensure_key_file(database)
        before = _passwords(database, old)
        code, out = _cli(database, "key", "rotate", "--key-file", str(database.parent / "no" / "k"))
        assert code == 1
        assert "Impossible d’écrire la nouvelle clé" in out
        assert _passwords(database, old) == before
