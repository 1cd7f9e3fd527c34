"""The library's errors: one base, one class per domain failure, each carrying the ids to act on.

Messages meant for developers are in English; `french` carries the sentence a person sees, in the
guide's wording where the guide has one.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "ActionNotAllowed",
    "ActivationLinkRefused",
    "BirthDateCheckFailed",
    "BirthDateLocked",
    "BirthDateRefused",
    "ConcurrentChange",
    "CredentialsRefused",
    "DeliveryFailed",
    "EduconnectError",
    "IdentityNotRecognised",
    "InvalidField",
    "NoEmailAddress",
    "NotFound",
    "NotInScope",
    "StorageError",
    "TransitionNotAllowed",
]


class EduconnectError(Exception):
    """Base of every error the library raises on purpose."""

    french: str = "Une erreur est survenue."


class InvalidField(EduconnectError, ValueError):
    """A value given by a caller or a feed does not meet its rule; nothing was changed.

    `record` names the record (a school UAI, a pupil or guardian id, a login, or the argument's
    owner), `field` the offending field, `reason` what is wrong. The value itself is kept out of
    the message when the field is secret.
    """

    def __init__(self, record: str, field: str, reason: str) -> None:
        self.record = record
        self.field = field
        self.reason = reason
        super().__init__(f"{record}: invalid {field}: {reason}")

    @property
    def french(self) -> str:  # type: ignore[override]
        """The sentence shown to a person."""
        return f"Valeur invalide pour « {self.field} » ({self.record}) : {self.reason}."


class NotFound(EduconnectError, LookupError):
    """No record of `kind` is known under `key`."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r}")
        self.french = f"Aucun élément « {kind} » ne correspond à {key}."


class NotInScope(EduconnectError, PermissionError):
    """A director asked for a school or an account outside the schools in their charge.

    `subject` is the UAI or the login asked for; `uai` the school the director was working on.
    """

    def __init__(self, director_id: str, subject: str, uai: str | None = None) -> None:
        self.director_id = director_id
        self.subject = subject
        self.uai = uai
        where = f" in school {uai}" if uai else ""
        super().__init__(f"director {director_id} has no access to {subject}{where}")
        self.french = f"Vous n’avez pas accès à {subject}."


class ActionNotAllowed(EduconnectError):
    """The permission matrix forbids `action` for an account in `state` (both code names:
    ``RESET_PASSWORD``, ``NOT_NOTIFIED``); `french` names them in French (« Impossible de
    réinitialiser le mot de passe : le compte est à l'état « Non notifié ». »).
    """

    def __init__(self, account_id: str, state: str, action: str) -> None:
        self.account_id = account_id
        self.state = state
        self.action = action
        super().__init__(f"account {account_id}: {action} is not allowed in state {state}")
        # The sentence names the state and the action in French; the table of messages sits in
        # the domain, which imports this module, hence the import here.
        from educonnect_core.domain.messages import refusal  # noqa: PLC0415

        self.french = refusal(state, action)


class TransitionNotAllowed(ActionNotAllowed):
    """The lifecycle state machine has no transition for `action` from `state`."""


class NoEmailAddress(EduconnectError):
    """An e-mail was required but the account has no address."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        super().__init__(f"account {account_id} has no e-mail address")
        self.french = "Aucune adresse mail n’est renseignée pour ce compte."


class CredentialsRefused(EduconnectError):
    """Login refused. Deliberately the same for an unknown login, a wrong password, a locked
    account, an expired provisional password and an account that cannot log in yet.
    """

    french = "Identifiant ou mot de passe incorrect."

    def __init__(self) -> None:
        super().__init__("login refused")


class BirthDateCheckFailed(EduconnectError):
    """The first connection's birth-date check did not let the guardian through: catch this for
    both a wrong date (`BirthDateRefused`) and a locked check (`BirthDateLocked`).
    """

    login: str


class BirthDateRefused(BirthDateCheckFailed):
    """The birth date given for the child named on screen does not match the directory."""

    def __init__(self, login: str, attempts_left: int) -> None:
        self.login = login
        self.attempts_left = attempts_left
        super().__init__(f"{login}: birth date refused, {attempts_left} attempt(s) left")
        self.french = "La date de naissance saisie ne correspond pas à celle de votre enfant."


class BirthDateLocked(BirthDateCheckFailed):
    """Too many wrong birth dates: the next attempt is possible at `retry_at` (UTC)."""

    def __init__(self, login: str, retry_at: datetime) -> None:
        self.login = login
        self.retry_at = retry_at
        super().__init__(f"{login}: birth date attempts locked until {retry_at.isoformat()}")
        self.french = (
            "Trop de tentatives : veuillez réessayer plus tard ou contacter le directeur d’école."
        )


class ActivationLinkRefused(EduconnectError):
    """An activation link is unknown, already used, superseded or expired (not told apart)."""

    french = "Ce lien d’activation n’est plus valide."

    def __init__(self) -> None:
        super().__init__("activation link refused")


class IdentityNotRecognised(EduconnectError):
    """A self-service sign-up (SMS or FranceConnect) found no account with these name and mobile."""

    french = "Les informations saisies (nom, prénom, numéro de mobile) ne sont pas reconnues."

    def __init__(self) -> None:
        super().__init__("no account matches this identity")


class ConcurrentChange(EduconnectError):
    """An account changed since it was read: the write was refused and nothing was overwritten."""

    def __init__(self, account_id: str, expected_version: int, actual_version: int | None) -> None:
        self.account_id = account_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"account {account_id} changed concurrently "
            f"(expected version {expected_version}, found {actual_version})"
        )
        self.french = "Le compte a été modifié entre-temps ; veuillez recommencer."


class StorageError(EduconnectError):
    """The storage failed (lost connection, foreign database, wrong schema); nothing was applied."""

    french = "Le stockage des comptes est indisponible ; aucune modification n’a été faite."


class DeliveryFailed(EduconnectError):
    """An e-mail could not be handed over; the outbox keeps it and retries later."""

    def __init__(self, message_id: str, recipient: str, reason: str) -> None:
        self.message_id = message_id
        self.recipient = recipient
        self.reason = reason
        super().__init__(f"message {message_id} to {recipient}: {reason}")
        self.french = f"Le courriel destiné à {recipient} n’a pas pu être envoyé."
