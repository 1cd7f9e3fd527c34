"""Benchmarks of the web console (issue 12), each ratio against its baseline measured in the same
repetition.

- ``web_list_page_overhead``: p95 latency of the Responsables page (HTML) and of ``/api/v1/list``
  for one school, 16 concurrent clients on 127.0.0.1 (keep-alive), divided by the p95 of the
  service call alone (`Administration.rows`, same page, 16 threads) on the same SQLite base; the
  figure is the worse of the two (the issue's bound, ≤ 1.5, holds for both). The server runs in
  its own process (uvicorn, one worker).
- ``web_login_throughput``: guardian logins per second through the login form (GET for the CSRF
  token, then POST) with the production hasher (argon2id), divided by verifications per second of
  the hasher alone, both with 4 concurrent clients (≥ 0.8).

Each repetition (`REPEATS`, 3) interleaves the phases in `BLOCKS` blocks (service, HTML, API,
web logins, hasher; again) so that the load of the machine weighs on each baseline as on its
measure; the clients connect before the measure (keep-alive). The figures are the medians of the
repetitions' ratios, with their min and max, and the medians of the absolute p50/p95.

The base: the simulation's synthetic feed (``EDUCONNECT_BENCH_WEB_PUPILS`` pupils over three
schools, 3,000 by default; the measured school has about 1,000 pupils and 1,000 guardians)
integrated by the library, its first school notified and 8 guardians activated through the
portal; then grown by SQL to ``EDUCONNECT_BENCH_WEB_GUARDIANS`` guardians (1,000,000 by default,
the issue's base; 0 keeps the three schools) by copying those rows under new ids and UAIs, which
takes about a minute instead of the hours of integrating a million-guardian feed.

Run: ``.venv/bin/python bench/web.py`` prints the figures and merges them into
bench/results.json; ``bench/run.py`` calls `measure()`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import attrs
import httpx

from educonnect_argon2 import Argon2Hasher
from educonnect_cli.serve import set_director_password
from educonnect_core import (
    AccountState,
    BirthDateRefused,
    Channel,
    Director,
    EduConnect,
    FirstConnectionRequired,
    Selection,
    SystemClock,
    SystemSecrets,
)
from educonnect_core.testing import RecordingMailer, RecordingRenderer
from educonnect_core.testing.simulation import SyntheticFeed, synthetic_feed
from educonnect_sql import SqlStorage

HERE: Final = Path(__file__).resolve().parent
RESULTS: Final = HERE / "results.json"
PUPILS = int(os.environ.get("EDUCONNECT_BENCH_WEB_PUPILS", "3000"))
GUARDIANS = int(os.environ.get("EDUCONNECT_BENCH_WEB_GUARDIANS", "1000000"))
REPEATS = int(os.environ.get("EDUCONNECT_BENCH_WEB_REPEATS", "3"))
CLIENTS: Final = 16
LOGIN_CLIENTS: Final = 4
REQUESTS = int(os.environ.get("EDUCONNECT_BENCH_WEB_REQUESTS", "640"))
LOGINS = int(os.environ.get("EDUCONNECT_BENCH_WEB_LOGINS", "48"))
#: Each repetition interleaves the phases in this many blocks.
BLOCKS: Final = 4
PASSWORD: Final = "Soleil2025"  # noqa: S105 - the benchmark's guardians choose it
DIRECTOR_PASSWORD: Final = "Bench2025dir"  # noqa: S105 - the benchmark's director


@attrs.frozen
class Base:
    """The benchmark's SQLite base and who is measured on it."""

    folder: Path
    uai: str
    director: Director
    #: Activated guardians (password `PASSWORD`), one per concurrent login client.
    logins: tuple[str, ...]
    guardians: int
    school_pupils: int
    build_seconds: float

    @property
    def db(self) -> Path:
        """The SQLite file."""
        return self.folder / "bench.sqlite3"

    @property
    def directors(self) -> Path:
        """The directors file the server reads."""
        return self.folder / "directors.json"


def csrf(html: str) -> str:
    """The CSRF token of a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    if found is None:
        raise RuntimeError("no CSRF token in the page")
    return found.group(1)


def check(condition: object, what: str) -> None:
    """Stop the benchmark when an answer is not the expected one (a wrong run measures nothing)."""
    if not condition:
        raise RuntimeError(what)


def quantile(values: list[float], q: float) -> float:
    """The `q` quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def app_on(db: Path) -> tuple[EduConnect, SqlStorage]:
    """The library on `db` with the production hasher (argon2id)."""
    storage = SqlStorage.open(f"sqlite:///{db}", migrate=True)
    app = EduConnect(
        storage=storage,
        mailer=RecordingMailer(),
        renderer=RecordingRenderer(),
        clock=SystemClock(),
        secrets=SystemSecrets(),
        hasher=Argon2Hasher(),
    )
    return app, storage


def _activate_some(
    app: EduConnect, storage: SqlStorage, uai: str, director: Director, feed: SyntheticFeed
) -> list[str]:
    """Eight guardians of `uai` through their first connection (argon2id password `PASSWORD`)."""
    feed_children = {s.name: s for s in feed.snapshot.students}
    admin = app.administration(director)
    logins: list[str] = []
    for row in admin.rows(uai, Selection(states={AccountState.NOTIFIED}, page_size=200)).rows:
        if len(logins) >= 2 * LOGIN_CLIENTS or row.login in logins:
            continue
        with storage.unit_of_work() as uow:
            account = uow.accounts.by_login(row.login)
        provisional = "" if account is None else account.readable_password or ""
        step = app.portal().login(row.login, provisional)
        if not isinstance(step, FirstConnectionRequired):
            continue
        try:
            app.portal().first_connection(
                row.login,
                provisional,
                new_password=PASSWORD,
                email=step.email or f"{row.login}@example.org",
                birth_date=feed_children[step.child_name].birth_date,
            )
        except BirthDateRefused:  # a homonym child, or the feed's wrong date: next one
            continue
        logins.append(row.login)
    return logins


def grow(db: Path, guardians: int) -> int:
    """Copy the schools, classes, pupils, links and accounts under new ids and UAIs until the
    base holds about `guardians` accounts; returns how many it holds. The copies are other
    schools (their guardians have children there only); the measured school keeps its rows.
    """
    with sqlite3.connect(db, isolation_level=None) as con:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = OFF")
        (have,) = con.execute("SELECT count(*) FROM accounts").fetchone()
        copies = max(0, -(-(guardians - have) // have)) if guardians > have else 0
        if not copies:
            return int(have)
        con.execute("BEGIN")
        con.execute("CREATE TEMP TABLE copies (k INTEGER PRIMARY KEY)")
        con.executemany("INSERT INTO copies VALUES (?)", [(k,) for k in range(1, copies + 1)])
        con.execute(
            "CREATE TEMP TABLE umap AS SELECT s.uai AS old, c.k AS k, "
            "printf('%07dZ', 2000000 + c.k * 10 + s.rowid) AS new "
            "FROM schools s, copies c"
        )
        con.execute("CREATE INDEX temp.ix_umap ON umap (old, k)")
        con.execute(
            "INSERT INTO schools (uai, name) "
            "SELECT u.new, s.name || ' ' || u.k FROM schools s JOIN umap u ON u.old = s.uai"
        )
        con.execute(
            "INSERT INTO classes (class_id, uai, name, name_key) "
            "SELECT c.class_id || '~' || u.k, u.new, c.name, c.name_key "
            "FROM classes c JOIN umap u ON u.old = c.uai"
        )
        con.execute(
            "INSERT INTO students (student_id, uai, surname, first_name, surname_key, "
            "first_name_key, birth_date, class_id, class_key, level, ine, admitted) "
            "SELECT s.student_id || '~' || u.k, u.new, s.surname, s.first_name, s.surname_key, "
            "s.first_name_key, s.birth_date, s.class_id || '~' || u.k, s.class_key, s.level, "
            "s.ine, s.admitted FROM students s JOIN umap u ON u.old = s.uai"
        )
        con.execute(
            "INSERT INTO guardian_links (student_id, responsable_id) "
            "SELECT g.student_id || '~' || c.k, g.responsable_id || '~' || c.k "
            "FROM guardian_links g, copies c"
        )
        columns = [row[1] for row in con.execute("PRAGMA table_info(accounts)")]
        fresh = {
            "account_id": "a.account_id || '~' || c.k",
            "login": "a.login || '~' || c.k",
            "activation_digest": "NULL",  # a link's digest finds one account
        }
        picked = ", ".join(fresh.get(name, f"a.{name}") for name in columns)
        con.execute(
            f"INSERT INTO accounts ({', '.join(columns)}) "  # noqa: S608 - the table's own columns
            f"SELECT {picked} FROM accounts a, copies c"
        )
        con.execute("COMMIT")
        (total,) = con.execute("SELECT count(*) FROM accounts").fetchone()
    return int(total)


def build(folder: Path, guardians: int = GUARDIANS) -> Base:
    """The base in `folder`: the feed integrated, the first school notified, eight guardians
    activated, then grown to `guardians` accounts.
    """
    start = time.perf_counter()
    feed = synthetic_feed(2025, pupils=PUPILS)
    db = folder / "bench.sqlite3"
    app, storage = app_on(db)
    director = feed.directors[0]
    uai = sorted(director.uais)[0].value
    try:
        app.integrate(feed.snapshot)
        app.administration(director).notify(uai, Selection(), Channel.PAPER)
        logins = _activate_some(app, storage, uai, director, feed)
    finally:
        storage.close()
    check(len(logins) >= LOGIN_CLIENTS, "not enough activated guardians")
    total = grow(db, guardians)
    school_pupils = sum(1 for s in feed.snapshot.students if s.uai.value == uai)
    directors = folder / "directors.json"
    directors.write_text(
        json.dumps([{"id": director.director_id, "name": director.name, "uais": [uai]}]),
        encoding="utf-8",
    )
    set_director_password(directors, director.director_id, DIRECTOR_PASSWORD)
    return Base(
        folder,
        uai,
        director,
        tuple(logins),
        total,
        school_pupils,
        time.perf_counter() - start,
    )


def serve(db: str, directors: str, port: int) -> None:
    """The server process: the console on `db` (argon2id, SQLite), no rate limit to speak of."""
    import uvicorn  # noqa: PLC0415 - the server process only

    from educonnect_web import DirectorsFile, WebSettings, create_app  # noqa: PLC0415

    app, _storage = app_on(Path(db))
    web = create_app(
        app, DirectorsFile(Path(directors)), WebSettings(guardian_rate=10**9, page_size=50)
    )
    uvicorn.run(web, host="127.0.0.1", port=port, log_level="error", access_log=False)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(base: Base) -> Iterator[str]:
    """The console served on `base` in its own process; yields its address."""
    port = free_port()
    address = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: S603 - this interpreter, this file
        [sys.executable, __file__, "--serve", str(base.db), str(base.directors), str(port)]
    )
    try:
        for _ in range(300):
            try:
                httpx.get(address + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def concurrent(
    states: list[Any], total: int, step: Callable[[Any], object]
) -> tuple[list[float], float]:
    """`total` calls of `step`, spread over one thread per state of `states`: the latencies and
    the wall time.
    """
    per = total // len(states)
    latencies: list[float] = []

    def worker(state: Any) -> list[float]:
        mine = []
        for _ in range(per):
            start = time.perf_counter()
            step(state)
            mine.append(time.perf_counter() - start)
        return mine

    start = time.perf_counter()
    with ThreadPoolExecutor(len(states)) as pool:
        for result in pool.map(worker, states):
            latencies += result
    return latencies, time.perf_counter() - start


@attrs.define
class Round:
    """One repetition's samples: latencies in seconds, and the logins' and verifications' wall
    times.
    """

    service: list[float] = attrs.Factory(list)
    html: list[float] = attrs.Factory(list)
    api: list[float] = attrs.Factory(list)
    web_login_seconds: float = 0.0
    hasher_seconds: float = 0.0
    logins: int = 0

    @property
    def web_logins_per_s(self) -> float:
        """Guardian logins per second through the web."""
        return self.logins / self.web_login_seconds

    @property
    def hasher_per_s(self) -> float:
        """Verifications per second of the hasher alone."""
        return self.logins / self.hasher_seconds


def _director_cookies(base: Base, address: str) -> httpx.Cookies:
    login_page = httpx.get(address + "/directeur/connexion", timeout=120)
    cookies = httpx.Cookies(login_page.cookies)
    signed = httpx.post(
        address + "/directeur/connexion",
        cookies=cookies,
        data={
            "csrf": csrf(login_page.text),
            "identifiant": base.director.director_id,
            "mot_de_passe": DIRECTOR_PASSWORD,
        },
        timeout=120,
    )
    check(signed.status_code == 303, "director login refused")
    cookies.update(signed.cookies)
    return cookies


def one_round(base: Base, address: str, admin: Any) -> Round:
    """`BLOCKS` blocks, each: the service alone, the HTML page, the API, the logins through the
    web and the hasher alone — interleaved, so that the machine's load weighs on each baseline
    as on its measure.
    """
    uai = base.uai
    cookies = _director_cookies(base, address)  # one login; the 16 clients share the session
    token = httpx.post(
        address + "/api/v1/login",
        json={"username": base.director.director_id, "password": DIRECTOR_PASSWORD},
        timeout=120,
    ).json()["token"]
    html_clients = [
        httpx.Client(base_url=address, cookies=cookies, timeout=120) for _ in range(CLIENTS)
    ]
    api_clients = [
        httpx.Client(base_url=address, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        for _ in range(CLIENTS)
    ]
    guardians = [
        (httpx.Client(base_url=address, timeout=120), login)
        for login in base.logins[:LOGIN_CLIENTS]  # one account per client (no ConcurrentChange)
    ]

    def page(client: httpx.Client) -> None:
        answer = client.get(f"/directeur/ecoles/{uai}/responsables")
        check(answer.status_code == 200 and 'name="login"' in answer.text, "unexpected page")

    def api(client: httpx.Client) -> None:
        answer = client.get(f"/api/v1/schools/{uai}/list")
        check(answer.status_code == 200, "unexpected answer")

    def guardian_login(state: tuple[httpx.Client, str]) -> None:
        client, login = state
        token = csrf(client.get("/responsable/connexion").text)
        answer = client.post(
            "/responsable/connexion",
            data={"csrf": token, "identifiant": login, "mot_de_passe": PASSWORD},
        )
        check(answer.headers.get("location") == "/responsable/compte", answer.text[:300])

    hasher = Argon2Hasher()
    stored = hasher.hash(PASSWORD)
    services = [admin] * CLIENTS

    def service(admin: Any) -> None:
        admin.rows(uai, Selection())

    concurrent(html_clients, CLIENTS, page)  # connections opened before measuring
    concurrent(api_clients, CLIENTS, api)
    concurrent(guardians, LOGIN_CLIENTS, guardian_login)
    found = Round()
    for _ in range(BLOCKS):
        found.service += concurrent(
            services, REQUESTS // BLOCKS, lambda a: a.rows(uai, Selection())
        )[0]
        found.html += concurrent(html_clients, REQUESTS // BLOCKS, page)[0]
        found.api += concurrent(api_clients, REQUESTS // BLOCKS, api)[0]
        found.web_login_seconds += concurrent(guardians, LOGINS // BLOCKS, guardian_login)[1]
        found.hasher_seconds += concurrent(
            [None] * LOGIN_CLIENTS, LOGINS // BLOCKS, lambda _: hasher.verify(stored, PASSWORD)
        )[1]
        found.logins += LOGINS // BLOCKS // LOGIN_CLIENTS * LOGIN_CLIENTS
    for client in (*html_clients, *api_clients, *(c for c, _ in guardians)):
        client.close()
    return found


def _spread(name: str, values: list[float], digits: int = 2) -> dict[str, float]:
    return {
        name: round(statistics.median(values), digits),
        f"{name}_min": round(min(values), digits),
        f"{name}_max": round(max(values), digits),
    }


def figures(base: Base, rounds: list[Round]) -> dict[str, float]:
    """The flat figures: the ratios' medians with min and max, absolute p50/p95 (medians)."""
    html = [quantile(r.html, 0.95) / quantile(r.service, 0.95) for r in rounds]
    api = [quantile(r.api, 0.95) / quantile(r.service, 0.95) for r in rounds]
    logins = [r.web_logins_per_s / r.hasher_per_s for r in rounds]
    worse = [max(h, a) for h, a in zip(html, api, strict=True)]
    out: dict[str, float] = {
        **_spread("web_list_page_overhead", worse),
        **_spread("web_list_page_overhead_html", html),
        **_spread("web_list_page_overhead_api", api),
        **_spread("web_login_throughput", logins),
    }
    for name in ("service", "html", "api"):
        for q in (50, 95):
            values = [1000 * quantile(getattr(r, name), q / 100) for r in rounds]
            out[f"web_list_{name}_p{q}_ms"] = round(statistics.median(values), 1)
    out["web_logins_per_s"] = round(statistics.median(r.web_logins_per_s for r in rounds), 2)
    out["web_hasher_verifications_per_s"] = round(
        statistics.median(r.hasher_per_s for r in rounds), 2
    )
    out["web_bench_guardians"] = float(base.guardians)
    out["web_bench_school_pupils"] = float(base.school_pupils)
    out["web_bench_build_s"] = round(base.build_seconds, 1)
    out["web_bench_repeats"] = float(len(rounds))
    out["web_bench_clients"] = float(CLIENTS)
    out["web_bench_requests"] = float(REQUESTS)
    return out


def measure() -> dict[str, float]:
    """Build the base in a temporary folder, serve it, run `REPEATS` rounds; the figures."""
    folder = Path(tempfile.mkdtemp(prefix="educonnect-bench-web-"))
    try:
        base = build(folder)
        app, storage = app_on(base.db)
        try:
            admin = app.administration(base.director)
            admin.rows(base.uai, Selection())
            with server(base) as address:
                rounds = [one_round(base, address, admin) for _ in range(REPEATS)]
        finally:
            storage.close()
        return figures(base, rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def merge_results(found: dict[str, float], path: Path = RESULTS) -> None:
    """Merge `found` into the JSON object at `path` (read, update, atomic replace)."""
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        current = {}
    if not isinstance(current, dict):
        raise TypeError(f"{path} does not hold a JSON object")
    current.update(found)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as out:
        out.write(json.dumps(current, indent=2) + "\n")
        temporary = Path(out.name)
    os.replace(temporary, path)


#: The ratios bench/run.py tracks, each reported as its rounds' median with min and max.
RATIOS = (
    "web_list_page_overhead",
    "web_list_page_overhead_html",
    "web_list_page_overhead_api",
    "web_login_throughput",
)


def main() -> dict[str, Any]:
    """The figures for bench/run.py: each tracked ratio as {median, min, max, runs}."""
    found: dict[str, Any] = dict(measure())
    for name in RATIOS:
        found[name] = {
            "median": found[name],
            "min": found.pop(f"{name}_min"),
            "max": found.pop(f"{name}_max"),
            "runs": REPEATS,
        }
    return found


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        flat = measure()
        print(json.dumps(flat, indent=2))
        merge_results(flat)
