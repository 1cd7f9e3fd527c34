"""Benchmarks of the web console (issue 12), each with its baseline measured in the same run.

- ``web_list_page_overhead``: p95 latency of the Responsables page (HTML) and of
  ``/api/v1/list`` for one school, 16 concurrent clients on 127.0.0.1 (keep-alive), against the
  p95 of the service call alone (`Administration.rows`, same page, 16 threads) on the same SQLite
  base. The server runs in its own process (uvicorn, one worker).
- ``web_login_throughput``: guardian logins per second through the login form (GET for the CSRF
  token, then POST) with the production hasher (argon2id), against verifications per second of the
  hasher alone, both with 4 concurrent clients.

The base is built from the simulation's synthetic feed (``EDUCONNECT_BENCH_WEB_PUPILS`` pupils over
three schools, 3,000 by default: seconds to build, not the issue's 1M guardians). Prints JSON; does
not write bench/results.json.

Run: ``.venv/bin/python bench/web.py``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from educonnect_argon2 import Argon2Hasher
from educonnect_cli.serve import set_director_password
from educonnect_core import (
    AccountState,
    BirthDateRefused,
    Channel,
    EduConnect,
    FirstConnectionRequired,
    Selection,
    SystemClock,
    SystemSecrets,
)
from educonnect_core.testing import RecordingMailer, RecordingRenderer
from educonnect_core.testing.simulation import synthetic_feed
from educonnect_sql import SqlStorage

PUPILS = int(os.environ.get("EDUCONNECT_BENCH_WEB_PUPILS", "3000"))
CLIENTS = 16
LOGIN_CLIENTS = 4
REQUESTS = int(os.environ.get("EDUCONNECT_BENCH_WEB_REQUESTS", "320"))
LOGINS = int(os.environ.get("EDUCONNECT_BENCH_WEB_LOGINS", "40"))
PASSWORD = "Soleil2025"  # noqa: S105 - the benchmark's guardians choose it
DIRECTOR_PASSWORD = "Bench2025dir"  # noqa: S105 - the benchmark's director


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


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def app_on(db: Path) -> tuple[EduConnect, SqlStorage]:
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


def build(folder: Path) -> tuple[Path, str, str, list[str]]:
    """The base, the directors file, the school's UAI, the director id and activated logins."""
    feed = synthetic_feed(2025, pupils=PUPILS)
    db = folder / "bench.sqlite3"
    app, storage = app_on(db)
    try:
        app.integrate(feed.snapshot)
        director = feed.directors[0]
        uai = sorted(director.uais)[0].value
        admin = app.administration(director)
        admin.notify(uai, Selection(), Channel.PAPER)
        logins: list[str] = []
        for row in admin.rows(uai, Selection(states={AccountState.NOTIFIED}, page_size=200)).rows:
            if len(logins) >= 8 or row.login in logins:
                continue
            with storage.unit_of_work() as uow:
                account = uow.accounts.by_login(row.login)
            provisional = "" if account is None else account.readable_password or ""
            step = app.portal().login(row.login, provisional)
            if not isinstance(step, FirstConnectionRequired):
                continue
            children = {s.name: s for s in feed.snapshot.students}
            try:
                app.portal().first_connection(
                    row.login,
                    provisional,
                    new_password=PASSWORD,
                    email=step.email or f"{row.login}@example.org",
                    birth_date=children[step.child_name].birth_date,
                )
            except BirthDateRefused:  # a homonym child, or the feed's wrong date: next one
                continue
            logins.append(row.login)
    finally:
        storage.close()
    directors = folder / "directors.json"
    directors.write_text(
        json.dumps(
            [{"id": director.director_id, "name": director.name, "uais": [uai]}],
        ),
        encoding="utf-8",
    )
    set_director_password(directors, director.director_id, DIRECTOR_PASSWORD)
    return db, uai, director.director_id, logins


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
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def concurrent(
    clients: int, total: int, make: Callable[[], Any], step: Callable[[Any], object]
) -> tuple[list[float], float]:
    """`total` calls of `step` spread over `clients` threads, each with its own `make()`."""
    per = total // clients
    latencies: list[float] = []

    def worker(_: int) -> list[float]:
        state = make()
        mine = []
        for _ in range(per):
            start = time.perf_counter()
            step(state)
            mine.append(time.perf_counter() - start)
        return mine

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for result in pool.map(worker, range(clients)):
            latencies += result
    return latencies, time.perf_counter() - start


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="educonnect-bench-web-"))
    t0 = time.perf_counter()
    db, uai, director_id, logins = build(folder)
    built = time.perf_counter() - t0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603 - this interpreter, this file
        [sys.executable, __file__, "--serve", str(db), str(folder / "directors.json"), str(port)]
    )
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        results = measure(base, db, uai, director_id, logins)
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    results["build_seconds"] = round(built, 1)
    print(json.dumps(results, indent=2))


def measure(base: str, db: Path, uai: str, director_id: str, logins: list[str]) -> dict[str, Any]:
    # -- the service alone --------------------------------------------------------------------
    app, storage = app_on(db)
    from educonnect_cli.context import directors  # noqa: PLC0415

    director = directors(db.parent / "directors.json")[director_id]
    admin = app.administration(director)
    admin.rows(uai, Selection())
    service, _ = concurrent(CLIENTS, REQUESTS, lambda: admin, lambda a: a.rows(uai, Selection()))
    storage.close()

    # -- the HTML page and the API --------------------------------------------------------------
    def director_login() -> httpx.Cookies:
        client = httpx.Client(base_url=base, timeout=120)
        page = client.get("/directeur/connexion").text
        token = csrf(page)
        client.post(
            "/directeur/connexion",
            data={
                "csrf": token,
                "identifiant": director_id,
                "mot_de_passe": DIRECTOR_PASSWORD,
            },
        )
        return client.cookies

    cookies = director_login()  # one scrypt login; the 16 clients share the session

    def director_client() -> httpx.Client:
        return httpx.Client(base_url=base, cookies=cookies, timeout=120)

    def page(client: httpx.Client) -> None:
        answer = client.get(f"/directeur/ecoles/{uai}/responsables")
        check(answer.status_code == 200, "unexpected answer")

    token = httpx.post(
        base + "/api/v1/login",
        json={"username": director_id, "password": DIRECTOR_PASSWORD},
        timeout=120,
    ).json()["token"]

    def api_client() -> httpx.Client:
        return httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )

    def api(client: httpx.Client) -> None:
        answer = client.get(f"/api/v1/schools/{uai}/list")
        check(answer.status_code == 200, "unexpected answer")

    page(director_client())  # warm up
    html, _ = concurrent(CLIENTS, REQUESTS, director_client, page)
    json_list, _ = concurrent(CLIENTS, REQUESTS, api_client, api)

    # -- logins -----------------------------------------------------------------------------------
    handed = iter(logins)

    def guardian_client() -> tuple[httpx.Client, str]:
        # one account per client: concurrent logins of one account are a ConcurrentChange
        return httpx.Client(base_url=base, timeout=120), next(handed)

    def guardian_login(state: tuple[httpx.Client, str]) -> None:
        client, login = state
        form = client.get("/responsable/connexion").text
        token = csrf(form)
        answer = client.post(
            "/responsable/connexion",
            data={"csrf": token, "identifiant": login, "mot_de_passe": PASSWORD},
        )
        check(answer.headers.get("location") == "/responsable/compte", answer.text[:300])

    hasher = Argon2Hasher()
    stored = hasher.hash(PASSWORD)
    _, web_seconds = concurrent(LOGIN_CLIENTS, LOGINS, guardian_client, guardian_login)
    _, hasher_seconds = concurrent(
        LOGIN_CLIENTS, LOGINS, lambda: None, lambda _: hasher.verify(stored, PASSWORD)
    )
    service_p95 = p(service, 0.95)
    web_rate = LOGINS / web_seconds
    hasher_rate = LOGINS / hasher_seconds
    return {
        "web_list_page_overhead": {
            "html_p95_ratio": round(p(html, 0.95) / service_p95, 2),
            "api_p95_ratio": round(p(json_list, 0.95) / service_p95, 2),
            "service_ms": {"p50": ms(p(service, 0.5)), "p95": ms(service_p95)},
            "html_ms": {"p50": ms(p(html, 0.5)), "p95": ms(p(html, 0.95))},
            "api_ms": {"p50": ms(p(json_list, 0.5)), "p95": ms(p(json_list, 0.95))},
            "clients": CLIENTS,
            "requests": REQUESTS,
            "pupils": PUPILS,
        },
        "web_login_throughput": {
            "ratio": round(web_rate / hasher_rate, 2),
            "web_logins_per_s": round(web_rate, 1),
            "hasher_verifications_per_s": round(hasher_rate, 1),
            "clients": LOGIN_CLIENTS,
            "logins": LOGINS,
        },
    }


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
