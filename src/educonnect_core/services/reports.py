"""What the director's use cases hand back: per-account outcomes in the guide's words, the account
page, the reminder list.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import Final

import attrs

from educonnect_core.domain.letters import LetterKind
from educonnect_core.domain.lifecycle import AccountState, Channel, Origin
from educonnect_core.domain.permissions import Action
from educonnect_core.domain.records import Document
from educonnect_core.domain.values import Level

__all__ = [
    "MESSAGES",
    "AccountOutcome",
    "AccountPage",
    "ActionReport",
    "ChildView",
    "Reminder",
    "Skip",
]


class Skip(enum.Enum):
    """Why an account of a bulk selection was not processed (or processed only in part)."""

    NO_EMAIL = "no_email"
    RESET_NOT_APPLIED = "reset_not_applied"


#: The guide's messages (SPEC §3–4); the other sentences follow their style.
MESSAGES: Final = {
    Skip.RESET_NOT_APPLIED: (
        "Avertissement : les mots de passe des comptes qui n'étaient pas encore notifiés "
        "n'ont pas été mis à jour."
    ),
    Skip.NO_EMAIL: (
        "Aucune adresse mail n'étant renseignée, la distribution par mail est impossible pour {}."
    ),
}


@attrs.frozen
class AccountOutcome:
    """What a bulk or unit action did to one account."""

    login: str
    name: str
    done: bool
    state_before: AccountState | None = None
    state_after: AccountState | None = None
    password_reset: bool = False
    letter: LetterKind | None = None
    skip: Skip | None = None


@attrs.frozen
class ActionReport:
    """The result of a director's action: per account, the messages to show, and the document
    (paper notification) if one was produced.
    """

    action: Action
    uai: str
    at: datetime
    outcomes: tuple[AccountOutcome, ...]
    channel: Channel | None = None
    document: Document | None = None

    @property
    def done(self) -> tuple[AccountOutcome, ...]:
        """The accounts the action was applied to."""
        return tuple(o for o in self.outcomes if o.done)

    @property
    def not_done(self) -> tuple[AccountOutcome, ...]:
        """The accounts left out, each with its reason."""
        return tuple(o for o in self.outcomes if not o.done)

    @property
    def messages(self) -> tuple[str, ...]:
        """The confirmation, then one warning or error per reason, in the guide's words."""
        out: list[str] = []
        if self.done:
            out.append(_confirmation(self.action, self.channel, len(self.done)))
        for skip in Skip:
            who = [o for o in self.outcomes if o.skip is skip]
            if not who:
                continue
            if skip is Skip.RESET_NOT_APPLIED:
                out.append(MESSAGES[skip])
            else:
                out.append(MESSAGES[skip].format(_names(who)))
        return tuple(out)


def _names(outcomes: Iterable[AccountOutcome]) -> str:
    return ", ".join(f"{o.name} ({o.login})" for o in outcomes)


def _confirmation(action: Action, channel: Channel | None, count: int) -> str:
    plural = "s" if count > 1 else ""
    if action in (Action.NOTIFY, Action.NOTIFY_WITH_RESET):
        how = (
            "par courrier électronique" if channel is Channel.EMAIL else "par feuille individuelle"
        )
        return f"{count} compte{plural} notifié{plural} {how}."
    if action is Action.RESET_PASSWORD:
        return f"{count} mot{plural} de passe réinitialisé{plural}."
    if action is Action.RESEND_ACTIVATION_EMAIL:
        return "Le courriel d’activation a été renvoyé."
    return f"{count} compte{plural} exporté{plural}."


@attrs.frozen
class ChildView:
    """A child on the account page: in this school (class) or in another (UAI and school name)."""

    student_id: str
    name: str
    birth_date: date
    uai: str
    school_name: str
    class_name: str | None
    level: Level | None
    in_this_school: bool


@attrs.frozen
class AccountPage:
    """The account page of guide §5.2."""

    login: str
    name: str
    #: Clear if provisional, ``******`` if chosen, empty for NOT_NOTIFIED.
    password: str = attrs.field(repr=False)
    email: str | None
    mobile: str | None
    origin: Origin
    state: AccountState
    distributed_at: datetime | None
    last_login_at: datetime | None
    children_here: tuple[ChildView, ...]
    children_elsewhere: tuple[ChildView, ...]
    #: The actions the matrix allows on this account now.
    actions: tuple[Action, ...]


@attrs.frozen
class Reminder:
    """An account notified but not activated, and the day its 3 months end."""

    login: str
    name: str
    state: AccountState
    distributed_at: datetime | None
    deadline: date
    #: What the guide suggests before the deadline (§3.1): re-notify, or resend the activation.
    suggested: Action
