"""Fixtures of the storage tests: a throwaway PostgreSQL server for the whole session.

The server is initialised in a temporary folder (``initdb``), listens on a Unix socket only and
is stopped at the end. As root, it runs as the ``postgres`` user (PostgreSQL refuses root).
Without PostgreSQL binaries the PostgreSQL tests are skipped with a message saying so, except
under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

from educonnect_sql import SqlStorage

__all__ = ["PostgresServer"]


def postgres_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: $PG_BIN, the PATH, or Debian's layout."""
    candidates = [os.environ.get("PG_BIN", "")]
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(str(Path(found).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


@attrs.define
class PostgresServer:
    """A running throwaway server and the databases made on it."""

    bin: Path
    folder: Path
    socket: Path
    port: int
    user: str | None
    counter: Iterator[int] = attrs.Factory(itertools.count)
    template_ready: bool = False

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` on this server."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket}&port={self.port}"

    def admin(self) -> sa.Engine:
        """An engine on the ``postgres`` database, in autocommit (CREATE DATABASE…)."""
        return sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")

    def fresh_database(self) -> str:
        """The URL of a new database already at the schema's head (copied from a template)."""
        admin = self.admin()
        try:
            with admin.connect() as connection:
                if not self.template_ready:
                    connection.exec_driver_sql("CREATE DATABASE educonnect_template")
                    SqlStorage.open(self.url("educonnect_template"), migrate=True).close()
                    self.template_ready = True
                name = f"educonnect_{next(self.counter)}"
                connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE educonnect_template")
        finally:
            admin.dispose()
        return self.url(name)

    def emptied(self, url: str) -> str:
        """`url` again, after deleting every row its tables hold (much faster than a new
        database when hundreds of examples each need an empty one).
        """
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    "TRUNCATE accounts, schools, classes, students, guardian_links, outbox, "
                    "audit_trail, school_statistics, account_aliases, one_time_codes "
                    "RESTART IDENTITY"
                )
                connection.exec_driver_sql("UPDATE educonnect_meta SET directory_version = 0")
        finally:
            engine.dispose()
        return url

    def empty_database(self) -> str:
        """The URL of a new, empty database (no schema)."""
        admin = self.admin()
        name = f"educonnect_empty_{next(self.counter)}"
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
        finally:
            admin.dispose()
        return self.url(name)

    def run(self, *args: str) -> None:
        """Run a PostgreSQL binary as the server's user."""
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603 - our own fixed arguments.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session (skipped, or failed under CI, without binaries)."""
    folder_bin = postgres_bin()
    if folder_bin is None:
        reason = (
            "PostgreSQL binaries (initdb, pg_ctl) not found: PostgreSQL storage tests SKIPPED "
            "(install Debian's `postgresql` package or set PG_BIN)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " — under CI=true this is a failure", pytrace=False)
        pytest.skip(reason)
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(  # noqa: S603 - fixed arguments.
                ["useradd", "--system", "--no-create-home", user],  # noqa: S607 - the system's useradd.
                check=True,
            )
    folder = Path(tempfile.mkdtemp(prefix="educonnect-pg-"))
    if user is not None:
        shutil.chown(folder, user)
    server = PostgresServer(folder_bin, folder, folder, _free_port(), user)
    data = folder / "data"
    server.run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
               "--locale=C.UTF-8", "--no-sync")  # fmt: skip
    options = (
        f"-p {server.port} -k {folder} -c listen_addresses='' -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
    )
    server.run("pg_ctl", "-D", str(data), "-o", options, "-w", "-l", str(folder / "log"), "start")
    try:
        yield server
    finally:
        server.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
