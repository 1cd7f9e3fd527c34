"""Resending the activation e-mail (guide §5.6), possibly to a corrected address: what the
pipeline does to the one ACTIVATING account; the previous link stops working.
"""

from __future__ import annotations

import attrs

from educonnect_core.domain.account import Account
from educonnect_core.domain.letters import LetterContent, LetterKind, compose
from educonnect_core.domain.lifecycle import Channel
from educonnect_core.domain.permissions import Action
from educonnect_core.domain.values import Email
from educonnect_core.errors import NoEmailAddress
from educonnect_core.services.actions import ActionContext, Applied, outcome_of
from educonnect_core.services.reports import Skip
from educonnect_core.services.runtime import Runtime

__all__ = ["ResendPlan", "activation_letter"]


def activation_letter(runtime: Runtime, account: Account, token: str) -> LetterContent:
    """The C07 e-mail carrying `token` for `account`."""
    return compose(
        LetterKind.C07,
        recipient=account.name,
        school_name="",
        children=(),
        login=account.login.value,
        password=None,
        activation_token=token,
        settings=runtime.letters,
    )


@attrs.frozen
class ResendPlan:
    """Send C07 again, to `email` if the director corrected the address."""

    email: str | None = None
    action: Action = Action.RESEND_ACTIVATION_EMAIL
    channel: Channel | None = Channel.EMAIL
    letters: bool = False
    bulk_skip: Skip | None = None

    def apply(self, context: ActionContext, account: Account) -> Applied:
        """A fresh link to the (corrected) address, in the outbox with the change."""
        if self.email:
            address: Email | None = Email.parse(self.email, record=account.login.value)
        else:
            address = account.email
        if address is None:
            raise NoEmailAddress(account.account_id)
        token, link = context.runtime.new_activation(address, context.now)
        account.resend_activation(link)
        letter = activation_letter(context.runtime, account, token)
        context.uow.accounts.update(account)
        detail = "address corrected" if self.email else ""
        return Applied(
            outcome_of(account, letter=letter.kind), mail=(address, letter), detail=detail
        )
