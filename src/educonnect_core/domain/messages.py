"""Every sentence the director's screens show, in one table, word for word with the guide v1.9.

The guide prints most of them in screenshots (detailed guide §5.1–§5.6, §6.1; quick guide §6.1,
§7.1): they are copied here exactly, straight apostrophes included, and nowhere else. A service
or a command picks a sentence by its key (`Say`) and fills the few that have blanks; what the
guide does not word (a letter refused for an unconfirmed address, an action refused for a
state) follows its style and is marked so below.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final

from educonnect_core.domain.lifecycle import AccountState, Channel
from educonnect_core.domain.permissions import Action

__all__ = [
    "ACCOUNT_MENUS",
    "ACTION_WORDS",
    "LIST_MENUS",
    "NOT_GIVEN",
    "NOT_GIVEN_FEMININE",
    "Say",
    "confirmation_question",
    "confirmation_warning",
    "last_update",
    "menu_label",
    "name_list",
    "refusal",
    "surname_first",
]


class Say(enum.Enum):
    """The sentences, each with the guide's section it comes from."""

    #: §5.3.1, after a bulk notification (paper: followed by `DOWNLOAD_PDF`).
    NOTIFIED = "La distribution a été effectuée avec succès pour le(s) compte(s) sélectionné(s)."
    #: §5.3.2, after notifying one account from its page.
    NOTIFIED_ONE = "La distribution a été effectuée avec succès."
    #: §5.3.1, the paper notification's link to the PDF.
    DOWNLOAD_PDF = "Télécharger le courrier au format PDF"
    #: §5.3.1, e-mail notification of accounts without an address; blanks: count, names.
    NO_EMAIL = (
        "Aucune adresse mail n'étant renseignée, la distribution par mail est impossible pour "
        "le(s) responsable(s) suivant(s) (total : {count} compte(s)) : {names}"
    )
    #: §5.3.2, the same for one account.
    NO_EMAIL_ONE = (
        "Aucune adresse mail n'étant renseignée, la distribution par mail est impossible."
    )
    #: Not in the guide (issue 9 item 6), in the style of `NO_EMAIL`: a letter carrying a password
    #: is not mailed to an address nobody confirmed; blanks: count, names.
    UNCONFIRMED_EMAIL = (
        "L'adresse mail n'étant pas confirmée, la distribution par mail est impossible pour "
        "le(s) responsable(s) suivant(s) (total : {count} compte(s)) : {names}"
    )
    #: The same for one account.
    UNCONFIRMED_EMAIL_ONE = (
        "L'adresse mail n'étant pas confirmée, la distribution par mail est impossible."
    )
    #: §5.3 and §5.5, bulk notification with reset or bulk reset including NOT_NOTIFIED accounts.
    RESET_NOT_APPLIED = (
        "Avertissement : les mots de passe des comptes qui n'étaient pas encore notifiés "
        "n'ont pas été mis à jour."
    )
    #: §5.5.1, after a bulk reset.
    RESET = "Le mot de passe a bien été réinitialisé pour les responsable(s) sélectionné(s)."
    #: §5.5.3, after resetting one account from its page.
    RESET_ONE = "Le mot de passe a bien été réinitialisé."
    #: §5.6, after resending the activation e-mail.
    RESENT = "Le mail a été renvoyé."
    #: §5.1, a search that finds nobody.
    NO_RESULT = (
        "Attention ! Aucun responsable ne correspond à vos critères de sélection. "
        "Veuillez modifier votre demande."
    )
    #: §5.3.1 confirmation, bulk, paper.
    CONFIRM_NOTIFY_PAPER = (
        "Êtes-vous sûr de vouloir notifier le(s) compte(s) (par feuille individuelle) ?"
    )
    #: §5.3.1 confirmation, bulk, e-mail.
    CONFIRM_NOTIFY_EMAIL = "Êtes-vous sûr de vouloir notifier le(s) compte(s) (par email) ?"
    #: §5.3.2 confirmation, one account, paper.
    CONFIRM_NOTIFY_ONE_PAPER = (
        "Êtes-vous sûr de vouloir notifier le compte (par feuille individuelle) ?"
    )
    #: §5.3.2 confirmation, one account, e-mail.
    CONFIRM_NOTIFY_ONE_EMAIL = "Êtes-vous sûr de vouloir notifier le compte (par email) ?"
    #: §5.3.1, the warning under the bulk notification's question.
    WARN_NOTIFY = (
        "Avertissement : si vous avez coché l'option 'Avec réinitialisation du mot de passe', un "
        "nouveau mot de passe provisoire sera attribué aux responsables ayant déjà activé leur "
        "compte."
    )
    #: §5.3.2, the warning under one account's notification question.
    WARN_NOTIFY_ONE = (
        "Avertissement : si vous avez coché l'option 'Avec réinitialisation du mot de passe', un "
        "nouveau mot de passe provisoire sera attribué au responsable."
    )
    #: §5.5.1 confirmation, bulk reset.
    CONFIRM_RESET = "Êtes-vous sûr de vouloir réinitialiser le(s) compte(s) ?"
    #: §5.5.3 confirmation, one account's reset.
    CONFIRM_RESET_ONE = "Êtes-vous sûr de vouloir réinitialiser le mot de passe du compte ?"
    #: Quick guide §6.1, the account page's footnote.
    PASSWORD_FOOTNOTE = (
        "* Seuls les mots de passe provisoires sont affichés, le mot de passe choisi par le "
        "responsable lors de l'activation de son compte est masqué."
    )
    #: Not in the guide (issue 9 item 7): the account page of an account blocked after 100
    #: consecutive failed logins (NIST SP 800-63B §5.2.2); its label, then its value.
    BLOCKED_LABEL = "Connexion"
    BLOCKED = (
        "Bloquée après trop d'échecs de connexion consécutifs : réinitialisez le mot de passe "
        "pour la débloquer."
    )
    #: Quick guide §7.1, the statistics never computed: the summary's line (the guide's own
    #: wording, « Veuillez cliquez » included).
    STATS_NOT_COMPUTED = (
        "Les statistiques pour cette structure ne sont pas calculées. "
        "Veuillez cliquez sur le bouton 'Calculer les statistiques'"
    )
    #: Quick guide §7.1, the same under the per-class table.
    STATS_NOT_COMPUTED_CLASSES = (
        "Les statistiques pour les classes de la structure ne sont pas calculées. "
        "Veuillez cliquez sur le bouton 'Calculer les statistiques'"
    )
    #: Quick guide §7.1, the same under the per-level table.
    STATS_NOT_COMPUTED_LEVELS = (
        "Les statistiques pour les niveaux de la structure ne sont pas calculées. "
        "Veuillez cliquez sur le bouton 'Calculer les statistiques'"
    )
    #: §6.1, under the tables; blanks: date (JJ-MM-AAAA), time (HH:MM:SS).
    LAST_UPDATE = "Dernière mise à jour le {date} à {time}"
    #: Quick guide §7.1, before any computation.
    LAST_UPDATE_NEVER = "Dernière mise à jour le Non Renseigné"
    #: §6.1, the button.
    COMPUTE_STATISTICS = "Calculer les statistiques"
    #: Not in the guide: an action the matrix forbids; blanks: what (infinitive), state label.
    REFUSED = "Impossible {what} : le compte est à l'état « {state} »."

    @property
    def text(self) -> str:
        """The sentence."""
        return self.value


#: Quick guide §6.1: an empty field of the account page (« Courrier électronique »…).
NOT_GIVEN: Final = "Non renseigné"
#: Quick guide §6.1: an empty date of the account page (« Date de dernière connexion »).
NOT_GIVEN_FEMININE: Final = "Non renseignée"

#: The menus of the list of responsables (§5.3.1, §5.4, §5.5.1): (menu, its items).
LIST_MENUS: Final = (
    (
        "(Re)Notifier les comptes",
        (
            "Avec réinitialisation du mot de passe",
            "Par feuilles individuelles imprimables",
            "Par envoi de courriers électroniques",
        ),
    ),
    (
        "Lister les comptes",
        (
            "Imprimer la liste des responsables (format pdf)",
            "Exporter la liste des responsables (format csv)",
        ),
    ),
    ("Modifier les comptes", ("Réinitialiser le(s) mot(s) de passe",)),
)
#: The menus of an account's page (§5.3.2, §5.5.3, §5.6): (menu, its items).
ACCOUNT_MENUS: Final = (
    (
        "(Re)Notifier le compte",
        (
            "Avec réinitialisation du mot de passe",
            "Par feuille individuelle imprimable",
            "Par envoi de courriers électroniques",
        ),
    ),
    ("Modifier le compte", ("Réinitialiser le mot de passe", "Renvoyer un courriel d'activation")),
)

_MENU_ITEMS: Final[Mapping[tuple[Action, bool], str]] = MappingProxyType(
    {
        (Action.NOTIFY, False): "(Re)Notifier les comptes",
        (Action.NOTIFY, True): "(Re)Notifier le compte",
        (Action.NOTIFY_WITH_RESET, False): "Avec réinitialisation du mot de passe",
        (Action.NOTIFY_WITH_RESET, True): "Avec réinitialisation du mot de passe",
        (Action.RESET_PASSWORD, False): "Réinitialiser le(s) mot(s) de passe",
        (Action.RESET_PASSWORD, True): "Réinitialiser le mot de passe",
        (Action.RESEND_ACTIVATION_EMAIL, True): "Renvoyer un courriel d'activation",
        (Action.RESEND_ACTIVATION_EMAIL, False): "Renvoyer un courriel d'activation",
        (Action.EXPORT_PDF, False): "Imprimer la liste des responsables (format pdf)",
        (Action.EXPORT_PDF, True): "Imprimer la liste des responsables (format pdf)",
        (Action.EXPORT_CSV, False): "Exporter la liste des responsables (format csv)",
        (Action.EXPORT_CSV, True): "Exporter la liste des responsables (format csv)",
    }
)

#: What an action or a lifecycle event does, as the French infinitive a refusal names (by the
#: code name the errors carry: `Action` and `Event` names, and the portal's own).
ACTION_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "NOTIFY": "notifier le compte",
        "NOTIFY_WITH_RESET": "notifier en réinitialisant le mot de passe",
        "RESET_PASSWORD": "réinitialiser le mot de passe",
        "RESEND_ACTIVATION_EMAIL": "renvoyer le courriel d'activation",
        "RESEND_ACTIVATION": "renvoyer le courriel d'activation",
        "EXPORT_PDF": "imprimer la liste",
        "EXPORT_CSV": "exporter la liste",
        "BEGIN_ACTIVATION": "faire la première connexion",
        "CONFIRM_EMAIL": "confirmer l'adresse mail",
        "SELF_ACTIVATE": "activer soi-même le compte",
        "CHANGE_PASSWORD": "changer le mot de passe",
        "CHANGE_EMAIL": "changer l'adresse mail",
    }
)


def menu_label(action: Action, *, unit: bool = False) -> str:
    """The guide's menu item for `action`: on the list (`unit` False) or on an account's page."""
    return _MENU_ITEMS[action, unit]


def confirmation_question(
    action: Action, channel: Channel | None = None, *, unit: bool = False
) -> str | None:
    """The question the guide asks before `action` (§5.3.1, §5.3.2, §5.5.1, §5.5.3), or None
    for an action asked without one (exports; the activation e-mail asks for the address).
    """
    if action in (Action.NOTIFY, Action.NOTIFY_WITH_RESET):
        paper = channel is not Channel.EMAIL
        if unit:
            say = Say.CONFIRM_NOTIFY_ONE_PAPER if paper else Say.CONFIRM_NOTIFY_ONE_EMAIL
        else:
            say = Say.CONFIRM_NOTIFY_PAPER if paper else Say.CONFIRM_NOTIFY_EMAIL
        return say.text
    if action is Action.RESET_PASSWORD:
        return (Say.CONFIRM_RESET_ONE if unit else Say.CONFIRM_RESET).text
    return None


def confirmation_warning(action: Action, *, unit: bool = False) -> str | None:
    """The warning the guide prints under a notification's question, None for other actions."""
    if action in (Action.NOTIFY, Action.NOTIFY_WITH_RESET):
        return (Say.WARN_NOTIFY_ONE if unit else Say.WARN_NOTIFY).text
    return None


def surname_first(first_name: str, surname: str) -> str:
    """« NOM Prénom », as the guide's messages list people (« HAFIR Ghislain »)."""
    return f"{surname.upper()} {first_name}"


def name_list(names: Iterable[str]) -> str:
    """Names joined as in the guide's screenshot: « HAFIR Ghislain , RENZEKS Arnaud »."""
    return " , ".join(names)


def last_update(local: datetime | None) -> str:
    """« Dernière mise à jour le JJ-MM-AAAA à HH:MM:SS » in the users' time (`local`), or the
    guide's « … le Non Renseigné » before any computation.
    """
    if local is None:
        return Say.LAST_UPDATE_NEVER.text
    return Say.LAST_UPDATE.text.format(date=f"{local:%d-%m-%Y}", time=f"{local:%H:%M:%S}")


def refusal(state: str, action: str) -> str:
    """The sentence for an action the matrix forbids: `state` and `action` are code names
    (``NOT_NOTIFIED``, ``RESET_PASSWORD``); the sentence names them in French.
    """
    label = AccountState[state].label if state in AccountState.__members__ else state
    what = ACTION_WORDS.get(action, "faire cette action")
    elided = f"d'{what}" if what[0] in "aeéiouy" else f"de {what}"
    return Say.REFUSED.text.format(what=elided, state=label)
