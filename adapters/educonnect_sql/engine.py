"""Engines for the two databases, behind one code path: SQLite (a file, WAL, foreign keys on,
busy timeout, transactions begun by us) and PostgreSQL through psycopg 3.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

__all__ = ["build_engine", "is_sqlite", "location", "upgrade_to_writer", "use_wal"]


def location(url: URL) -> str:
    """The database as a person recognises it (file path or host/database), without password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def is_sqlite(connection: Connection) -> bool:
    """Whether `connection` goes to SQLite."""
    return connection.dialect.name == "sqlite"


def build_engine(url: str | URL, *, busy_timeout: float = 30.0, echo: bool = False) -> Engine:
    """An engine on `url`. ``postgresql://`` URLs get the psycopg 3 driver; SQLite connections
    get foreign keys, `busy_timeout` seconds of waiting for a lock, and explicit ``BEGIN`` (WAL
    is set by `use_wal` once the file is known to be ours).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    if backend != "sqlite":
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    engine = create_engine(
        parsed,
        echo=echo,
        connect_args={"timeout": busy_timeout, "isolation_level": None},
    )
    timeout_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def use_wal(engine: Engine) -> None:
    """Put a SQLite file in write-ahead-log mode (kept by the file; done once its schema is
    known to be ours, so that a foreign file is never touched).
    """
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        raw = engine.raw_connection()  # outside any transaction, as SQLite requires
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.close()
        finally:
            raw.close()


def upgrade_to_writer(connection: Connection) -> None:
    """Make the current transaction able to write, before its first write.

    SQLite: a transaction that has read cannot take the write lock once another connection has
    committed since (« busy snapshot »); so the read transaction is ended (it wrote nothing) and a
    ``BEGIN IMMEDIATE`` one, waiting for the lock, takes its place. Versions checked on every
    write keep this safe. PostgreSQL: nothing to do (row locks are taken by the writes).
    """
    if is_sqlite(connection):
        connection.exec_driver_sql("ROLLBACK")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
