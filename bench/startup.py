"""Start-up costs (issue 14, item 4), each in fresh interpreters, interleaved with its baseline.

- `import educonnect_core` against `import attrs, cattrs, transitions` (its dependencies alone):
  the time of the import statement inside a new process, median of ≥ 5 rounds;
- `educonnect --help`: the wall time of the whole command, median of ≥ 5.

Run: ``.venv/bin/python bench/startup.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from measure import RUNS, MissingFigure, spread

ROUNDS = max(5, RUNS)
_TIMED_IMPORT = (
    "import time; start = time.perf_counter(); import {modules}; print(time.perf_counter() - start)"
)


def import_seconds(modules: str) -> float:
    """Seconds of `import <modules>` in a fresh interpreter."""
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", _TIMED_IMPORT.format(modules=modules)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip())


def cli_help_seconds() -> float:
    """Wall seconds of `educonnect --help`."""
    command = Path(sys.executable).with_name("educonnect")
    if not command.exists():
        raise MissingFigure(f"{command} not installed: cli_help_s cannot be measured")
    start = time.perf_counter()
    subprocess.run([command, "--help"], check=True, capture_output=True)  # noqa: S603
    return time.perf_counter() - start


def main() -> dict[str, Any]:
    """Measure both and print them."""
    core: list[float] = []
    deps: list[float] = []
    for _ in range(ROUNDS):
        core.append(import_seconds("educonnect_core"))
        deps.append(import_seconds("attrs, cattrs, transitions"))
    helps = [cli_help_seconds() for _ in range(ROUNDS)]
    figures = {
        "core_import_s": spread(core),
        "deps_import_s": spread(deps),
        "core_import_vs_deps": spread([c / d for c, d in zip(core, deps, strict=True)]),
        "cli_help_s": spread(helps),
    }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
