"""The permission matrix of SPEC §3, cell by cell, and its agreement with the state machine."""

from __future__ import annotations

import pytest

from educonnect_core import (
    MACHINE,
    PERMISSIONS,
    AccountState,
    Action,
    Permission,
    TransitionNotAllowed,
    permission,
)
from educonnect_core.domain.lifecycle import fire
from educonnect_core.domain.permissions import ACTION_EVENTS

N, D, A, V = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)

#: SPEC §3 transcribed independently of the library's table: (allowed, state after, reset).
SPEC_MATRIX: dict[Action, list[tuple[bool, AccountState | None, bool]]] = {
    Action.NOTIFY: [(True, D, False), (True, D, False), (True, A, False), (True, V, False)],
    Action.NOTIFY_WITH_RESET: [(True, D, False), (True, D, True), (True, A, True), (True, V, True)],
    Action.RESET_PASSWORD: [
        (False, None, False),
        (True, D, True),
        (True, A, True),
        (True, V, True),
    ],
    Action.RESEND_ACTIVATION_EMAIL: [
        (False, None, False),
        (False, None, False),
        (True, A, False),
        (False, None, False),
    ],
    Action.EXPORT_PDF: [(True, N, False), (True, D, False), (True, A, False), (True, V, False)],
    Action.EXPORT_CSV: [(True, N, False), (True, D, False), (True, A, False), (True, V, False)],
}
CELLS = [
    (action, state, *cell)
    for action, row in SPEC_MATRIX.items()
    for state, cell in zip(AccountState, row, strict=True)
]


class TestMatrix:
    """Every one of the 24 cells has SPEC §3's three facets."""

    def test_the_matrix_has_24_cells(self) -> None:
        assert len(CELLS) == 24 == len(PERMISSIONS)

    @pytest.mark.parametrize(("action", "state", "allowed", "after", "reset"), CELLS)
    def test_cell(
        self,
        action: Action,
        state: AccountState,
        allowed: bool,
        after: AccountState | None,
        reset: bool,
    ) -> None:
        cell = permission(action, state)
        assert cell == Permission(allowed=allowed, state_after=after, resets_password=reset)

    def test_a_forbidden_cell_cannot_claim_an_effect(self) -> None:
        with pytest.raises(ValueError, match="no effect"):
            Permission(allowed=False, state_after=D, resets_password=False)


class _Model:
    def __init__(self, state: AccountState) -> None:
        self.account_id = "x"
        self.state = state


class TestMachineAgreesWithMatrix:
    """Firing an action's event on the shared machine lands where the matrix says, or is refused
    where the matrix forbids it.
    """

    @pytest.mark.parametrize(("action", "state", "allowed", "after", "reset"), CELLS)
    def test_machine(
        self,
        action: Action,
        state: AccountState,
        allowed: bool,
        after: AccountState | None,
        reset: bool,
    ) -> None:
        event = ACTION_EVENTS[action]
        model = _Model(state)
        if event is None:
            assert model.state is after
            return
        if allowed:
            assert fire(model, event) is after
        else:
            with pytest.raises(TransitionNotAllowed) as caught:
                fire(model, event)
            assert (caught.value.account_id, caught.value.state) == ("x", state.name)
            assert model.state is state

    def test_one_machine_serves_every_account(self) -> None:
        first, second = _Model(N), _Model(A)
        fire(first, ACTION_EVENTS[Action.NOTIFY])  # type: ignore[arg-type]
        assert (first.state, second.state) == (D, A)
        assert MACHINE.models == []
