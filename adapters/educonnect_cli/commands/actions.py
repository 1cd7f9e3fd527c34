"""The director's actions: ``notify``, ``reset``, ``resend``, ``export``.

Each prints the service's messages as given (the guide's sentences), or ``--json``; exit code 3
when every selected account was left out (nothing done). ``notify`` and ``reset`` first ask the
guide's question (« Êtes-vous sûr de vouloir … ? ») unless ``--yes``; without a terminal to
answer on, they refuse (exit code 2) instead of waiting. Documents are written through a
`FolderSink`: the folder is checked before anything changes, and a file is never replaced.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from educonnect_cli.options import (
    ClassOpt,
    Criteria,
    EmailOpt,
    JsonOpt,
    OriginOpt,
    OutOpt,
    StateOpt,
    TextOpt,
    UaiArg,
    known_school,
)
from educonnect_cli.settings import settings_of
from educonnect_cli.terminal import ExitCode, answerable, confirm, fail, guard, out, say

if TYPE_CHECKING:
    from educonnect_core import ActionReport, EduConnect, Selection

__all__ = ["export", "notify", "resend", "reset"]


class Format(enum.StrEnum):
    """Export formats."""

    csv = "csv"
    pdf = "pdf"


class ChannelName(enum.StrEnum):
    """Notification channels: paper sheets or e-mails."""

    paper = "paper"
    email = "email"
    papier = "papier"
    courriel = "courriel"


AllOpt = Annotated[bool, typer.Option("--all", help="Tous les comptes sélectionnés.")]
YesOpt = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        "--oui",
        help="Confirmer sans question (scripts, tâches planifiées) ; sinon la question du "
        "guide est posée.",
    ),
]
LoginOpt = Annotated[
    list[str] | None,
    typer.Option("--login", metavar="IDENTIFIANT", help="Identifiant d'un compte ; répétable."),
]


def _targets(
    app: EduConnect,
    uai: str,
    everyone: bool,
    logins: list[str] | None,
    criteria: Criteria,
) -> Selection | list[str]:
    if everyone == bool(logins):
        fail("Donnez soit --all (tous les comptes sélectionnés), soit au moins un --login.")
    school = known_school(app, uai)
    return criteria.selection(app, school, page_size=0) if everyone else list(logins or ())


def _finish(report: ActionReport, as_json: bool, documents: list[Path] | None = None) -> None:
    """Print the report (messages as given, or JSON) and end with the right exit code."""
    from educonnect_cli import render

    where = str(documents[0]) if documents else None
    if as_json:
        render.dump_json(out(), render.report_json(report, where))
    else:
        for line in render.report_lines(report):
            say(line)
        if where is not None:
            say(f"Télécharger le courrier au format PDF : {where}")
    if report.outcomes and not report.done:
        raise typer.Exit(int(ExitCode.NOTHING_DONE))


def notify(
    ctx: typer.Context,
    uai: UaiArg,
    channel: Annotated[
        ChannelName,
        typer.Option(
            metavar="papier|courriel",
            help="Par feuilles individuelles (papier) ou par courriels (courriel).",
            show_choices=False,
        ),
    ],
    everyone: AllOpt = False,
    logins: LoginOpt = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Avec réinitialisation du mot de passe.")
    ] = False,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", metavar="DOSSIER", help="Dossier du PDF des feuilles (jamais remplacé)."
        ),
    ] = Path("."),
    text: TextOpt = "",
    classes: ClassOpt = None,
    states: StateOpt = None,
    email: EmailOpt = None,
    origins: OriginOpt = None,
    as_json: JsonOpt = False,
    yes: YesOpt = False,
) -> None:
    """(Re)notifie des comptes par feuilles individuelles ou courriels (guide §5.3)."""
    from educonnect_cli.context import acting_director, open_app
    from educonnect_cli.output import FolderSink
    from educonnect_core import Action, Channel
    from educonnect_core.domain.messages import confirmation_question, confirmation_warning

    paper = channel in (ChannelName.paper, ChannelName.papier)
    medium = Channel.PAPER if paper else Channel.EMAIL
    action = Action.NOTIFY_WITH_RESET if reset else Action.NOTIFY
    question = confirmation_question(action, medium) or ""
    answerable(question, yes=yes)  # no terminal and no --yes: refused before anything is opened
    sink = FolderSink(out_dir)
    criteria = Criteria(text, classes or (), states or (), email, origins or ())
    with guard():
        if paper:
            sink.check()  # before anything changes: a folder that cannot take the PDF stops here
        with open_app(settings_of(ctx)) as app:
            targets = _targets(app, uai, everyone, logins, criteria)
            confirm(question, confirmation_warning(action), yes=yes)
            report = app.administration(acting_director(settings_of(ctx), uai)).notify(
                uai, targets, medium, reset=reset, sink=sink
            )
        documents = sink.deliver(report.document)
    _finish(report, as_json, documents)
    if not paper and report.done and not as_json:
        say("Les courriels partiront avec « educonnect outbox send ».")


def reset(
    ctx: typer.Context,
    uai: UaiArg,
    everyone: AllOpt = False,
    logins: LoginOpt = None,
    text: TextOpt = "",
    classes: ClassOpt = None,
    states: StateOpt = None,
    email: EmailOpt = None,
    origins: OriginOpt = None,
    as_json: JsonOpt = False,
    yes: YesOpt = False,
) -> None:
    """Réinitialise des mots de passe (guide §5.5) ; il faut ensuite re-notifier."""
    from educonnect_cli.context import acting_director, open_app
    from educonnect_core import Action
    from educonnect_core.domain.messages import confirmation_question

    question = confirmation_question(Action.RESET_PASSWORD) or ""
    answerable(question, yes=yes)  # no terminal and no --yes: refused before anything is opened
    criteria = Criteria(text, classes or (), states or (), email, origins or ())
    with guard(), open_app(settings_of(ctx)) as app:
        targets = _targets(app, uai, everyone, logins, criteria)
        confirm(question, yes=yes)
        admin = app.administration(acting_director(settings_of(ctx), uai))
        report = admin.reset_passwords(uai, targets)
    _finish(report, as_json)


def resend(
    ctx: typer.Context,
    uai: UaiArg,
    login: Annotated[str, typer.Argument(metavar="IDENTIFIANT", help="Identifiant du compte.")],
    email: Annotated[
        str | None, typer.Option(metavar="ADRESSE", help="Adresse mail corrigée.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Renvoie le courriel d'activation d'un compte En cours d'activation (guide §5.6)."""
    from educonnect_cli.context import acting_director, open_app

    with guard(), open_app(settings_of(ctx)) as app:
        known_school(app, uai)
        admin = app.administration(acting_director(settings_of(ctx), uai))
        report = admin.resend_activation_email(uai, login, email)
    _finish(report, as_json)


def export(
    ctx: typer.Context,
    uai: UaiArg,
    fmt: Annotated[
        Format, typer.Option("--format", metavar="csv|pdf", help="csv ou pdf.", show_choices=False)
    ],
    out_dir: OutOpt = Path("."),
    text: TextOpt = "",
    classes: ClassOpt = None,
    states: StateOpt = None,
    email: EmailOpt = None,
    origins: OriginOpt = None,
) -> None:
    """Exporter la liste des responsables (format csv) ou l'éditer en PDF (guide §5.4)."""
    from educonnect_cli.context import acting_director, open_app
    from educonnect_cli.output import FolderSink

    sink = FolderSink(out_dir)
    criteria = Criteria(text, classes or (), states or (), email, origins or ())
    with guard():
        sink.check()
        with open_app(settings_of(ctx)) as app:
            school = known_school(app, uai)
            selection = criteria.selection(app, school, page_size=0)
            admin = app.administration(acting_director(settings_of(ctx), uai))
            export_to = admin.export_csv if fmt is Format.csv else admin.export_pdf
            document = export_to(uai, selection, sink=sink)
        (path,) = sink.deliver(document)
    say(str(path))
