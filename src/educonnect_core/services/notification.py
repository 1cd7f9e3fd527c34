"""(Re)notifying accounts (guide §5.3, §5.5.2, §5.5.4): what the pipeline does to one account.

Paper: a sheet (C01/C03/C05) for the one PDF. E-mail: the letter (C02/C04/C06) to the outbox — to
the account's address, or, when the letter carries a password, only to an address someone can
vouch for (`Account.credential_address`); otherwise the account is skipped and reported.
"""

from __future__ import annotations

import attrs

from educonnect_core.domain.account import Account
from educonnect_core.domain.letters import compose, letter_for
from educonnect_core.domain.lifecycle import Channel
from educonnect_core.domain.permissions import Action, permission
from educonnect_core.services.actions import SKIPPED, ActionContext, Applied, outcome_of
from educonnect_core.services.reports import Skip

__all__ = ["NotifyPlan"]


@attrs.frozen
class NotifyPlan:
    """Notify by `channel`, with or without a password reset."""

    channel: Channel
    reset: bool
    letters: bool = True
    #: A selection never refuses a notification: NOT_NOTIFIED accounts get no reset, and a
    #: warning (the aggregate says so); an account's page does not offer that reset at all.
    bulk_skip: Skip | None = None

    @property
    def action(self) -> Action:
        """NOTIFY, or NOTIFY_WITH_RESET."""
        return Action.NOTIFY_WITH_RESET if self.reset else Action.NOTIFY

    def apply(self, context: ActionContext, account: Account) -> Applied:
        """Notify one account: check its address first (e-mail), then the aggregate, the
        letter, and the sheet or the e-mail.
        """
        if self.channel is Channel.EMAIL:
            skip = self._no_address(account)
            if skip is not None:
                return Applied(outcome_of(account, skip=skip, done=False), audit=SKIPPED[skip])
        runtime = context.runtime
        kind = letter_for(account.state, self.channel, self.reset)
        result = account.notify(context.now, reset=self.reset, new_secret=runtime.new_provisional)
        letter = compose(
            kind,
            recipient=account.name,
            school_name=context.school.name,
            children=context.children_names(account),
            login=account.login.value,
            password=account.readable_password,
            settings=runtime.letters,
        )
        context.uow.accounts.update(account)
        address = account.email if letter.password is None else account.credential_address
        outcome = outcome_of(
            account,
            before=result.state_before,
            password_reset=result.password_reset,
            letter=kind,
            skip=Skip.RESET_NOT_APPLIED if result.reset_skipped else None,
        )
        detail = f"channel={self.channel.name} letter={kind.name} reset={result.password_reset}"
        if self.channel is Channel.PAPER:
            return Applied(outcome, sheet=letter, detail=detail)
        if address is None:  # pragma: no cover - `_no_address` ruled it out before any change
            raise RuntimeError(f"account {account.account_id}: no address for {kind.name}")
        return Applied(outcome, mail=(address, letter), detail=detail)

    def _no_address(self, account: Account) -> Skip | None:
        """Why an e-mail cannot go to `account`, if it cannot (before anything changes)."""
        if account.email is None:
            return Skip.NO_EMAIL
        resets = self.reset and permission(self.action, account.state).resets_password
        if (resets or account.provisional) and account.credential_address is None:
            return Skip.UNCONFIRMED_EMAIL
        return None
