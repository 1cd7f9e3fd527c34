"""The one place where the web console meets the core's services.

Everything the console asks of `educonnect_core` goes through here, so that a change of the
services' public API (unit actions returning `ActionReport`, stored statistics) is adapted in one
module. The sentences of the guide the core does not carry yet (confirmation questions, the empty
search, « Dernière mise à jour ») are in `WORDING`; every result message is the report's own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Final

from educonnect_core import (
    AccountPage,
    ActionReport,
    Administration,
    Channel,
    Chosen,
    Document,
    EduConnect,
    NotInScope,
    Page,
    Provisional,
    School,
    SchoolClass,
    SchoolStatistics,
    Selection,
    Uai,
)

__all__ = [
    "WORDING",
    "account",
    "check_in_scope",
    "compute_statistics",
    "confirmation",
    "credential_fingerprint",
    "export",
    "last_update",
    "notify",
    "resend",
    "reset",
    "rows",
    "school_and_classes",
    "stored_statistics",
]

#: The guide's sentences that the core's reports do not carry (det. §5.1, §5.3.1, §5.5.1, §6.1).
WORDING: Final = {
    "notify_paper": (
        "Êtes-vous sûr de vouloir notifier le(s) compte(s) (par feuille individuelle) ?"
    ),
    "notify_email": (
        "Êtes-vous sûr de vouloir notifier le(s) compte(s) (par courrier électronique) ?"
    ),
    "reset": "Êtes-vous sûr de vouloir réinitialiser le(s) compte(s) ?",
    "resend": "Êtes-vous sûr de vouloir renvoyer le courriel d’activation ?",
    "empty": (
        "Attention ! Aucun responsable ne correspond à vos critères de sélection. "
        "Veuillez modifier votre demande."
    ),
    "not_computed": "Les statistiques pour cette structure ne sont pas calculées.",
    "updated": "Dernière mise à jour le {:%d-%m-%Y à %H:%M:%S}",
    "download": "Télécharger le courrier au format PDF",
    # The guardian's side: the guide shows these screens without quoting them.
    "link_sent": "Un courriel de confirmation a été envoyé à {}. Ouvrez le lien qu’il contient "
    "pour activer votre compte.",
    "retry_at": "Prochain essai possible à partir de {:%H:%M} (heure de Paris).",
    "activated": "Votre adresse mail est confirmée : votre compte est activé.",
    "password_changed": "Votre mot de passe a été modifié.",
    "email_changed": "Votre adresse mail a été modifiée.",
    "email_pending": "Un nouveau lien d’activation a été envoyé à {}.",
    "different": "Les deux mots de passe saisis sont différents.",
    "bad_date": "Date attendue au format JJ/MM/AAAA.",
    "too_many": "Trop de demandes depuis votre connexion ; veuillez réessayer dans une minute.",
    "session_ended": "Votre session a pris fin ; veuillez vous reconnecter.",
    # Not in the guide (its screen greys the menu until a box is ticked): our own sentence.
    "none_ticked": "Veuillez cocher au moins un compte, ou « Tout cocher ».",
}


def confirmation(action: str, *, reset_too: bool = False) -> str:
    """The question shown before `action` (``notify_paper``, ``notify_email``, ``reset``…)."""
    del reset_too  # the guide asks the same question with or without the reset box ticked
    return WORDING[action]


def school_and_classes(
    app: EduConnect, admin: Administration, uai: str
) -> tuple[School, list[SchoolClass]]:
    """The chosen school and its classes by name, for the search form; a school outside the
    director's charge is refused like every other route.
    """
    parsed = Uai.parse(uai)
    schools = {s.uai: s for s in admin.schools()}
    if parsed not in schools:
        raise NotInScope(admin.director.director_id, parsed.value)
    with app.runtime.storage.unit_of_work() as uow:
        classes = sorted(uow.directory.classes(parsed), key=lambda c: (c.name, c.class_id))
    return schools[parsed], classes


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
    """One page of the Responsables list."""
    return admin.rows(uai, selection)


def account(admin: Administration, uai: str, login: str) -> AccountPage:
    """The account page (audited by the service)."""
    return admin.account(uai, login)


def notify(
    admin: Administration,
    uai: str,
    targets: Selection | Iterable[str],
    channel: Channel,
    *,
    reset_password: bool,
) -> ActionReport:
    """(Re)notify accounts by paper or e-mail."""
    return admin.notify(uai, targets, channel, reset=reset_password)


def reset(admin: Administration, uai: str, targets: Selection | Iterable[str]) -> ActionReport:
    """Reset passwords; a single account is a selection of one (the report carries the
    messages in both cases).
    """
    return admin.reset_passwords(uai, targets)


def resend(admin: Administration, uai: str, login: str, email: str | None) -> ActionReport:
    """Resend the activation e-mail, to a corrected address if given."""
    return admin.resend_activation_email(uai, login, email or None)


def export(admin: Administration, uai: str, selection: Selection, fmt: str) -> Document:
    """The CSV or PDF list (audited by the service)."""
    return (admin.export_csv if fmt == "csv" else admin.export_pdf)(uai, selection)


def stored_statistics(admin: Administration, uai: str) -> SchoolStatistics | None:
    """The statistics last computed for the school (nightly or on demand), or None before any
    computation (the page then shows the guide's « … ne sont pas calculées » sentence).
    """
    return admin.statistics(uai).statistics


def compute_statistics(admin: Administration, uai: str) -> SchoolStatistics:
    """« Calculer les statistiques »: count now and store."""
    return admin.compute_statistics(uai)


def last_update(statistics: SchoolStatistics, zone: tzinfo) -> str:
    """« Dernière mise à jour le JJ-MM-AAAA à HH:MM:SS » in the school's time zone."""
    moment: datetime = statistics.computed_at.astimezone(zone)
    return WORDING["updated"].format(moment)


def credential_fingerprint(app: EduConnect, login: str) -> str | None:
    """A digest of the account's current password (the provisional secret, the chosen hash, or
    none after FranceConnect): it changes with every reset or change of password, and only then
    (an e-mail change keeps the guardian's sessions). None if the account is unknown.
    """
    with app.runtime.storage.unit_of_work() as uow:
        found = uow.accounts.by_login(login)
    if found is None:
        return None
    password = found.password
    if isinstance(password, Provisional):
        material = f"p:{password.secret}:{password.carried_at.isoformat()}"
    elif isinstance(password, Chosen):
        material = f"c:{password.hash}"
    else:
        material = f"n:{found.credentials}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()
