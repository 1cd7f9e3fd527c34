"""``outbox send`` and ``outbox status``: the e-mails waiting in the database."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated

import typer

from educonnect_cli.options import JsonOpt
from educonnect_cli.settings import settings_of
from educonnect_cli.terminal import ExitCode, guard, out, say

__all__ = ["outbox_app"]

outbox_app = typer.Typer(
    help="Courriels en attente dans la base.", no_args_is_help=True, rich_markup_mode=None
)


@outbox_app.command("send")
def send(
    ctx: typer.Context,
    smtp_host: Annotated[
        str | None, typer.Option(metavar="HÔTE", help="Serveur SMTP (sinon : dossier .eml).")
    ] = None,
    smtp_port: Annotated[int | None, typer.Option(metavar="PORT", help="Port SMTP.")] = None,
    security: Annotated[
        str, typer.Option(metavar="starttls|ssl|none", help="Chiffrement de la connexion SMTP.")
    ] = "starttls",
    user: Annotated[str | None, typer.Option(metavar="NOM", help="Utilisateur SMTP.")] = None,
    secret_env: Annotated[
        str,
        typer.Option(
            "--password-env",
            metavar="VARIABLE",
            help="Variable d'environnement du mot de passe SMTP.",
        ),
    ] = "EDUCONNECT_SMTP_PASSWORD",  # noqa: S107 - the variable's name, not a password
    sender: Annotated[
        str | None, typer.Option(metavar="ADRESSE", help="Adresse d'expédition.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Envoie les courriels en attente (SMTP, ou fichiers .eml du dossier --outbox)."""
    from educonnect_cli import render
    from educonnect_cli.context import DEFAULT_SENDER, open_app
    from educonnect_mail import FileOutbox, Security, Sender, SmtpMailer, SmtpSettings

    settings = settings_of(ctx)
    with guard():
        origin = Sender(sender or DEFAULT_SENDER.address)
        if smtp_host is None:
            mailer: FileOutbox | SmtpMailer = FileOutbox(settings.outbox, origin)
        else:
            modes = {m.value: m for m in Security}
            if security not in modes:
                from educonnect_cli.terminal import fail

                fail(
                    f"Chiffrement inconnu : « {security} ». Valeurs acceptées : "
                    f"{', '.join(modes)}.",
                    ExitCode.USAGE,
                )
            mode = modes[security]
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
        with open_app(settings, mailer=mailer) as app:
            delivery = app.deliver_pending()
        close: Callable[[], object] | None = getattr(mailer, "close", None)
        if close is not None:
            close()
    if as_json:
        render.dump_json(
            out(),
            {
                "sent": list(delivery.sent),
                "failed": [
                    {"message_id": m, "account_id": a, "reason": r} for m, a, r in delivery.failed
                ],
            },
        )
    else:
        say(f"{len(delivery.sent)} courriel(s) envoyé(s), {len(delivery.failed)} en échec.")
        for message_id, account_id, reason in delivery.failed:
            say(f"  Échec {message_id} (compte {account_id}) : {reason}")
    if delivery.failed:
        raise typer.Exit(int(ExitCode.ERROR))


@outbox_app.command("status")
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Les courriels en attente et en échec, avec leur prochain essai."""
    from educonnect_cli import render
    from educonnect_cli.context import PARIS, open_app

    with (
        guard(),
        open_app(settings_of(ctx), read_only=True) as app,
        app.runtime.storage.unit_of_work() as uow,
    ):
        waiting = list(uow.outbox.waiting())  # type: ignore[attr-defined]
    if as_json:
        render.dump_json(
            out(),
            [
                {
                    "message_id": w.message_id,
                    "account_id": w.account_id,
                    "recipient": w.recipient,
                    "created_at": w.created_at.isoformat(),
                    "attempts": w.attempts,
                    "next_try": w.due_at.isoformat() if w.due_at else None,
                    "last_error": w.last_error,
                }
                for w in waiting
            ],
        )
        return
    failed = sum(1 for w in waiting if w.attempts)
    say(f"{len(waiting)} courriel(s) en attente, dont {failed} en échec.")
    for w in waiting:
        when = (
            f"{w.due_at.astimezone(PARIS):%d/%m/%Y %H:%M}" if w.due_at else "dès le prochain envoi"
        )
        line = f"  {w.recipient} (compte {w.account_id}) — prochain essai : {when}"
        if w.attempts:
            line += f" — {w.attempts} échec(s), dernier : {w.last_error}"
        say(line)
