"""Benchmarks of the core (issue 2), printing ratios against baselines measured in the same run.

- the shared `transitions` machine: cost per transition against a plain dict-table lookup;
- a bulk notification of 1,000 accounts by paper and by e-mail on the in-memory world.

Each figure is the median of `RUNS` rounds (≥ 3) with min/max; the machine and its baseline run
alternately, the ratio is per round.

Run: ``make bench`` or ``.venv/bin/python bench/core.py``. Scale with ``EDUCONNECT_BENCH_SCALE``
(1.0 = full).
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

from educonnect_core import (
    AccountState,
    Channel,
    Director,
    DirectorySnapshot,
    Event,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Selection,
    Student,
    Uai,
)
from educonnect_core.domain.lifecycle import TRANSITIONS, fire
from educonnect_core.testing import in_memory_world
from measure import RUNS, SCALE, interleaved, spread, timed

UAI = "0999901Z"


class _Model:
    __slots__ = ("account_id", "state")

    def __init__(self) -> None:
        self.account_id = "bench"
        self.state = AccountState.NOT_NOTIFIED


def transition_cost(n: int) -> dict[str, Any]:
    """Seconds per transition, shared machine against a dict table, on the same event cycle."""
    cycle = [Event.NOTIFY, Event.BEGIN_ACTIVATION, Event.CONFIRM_EMAIL, Event.RESET_PASSWORD]
    table: dict[tuple[Event, AccountState], AccountState] = {}
    for event, sources, dest in TRANSITIONS:
        for source in sources:
            table[event, source] = dest or source

    def with_machine() -> None:
        model = _Model()
        for i in range(n):
            fire(model, cycle[i % 4])
            if model.state is AccountState.ACTIVATED and i % 4 == 3:
                model.state = AccountState.NOT_NOTIFIED

    def with_table() -> None:
        model = _Model()
        for i in range(n):
            model.state = table[cycle[i % 4], model.state]
            if model.state is AccountState.ACTIVATED and i % 4 == 3:
                model.state = AccountState.NOT_NOTIFIED

    figures = interleaved(lambda: timed(with_machine), lambda: timed(with_table))
    per_us = {k: 1e6 / n * v for k, v in figures["library_s"].items() if k != "runs"}
    base_us = {k: 1e6 / n * v for k, v in figures["baseline_s"].items() if k != "runs"}
    return {
        "transition_us": per_us | {"runs": float(RUNS)},
        "dict_table_us": base_us | {"runs": float(RUNS)},
        "transition_vs_dict_table": figures["ratio"],
    }


def school_snapshot(guardians: int) -> DirectorySnapshot:
    """One school, one guardian per pupil, half of them with an e-mail address."""
    school = School.create(UAI, "ECOLE DU BANC D'ESSAI")
    classes = [
        SchoolClass.create(f"C{i}", UAI, f"Classe {i}") for i in range(max(1, guardians // 25))
    ]
    students, responsables, links = [], [], []
    for i in range(guardians):
        students.append(
            Student.create(
                f"S{i}",
                surname=f"ELEVE{i}",
                first_name="Lou",
                birth_date=date(2018, 1, 1),
                uai=UAI,
                class_id=classes[i % len(classes)].class_id,
                level="CP",
                ine=f"{i:010d}A",
            )
        )
        responsables.append(
            Responsable.create(
                f"R{i}",
                surname=f"PARENT{i}",
                first_name="Sam",
                email=f"parent{i}@example.org" if i % 2 == 0 else None,
            )
        )
        links.append(GuardianLink(f"R{i}", f"S{i}"))
    return DirectorySnapshot([school], classes, students, responsables, links)


def bulk_notification(accounts: int) -> dict[str, Any]:
    """Seconds for a bulk paper notification (with reset) and a bulk e-mail notification,
    `RUNS` rounds, each on a new world.
    """
    rounds = [_bulk_notification_once(accounts) for _ in range(RUNS)]
    return {
        key: spread([r[key] for r in rounds])
        for key in ("bulk_paper_notification_s", "bulk_email_notification_s")
    }


def _bulk_notification_once(accounts: int) -> dict[str, float]:
    world = in_memory_world(seed=1)
    world.app.integrate(school_snapshot(accounts))
    admin = world.app.administration(Director("bench", {Uai.parse(UAI)}))
    start = time.perf_counter()
    paper = admin.notify(UAI, Selection(), Channel.PAPER, reset=True)
    paper_s = time.perf_counter() - start
    start = time.perf_counter()
    email = admin.notify(UAI, Selection(has_email=True), Channel.EMAIL)
    if len(email.done) != (accounts + 1) // 2:
        raise RuntimeError("not every guardian with an address was notified")
    email_s = time.perf_counter() - start
    if len(paper.done) != accounts or len(world.mailer.sent) != (accounts + 1) // 2:
        raise RuntimeError("the benchmark's notifications did not all go through")
    return {"bulk_paper_notification_s": paper_s, "bulk_email_notification_s": email_s}


def main() -> dict[str, Any]:
    """Run the core's benchmarks, print and return their figures."""
    n = max(1000, int(200_000 * SCALE))
    results: dict[str, Any] = {"accounts": 1000, "transitions": n}
    results |= transition_cost(n)
    results |= bulk_notification(1000)
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
