"""The letters C01–C07 of the detailed guide's annex A1: which one is sent (a table, as data) and
their exact French wording, composed once here for the PDF and the mail adapters alike.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from educonnect_core.domain.lifecycle import AccountState, Channel

__all__ = [
    "LETTERS",
    "LetterContent",
    "LetterKind",
    "LetterSettings",
    "compose",
    "letter_for",
]


class LetterKind(enum.Enum):
    """The seven letters of annex A1, with their titles."""

    C01 = "Distribution d’un compte dans le cahier de liaison"
    C02 = "Distribution d’un compte par courrier électronique"
    C03 = "Redistribution d’un compte dans le cahier de liaison"
    C04 = "Redistribution d’un compte par courrier électronique"
    C05 = "Demande de changement de mot de passe dans le cahier de liaison"
    C06 = "Demande de changement de mot de passe par courrier électronique"
    C07 = "Validation de l’adresse mail"
    #: Not in annex A1: the self-service recovery e-mail of guide v1.9 det. §1.3.3 (issue 13).
    R01 = "Identifiant ou mot de passe oublié"

    @property
    def title(self) -> str:
        """The annex's title of the letter."""
        return self.value

    @property
    def channel(self) -> Channel:
        """Paper sheet or e-mail."""
        return (
            Channel.PAPER
            if self in (LetterKind.C01, LetterKind.C03, LetterKind.C05)
            else (Channel.EMAIL)
        )


_N, _D, _A, _V = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)
_P, _E = Channel.PAPER, Channel.EMAIL

#: Annex A1.1: (state of the account when asked, channel, with reset) → letter.
LETTERS: Final[Mapping[tuple[AccountState, Channel, bool], LetterKind]] = MappingProxyType(
    {
        (state, channel, reset): kind
        for state, row in {
            _N: (LetterKind.C01, LetterKind.C02, LetterKind.C01, LetterKind.C02),
            _D: (LetterKind.C01, LetterKind.C02, LetterKind.C01, LetterKind.C02),
            _A: (LetterKind.C03, LetterKind.C04, LetterKind.C05, LetterKind.C06),
            _V: (LetterKind.C03, LetterKind.C04, LetterKind.C05, LetterKind.C06),
        }.items()
        for (channel, reset), kind in zip(
            ((_P, False), (_E, False), (_P, True), (_E, True)), row, strict=True
        )
    }
)


def letter_for(state: AccountState, channel: Channel, reset: bool) -> LetterKind:
    """The letter a notification sends to an account in `state` (annex A1.1)."""
    return LETTERS[state, channel, reset]


@attrs.frozen
class LetterSettings:
    """The addresses the letters quote; the activation link is `activation_url` + token."""

    portal_url: str = "https://educonnect.education.gouv.fr"
    help_url: str = "https://educonnect.education.gouv.fr/educt-aide/contacts/"
    activation_url: str = "https://educonnect.education.gouv.fr/activation?jeton="
    #: The forgotten-password link (issue 13): `recovery_url` + token.
    recovery_url: str = "https://educonnect.education.gouv.fr/recuperation?jeton="
    sender_name: str = "Administrateur des services en ligne"
    signature: str = "Le directeur d’école."


@attrs.frozen
class LetterContent:
    """A letter ready to render: the data it shows and its text, line by line.

    `password` is None when the letter must say « Votre mot de passe est inchangé. ». `lines` are
    the body, an empty string marking a paragraph break; list items start with ``- ``.
    """

    kind: LetterKind
    recipient: str
    school_name: str
    children: tuple[str, ...]
    login: str
    password: str | None = attrs.field(repr=False)
    subject: str | None
    sender: str | None
    lines: tuple[str, ...] = attrs.field(repr=False)


_SUBJECT_NOTIFY: Final = (
    "Mise à disposition de services en ligne pour suivre la scolarité de votre enfant"
)
_SUBJECT_C06: Final = (
    "Services en ligne de l'éducation nationale - demande de changement de mot de passe"
)
_SUBJECT_C07: Final = "Services en ligne de l'éducation nationale - activation du compte"


def _children(children: tuple[str, ...], *, colon: bool) -> list[str]:
    items = [f"- {child}" for child in children]
    if colon and items:
        items[-1] += " :"
    return items


def _credentials(login: str, password: str | None, *, first: bool) -> list[str]:
    if password is None:
        return [f"Identifiant : {login}", "", "Votre mot de passe est inchangé."]
    moment = "première" if first else "prochaine"
    return [
        f"Identifiant : {login}",
        f"Mot de passe * : {password}",
        f"* Mot de passe provisoire, à modifier lors de la {moment} connexion",
    ]


def _distribution(
    settings: LetterSettings,
    school: str,
    children: tuple[str, ...],
    login: str,
    password: str | None,
) -> list[str]:
    return [
        f"L’école {school} met à la disposition des parents d’élèves un ensemble de services "
        "pédagogiques et administratifs, accessibles à l’adresse internet suivante :",
        settings.portal_url,
        "",
        "En ce qui concerne votre compte d’accès :",
        "Vous trouverez ci-dessous l’identifiant et le mot de passe de votre compte internet pour "
        "accéder aux services proposés pour",
        *_children(children, colon=True),
        *_credentials(login, password, first=True),
        "",
        settings.signature,
        "",
        "Activez votre compte responsable en 2 étapes :",
        "Pour accéder aux services une adresse de messagerie est indispensable.",
        "",
        "Etape 1 : à la première connexion, vous devrez saisir le mot de passe provisoire "
        "ci-dessus, et vérifier votre adresse de messagerie.",
        "",
        "Etape 2 : un courriel contenant un lien d'activation vous sera envoyé, sur lequel il faut "
        "absolument cliquer afin d'activer votre compte.",
        "NB: Si vous ne recevez pas de courriel, vérifiez qu'il n'a pas été classé comme \"spam\" "
        "ou connectez-vous à nouveau pour modifier votre adresse de messagerie.",
    ]


def _redistribution(
    settings: LetterSettings, children: tuple[str, ...], login: str, password: str | None
) -> list[str]:
    if password is None:
        credentials = [
            f"Rappel de votre identifiant : {login}",
            "",
            "Votre mot de passe est inchangé.",
        ]
    else:
        credentials = [
            f"Rappel de votre identifiant : {login}",
            *_credentials(login, password, first=False)[1:],
        ]
    return [
        "Votre compte d’accès aux services pédagogiques et administratifs proposés pour",
        *_children(children, colon=False),
        "est toujours valide.",
        "",
        *credentials,
        "",
        "Pour accéder à vos services, il suffit de vous connecter à l’adresse internet suivante :",
        settings.portal_url,
        "",
        settings.signature,
    ]


def _password_change(
    settings: LetterSettings,
    school: str,
    children: tuple[str, ...],
    login: str,
    password: str | None,
) -> list[str]:
    return [
        f"Vous avez demandé auprès de l’école {school} un changement de mot de passe pour "
        "accéder aux services pédagogiques et administratifs, accessibles à l’adresse internet "
        "suivante :",
        settings.portal_url,
        "",
        "En ce qui concerne votre compte d'accès :",
        "",
        "Vous trouverez ci-dessous l'identifiant et le nouveau mot de passe provisoire de votre "
        "compte internet pour accéder aux services proposés pour",
        *_children(children, colon=True),
        *_credentials(login, password, first=False),
        "",
        settings.signature,
    ]


def compose(
    kind: LetterKind,
    *,
    recipient: str,
    school_name: str,
    children: tuple[str, ...],
    login: str,
    password: str | None,
    activation_token: str | None = None,
    settings: LetterSettings = LetterSettings(),
) -> LetterContent:
    """Write letter `kind` for one guardian in the guide's words (annex A1.2–A1.8).

    Paper letters open with « A l’attention de … »; e-mails carry the annex's sender and subject.
    C07 needs `activation_token`; the others show `password`, or « Votre mot de passe est
    inchangé. » when it is None.
    """
    paper = kind.channel is Channel.PAPER
    lines: list[str] = [f"A l’attention de {recipient}."] if paper else []
    if kind in (LetterKind.C01, LetterKind.C02):
        if paper:
            lines.append(_SUBJECT_NOTIFY)
            lines.append("")
        lines += _distribution(settings, school_name, children, login, password)
        subject = _SUBJECT_NOTIFY
    elif kind in (LetterKind.C03, LetterKind.C04):
        if paper:
            lines.append(_SUBJECT_NOTIFY)
            lines.append("")
        lines += _redistribution(settings, children, login, password)
        subject = _SUBJECT_NOTIFY
    elif kind in (LetterKind.C05, LetterKind.C06):
        lines.append("Demande de changement de mot de passe pour les services en ligne")
        lines.append("")
        lines += _password_change(settings, school_name, children, login, password)
        subject = _SUBJECT_C06
    else:
        if activation_token is None:
            raise ValueError("C07 needs an activation token")
        lines += [
            "Bonjour,",
            "",
            "Vous souhaitez accéder aux services en ligne de l'éducation nationale avec "
            f"l'identifiant {login}",
            "",
            "Pour activer votre compte, vous devez d'abord valider votre adresse mail en cliquant "
            "sur le lien ci-dessous et connectez-vous avec le mot de passe que vous avez choisi :",
            "",
            settings.activation_url + activation_token,
        ]
        subject = _SUBJECT_C07
    lines += [
        "",
        "En cas de problème, vous trouverez toutes les informations nécessaires à cette adresse :",
        settings.help_url,
    ]
    if kind is LetterKind.C07:
        lines += ["", "Cordialement,", "", "L'administrateur des services en ligne"]
    return LetterContent(
        kind=kind,
        recipient=recipient,
        school_name=school_name,
        children=children,
        login=login,
        password=password,
        subject=None if paper else subject,
        sender=None if paper else settings.sender_name,
        lines=tuple(lines),
    )
