"""Planner statistics kept fresh after bulk writes (PostgreSQL): ``ANALYZE`` of the tables an
integration grew, right after its commit.

PostgreSQL's autovacuum analyzes a table once a tenth of it changed — but only at its next
wake-up (``autovacuum_naptime``, one minute by default), and not at all while it is switched
off. An integration that fills the tables within that minute leaves the planner with the
statistics of nearly empty tables: a school's statistics were then planned as a hash join over
a sequential scan of every guardian link (13 ms instead of 1.5 ms at 90,000 guardians, and
growing with the country) — see ``docs/scale.md``.

So the bulk writes (`educonnect_sql.copy`) note how many rows each table gained or changed on
their connection (`note_written`); the unit of work hands the count to its storage's
`Freshness` at commit (a rollback forgets it); once a table's count since its last ``ANALYZE``
reaches `MIN_ROWS` and half the rows it had then (``pg_class.reltuples``; never analyzed:
at once), it is analyzed in a transaction of its own. A national integration of many groups
thus analyzes each table a few times (each time it grew by half), whatever its size; a
director's action never does. SQLite is left as it is (its planner does without statistics
here).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Final

from sqlalchemy import Connection

__all__ = ["GROWTH", "MIN_ROWS", "Freshness", "note_written", "take_written"]

#: The fewest rows written to a table before it is analyzed again.
MIN_ROWS: Final = 1_000
#: The share of its rows (at its last ``ANALYZE``) a table must have gained or changed since.
GROWTH: Final = 0.5
_KEY: Final = "educonnect_written"


def note_written(connection: Connection, table: str, rows: int) -> None:
    """Count `rows` rows written to `table` in the connection's open transaction."""
    if rows:
        written: Counter[str] = connection.info.setdefault(_KEY, Counter())
        written[table] += rows


def take_written(connection: Connection) -> Counter[str]:
    """The rows counted on `connection` since the last call (and forget them)."""
    found: Counter[str] | None = connection.info.pop(_KEY, None)
    return found if found is not None else Counter()


class Freshness:
    """The rows written to each table since this process last analyzed it, and the rule that
    analyzes it (see the module's docstring). Safe to share between threads.
    """

    def __init__(self, *, min_rows: int = MIN_ROWS, growth: float = GROWTH) -> None:
        self.min_rows, self.growth = min_rows, growth
        self._written: Counter[str] = Counter()
        self._lock = threading.Lock()
        #: Every ``ANALYZE`` run, as the tuple of tables it analyzed (for tests and figures).
        self.analyzed: list[tuple[str, ...]] = []
        #: Seconds spent in ``ANALYZE``, in total.
        self.seconds = 0.0

    def committed(self, connection: Connection, written: Counter[str]) -> tuple[str, ...]:
        """Add what a committed unit of work wrote; analyze the tables that grew enough, on
        `connection` (outside any transaction, PostgreSQL only). The tables analyzed.
        """
        if connection.dialect.name != "postgresql":
            return ()
        with self._lock:
            self._written.update(written)
            candidates = {t: n for t, n in self._written.items() if n >= self.min_rows}
            if not candidates:
                return ()
            with connection.begin():
                stored: dict[str, float] = dict(
                    connection.exec_driver_sql(
                        "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s) "
                        "AND relnamespace = to_regnamespace(current_schema())::oid",
                        (sorted(candidates),),
                    ).fetchall()
                )
                due = tuple(
                    sorted(
                        table
                        for table, rows in candidates.items()
                        if stored.get(table, -1) < 0 or rows >= self.growth * stored[table]
                    )
                )
                if due:
                    start = time.perf_counter()
                    connection.exec_driver_sql(f"ANALYZE {', '.join(due)}")
                    self.seconds += time.perf_counter() - start
            for table in due:
                del self._written[table]
            if due:
                self.analyzed.append(due)
            return due
