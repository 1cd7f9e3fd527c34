"""Benchmark of PostgreSQL at national scale (issue 14, item 3): a tenth of the national primary
feed integrated the way the command line does it, and the read models in the base it leaves.

At full scale (``EDUCONNECT_BENCH_SCALE=1``) the synthetic AAF1D run (`feed.generate`) holds
900,000 guardians and 635,000 pupils in 26,455 classes (5,291 schools of 120 pupils): a tenth
of the national primary feed (≈ 9 M guardians, 6.35 M pupils). A throwaway PostgreSQL server is
started (`storage.postgres_url`, or ``EDUCONNECT_BENCH_PG_URL``). Every phase runs in its own
child process; each round (`RUNS`, ≥ 3, unless ``EDUCONNECT_BENCH_NATIONAL_RUNS`` asks for fewer:
the reason is then printed):

- ``baseline``: raw ``xml.etree`` iterparse of the same files into row tuples, then psycopg's
  ``COPY … FROM STDIN`` of those rows (pupils, guardians, links) into plain tables with primary
  keys, in a fresh database of the same server — the fastest a loader could go;
- ``first``: `integrate_feed` into a fresh database through the command line's own `open_app`
  (``--db postgresql+psycopg://…``, the key from ``EDUCONNECT_KEY`` as in production), checked
  (every pupil and guardian with a child stored), then in the base it left the statistics of one
  school and one page of the director's list (25 schools each, as `storage.read_models_ms`).

Reported: ``pg_national_tenth_integrate_s`` (median, min, max of the rounds), the ratio to the
round's baseline, ``pg_national_extrapolated_min`` — the national feed's time assuming it grows
linearly with the number of guardians (``× 9,000,000 / guardians``): every statement of the
integration is set-based per group of schools and every index lookup is logarithmic, so one
national run is ten runs of this size one after the other (the documented way is one run per
académie) — and ``pg_stats_ms`` / ``pg_list_page_ms`` at this size.

Run: ``.venv/bin/python bench/national.py``.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import feed
from measure import RUNS, SCALE, MissingFigure, spread

#: The national primary feed, and a tenth of it at ``EDUCONNECT_BENCH_SCALE=1``.
NATIONAL_GUARDIANS = 9_000_000
GUARDIANS = 900_000
PUPILS = 635_000
PUPILS_PER_CLASS = 24


def sizes() -> tuple[int, int, int, int]:
    """(guardians, pupils, classes, schools) at the current scale (`feed.sizes`' shape)."""
    pupils = max(PUPILS_PER_CLASS * 5, int(PUPILS * SCALE))
    classes = pupils // PUPILS_PER_CLASS // 5 * 5  # whole schools of five classes
    return max(2, int(GUARDIANS * SCALE)), pupils, classes, classes // 5


def _rounds() -> tuple[int, str]:
    """How many rounds, and why when fewer than `RUNS`."""
    asked = os.environ.get("EDUCONNECT_BENCH_NATIONAL_RUNS")
    if asked is None:
        return RUNS, ""
    rounds = max(1, int(asked))
    if rounds >= RUNS:
        return rounds, ""
    return rounds, (
        f"{rounds} round(s) instead of {RUNS}: EDUCONNECT_BENCH_NATIONAL_RUNS={asked} "
        "(one round of this size takes minutes on a shared machine)"
    )


# -- the children ----------------------------------------------------------------------------


def _baseline(folder: Path, url: str) -> dict[str, float]:
    """Raw iterparse + raw ``COPY`` of the same rows into `url`'s database."""
    import psycopg  # noqa: PLC0415

    start = time.perf_counter()
    rows = feed.raw_rows(folder)
    parsed = time.perf_counter()
    with psycopg.connect(_libpq(url)) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE s (id text PRIMARY KEY, n text, p text, b text, c text)")
        cursor.execute("CREATE TABLE r (id text PRIMARY KEY, n text, p text, m text)")
        cursor.execute("CREATE TABLE l (r text, s text, PRIMARY KEY (r, s))")
        for table, name in (("s", "pupils"), ("r", "guardians"), ("l", "links")):
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows[name]:
                    copy.write_row(row)
    done = time.perf_counter()
    return {"parse_s": parsed - start, "total_s": done - start}


def _libpq(url: str) -> str:
    """The libpq connection string of a SQLAlchemy ``postgresql+psycopg://`` URL."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    parsed = make_url(url)
    parts = {"dbname": parsed.database, "user": parsed.username, **parsed.query}
    if parsed.host:
        parts["host"] = parsed.host
    if parsed.port:
        parts["port"] = str(parsed.port)
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _integrate(folder: Path, url: str) -> dict[str, Any]:
    """`integrate_feed` of `folder` into `url`, as ``educonnect integrate --db URL`` does, then
    the read models of 25 schools in the base it left.
    """
    from educonnect_aaf import integration  # noqa: PLC0415
    from educonnect_cli.context import Settings, open_app  # noqa: PLC0415
    from educonnect_core.domain.values import Uai  # noqa: PLC0415
    from storage import read_models_ms  # noqa: PLC0415

    guardians, pupils, _, schools = sizes()
    spent = feed._instrument(integration)
    start = time.perf_counter()
    with open_app(Settings(db=url), create=True) as app:
        report = integration.integrate_feed(app, folder).report
        seconds = time.perf_counter() - start
        stored = (
            report.pupils_created,
            report.pupils_ineligible,
            report.accounts_created,
            report.rejected[:3],
        )
        if (
            report.pupils_created + report.pupils_ineligible != pupils
            or report.accounts_created + report.without_account != guardians
            or not report.accounts_created
            or report.rejected
        ):
            raise MissingFigure(f"the integration did not store the whole feed: {stored}")
        uais = [Uai(feed.uai_of(1_000_000 + s)) for s in range(schools)]
        storage = app.runtime.storage
        read = read_models_ms(storage, uais)
        analyze = storage.freshness  # type: ignore[attr-defined]
    return {
        "total_s": seconds,
        "stage_s": spent["stage"],
        "integrate_s": spent["integrate"],
        "rss_mb": feed.peak_rss_mb(),
        "analyze_s": analyze.seconds,
        "analyzes": len(analyze.analyzed),
        "statistics_ms": read["statistics_ms"],
        "list_page_ms": read["list_page_ms"],
    }


def _child(phase: str, args: list[str]) -> dict[str, Any]:
    feed.sizes = sizes  # the generator writes this benchmark's sizes
    if phase == "generate":
        feed.generate(Path(args[0]))
        return {}
    if phase == "baseline":
        return _baseline(Path(args[0]), args[1])
    return _integrate(Path(args[0]), args[1])


def _phase(name: str, *args: str) -> dict[str, Any]:
    """Run one phase in a child process (its figures come back as JSON); a failure raises."""
    env = {**os.environ, "EDUCONNECT_KEY": _KEY}
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, __file__, "--phase", name, *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise MissingFigure(f"phase {name} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


#: The key the integrations seal provisional passwords with (as ``EDUCONNECT_KEY`` in production).
_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


# -- the parent ------------------------------------------------------------------------------


def _database(url: str, name: str, *, drop: bool = False) -> str:
    """Create (or drop) database `name` on `url`'s server; its URL."""
    from sqlalchemy import create_engine  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            if not drop:
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
    finally:
        admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def measure(url: str, folder: Path) -> dict[str, Any]:
    """Every round on the server at `url`; the figures."""
    guardians, pupils, classes, schools = sizes()
    rounds, why = _rounds()
    if why:
        print(why, flush=True)
    results: dict[str, Any] = {
        "scale": SCALE,
        "guardians": guardians,
        "pupils": pupils,
        "classes": classes,
        "schools": schools,
        "rounds_note": why,
    }
    run = folder / "feed"
    run.mkdir()
    start = time.perf_counter()
    _phase("generate", str(run))
    results["generate_s"] = time.perf_counter() - start
    results["feed_mb"] = sum(p.stat().st_size for p in run.iterdir()) / 1e6
    base: list[dict[str, Any]] = []
    first: list[dict[str, Any]] = []
    for round_ in range(rounds):
        raw_db = _database(url, f"national_raw_{round_}")
        base.append(_phase("baseline", str(run), raw_db))
        _database(url, f"national_raw_{round_}", drop=True)
        db = _database(url, f"national_{round_}")
        first.append(_phase("first", str(run), db))
        _database(url, f"national_{round_}", drop=True)
        print(
            f"round {round_ + 1}/{rounds}: baseline {base[-1]['total_s']:.1f} s, "
            f"integrate_feed {first[-1]['total_s']:.1f} s",
            flush=True,
        )
    seconds = [f["total_s"] for f in first]
    results["pg_national_tenth_integrate_s"] = spread(seconds)
    results["pg_national_baseline_s"] = spread([b["total_s"] for b in base])
    results["pg_national_baseline_parse_s"] = spread([b["parse_s"] for b in base])
    results["pg_national_vs_raw_copy"] = spread(
        [f["total_s"] / b["total_s"] for f, b in zip(first, base, strict=True)]
    )
    for part in ("stage", "integrate"):
        results[f"pg_national_{part}_s"] = spread([f[f"{part}_s"] for f in first])
    results["pg_national_peak_rss_mb"] = spread([f["rss_mb"] for f in first])
    results["pg_national_analyze_s"] = spread([f["analyze_s"] for f in first])
    results["pg_national_analyzes"] = first[-1]["analyzes"]
    factor = NATIONAL_GUARDIANS / guardians
    results["pg_national_extrapolated_min"] = spread([s * factor / 60 for s in seconds])
    results["pg_national_extrapolation"] = (
        f"× {factor:g} (9,000,000 / {guardians:,} guardians): linear in the number of "
        f"guardians, the national feed integrated as {factor:g} runs of this size one after the "
        "other"
    )
    for key in ("statistics_ms", "list_page_ms"):
        results[f"pg_{key}"] = spread([f[key]["median"] for f in first])
        results[f"pg_{key}_worst_round_max"] = max(f[key]["max"] for f in first)
    return results


def main() -> dict[str, Any]:
    """Start a throwaway server (or use ``EDUCONNECT_BENCH_PG_URL``), measure, print.
    ``EDUCONNECT_BENCH_PG=0`` skips it explicitly (as the PostgreSQL part of `storage`);
    otherwise a missing server is an error.
    """
    from storage import postgres_url  # noqa: PLC0415

    if os.environ.get("EDUCONNECT_BENCH_PG", "1") == "0":
        print("skipped: EDUCONNECT_BENCH_PG=0")
        return {"skipped": "EDUCONNECT_BENCH_PG=0"}
    folder = Path(tempfile.mkdtemp(prefix="educonnect-bench-national-"))
    folder.chmod(0o711)  # the server's user must reach its folder inside
    try:
        pg_folder = folder / "pg"
        pg_folder.mkdir()
        with postgres_url(pg_folder) as url:
            if url is None:
                raise MissingFigure("PostgreSQL binaries not found (`make postgres`)")
            results = measure(url, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--phase":
        print(json.dumps(_child(sys.argv[2], sys.argv[3:])))
        raise SystemExit(0)
    main()
