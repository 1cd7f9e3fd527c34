"""``make bench``: run every benchmark of `bench/` in one go and write `bench/results.json`.

Scale with ``EDUCONNECT_BENCH_SCALE`` (1.0 = the issues' full scale, the default; 0.01 for a quick
look). Each benchmark measures its baseline in the same run and reports ratios; the summary keys
are the ones the project tracks.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("core", "documents", "storage", "feed")


def _first(figures: dict[str, Any], *keys: str) -> float | None:
    for key in keys:
        value = figures.get(key)
        if isinstance(value, int | float):
            return float(value)
    return None


def summary(results: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """The tracked figures, picked from each benchmark's own."""
    core, docs = results.get("core", {}), results.get("documents", {})
    storage, feed = results.get("storage", {}), results.get("feed", {})
    return {
        "feed_integration_vs_raw": _first(feed, "sqlite_vs_baseline", "memory_vs_baseline"),
        "reintegration_vs_first": _first(storage, "reintegrate_over_first"),
        "paper_notification_vs_raw_reportlab": _first(docs, "paper_ratio"),
        "email_notification_vs_raw_smtplib": _first(docs, "mail_throughput_ratio_vs_building"),
        "email_notification_vs_raw_smtplib_prebuilt": _first(
            docs, "mail_throughput_ratio_vs_prebuilt"
        ),
        "stats_ms_1m": _first(storage, "statistics_ms"),
        "list_page_ms_1m": _first(storage, "list_page_ms"),
        "storage_integration_vs_raw_executemany": _first(storage, "integrate_over_raw"),
        "transition_vs_dict_table": _first(core, "transition_vs_dict_table"),
        "bulk_notification_1000_paper_s": _first(core, "bulk_paper_notification_s"),
    }


def main() -> dict[str, Any]:
    """Run the benchmarks named on the command line (all by default); write results.json."""
    sys.path.insert(0, str(HERE))
    chosen = [name for name in sys.argv[1:] if name in BENCHMARKS] or list(BENCHMARKS)
    results: dict[str, dict[str, Any]] = {}
    for name in chosen:
        print(f"== bench/{name}.py", flush=True)
        start = time.perf_counter()
        results[name] = importlib.import_module(name).main()
        results[name]["wall_s"] = time.perf_counter() - start
    output = {
        "scale": float(os.environ.get("EDUCONNECT_BENCH_SCALE", "1")),
        "summary": summary(results),
        "benchmarks": results,
    }
    (HERE / "results.json").write_text(json.dumps(output, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(output["summary"], indent=2))
    return output


if __name__ == "__main__":
    main()
