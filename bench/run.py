"""``make bench``: run every benchmark of `bench/` and write `bench/results.json`.

Scale with ``EDUCONNECT_BENCH_SCALE`` (1.0 = the issues' full scale, the default; 0.01 for a quick
look) and the rounds with ``EDUCONNECT_BENCH_RUNS`` (≥ 3). Every tracked figure is the median of
its rounds with their min and max; a ratio is computed per round against a baseline timed in the
same round. A tracked figure that a benchmark did not give is an error (`MissingFigure`): the run
stops and writes nothing, rather than report another figure under its name.

``login_timing`` (the spread of the refusal paths' medians with the production hasher) and
``web`` (the console's list page and logins over HTTP on a 1M-guardian base) are benchmarks like
the others: their ``main()`` returns the tracked figures as ``{median, min, max, runs}``.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import RUNS, SCALE, MissingFigure  # noqa: E402 (the folder is on the path now)

BENCHMARKS = ("startup", "core", "documents", "storage", "feed", "national", "login_timing", "web")

#: (summary key, benchmark, its figure (a prefix ends with "_"), goal as (operator, value), unit)
TRACKED: tuple[tuple[str, str, str, tuple[str, float] | None, str], ...] = (
    ("feed_integration_vs_raw", "feed", "feed_integration_vs_raw", ("<=", 1.5), "×"),
    ("feed_peak_rss_mb", "feed", "feed_peak_rss_mb", ("<=", 300), "MB"),
    ("reintegration_vs_first", "feed", "reintegration_vs_first", ("<=", 0.3), "×"),
    ("delta_1pct_vs_first", "feed", "delta_1pct_vs_first", ("<=", 0.35), "×"),
    ("core_import_vs_deps", "startup", "core_import_vs_deps", ("<=", 2.0), "×"),
    ("cli_help_s", "startup", "cli_help_s", ("<=", 0.3), "s"),
    ("paper_notification_vs_raw_reportlab", "documents", "paper_ratio", ("<=", 2.0), "×"),
    (
        "email_notification_vs_raw_smtplib",
        "documents",
        "mail_throughput_ratio_vs_prebuilt",
        (">=", 0.8),
        "×",
    ),
    ("storage_integration_vs_raw_executemany", "storage", "integrate_over_raw", ("<=", 2.0), "×"),
    ("storage_reintegration_vs_first", "storage", "reintegrate_over_first", ("<=", 0.6), "×"),
    ("stats_ms_", "storage", "statistics_ms_", ("<=", 5.0), "ms"),
    ("list_page_ms_", "storage", "list_page_ms_", ("<=", 20.0), "ms"),
    ("pg_stats_ms_", "storage", "pg_statistics_ms_", ("<=", 5.0), "ms"),
    ("pg_list_page_ms_", "storage", "pg_list_page_ms_", ("<=", 20.0), "ms"),
    (
        "pg_national_tenth_integrate_s",
        "national",
        "pg_national_tenth_integrate_s",
        ("<=", 180.0),
        "s",
    ),
    (
        "pg_national_extrapolated_min",
        "national",
        "pg_national_extrapolated_min",
        ("<=", 30.0),
        "min",
    ),
    ("pg_national_vs_raw_copy", "national", "pg_national_vs_raw_copy", None, "×"),
    ("pg_stats_ms", "national", "pg_statistics_ms", ("<=", 5.0), "ms"),
    ("pg_list_page_ms", "national", "pg_list_page_ms", ("<=", 20.0), "ms"),
    ("transition_vs_dict_table", "core", "transition_vs_dict_table", None, "×"),
    ("bulk_notification_1000_paper_s", "core", "bulk_paper_notification_s", None, "s"),
    (
        "login_refusal_timing_spread",
        "login_timing",
        "login_refusal_timing_spread",
        ("<=", 1.2),
        "×",
    ),
    ("web_list_page_overhead", "web", "web_list_page_overhead", ("<=", 1.5), "×"),
    ("web_login_throughput", "web", "web_login_throughput", (">=", 0.8), "×"),
)
#: Keys that an explicit switch leaves out (never silently).
OPTIONAL = {
    "pg_stats_ms_": "EDUCONNECT_BENCH_PG",
    "pg_list_page_ms_": "EDUCONNECT_BENCH_PG",
    **dict.fromkeys(
        (
            "pg_national_tenth_integrate_s",
            "pg_national_extrapolated_min",
            "pg_national_vs_raw_copy",
            "pg_stats_ms",
            "pg_list_page_ms",
        ),
        "EDUCONNECT_BENCH_PG",
    ),
}


def _figure(value: object, goal: tuple[str, float] | None, unit: str) -> dict[str, Any]:
    if isinstance(value, int | float):
        raise MissingFigure(f"{value!r} is one run, not a median of rounds")
    if not isinstance(value, dict) or not isinstance(value.get("median"), int | float):
        raise MissingFigure(f"{value!r} is not a measured figure")
    figure: dict[str, Any] = {**value, "unit": unit}
    if goal is not None:
        operator, bound = goal
        median = float(value["median"])
        figure["goal"] = f"{operator} {bound:g}"
        figure["met"] = median <= bound if operator == "<=" else median >= bound
    return figure


def summary(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The tracked figures, picked from each benchmark's own; a missing one raises."""
    tracked: dict[str, dict[str, Any]] = {}
    for key, bench, name, goal, unit in TRACKED:
        if bench not in results:
            continue  # not run this time (a benchmark named on the command line)
        figures = results[bench]
        if name.endswith("_"):
            found = {k: v for k, v in figures.items() if k.startswith(name)}
            switch = OPTIONAL.get(key)
            if not found and switch is not None and os.environ.get(switch) == "0":
                continue
            if not found:
                raise MissingFigure(f"{bench} gave no {name}<size> figure")
            for full, value in found.items():
                tracked[key + full.removeprefix(name)] = _figure(value, goal, unit)
        elif name not in figures:
            switch = OPTIONAL.get(key)
            if switch is not None and os.environ.get(switch) == "0":
                continue
            raise MissingFigure(f"{bench} gave no {name} figure")
        else:
            tracked[key] = _figure(figures[name], goal, unit)
    return tracked


def machine() -> dict[str, Any]:
    """Where and when the figures were measured."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


class IncompatibleResults(RuntimeError):
    """`--update` was asked on a results file measured at another scale or number of rounds."""


def kept(target: Path, chosen: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The figures and measuring dates of the benchmarks not run now, from `target`."""
    if not target.exists():
        return {}, {}
    earlier = json.loads(target.read_text(encoding="utf-8"))
    if earlier.get("scale") != SCALE or earlier.get("runs") != RUNS:
        raise IncompatibleResults(
            f"{target} was measured at scale {earlier.get('scale')} with {earlier.get('runs')} "
            f"rounds, not {SCALE} / {RUNS}: run every benchmark again, without --update"
        )
        # (figures at two scales in one table would compare what does not compare)
    date = str(earlier.get("machine", {}).get("date", ""))
    dates = earlier.get("measured", {})
    return (
        {k: v for k, v in earlier["benchmarks"].items() if k not in chosen},
        {k: str(dates.get(k, date)) for k in earlier["benchmarks"] if k not in chosen},
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmarks named on the command line (all by default); write results.json."""
    args = sys.argv[1:] if argv is None else argv
    chosen = [name for name in args if name in BENCHMARKS] or list(BENCHMARKS)
    target = HERE / "results.json"
    results, measured = kept(target, chosen) if "--update" in args else ({}, {})
    for name in chosen:
        print(f"== bench/{name}.py", flush=True)
        start = time.perf_counter()
        results[name] = importlib.import_module(name).main()
        results[name]["wall_s"] = time.perf_counter() - start
        measured[name] = machine()["date"]
    ordered = [name for name in BENCHMARKS if name in results]
    tracked = summary(results)
    output = {
        "scale": SCALE,
        "runs": RUNS,
        "machine": machine(),
        "benchmarks_run": ordered,
        "measured": {name: measured[name] for name in ordered},
        "summary": tracked,
        "benchmarks": {name: results[name] for name in ordered},
    }
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=HERE, suffix=".tmp", delete=False
    ) as handle:
        handle.write(json.dumps(output, indent=2) + "\n")
    os.replace(handle.name, target)
    print(json.dumps(output["summary"], indent=2))
    return output


if __name__ == "__main__":
    main()
