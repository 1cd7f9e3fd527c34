"""The ``educonnect`` command: the director's and the guardian's actions on the embedded SQLite
default (or PostgreSQL with ``--db postgresql://…``), and ``demo``, a simulated school year.

Errors are one sentence and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from educonnect_aaf import FeedError, read_feed
from educonnect_cli import render, security
from educonnect_cli.context import DEFAULT_SENDER, PARIS, Settings, directors, open_app
from educonnect_cli.demo import run_demo
from educonnect_core import (
    AccountState,
    Channel,
    Director,
    EduconnectError,
    FirstConnectionRequired,
    Origin,
    Selection,
    SortColumn,
    Uai,
)
from educonnect_mail import FileOutbox, Security, SmtpMailer, SmtpSettings
from educonnect_mail.message import Sender

__all__ = ["app", "main"]

T = TypeVar("T")

app = typer.Typer(
    name="educonnect",
    help="Administration des comptes EduConnect des responsables (côté directeur d'école).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
outbox_app = typer.Typer(help="Courriels en attente dans la base.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
app.add_typer(security.key_app, name="key")
app.add_typer(security.audit_app, name="audit")
console = Console()
errors = Console(stderr=True)


class Format(enum.StrEnum):
    """Export formats."""

    csv = "csv"
    pdf = "pdf"


class ChannelName(enum.StrEnum):
    """Notification channels."""

    paper = "paper"
    email = "email"


class YesNo(enum.StrEnum):
    """With or without an e-mail address."""

    yes = "yes"
    no = "no"


@app.callback()
def _options(
    ctx: typer.Context,
    db: Annotated[
        str,
        typer.Option(help="Base : chemin SQLite ou URL (postgresql://…).", envvar="EDUCONNECT_DB"),
    ] = "educonnect.sqlite3",
    outbox: Annotated[Path, typer.Option(help="Dossier des courriels .eml.")] = Path("outbox"),
    directors_file: Annotated[
        Path, typer.Option("--directors", help="Fichier JSON des directeurs et de leurs écoles.")
    ] = Path("educonnect-directors.json"),
    director: Annotated[
        str | None, typer.Option(help="Agir en tant que ce directeur (du fichier --directors).")
    ] = None,
) -> None:
    ctx.obj = (Settings(db=db, outbox=outbox, directors_file=directors_file), director)
    if not console.is_terminal:  # a pipe or a file: no terminal width to respect
        console.width = 160


def _fail(error: BaseException) -> NoReturn:
    french = getattr(error, "french", None)
    text = f"{french} ({error})" if french and french != str(error) else str(error)
    errors.print(f"[bold red]Erreur :[/] {text}", highlight=False)
    raise typer.Exit(1)


@contextmanager
def _guard() -> Iterator[None]:
    """Turn the library's errors into one sentence and exit code 1."""
    try:
        yield
    except (EduconnectError, FeedError, ValueError, OSError) as error:
        _fail(error)


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj[0]
    return settings


def _director(ctx: typer.Context, uai: str | None = None) -> Director:
    """The director the command acts as: the one named by ``--director``, else the operator of
    the command line acting as director of the school named.
    """
    settings, name = ctx.obj
    if name is not None:
        known = directors(settings.directors_file)
        if name not in known:
            _fail(LookupError(f"directeur {name!r} absent de {settings.directors_file}"))
        return known[name]
    return Director("ligne-de-commande", {Uai.parse(uai)} if uai else set())


def _selection(
    text: str,
    classes: list[str] | None,
    states: list[str] | None,
    email: YesNo | None,
    origins: list[str] | None,
    logins: list[str] | None = None,
    sort: str | None = None,
    desc: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> Selection:
    try:
        return Selection(
            text=text,
            class_ids=frozenset(classes or ()),
            states=frozenset(AccountState[s.upper()] for s in states or ()),
            has_email=None if email is None else email is YesNo.yes,
            origins=frozenset(Origin[o.upper()] for o in origins or ()),
            logins=frozenset(logins or ()),
            sort=SortColumn[sort.upper()] if sort else SortColumn.PUPIL,
            descending=desc,
            page=page,
            page_size=page_size,
        )
    except KeyError as error:
        _fail(ValueError(f"valeur inconnue : {error.args[0]}"))


TextOpt = Annotated[str, typer.Option("--text", help="Texte cherché dans les noms.")]
ClassOpt = Annotated[list[str] | None, typer.Option("--class", help="Identifiant de classe.")]
StateOpt = Annotated[
    list[str] | None,
    typer.Option("--state", help="NOT_NOTIFIED, NOTIFIED, ACTIVATING ou ACTIVATED."),
]
EmailOpt = Annotated[
    YesNo | None, typer.Option("--email", help="Avec (yes) ou sans (no) adresse mail.")
]
OriginOpt = Annotated[
    list[str] | None, typer.Option("--origin", help="NONE, SCHOOL, RESPONSABLE ou FRANCECONNECT.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Sortie JSON (codes des états).")]


# -- directory feed ------------------------------------------------------------------------------


@app.command()
def integrate(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Dossier AAF1D ou extraction ONDE (CSV).")],
    uai: Annotated[str | None, typer.Option(help="UAI de l'école (extraction ONDE).")] = None,
    school_name: Annotated[str | None, typer.Option(help="Nom de l'école (ONDE).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Intègre le flux annuaire (AAF1D ou ONDE) ; code de sortie non nul si le lot est rejeté."""
    with _guard():
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
        ) as progress:
            task = progress.add_task("Lecture du flux…", total=None)
            snapshot, rejections, warnings = read_feed(path, uai=uai, school_name=school_name)
            progress.update(task, description="Intégration…")
            with open_app(_settings(ctx)) as application:
                report = application.integrate(snapshot, rejections)
        if as_json:
            render.dump_json(console, render.integration_json(report, warnings))
            return
        console.print(render.integration_table(report))
        for rejection in report.rejected[:50]:
            console.print(
                f"  rejet : {rejection.source} {rejection.record} "
                f"[{rejection.field}] {rejection.reason}",
                highlight=False,
            )
        for warning in list(warnings)[:20]:
            console.print(f"  avertissement : {warning}", highlight=False)


# -- reading -------------------------------------------------------------------------------------


@app.command()
def schools(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Les écoles (d'un directeur avec --director)."""
    with _guard(), open_app(_settings(ctx)) as application:
        if ctx.obj[1] is None:
            with application.runtime.storage.unit_of_work() as uow:
                found = list(uow.directory.schools(None))
        else:
            found = list(application.administration(_director(ctx)).schools())
    if as_json:
        render.dump_json(console, [{"uai": s.uai.value, "name": s.name} for s in found])
        return
    for school in found:
        console.print(f"{school.uai}  {school.name}", highlight=False)


@app.command(name="list")
def list_rows(
    ctx: typer.Context,
    uai: str,
    text: TextOpt = "",
    classes: ClassOpt = None,
    states: StateOpt = None,
    email: EmailOpt = None,
    origins: OriginOpt = None,
    sort: Annotated[
        str | None,
        typer.Option(
            help="Colonne : PUPIL, CLASS, RESPONSABLE, LOGIN, "
            "EMAIL, ORIGIN, STATE, DISTRIBUTED_AT, "
            "LAST_LOGIN_AT."
        ),
    ] = None,
    desc: Annotated[bool, typer.Option(help="Ordre descendant.")] = False,
    page: Annotated[int, typer.Option(help="Page (50 lignes).")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """La liste des responsables d'une école (guide §5.1)."""
    with _guard(), open_app(_settings(ctx)) as application:
        selection = _selection(
            text, classes, states, email, origins, sort=sort, desc=desc, page=page
        )
        result = application.administration(_director(ctx, uai)).rows(uai, selection)
    if as_json:
        render.dump_json(console, render.rows_json(result))
    else:
        console.print(render.rows_table(result, PARIS))


@app.command()
def account(ctx: typer.Context, uai: str, login: str, as_json: JsonOpt = False) -> None:
    """La page d'un compte (guide §5.2)."""
    with _guard(), open_app(_settings(ctx)) as application:
        page = application.administration(_director(ctx, uai)).account(uai, login)
    if as_json:
        render.dump_json(console, render.account_json(page))
    else:
        console.print(render.account_table(page, PARIS))


@app.command()
def stats(ctx: typer.Context, uai: str, as_json: JsonOpt = False) -> None:
    """Les statistiques d'une école (guide §6.1)."""
    with _guard(), open_app(_settings(ctx)) as application:
        result = application.administration(_director(ctx, uai)).statistics(uai)
    if as_json:
        render.dump_json(console, render.statistics_json(result))
        return
    for table in render.statistics_tables(result, PARIS):
        console.print(table)


# -- actions ---------------------------------------------------------------------------------------


def _targets(
    everyone: bool, logins: list[str] | None, selection: Selection
) -> Selection | list[str]:
    if everyone == bool(logins):
        _fail(ValueError("donnez --all ou au moins un --login"))
    return selection if everyone else list(logins or ())


def _write(document_dir: Path, filename: str, content: bytes) -> Path:
    document_dir.mkdir(parents=True, exist_ok=True)
    target = document_dir / filename
    target.write_bytes(content)
    return target


@app.command()
def notify(
    ctx: typer.Context,
    uai: str,
    channel: Annotated[ChannelName, typer.Option(help="paper ou email.")],
    everyone: Annotated[bool, typer.Option("--all", help="Tous les comptes sélectionnés.")] = False,
    logins: Annotated[list[str] | None, typer.Option("--login", help="Identifiant.")] = None,
    reset: Annotated[bool, typer.Option(help="Avec réinitialisation du mot de passe.")] = False,
    out: Annotated[Path, typer.Option(help="Dossier du PDF des feuilles.")] = Path("."),
    text: TextOpt = "",
    classes: ClassOpt = None,
    states: StateOpt = None,
    email: EmailOpt = None,
    origins: OriginOpt = None,
) -> None:
    """(Re)notifie des comptes par feuilles individuelles ou courriels (guide §5.3)."""
    with _guard(), open_app(_settings(ctx)) as application:
        targets = _targets(everyone, logins, _selection(text, classes, states, email, origins))
        report = application.administration(_director(ctx, uai)).notify(
            uai,
            targets,
            Channel.PAPER if channel is ChannelName.paper else Channel.EMAIL,
            reset=reset,
        )
    for line in render.report_lines(report):
        console.print(line, highlight=False)
    if report.document is not None:
        path = _write(out, report.document.filename, report.document.content)
        console.print(f"Télécharger le courrier au format PDF : {path}", highlight=False)
    if channel is ChannelName.email and report.done:
        console.print("Les courriels partiront avec « educonnect outbox send ».")


@app.command()
def reset(
    ctx: typer.Context,
    uai: str,
    everyone: Annotated[bool, typer.Option("--all", help="Tous les comptes sélectionnés.")] = False,
    logins: Annotated[list[str] | None, typer.Option("--login", help="Identifiant.")] = None,
    text: TextOpt = "",
    classes: ClassOpt = None,
    states: StateOpt = None,
    email: EmailOpt = None,
    origins: OriginOpt = None,
) -> None:
    """Réinitialise des mots de passe (guide §5.5) ; il faut ensuite re-notifier."""
    with _guard(), open_app(_settings(ctx)) as application:
        targets = _targets(everyone, logins, _selection(text, classes, states, email, origins))
        report = application.administration(_director(ctx, uai)).reset_passwords(uai, targets)
    for line in render.report_lines(report):
        console.print(line, highlight=False)


@app.command()
def resend(
    ctx: typer.Context,
    uai: str,
    login: str,
    email: Annotated[str | None, typer.Option(help="Adresse corrigée.")] = None,
) -> None:
    """Renvoie le courriel d'activation d'un compte En cours d'activation (guide §5.6)."""
    with _guard(), open_app(_settings(ctx)) as application:
        report = application.administration(_director(ctx, uai)).resend_activation_email(
            uai, login, email
        )
    for line in render.report_lines(report):
        console.print(line, highlight=False)


@app.command()
def export(
    ctx: typer.Context,
    uai: str,
    fmt: Annotated[Format, typer.Option("--format", help="csv ou pdf.")],
    out: Annotated[Path, typer.Option(help="Dossier de sortie.")] = Path("."),
    text: TextOpt = "",
    classes: ClassOpt = None,
    states: StateOpt = None,
    email: EmailOpt = None,
    origins: OriginOpt = None,
) -> None:
    """Édite la liste des comptes en CSV ou PDF (guide §5.4)."""
    with _guard(), open_app(_settings(ctx)) as application:
        admin = application.administration(_director(ctx, uai))
        selection = _selection(text, classes, states, email, origins)
        document = (admin.export_csv if fmt is Format.csv else admin.export_pdf)(uai, selection)
        path = _write(out, document.filename, document.content)
    console.print(f"{path}", highlight=False)


@outbox_app.command("send")
def outbox_send(
    ctx: typer.Context,
    smtp_host: Annotated[
        str | None, typer.Option(help="Serveur SMTP (sinon : dossier .eml).")
    ] = None,
    smtp_port: Annotated[int | None, typer.Option(help="Port SMTP.")] = None,
    security: Annotated[str, typer.Option(help="starttls, ssl ou none.")] = "starttls",
    user: Annotated[str | None, typer.Option(help="Utilisateur SMTP.")] = None,
    secret_env: Annotated[
        str,
        typer.Option("--password-env", help="Variable d'environnement du mot de passe SMTP."),
    ] = "EDUCONNECT_SMTP_PASSWORD",  # noqa: S107 - the variable's name, not a password
    sender: Annotated[str, typer.Option(help="Adresse d'expédition.")] = DEFAULT_SENDER.address,
) -> None:
    """Envoie les courriels en attente (SMTP, ou fichiers .eml du dossier --outbox)."""
    settings = _settings(ctx)
    with _guard():
        origin = Sender(sender)
        if smtp_host is None:
            mailer: FileOutbox | SmtpMailer = FileOutbox(settings.outbox, origin)
        else:
            mode = Security(security)
            port = smtp_port or (465 if mode is Security.SSL else 587)
            mailer = SmtpMailer(
                SmtpSettings(
                    smtp_host,
                    port=port,
                    security=mode,
                    username=user,
                    password=os.environ.get(secret_env),
                ),
                origin,
            )
        with open_app(settings, mailer=mailer) as application:
            delivery = application.deliver_pending()
        close: Callable[[], object] | None = getattr(mailer, "close", None)
        if close is not None:
            close()
    console.print(f"{len(delivery.sent)} courriel(s) envoyé(s), {len(delivery.failed)} en échec.")
    for message_id, account_id, reason in delivery.failed:
        console.print(f"  échec {message_id} (compte {account_id}) : {reason}", highlight=False)
    if delivery.failed:
        raise typer.Exit(1)


# -- guardian side (simulation and support) ------------------------------------------------------


def _birth_date(text: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        _fail(ValueError(f"date attendue au format JJ/MM/AAAA : {text!r}"))


@app.command(name="first-connection")
def first_connection(
    ctx: typer.Context,
    login: str,
    password: Annotated[str | None, typer.Option(help="Mot de passe provisoire.")] = None,
    new_password: Annotated[str | None, typer.Option(help="Nouveau mot de passe.")] = None,
    email: Annotated[str | None, typer.Option(help="Adresse mail.")] = None,
    birth_date: Annotated[
        str | None, typer.Option(help="Date de naissance JJ/MM/AAAA de l'enfant nommé.")
    ] = None,
) -> None:
    """Première connexion d'un responsable (mot de passe, adresse mail, date de naissance)."""
    with _guard(), open_app(_settings(ctx)) as application:
        portal = application.portal()
        secret = password or typer.prompt("Mot de passe provisoire", hide_input=True)
        step = portal.login(login, secret)
        if not isinstance(step, FirstConnectionRequired):
            _fail(
                ValueError(f"ce compte n'attend pas de première connexion ({type(step).__name__})")
            )
        chosen = new_password or typer.prompt(
            "Nouveau mot de passe", hide_input=True, confirmation_prompt=True
        )
        address = email or typer.prompt("Adresse mail", default=step.email or "")
        day = _birth_date(
            birth_date or typer.prompt(f"Date de naissance de {step.child_name} (JJ/MM/AAAA)")
        )
        sent_to = portal.first_connection(
            login, secret, new_password=chosen, email=address, birth_date=day
        )
    console.print(f"Un courriel d'activation va être envoyé à {sent_to}.", highlight=False)


@app.command()
def confirm(ctx: typer.Context, token: str) -> None:
    """Valide l'adresse mail (le lien du courriel C07) : le compte devient Activé."""
    with _guard(), open_app(_settings(ctx)) as application:
        login = application.portal().confirm_email(token)
    console.print(f"Compte {login} activé.", highlight=False)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Dossier de sortie.")] = Path("demo-output"),
    seed: Annotated[int, typer.Option(help="Graine : même graine, même année.")] = 2025,
    pupils: Annotated[int, typer.Option(help="Nombre d'élèves environ.")] = 300,
) -> None:
    """Simule une année scolaire sur SQLite, PDF et courriels .eml, dans --out."""
    with _guard():
        run_demo(out, seed=seed, pupils=pupils, console=console)


def main() -> None:
    """Entry point of the ``educonnect`` script."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
