"""What every benchmark of `bench/` shares: repeated timings reported as median with min/max.

A figure is never one run: `spread` summarises ≥ 3 timings; a ratio is computed per run against
its baseline timed in the same round (`interleaved`), then summarised the same way, so a load
spike on the shared machine moves one round, not the reported median.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

#: Timed repetitions of every phase (at least 3; ``EDUCONNECT_BENCH_RUNS`` raises it).
RUNS = max(3, int(os.environ.get("EDUCONNECT_BENCH_RUNS", "3")))
SCALE = float(os.environ.get("EDUCONNECT_BENCH_SCALE", "1"))


class MissingFigure(RuntimeError):
    """A figure the benchmarks must give was not measured: an error, never a fallback."""


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of `values` (at least one), with their count."""
    if not values:
        raise MissingFigure("no run to summarise")
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": float(len(values)),
    }


def timed(work: Callable[[], object], *, pause_gc: bool = False) -> float:
    """Seconds `work` takes (the garbage collector paused meanwhile when `pause_gc`)."""
    if pause_gc:
        gc.collect()
        gc.disable()
    try:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start
    finally:
        if pause_gc:
            gc.enable()


def interleaved(
    library: Callable[[], float], baseline: Callable[[], float], runs: int = RUNS
) -> dict[str, Any]:
    """Time `library` and `baseline` alternately `runs` times (each returns its own seconds);
    the ratio library ÷ baseline of each round, and the spread of each.
    """
    lib: list[float] = []
    base: list[float] = []
    for _ in range(runs):
        lib.append(library())
        base.append(baseline())
    return {
        "library_s": spread(lib),
        "baseline_s": spread(base),
        "ratio": spread([a / b for a, b in zip(lib, base, strict=True)]),
    }


def scale_label(guardians: int) -> str:
    """`1m`, `100k`, `10k`…: the size a figure was measured at, for its key's name."""
    if guardians >= 1_000_000 and guardians % 1_000_000 == 0:
        return f"{guardians // 1_000_000}m"
    if guardians >= 1000:
        return f"{round(guardians / 1000)}k"
    return str(guardians)
