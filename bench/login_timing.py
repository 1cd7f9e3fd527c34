"""Issue 9.4: every refusal path of a login costs the same, with the production hasher.

An in-memory EduConnect with the production password hasher — `educonnect_argon2.Argon2Hasher`
when the ``argon2`` extra is installed, else the core's `ScryptHasher` (the choice is printed,
never silent) — and one school whose guardians each stand on one refusal path: malformed login,
unknown login, account not notified, wrong provisional password, expired provisional password,
wrong chosen password, locked, blocked by the hard cap, and no password (FranceConnect). Each
path is timed `REPETITIONS` times, the paths interleaved in a shuffled order at each round, and
the figure is the slowest median over the fastest (`login_refusal_timing_spread`, goal ≤ 1.2).

Run: ``.venv/bin/python bench/login_timing.py`` (prints the figures and merges them into
``bench/results.json``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from educonnect_core import (
    Account,
    Channel,
    CredentialsRefused,
    Director,
    DirectorySnapshot,
    EduConnect,
    FirstConnectionRequired,
    GuardianLink,
    PasswordHasher,
    Responsable,
    School,
    SchoolClass,
    ScryptHasher,
    Student,
    Uai,
)
from educonnect_core.testing import (
    RENTREE,
    FakeClock,
    InMemoryStorage,
    RecordingMailer,
    RecordingRenderer,
    SeededSecrets,
)

HERE = Path(__file__).resolve().parent
UAI = "0999901Z"
DIRECTOR = Director("bench", {Uai(UAI)})
REPETITIONS = int(os.environ.get("EDUCONNECT_LOGIN_TIMING_REPETITIONS", "7"))
#: Rounds of `measure()`: the spread is reported as the median of the rounds' with min and max.
ROUNDS = max(3, int(os.environ.get("EDUCONNECT_BENCH_RUNS", "3")))
BIRTH = date(2018, 3, 14)
CHOSEN = "Soleil2025"
WRONG = "Mauvais2025"
#: The paths that count a failure need a fresh account at every repetition.
COUNTED = ("wrong provisional", "expired provisional", "wrong chosen")


def _check(condition: object, what: str) -> None:
    """Stop the benchmark if its set-up did not give what it needs."""
    if not condition:
        raise RuntimeError(f"bench set-up failed: {what}")


def production_hasher() -> tuple[PasswordHasher, str]:
    """Argon2id if its adapter is importable, else scrypt; with the name said aloud."""
    try:
        from educonnect_argon2 import Argon2Hasher  # noqa: PLC0415 - optional extra.
    except ImportError:
        return ScryptHasher(), "ScryptHasher (educonnect_argon2 not importable)"
    hasher = Argon2Hasher()
    return hasher, repr(hasher)


def _snapshot(guardians: int) -> DirectorySnapshot:
    school = School.create(UAI, "ECOLE DU BANC D'ESSAI")
    school_class = SchoolClass.create("B1", UAI, "CP A")
    students, responsables, links = [], [], []
    for i in range(guardians):
        students.append(
            Student.create(
                f"E{i:03d}",
                surname=f"ELEVE{i}",
                first_name="Lina",
                birth_date=BIRTH,
                uai=UAI,
                class_id="B1",
                level="CP",
                ine=f"{i:010d}A",
            )
        )
        responsables.append(
            Responsable.create(
                f"R{i:03d}",
                surname=f"PARENT{i}",
                first_name="Claire",
                email=f"parent{i}@example.org",
                mobile=f"06{i:08d}",
            )
        )
        links.append(GuardianLink(f"R{i:03d}", f"E{i:03d}"))
    return DirectorySnapshot([school], [school_class], students, responsables, links)


class _BenchHasher:
    """The production hasher, whose `verify` may be skipped (answering False) while the set-up
    types the hundred wrong passwords that block an account: they are not measured, and every
    hash (the dummy one included) is always made by the production hasher.
    """

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self.skip_verify = False

    def hash(self, password: str) -> str:
        """The production hash."""
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """The production verification, or False at once during the blocking set-up."""
        return False if self.skip_verify else self.hasher.verify(password_hash, password)


class _School:
    """The bench's world: which login stands on which path."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = _BenchHasher(hasher)
        self.clock = FakeClock(RENTREE)
        self.app = EduConnect(
            storage=InMemoryStorage(),
            mailer=RecordingMailer(),
            renderer=RecordingRenderer(),
            clock=self.clock,
            secrets=SeededSecrets(9),
            hasher=self.hasher,
        )
        roles = ["not notified", "locked", "blocked", "no password (FranceConnect)"]
        roles += [f"{path} {n}" for path in COUNTED for n in range(REPETITIONS)]
        self.app.integrate(_snapshot(len(roles)))
        by_id = {f"R{i:03d}": role for i, role in enumerate(roles)}
        self.logins: dict[str, str] = {}
        with self.app.runtime.storage.unit_of_work() as uow:
            for account_id, role in by_id.items():
                account = uow.accounts.get(account_id)
                if account is None:
                    raise RuntimeError(f"no account {account_id}")
                self.logins[role] = account.login.value
        self.ids = {role: account_id for account_id, role in by_id.items()}

    def notify(self, roles: list[str]) -> None:
        """Paper notification of the accounts of `roles`, now."""
        self.app.administration(DIRECTOR).notify(
            UAI, [self.logins[r] for r in roles], Channel.PAPER
        )

    def stored(self, login: str) -> Account:
        """The account of `login` as stored."""
        with self.app.runtime.storage.unit_of_work() as uow:
            account = uow.accounts.by_login(login)
        if account is None:
            raise RuntimeError(f"no account {login}")
        return account

    def password(self, role: str) -> str:
        """The provisional password of `role`'s account."""
        secret = self.stored(self.logins[role]).readable_password
        if secret is None:
            raise RuntimeError(f"{role} has no provisional password")
        return secret

    def activate(self, role: str) -> None:
        """First connection (the link is not needed: a chosen password is what matters)."""
        login, provisional = self.logins[role], self.password(role)
        step = self.app.portal().login(login, provisional)
        _check(isinstance(step, FirstConnectionRequired), f"{role} awaits a first connection")
        self.app.portal().first_connection(
            login,
            provisional,
            new_password=CHOSEN,
            email=f"choisi.{login}@example.org",
            birth_date=BIRTH,
        )

    def fail_until_blocked(self, role: str) -> None:
        """Wrong passwords, waiting out each lock, until the hard cap blocks the account."""
        login = self.logins[role]
        portal = self.app.portal()
        self.hasher.skip_verify = True
        for _ in range(self.app.policy.login_block_after or 0):
            with contextlib.suppress(CredentialsRefused):
                portal.login(login, WRONG)
            until = self.stored(login).login_failures.locked_until
            if until is not None and until > self.clock.now():
                self.clock.set(until)
        self.hasher.skip_verify = False
        _check(self.stored(login).blocked, f"{role} is blocked")


def _world(hasher: PasswordHasher) -> tuple[_School, dict[str, Callable[[int], tuple[str, str]]]]:
    """The school set up, and per path: repetition → (login, password) to type."""
    school = _School(hasher)
    expired = [f"expired provisional {n}" for n in range(REPETITIONS)]
    school.notify(["blocked", *expired])
    school.fail_until_blocked("blocked")
    school.clock.advance(days=120)
    others = ["locked", "no password (FranceConnect)"]
    others += [
        f"{p} {n}" for p in ("wrong provisional", "wrong chosen") for n in range(REPETITIONS)
    ]
    school.notify(others)
    school.activate("locked")
    for n in range(REPETITIONS):
        school.activate(f"wrong chosen {n}")
    fc = int(school.ids["no password (FranceConnect)"][1:])
    school.app.portal().connect_with_franceconnect(
        surname=f"PARENT{fc}",
        first_name="Claire",
        mobile=f"06{fc:08d}",
        birth_dates={f"E{fc:03d}": BIRTH},
    )
    for _ in range(school.app.policy.login_throttle.free):
        with contextlib.suppress(CredentialsRefused):
            school.app.portal().login(school.logins["locked"], WRONG)
    _check(school.stored(school.logins["locked"]).login_failures.locked(school.clock.now()), "lock")
    old = {n: school.password(f"expired provisional {n}") for n in range(REPETITIONS)}
    logins = school.logins
    paths: dict[str, Callable[[int], tuple[str, str]]] = {
        "malformed login": lambda n: ("Claire Parent!", WRONG),
        "unknown login": lambda n: (f"x.personne{n}", WRONG),
        "not notified": lambda n: (logins["not notified"], WRONG),
        "wrong provisional": lambda n: (logins[f"wrong provisional {n}"], WRONG),
        "expired provisional": lambda n: (logins[f"expired provisional {n}"], old[n]),
        "wrong chosen": lambda n: (logins[f"wrong chosen {n}"], WRONG),
        "locked": lambda n: (logins["locked"], CHOSEN),
        "blocked": lambda n: (logins["blocked"], CHOSEN),
        "no password (FranceConnect)": lambda n: (
            logins["no password (FranceConnect)"],
            WRONG,
        ),
    }
    return school, paths


def measure() -> dict[str, float]:
    """The median seconds of each refusal path, and `login_refusal_timing_spread`."""
    hasher, name = production_hasher()
    print(f"hasher: {name}", flush=True)
    school, paths = _world(hasher)
    portal = school.app.portal()
    portal_login = portal.login
    with contextlib.suppress(CredentialsRefused):  # warm-up: the dummy hash, caches
        portal_login("x.echauffement", WRONG)
    times: dict[str, list[float]] = {path: [] for path in paths}
    order = sorted(paths)
    shuffle = random.Random(4)
    for n in range(REPETITIONS):
        shuffle.shuffle(order)
        for path in order:
            login, password = paths[path](n)
            start = time.perf_counter()
            try:
                portal_login(login, password)
            except CredentialsRefused:
                pass
            else:
                raise AssertionError(f"{path}: the login was not refused")
            times[path].append(time.perf_counter() - start)
    medians = {f"login_refusal_median_s[{p}]": statistics.median(t) for p, t in times.items()}
    spread = max(medians.values()) / min(medians.values())
    return {**medians, "login_refusal_timing_spread": spread, "repetitions": REPETITIONS}


def merge(figures: dict[str, Any], hasher: str, path: Path = HERE / "results.json") -> None:
    """Read-modify-write `path` atomically: the figures under ``benchmarks.login_timing`` and
    the spread in ``summary``; every other key is kept.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    data.setdefault("benchmarks", {})["login_timing"] = {**figures, "hasher": hasher}
    data.setdefault("summary", {})["login_refusal_timing_spread"] = {
        **figures["login_refusal_timing_spread"],
        "goal": "<= 1.2",
        "unit": "×",
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(data, indent=2) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main() -> dict[str, Any]:
    """`ROUNDS` rounds of `measure()`: the spread's median with min and max (what bench/run.py
    tracks), and each path's median seconds over the rounds.
    """
    rounds = [measure() for _ in range(ROUNDS)]
    spreads = [float(r["login_refusal_timing_spread"]) for r in rounds]
    figures: dict[str, Any] = {
        "hasher": production_hasher()[1],
        "repetitions_per_round": REPETITIONS,
        "login_refusal_timing_spread": {
            "median": statistics.median(spreads),
            "min": min(spreads),
            "max": max(spreads),
            "runs": len(spreads),
        },
    }
    for key in rounds[0]:
        if key.startswith("login_refusal_median_s"):
            figures[key] = statistics.median(float(r[key]) for r in rounds)
    return figures


if __name__ == "__main__":
    found = main()
    print(json.dumps(found, indent=2, ensure_ascii=False))
    merge(found, found["hasher"])
    sys.exit(0 if found["login_refusal_timing_spread"]["median"] <= 1.2 else 1)
