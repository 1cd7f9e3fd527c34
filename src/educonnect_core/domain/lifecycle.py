"""The account lifecycle: states, origins, and THE state machine shared by every account.

One `transitions.Machine(model=None, …)` is built at import from the data below; accounts are never
registered with it. An event is fired on an account with `fire(account, event)`, which translates
the machine's error into `TransitionNotAllowed`.
"""

from __future__ import annotations

import enum
from typing import Final, Protocol

from transitions import Machine, MachineError

from educonnect_core.errors import TransitionNotAllowed

__all__ = [
    "MACHINE",
    "TRANSITIONS",
    "AccountState",
    "Channel",
    "Event",
    "Origin",
    "fire",
]


class AccountState(enum.Enum):
    """The four states of a guardian's account (SPEC §2), in lifecycle order."""

    NOT_NOTIFIED = "Non notifié"
    NOTIFIED = "Notifié et non activé"
    ACTIVATING = "En cours d’activation"
    ACTIVATED = "Activé"

    @property
    def label(self) -> str:
        """The French label of the UI and the exports."""
        return self.value

    @property
    def colour(self) -> str:
        """The colour the guide gives the state's icon."""
        return _COLOURS[self]


_COLOURS: Final = {
    AccountState.NOT_NOTIFIED: "red",
    AccountState.NOTIFIED: "orange",
    AccountState.ACTIVATING: "yellow",
    AccountState.ACTIVATED: "green",
}


class Origin(enum.Enum):
    """How the account came to be used (« origine du compte »)."""

    NONE = "Non renseigné"
    SCHOOL = "Etablissement"
    RESPONSABLE = "Responsable"
    FRANCECONNECT = "FranceConnect"
    #: Activated by the transition of a 2nd-degree ATEN account to EduConnect (det. §1.3.4).
    ATEN = "ATEN"
    #: Activated by the transition of an ENT account to EduConnect (det. §1.3.4).
    ENT = "ENT"

    @property
    def label(self) -> str:
        """The French label of the UI."""
        return self.value


class Channel(enum.Enum):
    """How a notification reaches the guardian."""

    PAPER = "Par feuilles individuelles imprimables"
    EMAIL = "Par envoi de courriers électroniques"

    @property
    def label(self) -> str:
        """The French label of the UI menu."""
        return self.value


class Event(enum.StrEnum):
    """The lifecycle events; each is fired by one method of `Account`."""

    NOTIFY = "notify"
    RESET_PASSWORD = "reset_password"
    RESEND_ACTIVATION = "resend_activation"
    BEGIN_ACTIVATION = "begin_activation"
    CONFIRM_EMAIL = "confirm_email"
    SELF_ACTIVATE = "self_activate"
    CHANGE_PASSWORD = "change_password"
    CHANGE_EMAIL = "change_email"


_N, _D, _A, _V = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)

#: (event, sources, destination); a destination of None keeps the state (internal transition).
TRANSITIONS: Final[tuple[tuple[Event, tuple[AccountState, ...], AccountState | None], ...]] = (
    (Event.NOTIFY, (_N,), _D),
    (Event.NOTIFY, (_D, _A, _V), None),
    (Event.RESET_PASSWORD, (_D, _A, _V), None),
    (Event.RESEND_ACTIVATION, (_A,), None),
    (Event.BEGIN_ACTIVATION, (_D,), _A),
    (Event.BEGIN_ACTIVATION, (_A,), None),
    (Event.CONFIRM_EMAIL, (_A,), _V),
    (Event.SELF_ACTIVATE, (_N, _D, _A), _V),
    (Event.CHANGE_PASSWORD, (_A, _V), None),
    (Event.CHANGE_EMAIL, (_A, _V), None),
)

MACHINE: Final = Machine(
    model=None,
    states=AccountState,
    transitions=[
        {"trigger": event.value, "source": list(sources), "dest": dest}
        for event, sources, dest in TRANSITIONS
    ],
    initial=None,
    auto_transitions=False,
    send_event=False,
)


class Stateful(Protocol):
    """Anything with an `account_id` and a lifecycle `state`."""

    account_id: str
    state: AccountState


def fire(account: Stateful, event: Event) -> AccountState:
    """Fire `event` on `account` through the shared machine and return the new state.

    Raises `TransitionNotAllowed` (with the account id, state and event) when the machine has no
    transition for it; the account is then unchanged.
    """
    try:
        MACHINE.events[event.value].trigger(account)
    except MachineError as error:
        raise TransitionNotAllowed(account.account_id, account.state.name, event.name) from error
    return account.state
