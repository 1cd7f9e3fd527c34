"""Set-based bulk writes: on PostgreSQL through ``COPY`` into a staging table, on SQLite as
before (multi-row or ``executemany`` statements of plain tuples, `bulk`).

On PostgreSQL a batch of `COPY_MIN` rows or more is written in three steps, in the unit of
work's transaction:

1. a staging table shaped like the target's columns (``CREATE TEMP TABLE … ON COMMIT DROP AS
   SELECT <columns> FROM <table> WITH NO DATA``: the same types and collations) — it lives only
   in this transaction, so the library keeps no session state (PgBouncer in transaction mode
   stays usable);
2. psycopg 3's ``COPY … FROM STDIN`` of the rows, each value first through the column's
   SQLAlchemy type processor (`bulk.binder`) exactly as the statement path binds it — the
   stored values are the same;
3. one set-based statement: ``INSERT … SELECT … ON CONFLICT … DO UPDATE … WHERE`` a column
   differs, ``UPDATE … FROM`` (versioned: ``WHERE version = expected``), or ``DELETE … USING``;
   then the staging table is dropped.

Fewer rows (a director's action, a test's few accounts) go through the statements of `bulk`,
which cost less than a staging table for them. Each function returns the number of rows its
statement changed, as ``executemany`` does, so that the callers' version and conflict checks
are the same on both paths.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence, Sized
from typing import Any, Final

from sqlalchemy import Connection, Dialect, Table

from educonnect_sql.bulk import (
    Conflict,
    Statements,
    conflict_sql,
    executemany,
    insert_sql,
    multirow,
    run_all,
    update_sql,
)
from educonnect_sql.freshness import note_written

__all__ = [
    "COPY_MIN",
    "Batch",
    "copy_rows",
    "delete_rows",
    "store_rows",
    "update_rows",
    "uses_copy",
]

#: The fewest rows written through ``COPY`` on PostgreSQL (below: plain statements).
COPY_MIN: Final = 256


def uses_copy(connection: Connection, rows: int, least: int = COPY_MIN) -> bool:
    """Whether `rows` rows go through ``COPY`` on `connection` (PostgreSQL, at least `least`)."""
    return connection.dialect.name == "postgresql" and rows >= least


def copy_rows(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    extra: Sequence[tuple[str, str]] = (),
) -> str:
    """A new staging table holding `rows` (values of `names`, then of the `extra` columns, each
    given as (name, the column of `table` whose type it takes)); its name. PostgreSQL only; the
    caller drops it once used (`ON COMMIT DROP` otherwise).
    """
    stage = f"educonnect_stage_{table.name}"
    columns = [*names, *(f"{source} AS {name}" for name, source in extra)]
    connection.exec_driver_sql(
        f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "  # noqa: S608 - names from metadata
        f"SELECT {', '.join(columns)} FROM {table.name} WITH NO DATA"
    )
    every = ", ".join([*names, *(name for name, _ in extra)])
    raw: Any = connection.connection.dbapi_connection  # psycopg's own connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {stage} ({every}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return stage


def _drop(connection: Connection, stage: str) -> None:
    connection.exec_driver_sql(f"DROP TABLE {stage}")


@functools.cache
def _insert_select(
    table: Table, names: tuple[str, ...], stage: str, conflict: Conflict, key: str
) -> str:
    columns = ", ".join(names)
    return (
        f"INSERT INTO {table.name} ({columns}) "  # noqa: S608 - names from metadata
        f"SELECT {columns} FROM {stage}" + conflict_sql(table, names, "postgresql", conflict, key)
    )


def store_rows(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    conflict: Conflict = "fail",
    key: str = "",
    least: int = COPY_MIN,
    size: int | None = None,
) -> int:
    """Insert `rows` (values of `names`) into `table`; on a conflict fail, do nothing, or (on
    `key`) update the stored row where a column differs. The rows inserted or updated. `rows`
    may be an iterator (consumed once, never held whole) when `size` says how many it yields.
    """
    count = size if size is not None else len(rows) if isinstance(rows, Sized) else None
    if count is None:
        raise ValueError("an iterator of rows needs its size")
    if not count:
        return 0
    if not uses_copy(connection, count, least):
        statement = insert_sql(table, names, connection.dialect, conflict, key)
        done = executemany(connection, statement, rows)
    else:
        stage = copy_rows(connection, table, names, rows)
        done = connection.exec_driver_sql(
            _insert_select(table, tuple(names), stage, conflict, key)
        ).rowcount
        _drop(connection, stage)
    note_written(connection, table.name, done)
    return done


#: The staging column holding the version a versioned update expects to find.
EXPECTED: Final = "educonnect_expected"


def update_rows(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    key: str,
    rows: Sequence[tuple[Any, ...]],
    *,
    least: int = COPY_MIN,
) -> int:
    """Set `names` of the rows of `table` whose `key` and ``version`` are given after them
    (each row: the new values, the key, the version expected); the rows updated — fewer than
    given when a version moved.
    """
    if not rows:
        return 0
    if not uses_copy(connection, len(rows), least):
        statement = update_sql(table, names, (key, "version"), connection.dialect)
        done = executemany(connection, statement, rows)
    else:
        stage = copy_rows(connection, table, [*names, key], rows, ((EXPECTED, "version"),))
        sets = ", ".join(f"{n} = s.{n}" for n in names)
        done = connection.exec_driver_sql(
            f"UPDATE {table.name} AS t SET {sets} FROM {stage} AS s "  # noqa: S608 - metadata
            f"WHERE t.{key} = s.{key} AND t.version = s.{EXPECTED}"
        ).rowcount
        _drop(connection, stage)
    note_written(connection, table.name, done)
    return done


def delete_rows(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    least: int = COPY_MIN,
) -> int:
    """Delete the rows of `table` whose `names` equal one of `rows`; how many."""
    if not rows:
        return 0
    if not uses_copy(connection, len(rows), least):
        mark = "?" if connection.dialect.name == "sqlite" else "%s"
        condition = " AND ".join(f"{n} = {mark}" for n in names)
        statement = f"DELETE FROM {table.name} WHERE {condition}"  # noqa: S608 - metadata names
        done = executemany(connection, statement, rows)
    else:
        stage = copy_rows(connection, table, names, rows)
        condition = " AND ".join(f"t.{n} = s.{n}" for n in names)
        done = connection.exec_driver_sql(
            f"DELETE FROM {table.name} AS t USING {stage} AS s WHERE {condition}"  # noqa: S608
        ).rowcount
        _drop(connection, stage)
    note_written(connection, table.name, done)
    return done


class Batch:
    """New rows for one table, ready to be written by `write`: on SQLite as multi-row
    statements built now (so that a helper thread only runs them, see `lane`), on PostgreSQL
    through `store_rows` (``COPY`` from `least` rows).
    """

    def __init__(
        self,
        table: Table,
        names: Sequence[str],
        rows: list[tuple[Any, ...]],
        dialect: Dialect,
        conflict: Conflict = "fail",
        *,
        least: int = COPY_MIN,
    ) -> None:
        self.table, self.names, self.conflict, self.least = table, names, conflict, least
        self.size = len(rows)
        self.statements: Statements = []
        self.rows: list[tuple[Any, ...]] = []
        if dialect.name == "sqlite":
            self.statements = multirow(table, names, rows, dialect, conflict)
        else:
            self.rows = rows

    def write(self, connection: Connection) -> int:
        """Write the rows on `connection`; how many were stored."""
        if self.statements:
            done = run_all(connection, self.statements)
            note_written(connection, self.table.name, done)
            return done
        return store_rows(
            connection, self.table, self.names, self.rows, conflict=self.conflict, least=self.least
        )
