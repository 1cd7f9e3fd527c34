"""Forgotten login or password (guide v1.9 det. §1.3.3 « s'auto-dépanner »): the e-mail that
carries the recovery link, and the refusals, which never tell whether an account exists.
"""

from __future__ import annotations

from educonnect_core.domain.letters import LetterContent, LetterKind, LetterSettings
from educonnect_core.errors import EduconnectError

__all__ = ["RecoveryRefused", "recovery_letter"]

_SUBJECT = "Services en ligne de l'éducation nationale - identifiant ou mot de passe oublié"


def recovery_letter(
    settings: LetterSettings, *, recipient: str, login: str, token: str, url: str
) -> LetterContent:
    """The recovery e-mail: the login (for a forgotten login) and the single-use link `url` +
    `token` to choose a new password (for a forgotten one).
    """
    return LetterContent(
        kind=LetterKind.R01,
        recipient=recipient,
        school_name="",
        children=(),
        login=login,
        password=None,
        subject=_SUBJECT,
        sender=settings.sender_name,
        lines=(
            "Bonjour,",
            "",
            "Vous avez signalé avoir oublié votre identifiant ou votre mot de passe pour les "
            "services en ligne de l'éducation nationale.",
            "",
            f"Votre identifiant est : {login}",
            "",
            "Pour choisir un nouveau mot de passe, cliquez sur le lien ci-dessous :",
            "",
            url + token,
            "",
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de "
            "passe reste inchangé.",
            "",
            "En cas de problème, vous trouverez toutes les informations nécessaires à cette "
            "adresse :",
            settings.help_url,
            "",
            "Cordialement,",
            "",
            "L'administrateur des services en ligne",
        ),
    )


class RecoveryRefused(EduconnectError):
    """A recovery step was refused: unknown or expired link, or a login that is not one of the
    proven line's activated accounts. The same for every cause, so that it tells nothing.
    """

    french = (
        "Les informations saisies ne permettent pas de réinitialiser le mot de passe ; "
        "veuillez recommencer la démarche."
    )

    def __init__(self) -> None:
        super().__init__("recovery refused")
