"""The ``educonnect`` command: the director's and the guardian's actions on the embedded SQLite
default (or PostgreSQL with ``--db postgresql://…``), and ``demo``, a simulated school year.

The commands live in `educonnect_cli.commands` (one module per group); this module only builds
the group, its shared options, and registers each command in one line. Errors are one French
sentence and a non-zero exit code (docs/cli.md), never a traceback. Nothing heavy (SQLAlchemy,
reportlab, rich, the core) is imported until a command runs, so ``--help`` starts at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from educonnect_cli import security
from educonnect_cli.commands import actions, feed, guardian, reading, selfservice, web
from educonnect_cli.commands.demo import demo
from educonnect_cli.commands.outbox import outbox_app
from educonnect_cli.french import FrenchGroup
from educonnect_cli.settings import DEFAULT_DB, Settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="educonnect",
    cls=FrenchGroup,
    help="Administration des comptes EduConnect des responsables (côté directeur d'école).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _options(
    ctx: typer.Context,
    db: Annotated[
        str,
        typer.Option(
            metavar="BASE",
            help="Base : chemin du fichier SQLite ou URL (postgresql://…).",
            envvar="EDUCONNECT_DB",
        ),
    ] = DEFAULT_DB,
    outbox: Annotated[
        Path, typer.Option(metavar="DOSSIER", help="Dossier des courriels .eml.")
    ] = Path("outbox"),
    directors_file: Annotated[
        Path,
        typer.Option(
            "--directors", metavar="FICHIER", help="Fichier JSON des directeurs et de leurs écoles."
        ),
    ] = Path("educonnect-directors.json"),
    director: Annotated[
        str | None,
        typer.Option(metavar="ID", help="Agir en tant que ce directeur (du fichier --directors)."),
    ] = None,
) -> None:
    ctx.obj = Settings(db=db, outbox=outbox, directors_file=directors_file, director=director)


app.command("integrate")(feed.integrate)
app.command("schools")(reading.schools)
app.command("list")(reading.list_rows)
app.command("account")(reading.account)
app.command("stats")(reading.stats)
app.command("stats-nightly")(reading.stats_nightly)
app.command("notify")(actions.notify)
app.command("reset")(actions.reset)
app.command("resend")(actions.resend)
app.command("export")(actions.export)
app.add_typer(outbox_app, name="outbox")
app.add_typer(security.key_app, name="key")
app.add_typer(security.audit_app, name="audit")
app.command("first-connection")(guardian.first_connection)
app.command("confirm")(guardian.confirm)
app.command("sms-signup")(selfservice.sms_signup)
app.command("franceconnect")(selfservice.franceconnect)
app.command("merge")(selfservice.merge)
app.command("forgot")(selfservice.forgot)
app.command("demo")(demo)
app.command("serve")(web.serve)


def main() -> None:
    """Entry point of the ``educonnect`` script."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
