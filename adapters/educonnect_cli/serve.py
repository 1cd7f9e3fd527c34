"""``educonnect serve``: the web console and JSON API (`educonnect_web`) on the command line's
database, with the directors file's scrypt passwords; and `demo_lines`, what ``make demo`` prints
to open the console on the demo's database as a demo director and a demo guardian.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import typer

from educonnect_cli.context import DEFAULT_SENDER, PARIS, database_url, password_hasher
from educonnect_cli.settings import Settings
from educonnect_core import (
    AccountState,
    Channel,
    Director,
    EduConnect,
    LetterSettings,
    ScryptHasher,
    Selection,
    SystemClock,
    SystemSecrets,
    Uai,
)
from educonnect_mail import FileOutbox
from educonnect_pdf import PdfRenderer
from educonnect_sql import SqlStorage
from educonnect_sql.keys import default_key

__all__ = ["demo_lines", "run_console", "set_director_password"]

#: The demo director's password (the demo's data are synthetic; never use it elsewhere).
DEMO_PASSWORD_ENV = "EDUCONNECT_DEMO_PASSWORD"  # noqa: S105 - a variable's name


def _app(settings: Settings, public_url: str) -> tuple[EduConnect, SqlStorage]:
    url = database_url(settings.db)
    storage = SqlStorage.open(url, migrate=True, key=default_key(url))
    app = EduConnect(
        storage=storage,
        mailer=FileOutbox(settings.outbox, DEFAULT_SENDER),
        renderer=PdfRenderer(),
        clock=SystemClock(),
        secrets=SystemSecrets(),
        hasher=password_hasher(),
        letters=LetterSettings(activation_url=public_url.rstrip("/") + "/activation?jeton="),
        timezone=PARIS,
    )
    return app, storage


def run_console(
    settings: Settings, *, host: str, port: int, public_url: str | None, tls: bool
) -> None:
    """Serve the web console and the JSON API on `settings`' database until interrupted."""
    try:
        import uvicorn

        from educonnect_web import DirectorsFile, WebSettings, create_app
    except ImportError as error:  # pragma: no cover - depends on the install
        typer.echo(
            'Erreur : la console web demande l\'extra web (pip install "educonnect-core[web]").',
            err=True,
        )
        raise typer.Exit(1) from error
    url = public_url or f"http://{host}:{port}"
    app, storage = _app(settings, url)
    try:
        web = create_app(
            app, DirectorsFile(settings.directors_file), WebSettings(tls=tls, timezone=PARIS)
        )
        typer.echo(f"Console : {url}/  (API : {url}/api/v1/openapi.json)")
        uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=tls)
    finally:
        storage.close()


def set_director_password(directors_file: Path, director_id: str, password: str) -> None:
    """Give `director_id` of the directors file a scrypt ``password_hash`` (atomic rewrite)."""
    entries = json.loads(directors_file.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["id"] == director_id:
            entry["password_hash"] = ScryptHasher().hash(password)
    temporary = directors_file.with_suffix(".tmp")
    temporary.write_text(json.dumps(entries, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temporary, directors_file)


def demo_lines(out: Path, *, port: int = 8000) -> list[str]:
    """After ``educonnect demo --out OUT``: give the first director of the demo a password, give
    one guardian of their first school a fresh provisional password (paper re-notification with
    reset, today, so that it has not expired), and return the lines to print: the ``serve``
    command and both credentials.
    """
    directors_file = out / "educonnect-directors.json"
    entries = json.loads(directors_file.read_text(encoding="utf-8"))
    first = entries[0]
    password = os.environ.get(DEMO_PASSWORD_ENV) or secrets.token_urlsafe(9)
    set_director_password(directors_file, first["id"], password)
    director = Director(first["id"], set(), first.get("name", ""))
    settings = Settings(str(out / "educonnect.sqlite3"), out / "outbox", directors_file)
    app, storage = _app(settings, f"http://127.0.0.1:{port}")
    try:
        uai = sorted(first["uais"])[0]
        admin = app.administration(Director(director.director_id, {Uai.parse(uai)}))
        waiting = admin.rows(uai, Selection(states={AccountState.NOTIFIED}, page_size=1)).rows
        guardian = None
        if waiting:
            login = waiting[0].login
            admin.notify(uai, [login], Channel.PAPER, reset=True)
            with storage.unit_of_work() as uow:
                account = uow.accounts.by_login(login)
            if account is not None and account.readable_password is not None:
                guardian = (login, account.readable_password)
    finally:
        storage.close()
    lines = [
        "Console web de la démo :",
        f"  educonnect --db {out / 'educonnect.sqlite3'} --outbox {out / 'outbox'} "
        f"--directors {directors_file} serve --port {port}",
        f"  puis http://127.0.0.1:{port}/directeur/connexion — directeur : {first['id']} / "
        f"{password}",
    ]
    if guardian is not None:
        lines.append(
            f"  et http://127.0.0.1:{port}/responsable/connexion — responsable : {guardian[0]} / "
            f"{guardian[1]} (mot de passe provisoire ; le lien d'activation arrive dans "
            f"{out / 'outbox'})"
        )
    return lines
