"""The guardian's side, for simulation and support: ``first-connection`` and ``confirm``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from educonnect_cli.settings import settings_of
from educonnect_cli.terminal import ExitCode, fail, guard, say

__all__ = ["confirm", "first_connection"]


def _birth_date(text: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        fail(f"Date attendue au format JJ/MM/AAAA : « {text} ».")


def first_connection(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(metavar="IDENTIFIANT", help="Identifiant du compte.")],
    password: Annotated[
        str | None, typer.Option(metavar="MOT_DE_PASSE", help="Mot de passe provisoire.")
    ] = None,
    new_password: Annotated[
        str | None, typer.Option(metavar="MOT_DE_PASSE", help="Nouveau mot de passe.")
    ] = None,
    email: Annotated[str | None, typer.Option(metavar="ADRESSE", help="Adresse mail.")] = None,
    birth_date: Annotated[
        str | None,
        typer.Option(metavar="JJ/MM/AAAA", help="Date de naissance de l'enfant nommé."),
    ] = None,
) -> None:
    """Première connexion d'un responsable (mot de passe, adresse mail, date de naissance)."""
    from educonnect_cli.context import open_app
    from educonnect_core import FirstConnectionRequired

    with guard(), open_app(settings_of(ctx)) as app:
        portal = app.portal()
        secret = password or typer.prompt("Mot de passe provisoire", hide_input=True)
        step = portal.login(login, secret)
        if not isinstance(step, FirstConnectionRequired):
            fail("Ce compte n'attend pas de première connexion.")
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
    say(f"Un courriel d'activation va être envoyé à {sent_to}.")


def confirm(
    ctx: typer.Context,
    token: Annotated[
        str | None,
        typer.Argument(
            metavar="JETON",
            help="Le jeton du lien du courriel (après « -- » s'il commence par « - »).",
            show_default=False,
        ),
    ] = None,
    token_option: Annotated[
        str | None,
        typer.Option("--token", metavar="JETON", help="Le jeton, donné en option."),
    ] = None,
) -> None:
    """Valide l'adresse mail (le lien du courriel C07) : le compte devient Activé."""
    from educonnect_cli.context import open_app

    if (token is None) == (token_option is None):
        fail(
            "Donnez le jeton une fois : « educonnect confirm -- JETON » ou "
            "« educonnect confirm --token=JETON ».",
            ExitCode.USAGE,
        )
    with guard(), open_app(settings_of(ctx)) as app:
        login = app.portal().confirm_email(token or token_option or "")
    say(f"Compte {login} activé.")
