"""`docs/performance.md` is generated from the benchmarks' figures (issue 14, item 7)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _perfdoc() -> ModuleType:
    spec = importlib.util.spec_from_file_location("perfdoc", ROOT / "docs" / "perfdoc.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["perfdoc"] = module
    spec.loader.exec_module(module)
    return module


def _table_keys(page: str) -> set[str]:
    return set(re.findall(r"^\| `([^`]+)` \|", page, flags=re.MULTILINE))


def test_the_page_lists_every_key_of_the_results() -> None:
    """Every tracked figure and every figure of every benchmark in docs/performance.json has
    its row in the page's tables.
    """
    results = json.loads((ROOT / "docs" / "performance.json").read_text(encoding="utf-8"))
    page = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    expected = set(results["summary"]) | {
        f"{bench}.{key}" for bench, figures in results["benchmarks"].items() for key in figures
    }
    assert expected - _table_keys(page) == set()
    assert results["summary"], "no tracked figure"


def test_the_page_is_what_the_generator_writes_from_the_results() -> None:
    """No figure of the page was typed or edited by hand: regenerating it gives the same text,
    and it states the machine, the date and the scale.
    """
    perfdoc = _perfdoc()
    results = json.loads(perfdoc.FIGURES.read_text(encoding="utf-8"))
    notes = perfdoc.NOTES.read_text(encoding="utf-8")
    page = perfdoc.PAGE.read_text(encoding="utf-8")
    assert page == perfdoc.render(results, notes)
    assert results["machine"]["date"] in page
    assert "scale" in page


def test_the_notes_hold_no_figure() -> None:
    """The hand-written part of the page holds no measured number (figures come from JSON)."""
    notes = (ROOT / "docs" / "performance-notes.md").read_text(encoding="utf-8")
    assert re.findall(r"\d+(?:[.,]\d+)?\s*(?:×|x\b|ms\b|s\b|MB\b|%)", notes) == []


def test_results_without_their_machine_are_refused() -> None:
    """A results file without the machine or the tracked figures cannot make the page."""
    perfdoc = _perfdoc()
    with pytest.raises(perfdoc.BadResults):
        perfdoc.render({"scale": 1, "runs": 3, "summary": {}, "benchmarks": {}}, "")


def _bench_run() -> ModuleType:
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_update_keeps_the_other_benchmarks_with_their_dates(tmp_path: Path) -> None:
    """`bench/run.py --update` keeps the figures of the benchmarks not run now, each with the
    date it was measured, and the page says when each one was measured.
    """
    run = _bench_run()
    earlier = {
        "scale": run.SCALE,
        "runs": run.RUNS,
        "machine": {"date": "2026-12-01 10:00 UTC"},
        "benchmarks": {"core": {"x": 1.0}, "feed": {"y": 2.0}},
    }
    target = tmp_path / "results.json"
    target.write_text(json.dumps(earlier), encoding="utf-8")
    figures, dates = run.kept(target, ["feed"])
    assert figures == {"core": {"x": 1.0}}
    assert dates == {"core": "2026-12-01 10:00 UTC"}
    perfdoc = _perfdoc()
    results = {
        "scale": 1,
        "runs": 3,
        "machine": {
            "date": "2026-12-02 10:00 UTC",
            "cpus": 2,
            "processor": "x",
            "memory_gb": 1,
            "platform": "p",
            "python": "3",
            "sqlite": "3",
        },
        "measured": {"core": "2026-12-01 10:00 UTC", "feed": "2026-12-02 10:00 UTC"},
        "summary": {},
        "benchmarks": {"core": {"x": 1.0}, "feed": {"y": 2.0}},
    }
    page = perfdoc.render(results, "")
    assert "`core` 2026-12-01 10:00 UTC; `feed` 2026-12-02 10:00 UTC" in page


def test_an_update_refuses_figures_of_another_scale(tmp_path: Path) -> None:
    """Figures measured at another scale or number of rounds are never mixed into one table."""
    run = _bench_run()
    target = tmp_path / "results.json"
    target.write_text(
        json.dumps({"scale": run.SCALE * 10, "runs": run.RUNS, "benchmarks": {}}),
        encoding="utf-8",
    )
    with pytest.raises(run.IncompatibleResults):
        run.kept(target, ["feed"])
