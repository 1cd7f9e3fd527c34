"""The permission matrix of SPEC §3 as data, read by one pure function.

Each director action maps to a lifecycle event; `tests/` prove that the matrix's « state after »
is exactly where the shared machine takes an account, so the two cannot drift.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from educonnect_core.domain.lifecycle import AccountState, Event

__all__ = ["ACTION_EVENTS", "PERMISSIONS", "Action", "Permission", "permission"]


class Action(enum.Enum):
    """What a director can do to accounts (guide §5.3–5.6)."""

    NOTIFY = "(Re)Notifier"
    NOTIFY_WITH_RESET = "(Re)Notifier avec réinitialisation du mot de passe"
    RESET_PASSWORD = "Réinitialiser le mot de passe"
    RESEND_ACTIVATION_EMAIL = "Renvoyer un courriel d’activation"
    EXPORT_PDF = "Imprimer la liste des responsables (format pdf)"
    EXPORT_CSV = "Exporter la liste des responsables (format csv)"

    @property
    def label(self) -> str:
        """The French label of the UI menu."""
        return self.value


@attrs.frozen
class Permission:
    """One cell of the matrix: may the action run, the state after, is the password reset."""

    allowed: bool
    state_after: AccountState | None
    resets_password: bool

    def __attrs_post_init__(self) -> None:
        """A forbidden action has no state after and resets nothing."""
        if not self.allowed and (self.state_after is not None or self.resets_password):
            raise ValueError("a forbidden action has no effect")


#: The lifecycle event each action fires (exports fire none).
ACTION_EVENTS: Final[Mapping[Action, Event | None]] = MappingProxyType(
    {
        Action.NOTIFY: Event.NOTIFY,
        Action.NOTIFY_WITH_RESET: Event.NOTIFY,
        Action.RESET_PASSWORD: Event.RESET_PASSWORD,
        Action.RESEND_ACTIVATION_EMAIL: Event.RESEND_ACTIVATION,
        Action.EXPORT_PDF: None,
        Action.EXPORT_CSV: None,
    }
)

_N, _D, _A, _V = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)
_NO: Final = Permission(allowed=False, state_after=None, resets_password=False)


def _row(*cells: tuple[AccountState | None, bool] | None) -> dict[AccountState, Permission]:
    return {
        state: _NO
        if cell is None
        else Permission(allowed=True, state_after=cell[0] or state, resets_password=cell[1])
        for state, cell in zip(AccountState, cells, strict=True)
    }


#: SPEC §3, cell by cell, states in order NOT_NOTIFIED / NOTIFIED / ACTIVATING / ACTIVATED.
#: A cell is None (forbidden) or (state after, or None for « same »; resets the password).
PERMISSIONS: Final[Mapping[tuple[Action, AccountState], Permission]] = MappingProxyType(
    {
        (action, state): cell
        for action, row in {
            Action.NOTIFY: _row((_D, False), (None, False), (None, False), (None, False)),
            Action.NOTIFY_WITH_RESET: _row((_D, False), (None, True), (None, True), (None, True)),
            Action.RESET_PASSWORD: _row(None, (None, True), (None, True), (None, True)),
            Action.RESEND_ACTIVATION_EMAIL: _row(None, None, (None, False), None),
            Action.EXPORT_PDF: _row((None, False), (None, False), (None, False), (None, False)),
            Action.EXPORT_CSV: _row((None, False), (None, False), (None, False), (None, False)),
        }.items()
        for state, cell in row.items()
    }
)


def permission(action: Action, state: AccountState) -> Permission:
    """Whether `action` is allowed on an account in `state`, the state after, and whether it
    resets the password (SPEC §3).
    """
    return PERMISSIONS[action, state]
