"""Benchmarks of the storage adapter (issue 3), with their baselines measured in the same run.

- SQLite: integration of a synthetic snapshot (1,000,000 guardians, 600,000 pupils at full
  scale) through `EduConnect.integrate`, against a raw `sqlite3.executemany` of the same rows
  into the same, empty schema; re-integration of the unchanged snapshot against the first.
  The same integration on the in-memory storage gives the core's own share of the time.
- In the integrated base: the statistics of one school and one page of the director's list
  (text filter + state filter + sort on the guardian's name), in milliseconds (median of 25).
- PostgreSQL (a throwaway server, or ``EDUCONNECT_BENCH_PG_URL``) at a tenth of the scale.

Every timed phase is repeated `RUNS` times (≥ 3): each round integrates into a fresh copy of the
empty schema, re-integrates, and times the raw inserts right after; ratios are per round,
reported as median with min/max. The read-model keys carry the size they were measured at
(`statistics_ms_1m` at 1,000,000 guardians, `statistics_ms_100k` at 100,000…).

Run: ``.venv/bin/python bench/storage.py``; scale with ``EDUCONNECT_BENCH_SCALE`` (1.0 = full).
"""

from __future__ import annotations

import glob
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from educonnect_core import (
    AccountState,
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Selection,
    Student,
)
from educonnect_core.domain.selection import SortColumn
from educonnect_core.domain.values import Uai, uai_check_letter
from educonnect_core.ports import Storage
from educonnect_core.testing import InMemoryStorage, in_memory_world
from educonnect_sql import SqlStorage
from measure import RUNS, SCALE, MissingFigure, scale_label, spread

GUARDIANS = 1_000_000
PUPILS = 600_000
PUPILS_PER_SCHOOL = 120
TABLES = ("schools", "classes", "students", "guardian_links", "accounts")
_SYLLABLES = (
    *("MAR", "TIN", "BER", "NAR", "DU", "BOIS", "THO", "MAS", "RO", "BERT", "RI", "CHAR"),
    *("PE", "TIT", "DU", "RAND", "LE", "ROY", "MO", "REAU", "GAR", "NIER", "FAU", "RE"),
)
_FIRST = (
    *("Léa", "Hugo", "Chloé", "Noé", "Inès", "Zoé", "Maël", "Jules", "Anaïs", "Sékou"),
    *("Emma", "Louis", "Jade", "Gabriel", "Louise", "Raphaël", "Ambre", "Arthur", "Alice"),
    *("Adam", "Lina", "Sacha", "Rose", "Nathan", "Mia", "Liam", "Anna", "Paul", "Iris"),
)


def _surname(rng: random.Random) -> str:
    """A surname of three syllables (≈ 14,000 of them: homonyms as rare as in life)."""
    return "".join(rng.choice(_SYLLABLES) for _ in range(3))


def uai(n: int) -> Uai:
    """The `n`-th synthetic UAI."""
    digits = f"{9_000_000 + n:07d}"
    return Uai(digits + uai_check_letter(digits))


def synthetic_snapshot(scale: float) -> DirectorySnapshot:
    """Pupils in schools of 120 (5 classes), 2 guardians for two pupils in three, 1 for the
    rest, so that guardians / pupils = 1,000,000 / 600,000.
    """
    rng = random.Random(42)
    pupils = max(PUPILS_PER_SCHOOL, int(PUPILS * scale))
    schools = [School(uai(n), f"ECOLE {n}") for n in range(pupils // PUPILS_PER_SCHOOL)]
    classes = [
        SchoolClass(f"C{n}-{k}", school.uai, f"CLASSE {k}")
        for n, school in enumerate(schools)
        for k in range(5)
    ]
    students, responsables, links = [], [], []
    for i in range(len(schools) * PUPILS_PER_SCHOOL):
        n = i // PUPILS_PER_SCHOOL
        students.append(
            Student.create(
                f"E{i}",
                surname=_surname(rng),
                first_name=rng.choice(_FIRST),
                birth_date=date(2016 + i % 5, 1 + i % 12, 1 + i % 28),
                uai=schools[n].uai,
                class_id=f"C{n}-{i % 5}",
                level=("CP", "CE1", "CE2", "CM1", "CM2")[i % 5],
                ine=f"{i:010d}A",
            )
        )
        for g in range(2 if i % 3 else 1):
            rid = f"R{i}-{g}"
            responsables.append(Responsable(rid, _surname(rng), rng.choice(_FIRST)))
            links.append(GuardianLink(rid, f"E{i}"))
    return DirectorySnapshot(schools, classes, students, responsables, links)


def timed(work: Callable[[], object]) -> float:
    """Seconds `work` takes."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def integrate(storage: Storage, snapshot: DirectorySnapshot) -> float:
    """Seconds of one `EduConnect.integrate` of `snapshot` into `storage`."""
    app = in_memory_world(seed=1, storage=storage).app
    return timed(lambda: app.integrate(snapshot))


def raw_executemany(source: Path, target: Path) -> float:
    """Seconds of a raw `sqlite3.executemany` of every row of `source` into `target` (the
    same, empty schema), in one transaction.
    """
    rows = {}
    with sqlite3.connect(source) as reader:
        for table in TABLES:
            rows[table] = reader.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
    reader.close()
    writer = sqlite3.connect(target, isolation_level=None)
    writer.execute("PRAGMA synchronous = NORMAL")
    writer.execute("PRAGMA foreign_keys = ON")
    start = time.perf_counter()
    writer.execute("BEGIN")
    for table in TABLES:
        if rows[table]:
            marks = ", ".join("?" * len(rows[table][0]))
            writer.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])  # noqa: S608
    writer.execute("COMMIT")
    elapsed = time.perf_counter() - start
    writer.close()
    return elapsed


def read_models_ms(storage: Storage, schools: list[Uai]) -> dict[str, dict[str, float]]:
    """Milliseconds (median, min, max of 25) of one school's statistics and of one filtered,
    sorted list page.
    """
    rng = random.Random(5)
    picked = [rng.choice(schools) for _ in range(25)]
    page = Selection(
        text="a",
        states=frozenset({AccountState.NOT_NOTIFIED, AccountState.NOTIFIED}),
        sort=SortColumn.RESPONSABLE,
        page=2,
        page_size=20,
    )
    stats: list[float] = []
    pages: list[float] = []
    for school in picked:
        with storage.unit_of_work() as uow:
            directory = uow.directory
            start = time.perf_counter()
            directory.statistics(school, _NOW)
            stats.append(time.perf_counter() - start)
            start = time.perf_counter()
            directory.responsable_rows(school, page)
            pages.append(time.perf_counter() - start)
    return {
        "statistics_ms": spread([1000 * s for s in stats]),
        "list_page_ms": spread([1000 * s for s in pages]),
    }


_NOW = in_memory_world().clock.now()


def sqlite_figures(scale: float, folder: Path) -> dict[str, Any]:
    """The SQLite figures at `scale`, `RUNS` rounds."""
    snapshot = synthetic_snapshot(scale)
    label = scale_label(len(snapshot.responsables))
    template = folder / "empty.db"
    SqlStorage.open(f"sqlite:///{template}", migrate=True).close()
    first: list[float] = []
    again: list[float] = []
    raw: list[float] = []
    memory: list[float] = []
    read: dict[str, dict[str, float]] = {}
    for round_ in range(RUNS):
        first_db, raw_db = folder / f"integrated{round_}.db", folder / f"raw{round_}.db"
        shutil.copyfile(template, first_db)
        shutil.copyfile(template, raw_db)
        memory.append(integrate(InMemoryStorage(), snapshot))
        storage = SqlStorage.open(f"sqlite:///{first_db}")
        first.append(integrate(storage, snapshot))
        again.append(integrate(storage, snapshot))
        if round_ == RUNS - 1:
            read = read_models_ms(storage, [s.uai for s in snapshot.schools])
        storage.close()
        raw.append(raw_executemany(first_db, raw_db))
        first_db.unlink()
        raw_db.unlink()
    return {
        "guardians": float(len(snapshot.responsables)),
        "pupils": float(len(snapshot.students)),
        "integrate_s": spread(first),
        "raw_executemany_s": spread(raw),
        "integrate_over_raw": spread([f / r for f, r in zip(first, raw, strict=True)]),
        "in_memory_integrate_s": spread(memory),
        "reintegrate_s": spread(again),
        "reintegrate_over_first": spread([a / f for a, f in zip(again, first, strict=True)]),
        **{f"{key}_{label}": value for key, value in read.items()},
    }


@contextmanager
def postgres_url(folder: Path) -> Iterator[str | None]:
    """$EDUCONNECT_BENCH_PG_URL, or a throwaway server's database, or None without binaries."""
    given = os.environ.get("EDUCONNECT_BENCH_PG_URL")
    if given:
        yield given
        return
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if not found:
        yield None
        return
    binaries = Path(found[0])
    runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if runner:
        shutil.chown(folder, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = folder / "pgdata"

    def run(*args: str) -> None:
        command = [*runner, str(binaries / args[0]), *args[1:]]
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - fixed arguments.

    run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {folder} -c listen_addresses='' -c fsync=off -c shared_buffers=256MB"
    options += " -c random_page_cost=1.1"  # SSD storage, as docs/scale.md recommends
    run("pg_ctl", "-D", str(data), "-o", options, "-w", "-l", str(folder / "pg.log"), "start")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={folder}&port={port}"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")


def postgres_figures(scale: float, url: str) -> dict[str, Any]:
    """The PostgreSQL figures at `scale` (integration, re-integration, read models); the
    integrations are timed once each on one server (a fresh database per round would need a
    server per round), the read models 25 times.
    """
    snapshot = synthetic_snapshot(scale)
    label = scale_label(len(snapshot.responsables))
    storage = SqlStorage.open(url, migrate=True)
    first = integrate(storage, snapshot)
    again = [integrate(storage, snapshot) for _ in range(RUNS)]
    # No ANALYZE here: the library analyzes the tables an integration grew (users run no
    # ANALYZE of their own either).
    read = read_models_ms(storage, [s.uai for s in snapshot.schools])
    storage.close()
    return {
        "pg_guardians": float(len(snapshot.responsables)),
        f"pg_integrate_s_{label}": first,
        f"pg_reintegrate_s_{label}": spread(again),
        **{f"pg_{key}_{label}": value for key, value in read.items()},
    }


def main() -> dict[str, Any]:
    """Measure everything and print the figures. PostgreSQL is measured when its binaries (or
    ``EDUCONNECT_BENCH_PG_URL``) are there; ``EDUCONNECT_BENCH_PG=0`` skips it explicitly,
    otherwise a missing server is an error.
    """
    folder = Path(tempfile.mkdtemp(prefix="educonnect-bench-"))
    folder.chmod(0o711)  # the PostgreSQL server's user must reach its own folder inside
    try:
        figures: dict[str, Any] = {"scale": SCALE, **sqlite_figures(SCALE, folder)}
        if os.environ.get("EDUCONNECT_BENCH_PG", "1") != "0":
            pg_folder = folder / "pg"
            pg_folder.mkdir()
            with postgres_url(pg_folder) as url:
                if url is None:
                    raise MissingFigure(
                        "PostgreSQL binaries not found (`make postgres`), "
                        "or set EDUCONNECT_BENCH_PG=0 to skip its figures"
                    )
                figures.update(postgres_figures(SCALE / 10, url))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
