"""Resetting passwords (guide §5.5.1, §5.5.3): what the pipeline does to one account.

The new password is provisional and shown on the account's page and in the exports; the account
must then be re-notified. A NOT_NOTIFIED account is left as it is: with the guide's warning in a
selection, refused (`ActionNotAllowed`) from its page.
"""

from __future__ import annotations

import attrs

from educonnect_core.domain.account import Account
from educonnect_core.domain.lifecycle import Channel
from educonnect_core.domain.permissions import Action
from educonnect_core.services.actions import ActionContext, Applied, outcome_of
from educonnect_core.services.reports import Skip

__all__ = ["ResetPlan"]


@attrs.frozen
class ResetPlan:
    """Give new provisional passwords."""

    action: Action = Action.RESET_PASSWORD
    channel: Channel | None = None
    letters: bool = False
    bulk_skip: Skip | None = Skip.RESET_NOT_APPLIED

    def apply(self, context: ActionContext, account: Account) -> Applied:
        """Reset one account's password; its state does not change."""
        before = account.state
        account.reset_password(context.now, context.runtime.new_provisional())
        context.uow.accounts.update(account)
        return Applied(outcome_of(account, before=before, password_reset=True))
