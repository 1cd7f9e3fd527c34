"""Provisional passwords and waiting letters are encrypted at rest (AES-GCM, bound to their row);
the key is checked on open; files holding secrets are created readable by their owner only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.sql.conftest import PostgresServer
from tests.sql.scenario import DIRECTOR, UAI, snapshot

from educonnect_core.domain.account import Provisional
from educonnect_core.domain.letters import LetterKind
from educonnect_core.domain.lifecycle import Channel
from educonnect_core.domain.selection import Selection
from educonnect_core.domain.values import Uai
from educonnect_core.services.runtime import token_digest
from educonnect_core.testing import in_memory_world
from educonnect_core.testing.world import World
from educonnect_sql import SqlStorage
from educonnect_sql.errors import KeyMissing, KeyUnreadable, SecretUnreadable, WrongKey
from educonnect_sql.keys import KEY_VARIABLE, Key, ensure_key_file, key_path
from educonnect_sql.sealing import PREFIX

GUARDIANS = 6
BIRTH = date(2018, 3, 14)
ALL = Selection(page_size=0)


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_VARIABLE, raising=False)


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _notified(storage: SqlStorage) -> tuple[World, set[str]]:
    """Three guardians notified on paper, three by e-mail (letters left waiting), the first
    one's first connection done (its activation e-mail waiting too); the secrets a dump must not
    show: every password on a sheet or in a letter, and the live activation token.
    """
    world = in_memory_world(seed=5, storage=storage, deliver_after_commit=False)
    world.app.integrate(snapshot(GUARDIANS))
    admin = world.app.administration(DIRECTOR)
    with storage.unit_of_work() as uow:
        logins = sorted(r.login for r in uow.directory.responsable_rows(Uai(UAI), ALL).rows)
    admin.notify(UAI, logins[:3], Channel.PAPER)
    admin.notify(UAI, logins[3:], Channel.EMAIL)
    sheets = [letter for sheet in world.renderer.sheets for letter in sheet]
    secrets = {letter.password for letter in sheets if letter.password}
    assert len(secrets) == 3
    first = next(letter for letter in sheets if letter.login == logins[0])
    world.app.portal().first_connection(
        logins[0],
        first.password or "",
        new_password="Enzo2016",  # noqa: S106 - the guardian's choice
        email="c@example.org",
        birth_date=BIRTH,
    )
    with storage.unit_of_work() as uow:
        waiting = list(uow.outbox.pending(world.clock.now()))
        account = uow.accounts.by_login(logins[0])
        passwords = {
            a.password.secret
            for a in (uow.accounts.by_login(login) for login in logins[1:])
            if a is not None and isinstance(a.password, Provisional)
        }
    prefix = world.app.runtime.letters.activation_url
    (c07,) = [m for m in waiting if m.letter.kind is LetterKind.C07]
    token = next(x for x in c07.letter.lines if x.startswith(prefix)).removeprefix(prefix)
    assert account is not None
    assert account.activation is not None
    assert account.activation.digest == token_digest(token)  # live
    mailed = {m.letter.password for m in waiting if m.letter.password}
    assert len(mailed) == 3
    assert mailed <= passwords
    return world, (secrets - {first.password}) | passwords | {token}


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[tuple[Path, Key, SqlStorage]]:
    path = tmp_path / "educonnect.db"
    key = ensure_key_file(path)
    storage = SqlStorage.open(_url(path), migrate=True, key=key)
    try:
        yield path, key, storage
    finally:
        storage.close()


class TestNoSecretInADump:
    """A notified database's dump, raw file and WAL hold no password shown on a sheet or
    mailed, and no live activation token.
    """

    def test_dump_and_raw_files(self, keyed: tuple[Path, Key, SqlStorage]) -> None:
        """Paper and e-mail notifications, a first connection; then grep everything."""
        path, _key, storage = keyed
        _world, secrets = _notified(storage)
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_size > 0
        raw = path.read_bytes() + wal.read_bytes()
        reader = sqlite3.connect(path)
        try:
            dump = "\n".join(reader.iterdump())
        finally:
            reader.close()
        assert 'INSERT INTO "accounts"' in dump
        assert PREFIX in dump
        for secret in secrets:
            assert secret not in dump
            assert secret.encode() not in raw

    def test_unencrypted_database_is_sealed_by_its_first_opening_with_a_key(
        self, tmp_path: Path
    ) -> None:
        """A database written without a key shows its secrets; opened once with a key, its
        dump does not, and the secrets read back the same.
        """
        path = tmp_path / "old.db"
        storage = SqlStorage.open(_url(path), migrate=True)
        _world, secrets = _notified(storage)
        storage.close()
        assert any(s.encode() in path.read_bytes() for s in secrets)
        storage = SqlStorage.open(_url(path), key=Key.generate())
        with storage.unit_of_work() as uow:
            waiting = uow.outbox.pending(_world.clock.now())
        storage.close()
        assert {m.letter.password for m in waiting if m.letter.password} <= secrets
        for secret in secrets:
            assert secret.encode() not in path.read_bytes()


class TestTheKey:
    """A wrong or missing key is a typed French error and the database is left as it was;
    ciphertexts are bound to their row; rotation re-encrypts everything in one go.
    """

    def _closed(self, keyed: tuple[Path, Key, SqlStorage]) -> tuple[Path, Key, dict[str, str]]:
        path, key, storage = keyed
        _notified(storage)
        with storage.unit_of_work() as uow:
            rows = uow.directory.responsable_rows(Uai(UAI), ALL).rows
            passwords = {r.login: r.password for r in rows}
        storage.close()
        return path, key, passwords

    def test_wrong_key_refused_and_nothing_touched(
        self, keyed: tuple[Path, Key, SqlStorage]
    ) -> None:
        path, _key, _passwords = self._closed(keyed)
        before = _digest(path)
        with pytest.raises(WrongKey) as refused:
            SqlStorage.open(_url(path), key=Key.generate())
        assert "clé" in refused.value.french
        assert _digest(path) == before

    def test_missing_key_refused(self, keyed: tuple[Path, Key, SqlStorage]) -> None:
        path, _key, _passwords = self._closed(keyed)
        before = _digest(path)
        with pytest.raises(KeyMissing) as refused:
            SqlStorage.open(_url(path))
        assert "aucune clé" in refused.value.french
        assert _digest(path) == before

    def test_key_from_the_environment(
        self, keyed: tuple[Path, Key, SqlStorage], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path, key, passwords = self._closed(keyed)
        monkeypatch.setenv(KEY_VARIABLE, key.text())
        storage = SqlStorage.open(_url(path))
        with storage.unit_of_work() as uow:
            rows = uow.directory.responsable_rows(Uai(UAI), ALL).rows
        storage.close()
        assert {r.login: r.password for r in rows} == passwords
        monkeypatch.setenv(KEY_VARIABLE, "not base64!")
        with pytest.raises(KeyUnreadable):
            SqlStorage.open(_url(path))

    def test_swapped_ciphertexts_do_not_decrypt(self, keyed: tuple[Path, Key, SqlStorage]) -> None:
        """Copying one account's sealed password onto another makes it unreadable."""
        path, key, _passwords = self._closed(keyed)
        raw = sqlite3.connect(path)
        with raw:
            ((first, secret),) = raw.execute(
                "SELECT account_id, provisional_secret FROM accounts "
                "WHERE provisional_secret IS NOT NULL ORDER BY account_id LIMIT 1"
            ).fetchall()
            raw.execute(
                "UPDATE accounts SET provisional_secret = ? WHERE account_id <> ? "
                "AND provisional_secret IS NOT NULL",
                (secret, first),
            )
        raw.close()
        storage = SqlStorage.open(_url(path), key=key)
        try:
            with storage.unit_of_work() as uow:
                assert uow.accounts.get(first) is not None
                with pytest.raises(SecretUnreadable) as refused:
                    uow.directory.responsable_rows(Uai(UAI), ALL)
        finally:
            storage.close()
        assert refused.value.row != first

    def test_rotation(self, keyed: tuple[Path, Key, SqlStorage]) -> None:
        """After `rotate_key`, the new key reads the same passwords and letters; the old one is
        refused.
        """
        path, old, passwords = self._closed(keyed)
        new = Key.generate()
        storage = SqlStorage.open(_url(path), key=old)
        count = storage.rotate_key(new)
        with storage.unit_of_work() as uow:
            assert {
                r.login: r.password for r in uow.directory.responsable_rows(Uai(UAI), ALL).rows
            } == passwords
        storage.close()
        assert count >= GUARDIANS - 1 + 4  # passwords still provisional + letters waiting
        with pytest.raises(WrongKey):
            SqlStorage.open(_url(path), key=old)
        storage = SqlStorage.open(_url(path), key=new)
        with storage.unit_of_work() as uow:
            assert len(uow.outbox.pending(uow.audit.entries()[-1].at)) == 4
        storage.close()


class TestPrivateFiles:
    """The database, its WAL files and the key file are created with mode 0600."""

    def test_modes(self, tmp_path: Path) -> None:
        previous = os.umask(0o022)
        try:
            path = tmp_path / "educonnect.db"
            key = ensure_key_file(path)
            storage = SqlStorage.open(_url(path), migrate=True, key=key)
            _notified(storage)
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in [*files, key_path(path)]}
            storage.close()
        finally:
            os.umask(previous)
        assert modes == dict.fromkeys(modes, 0o600)
        assert len(modes) == 4

    def test_key_file_is_reused(self, tmp_path: Path) -> None:
        path = tmp_path / "a.db"
        first = ensure_key_file(path)
        assert ensure_key_file(path) == first
        copy = tmp_path / "b.db"
        shutil.copyfile(key_path(path), key_path(copy))
        assert ensure_key_file(copy) == first


class TestPostgres:
    """On PostgreSQL too, a `pg_dump` of a notified database holds no password and no token."""

    def test_pg_dump(self, postgres: PostgresServer) -> None:
        url = postgres.fresh_database()
        storage = SqlStorage.open(url, key=Key.generate())
        try:
            _world, secrets = _notified(storage)
        finally:
            storage.close()
        database = str(sa.make_url(url).database)
        pg_dump = shutil.which("pg_dump", path=f"{postgres.bin}:{os.environ.get('PATH', '')}")
        if pg_dump is None:
            pytest.skip("pg_dump not found")
        dump = subprocess.run(  # noqa: S603 - the test server's own binary, fixed arguments.
            [pg_dump, "-h", str(postgres.socket), "-p", str(postgres.port),
             "-U", "postgres", "--data-only", database],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip
        assert PREFIX in dump
        for secret in secrets:
            assert secret not in dump
