"""The guardian's self-service paths (issue 13), for scripting and the demo: ``sms-signup``,
``franceconnect``, ``merge`` and ``forgot``.

SMS codes go to ``<outbox>/sms/*.sms`` (`FileSmsOutbox`). Every SMS path runs in two calls: one
with ``--send-code`` (the code is written to the SMS outbox), then one with ``--code`` and the
rest. Children are confirmed with ``--child ID=JJ/MM/AAAA`` (once per child); without any, the
children are listed and each birth date is asked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from educonnect_cli.settings import Settings, settings_of
from educonnect_cli.terminal import ExitCode, fail, guard, say

if TYPE_CHECKING:
    from educonnect_core import EduConnect, Portal

__all__ = ["forgot", "franceconnect", "merge", "sms_signup"]

Mobile = Annotated[str, typer.Option(metavar="MOBILE", help="Numéro de mobile du responsable.")]
SendCode = Annotated[
    bool, typer.Option("--send-code", help="Envoyer le code par SMS, puis s'arrêter.")
]
Code = Annotated[
    str | None, typer.Option(metavar="CODE", help="Le code à 6 chiffres reçu par SMS.")
]
Children = Annotated[
    list[str] | None,
    typer.Option(
        "--child", metavar="ID=JJ/MM/AAAA", help="Un enfant à rattacher et sa date de naissance."
    ),
]


def _portal(app: EduConnect, settings: Settings) -> Portal:
    from educonnect_core import Portal
    from educonnect_mail import FileSmsOutbox

    return Portal(app.runtime, FileSmsOutbox(settings.outbox / "sms"))


def _day(text: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        fail(f"Date attendue au format JJ/MM/AAAA : « {text} ».")


def _children(given: list[str] | None, listed: object) -> dict[str, date]:
    """The birth dates given as ``ID=JJ/MM/AAAA``, or asked for each listed child."""
    if given:
        answers = {}
        for item in given:
            student_id, sep, day = item.partition("=")
            if not sep:
                fail(f"Enfant attendu sous la forme ID=JJ/MM/AAAA : « {item} ».", ExitCode.USAGE)
            answers[student_id.strip()] = _day(day)
        return answers
    return {
        child.student_id: _day(typer.prompt(f"Date de naissance de {child.name} (JJ/MM/AAAA)"))
        for child in listed  # type: ignore[attr-defined]
    }


def _purpose(name: str) -> object:
    from educonnect_core.domain.sms import SmsPurpose

    return SmsPurpose[name]


def _send(portal: Portal, mobile: str, purpose: str) -> None:
    portal.sms.request(mobile, _purpose(purpose))  # type: ignore[arg-type]
    say("Si ce numéro est connu, un code vient de lui être envoyé par SMS.")


def _proof(portal: Portal, mobile: str, code: str | None, purpose: str) -> str:
    typed = code or typer.prompt("Code reçu par SMS")
    return portal.sms.verify(mobile, typed, _purpose(purpose))  # type: ignore[arg-type]


def sms_signup(
    ctx: typer.Context,
    mobile: Mobile,
    send_code: SendCode = False,
    code: Code = None,
    surname: Annotated[str | None, typer.Option(metavar="NOM", help="Nom.")] = None,
    first_name: Annotated[str | None, typer.Option(metavar="PRENOM", help="Prénom.")] = None,
    child: Children = None,
    password: Annotated[
        str | None, typer.Option(metavar="MOT_DE_PASSE", help="Mot de passe choisi.")
    ] = None,
    email: Annotated[str | None, typer.Option(metavar="ADRESSE", help="Adresse mail.")] = None,
) -> None:
    """Inscription d'un responsable par SMS : code, enfants rattachés, mot de passe, adresse."""
    from educonnect_cli.context import open_app

    settings = settings_of(ctx)
    with guard(), open_app(settings, deliver_after_commit=False) as app:
        portal = _portal(app, settings)
        if send_code:
            _send(portal, mobile, "SIGN_UP")
            return
        name = surname or typer.prompt("Nom")
        first = first_name or typer.prompt("Prénom")
        proof = _proof(portal, mobile, code, "SIGN_UP")
        listed = (
            ()
            if child
            else portal.sms_children(surname=name, first_name=first, mobile=mobile, proof=proof)
        )
        answers = _children(child, listed)
        login = portal.sms_sign_up(
            surname=name,
            first_name=first,
            mobile=mobile,
            proof=proof,
            birth_dates=answers,
            new_password=password
            or typer.prompt("Nouveau mot de passe", hide_input=True, confirmation_prompt=True),
            email=email or typer.prompt("Adresse mail"),
        )
    say(f"Compte {login} activé (inscription par SMS).")


def franceconnect(
    ctx: typer.Context,
    sub: Annotated[str, typer.Option(metavar="SUB", help="Identifiant FranceConnect (sub).")],
    family_name: Annotated[str, typer.Option(metavar="NOM", help="Nom de naissance.")],
    given_name: Annotated[str, typer.Option(metavar="PRENOMS", help="Prénoms.")],
    mobile: Annotated[
        str | None, typer.Option(metavar="MOBILE", help="Mobile (première connexion).")
    ] = None,
    send_code: SendCode = False,
    code: Code = None,
    child: Children = None,
) -> None:
    """Connexion FranceConnect d'une identité vérifiée par l'hôte (première fois : mobile, code
    SMS et dates de naissance des enfants).
    """
    from educonnect_cli.context import open_app
    from educonnect_core import Session
    from educonnect_core.services.franceconnect import FranceConnectIdentity

    settings = settings_of(ctx)
    with guard(), open_app(settings) as app:
        portal = _portal(app, settings)
        identity = FranceConnectIdentity(sub, family_name, given_name)
        if mobile is None:
            step = portal.franceconnect_login(identity)
            if isinstance(step, Session):
                say(f"Connecté au compte {step.login} par FranceConnect.")
                return
            fail("Première connexion FranceConnect : donnez --mobile (puis le code reçu).")
        if send_code:
            _send(portal, mobile, "FRANCECONNECT")
            return
        proof = _proof(portal, mobile, code, "FRANCECONNECT")
        if not child:
            fail("Donnez les enfants à rattacher : --child ID=JJ/MM/AAAA.", ExitCode.USAGE)
        login = portal.franceconnect_link(
            identity, mobile=mobile, proof=proof, birth_dates=_children(child, ())
        )
    say(f"Compte {login} activé par FranceConnect.")


def merge(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(metavar="IDENTIFIANT", help="Le compte qui reste.")],
    password: Annotated[
        str | None, typer.Option(metavar="MOT_DE_PASSE", help="Son mot de passe.")
    ] = None,
    other_login: Annotated[
        str | None, typer.Option(metavar="IDENTIFIANT", help="Le compte à regrouper.")
    ] = None,
    other_password: Annotated[
        str | None, typer.Option(metavar="MOT_DE_PASSE", help="Le mot de passe de l'autre.")
    ] = None,
    mobile: Annotated[
        str | None, typer.Option(metavar="MOBILE", help="Ou : le mobile des autres comptes.")
    ] = None,
    send_code: SendCode = False,
    code: Code = None,
) -> None:
    """Regroupement de comptes : les enfants de l'autre compte passent sur celui-ci, l'autre
    compte est supprimé.
    """
    from educonnect_cli.context import open_app

    settings = settings_of(ctx)
    with guard(), open_app(settings) as app:
        portal = _portal(app, settings)
        if mobile is not None and send_code:
            _send(portal, mobile, "MERGE")
            return
        secret = password or typer.prompt("Mot de passe", hide_input=True)
        if mobile is not None:
            proof = _proof(portal, mobile, code, "MERGE")
            result = portal.merge_by_sms(login, secret, mobile=mobile, proof=proof)
        elif other_login is not None:
            other = other_password or typer.prompt(
                f"Mot de passe de {other_login}", hide_input=True
            )
            result = portal.merge_accounts(
                login, secret, other_login=other_login, other_password=other
            )
        else:
            fail("Donnez --other-login, ou --mobile pour la voie SMS.", ExitCode.USAGE)
    say(f"Compte(s) {', '.join(result.merged)} regroupé(s) sur {result.login}.")


def forgot(
    ctx: typer.Context,
    identifier: Annotated[
        str | None,
        typer.Option(
            "--login-or-email", metavar="TEXTE", help="Identifiant ou adresse : envoi du lien."
        ),
    ] = None,
    token: Annotated[
        str | None, typer.Option(metavar="JETON", help="Le jeton du lien reçu par courriel.")
    ] = None,
    mobile: Annotated[str | None, typer.Option(metavar="MOBILE", help="Ou : par SMS.")] = None,
    send_code: SendCode = False,
    code: Code = None,
    login: Annotated[
        str | None, typer.Option(metavar="IDENTIFIANT", help="Compte dont changer le mot de passe.")
    ] = None,
    new_password: Annotated[
        str | None, typer.Option(metavar="MOT_DE_PASSE", help="Nouveau mot de passe.")
    ] = None,
) -> None:
    """Identifiant ou mot de passe oublié : par courriel (lien) ou par SMS (code)."""
    from educonnect_cli.context import open_app

    def chosen() -> str:
        return new_password or typer.prompt(
            "Nouveau mot de passe", hide_input=True, confirmation_prompt=True
        )

    settings = settings_of(ctx)
    with guard(), open_app(settings) as app:
        portal = _portal(app, settings)
        if identifier is not None:
            portal.forgot_by_email(identifier)
            say("Si un compte correspond, un courriel vient de lui être envoyé.")
        elif token is not None:
            found = portal.recover_by_email(token, chosen())
            say(f"Nouveau mot de passe enregistré pour {found}.")
        elif mobile is not None and send_code:
            _send(portal, mobile, "RECOVERY")
        elif mobile is not None:
            proof = _proof(portal, mobile, code, "RECOVERY")
            if login is None:
                logins = portal.forgotten_logins_by_sms(mobile, proof)
                say("Identifiant(s) : " + (", ".join(logins) or "aucun compte activé"))
            else:
                portal.recover_by_sms(
                    mobile=mobile, proof=proof, login=login, new_password=chosen()
                )
                say(f"Nouveau mot de passe enregistré pour {login}.")
        else:
            fail("Donnez --login-or-email, --token ou --mobile.", ExitCode.USAGE)
