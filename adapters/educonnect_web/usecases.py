"""The one place where the web console meets the core's services.

Everything the console asks of `educonnect_core` goes through here, so that a change of the
services' public API is adapted in one module. Every sentence of the director's screens is the
core's: the confirmation questions and warnings (`confirmation_question`,
`confirmation_warning`), the menus (`LIST_MENUS`, `ACCOUNT_MENUS`), the empty search
(`Say.NO_RESULT`), the reports' messages and download label, the account page's fields and
footnote (`AccountPage.fields`, `.footnote`), the statistics page's message, last update, button
and tables (`StatisticsPage`). `WORDING` keeps only what the core does not word.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, NamedTuple

from educonnect_core import (
    ACCOUNT_MENUS,
    LIST_MENUS,
    AccountPage,
    Action,
    ActionReport,
    Administration,
    Channel,
    Document,
    EduConnect,
    NotInScope,
    Page,
    School,
    SchoolClass,
    Selection,
    StatisticsPage,
    Uai,
    confirmation_question,
    confirmation_warning,
    menu_label,
)

__all__ = [
    "ACCOUNT_ACTIONS",
    "LIST_ACTIONS",
    "WITH_RESET",
    "WORDING",
    "Choice",
    "Question",
    "account",
    "check_in_scope",
    "choice",
    "credential_version",
    "export",
    "notify",
    "question",
    "resend",
    "reset",
    "rows",
    "school_and_classes",
    "statistics",
]

#: Sentences the core does not word, and only those. The guardian's screens: the guide shows
#: them without quoting them, and the portal's services return values, not sentences. The
#: console's own: a bulk action with nothing ticked (the guide's screen greys the menu instead)
#: and a form whose CSRF token is missing or stale.
WORDING: Final = {
    "link_sent": "Un courriel de confirmation a été envoyé à {}. Ouvrez le lien qu’il contient "
    "pour activer votre compte.",
    "retry_at": "Prochain essai possible à partir de {:%H:%M} (heure de Paris).",
    "activated": "Votre adresse mail est confirmée : votre compte est activé.",
    "password_changed": "Votre mot de passe a été modifié.",
    "email_changed": "Votre adresse mail a été modifiée.",
    "different": "Les deux mots de passe saisis sont différents.",
    "bad_date": "Date attendue au format JJ/MM/AAAA.",
    "too_many": "Trop de demandes depuis votre connexion ; veuillez réessayer dans une minute.",
    "expired_form": "La demande a expiré ; veuillez recharger la page et recommencer.",
    "none_ticked": "Veuillez cocher au moins un compte, ou « Tout cocher ».",
}


class Choice(NamedTuple):
    """One action of a menu: the form's value, the core's action and channel, the guide's label."""

    key: str
    action: Action
    channel: Channel | None
    label: str


# The menus as the core words them; unpacking checks their shape when the module is imported.
(_NOTIFY_MENU, (_, _PAPER, _EMAIL)), (_LIST_MENU, (_PDF, _CSV)), (_MODIFY_MENU, (_RESET,)) = (
    LIST_MENUS
)
((_NOTIFY_ONE_MENU, (_, _PAPER_ONE, _EMAIL_ONE)), (_MODIFY_ONE_MENU, (_RESET_ONE, _RESEND))) = (
    ACCOUNT_MENUS
)

#: The list's menus (§5.3.1, §5.4, §5.5.1): (menu, its actions); the reset box is `WITH_RESET`.
LIST_ACTIONS: Final = (
    (
        _NOTIFY_MENU,
        (
            Choice("notify_paper", Action.NOTIFY, Channel.PAPER, _PAPER),
            Choice("notify_email", Action.NOTIFY, Channel.EMAIL, _EMAIL),
        ),
    ),
    (
        _LIST_MENU,
        (
            Choice("export_pdf", Action.EXPORT_PDF, None, _PDF),
            Choice("export_csv", Action.EXPORT_CSV, None, _CSV),
        ),
    ),
    (_MODIFY_MENU, (Choice("reset", Action.RESET_PASSWORD, None, _RESET),)),
)
#: An account page's menus (§5.3.2, §5.5.3, §5.6).
ACCOUNT_ACTIONS: Final = (
    (
        _NOTIFY_ONE_MENU,
        (
            Choice("notify_paper", Action.NOTIFY, Channel.PAPER, _PAPER_ONE),
            Choice("notify_email", Action.NOTIFY, Channel.EMAIL, _EMAIL_ONE),
        ),
    ),
    (
        _MODIFY_ONE_MENU,
        (
            Choice("reset", Action.RESET_PASSWORD, None, _RESET_ONE),
            Choice("resend", Action.RESEND_ACTIVATION_EMAIL, None, _RESEND),
        ),
    ),
)
#: « Avec réinitialisation du mot de passe », the box of the notification menus.
WITH_RESET: Final = menu_label(Action.NOTIFY_WITH_RESET)


def choice(key: str, *, unit: bool) -> Choice | None:
    """The menu action of form value `key` (on the list, or on an account's page if `unit`)."""
    for _, choices in ACCOUNT_ACTIONS if unit else LIST_ACTIONS:
        for found in choices:
            if found.key == key:
                return found
    return None


class Question(NamedTuple):
    """What the confirmation page asks: the guide's question and the warning under it."""

    text: str
    warning: str | None


def question(chosen: Choice, *, reset_too: bool, unit: bool) -> Question | None:
    """The guide's question before `chosen` (None: the action is asked without one)."""
    action = chosen.action
    if reset_too and action is Action.NOTIFY:
        action = Action.NOTIFY_WITH_RESET
    text = confirmation_question(action, chosen.channel, unit=unit)
    if text is None:
        return None
    return Question(text, confirmation_warning(action, unit=unit))


def school_and_classes(
    app: EduConnect, admin: Administration, uai: str
) -> tuple[School, list[SchoolClass]]:
    """The chosen school and its classes by name, for the search form; a school outside the
    director's charge is refused like every other route.
    """
    parsed = Uai.parse(uai)
    if parsed not in admin.director.uais:
        raise NotInScope(admin.director.director_id, parsed.value)
    with app.runtime.storage.unit_of_work() as uow:
        found = uow.directory.schools({parsed})
        classes = sorted(uow.directory.classes(parsed), key=lambda c: (c.name, c.class_id))
    if not found:
        raise NotInScope(admin.director.director_id, parsed.value)
    return found[0], classes


def check_in_scope(admin: Administration, uai: str, logins: Iterable[str]) -> None:
    """Refuse, before any question is asked, a school or a login outside the director's reach
    (the service checks again when the action runs).
    """
    wanted = frozenset(logins)
    page = admin.rows(uai, Selection(logins=wanted).everything())
    missing = wanted - {row.login for row in page.rows}
    if missing:
        raise NotInScope(admin.director.director_id, min(missing), uai)


def rows(admin: Administration, uai: str, selection: Selection) -> Page:
    """One page of the Responsables list (empty: the page shows `Say.NO_RESULT`)."""
    return admin.rows(uai, selection)


def account(admin: Administration, uai: str, login: str) -> AccountPage:
    """The account page (audited by the service)."""
    return admin.account(uai, login)


def notify(
    admin: Administration,
    uai: str,
    targets: Selection | Iterable[str] | str,
    channel: Channel,
    *,
    reset_password: bool,
) -> ActionReport:
    """(Re)notify accounts by paper or e-mail: a selection or ticked logins (the list), or one
    login (the account's page, whose report speaks of one account).
    """
    return admin.notify(uai, targets, channel, reset=reset_password)


def reset(
    admin: Administration, uai: str, targets: Selection | Iterable[str] | str
) -> ActionReport:
    """Reset passwords: a selection or ticked logins (§5.5.1), or one login from its page
    (§5.5.3, « Le mot de passe a bien été réinitialisé. »).
    """
    if isinstance(targets, str):
        return admin.reset_password(uai, targets)
    return admin.reset_passwords(uai, targets)


def resend(admin: Administration, uai: str, login: str, email: str | None) -> ActionReport:
    """Resend the activation e-mail, to a corrected address if given."""
    return admin.resend_activation_email(uai, login, email or None)


def export(admin: Administration, uai: str, selection: Selection, fmt: str) -> Document:
    """The CSV or PDF list (audited by the service)."""
    return (admin.export_csv if fmt == "csv" else admin.export_pdf)(uai, selection)


def statistics(admin: Administration, uai: str, *, compute: bool = False) -> StatisticsPage:
    """The statistics page as last computed (nightly or on demand), after counting now and
    storing if `compute` (« Calculer les statistiques »). Before any computation the page
    carries the guide's « … ne sont pas calculées. … » message and empty tables.
    """
    if compute:
        admin.compute_statistics(uai)
    return admin.statistics(uai)


def credential_version(app: EduConnect, login: str) -> int | None:
    """The generation of the account's credentials (`Account.credentials`, one more at every
    reset, password or e-mail change), None if the account is unknown: a guardian's session
    lives as long as the generation it was opened under.
    """
    with app.runtime.storage.unit_of_work() as uow:
        found = uow.accounts.by_login(login)
    return None if found is None else found.credentials
