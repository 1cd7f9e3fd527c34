"""The one pipeline every director action runs (guide §5.3–§5.6): load the accounts in scope →
check the matrix → call the aggregate → letters, audit, outbox → stage the document → commit →
publish → report.

An action says only what differs, as an `ActionPlan`: which action and channel, the rule that
refuses or skips an account, and what to do to one account. A selection (from the list) and one
account (from its page) run the same pipeline and answer the same `ActionReport`; they differ in
two places only, both here: a refused account is reported and skipped in a selection but raises
`ActionNotAllowed` for one account, and the page never offers a reset to a NOT_NOTIFIED account
(`offered`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import MappingProxyType
from typing import Final, Protocol

import attrs

from educonnect_core.domain.account import Account
from educonnect_core.domain.directory import School, Student, full_name
from educonnect_core.domain.letters import LetterContent, LetterKind
from educonnect_core.domain.lifecycle import AccountState, Channel
from educonnect_core.domain.messages import surname_first
from educonnect_core.domain.permissions import Action, permission
from educonnect_core.domain.records import Director, OutboxMessage
from educonnect_core.domain.selection import Selection
from educonnect_core.domain.values import Email, Login, Uai
from educonnect_core.errors import ActionNotAllowed, NotFound, NotInScope
from educonnect_core.ports import DocumentSink, StagedDocument, UnitOfWork
from educonnect_core.services.reports import AccountOutcome, ActionReport, Skip
from educonnect_core.services.runtime import Runtime

__all__ = [
    "SKIPPED",
    "ActionContext",
    "ActionPipeline",
    "ActionPlan",
    "Applied",
    "Targets",
    "offered",
]

#: The accounts an action applies to: one login (a plain string: the account's page), the ticked
#: logins, or every account a search selects.
Targets = Selection | Iterable[str] | str

#: The audit trail's outcome for an account left out, by reason.
SKIPPED: Final[Mapping[Skip, str]] = MappingProxyType(
    {
        Skip.NO_EMAIL: "skipped: no e-mail",
        Skip.UNCONFIRMED_EMAIL: "skipped: unconfirmed e-mail",
        Skip.RESET_NOT_APPLIED: "skipped: not notified",
    }
)


def offered(action: Action, state: AccountState, *, unit: bool) -> bool:
    """Whether `action` may run on an account in `state`: the matrix (SPEC §3), and on an
    account's page (`unit`) no reset at all for a NOT_NOTIFIED account — notify-with-reset there
    is offered only where it really resets (guide §5.5).
    """
    cell = permission(action, state)
    if unit and action is Action.NOTIFY_WITH_RESET:
        return cell.resets_password
    return cell.allowed


@attrs.frozen
class Applied:
    """What an action did to one account: its outcome, the paper sheet or the e-mail it yields,
    and the audit entry's outcome and detail (never a secret).
    """

    outcome: AccountOutcome
    sheet: LetterContent | None = None
    mail: tuple[Email, LetterContent] | None = None
    audit: str = "done"
    detail: str = ""


@attrs.frozen
class ActionContext:
    """What an action sees while it runs: the transaction, the school, the instant."""

    uow: UnitOfWork
    runtime: Runtime
    school: School
    now: datetime
    unit: bool
    #: The pupils of each target account (for the letters), by account id.
    children: Mapping[str, Sequence[Student]]

    def children_names(self, account: Account) -> tuple[str, ...]:
        """The account's children as the letters list them, by name."""
        found = self.children.get(account.account_id, ())
        ordered = sorted(found, key=lambda s: (s.surname, s.first_name, s.student_id))
        return tuple(full_name(s.first_name, s.surname) for s in ordered)


class ActionPlan(Protocol):
    """What differs between the director's actions."""

    @property
    def action(self) -> Action:
        """The action of the matrix this plan runs."""
        ...

    @property
    def channel(self) -> Channel | None:
        """The channel of a notification (the resend: e-mail; a reset: none)."""
        ...

    @property
    def letters(self) -> bool:
        """Whether the plan writes letters listing the children (they are read once, up front)."""
        ...

    @property
    def bulk_skip(self) -> Skip | None:
        """The reason a selection reports for an account the matrix refuses (None: never)."""
        ...

    def apply(self, context: ActionContext, account: Account) -> Applied:
        """Act on one account the matrix allows (and update it in `context.uow`)."""
        ...


def outcome_of(
    account: Account,
    *,
    before: AccountState | None = None,
    skip: Skip | None = None,
    done: bool = True,
    password_reset: bool = False,
    letter: LetterKind | None = None,
) -> AccountOutcome:
    """The outcome of one account, named as the report lists it."""
    return AccountOutcome(
        login=account.login.value,
        name=account.name,
        done=done,
        state_before=account.state if before is None else before,
        state_after=account.state,
        password_reset=password_reset,
        letter=letter,
        skip=skip,
        listed_name=surname_first(account.first_name, account.surname),
    )


class ActionPipeline:
    """Runs `ActionPlan`s for one director; also the scope checks every use case shares."""

    def __init__(self, runtime: Runtime, director: Director) -> None:
        self.rt = runtime
        self.director = director
        self.actor = f"director:{director.director_id}"

    # -- scope --------------------------------------------------------------------------------

    @contextmanager
    def refusals(self, action: str, uai: str | Uai | None = None) -> Iterator[None]:
        """Record an out-of-scope access (`NotInScope`) in the audit trail, then let it go on
        (issue 9 item 15): the refusal is committed in its own unit of work.
        """
        try:
            yield
        except NotInScope as refused:
            with self.rt.storage.unit_of_work() as uow:
                self.rt.audit(
                    uow,
                    self.actor,
                    action,
                    "refused: out of scope",
                    uai=refused.uai or (str(uai) if uai is not None else None),
                    detail=f"subject={refused.subject}",
                )
                uow.commit()
            raise

    def school_uai(self, uai: str | Uai) -> Uai:
        """`uai`, parsed, if it is one of the director's schools (`NotInScope` otherwise)."""
        parsed = uai if isinstance(uai, Uai) else Uai.parse(uai)
        if parsed not in self.director.uais:
            raise NotInScope(self.director.director_id, parsed.value)
        return parsed

    def school(self, uow: UnitOfWork, uai: Uai) -> School:
        """The school `uai` (`NotFound` if the directory has none)."""
        found = uow.directory.schools([uai])
        if not found:
            raise NotFound("école", uai.value)
        return found[0]

    def one(self, uow: UnitOfWork, uai: Uai, login: str) -> Account:
        """The account `login`, if one of its guardian's children is in school `uai`."""
        parsed = Login.parse(login)
        account = uow.accounts.by_login(parsed.value)
        if account is None:
            raise NotFound("compte", parsed.value)
        if account.account_id not in uow.directory.guardian_ids(uai):
            raise NotInScope(self.director.director_id, parsed.value, uai.value)
        return account

    def accounts(self, uow: UnitOfWork, uai: Uai, targets: Targets) -> list[Account]:
        """The target accounts, in the order given (a selection: the list's order)."""
        if isinstance(targets, str):
            return [self.one(uow, uai, targets)]
        if isinstance(targets, Selection):
            rows = uow.directory.responsable_rows(uai, targets.everything()).rows
            ids = list(dict.fromkeys(row.account_id for row in rows))
        else:
            logins = list(dict.fromkeys(Login.parse(login).value for login in targets))
            rows = uow.directory.responsable_rows(uai, Selection(logins=logins).everything()).rows
            found = {row.login: row.account_id for row in rows}
            for login in logins:
                if login not in found:
                    if uow.accounts.by_login(login) is None:
                        raise NotFound("compte", login)
                    raise NotInScope(self.director.director_id, login, uai.value)
            ids = [found[login] for login in logins]
        accounts = uow.accounts.get_many(ids)
        return [accounts[i] for i in ids]

    # -- the pipeline -------------------------------------------------------------------------

    def run(
        self,
        uai: str | Uai,
        targets: Targets,
        plan: ActionPlan,
        *,
        sink: DocumentSink | None = None,
    ) -> ActionReport:
        """Run `plan` on `targets` in one unit of work and report, per account, what was done.

        Paper sheets become ONE document, staged in `sink` before the commit (a staging failure
        commits nothing), published after it, discarded if the commit fails. E-mails go to the
        outbox with the change and leave after the commit.
        """
        unit = isinstance(targets, str)
        action = plan.action.name
        with self.refusals(action, uai):
            school_uai = self.school_uai(uai)
            now = self.rt.now()
            with self.rt.storage.unit_of_work() as uow:
                school = self.school(uow, school_uai)
                accounts = self.accounts(uow, school_uai, targets)
                children = (
                    uow.directory.children([a.account_id for a in accounts]) if plan.letters else {}
                )
                context = ActionContext(uow, self.rt, school, now, unit, children)
                outcomes, sheets, mails = self._each(context, plan, accounts)
                document = (
                    self.rt.renderer.notification_sheets(sheets, self.rt.local(now))
                    if sheets
                    else None
                )
                staged = sink.stage(document) if sink is not None and document else None
                self.commit(uow, staged)
        location = staged.publish() if staged is not None else None
        if mails:
            self.rt.after_mail()
        return ActionReport(
            plan.action,
            school_uai.value,
            now,
            tuple(outcomes),
            plan.channel,
            document,
            unit=unit,
            location=location,
        )

    def _each(
        self, context: ActionContext, plan: ActionPlan, accounts: Sequence[Account]
    ) -> tuple[list[AccountOutcome], list[LetterContent], int]:
        outcomes: list[AccountOutcome] = []
        sheets: list[LetterContent] = []
        mails = 0
        uow, uai, now = context.uow, context.school.uai.value, context.now
        for account in accounts:
            if not offered(plan.action, account.state, unit=context.unit):
                if context.unit or plan.bulk_skip is None:
                    self.rt.audit(
                        uow,
                        self.actor,
                        plan.action.name,
                        "refused",
                        account_id=account.account_id,
                        uai=uai,
                        at=now,
                    )
                    uow.commit()
                    raise ActionNotAllowed(account.account_id, account.state.name, plan.action.name)
                applied = Applied(
                    outcome_of(account, skip=plan.bulk_skip, done=False),
                    audit=SKIPPED[plan.bulk_skip],
                )
            else:
                applied = plan.apply(context, account)
            outcomes.append(applied.outcome)
            if applied.sheet is not None:
                sheets.append(applied.sheet)
            if applied.mail is not None:
                address, letter = applied.mail
                uow.outbox.add(
                    OutboxMessage(self.rt.message_id(), account.account_id, address, letter, now)
                )
                mails += 1
            self.rt.audit(
                uow,
                self.actor,
                plan.action.name,
                applied.audit,
                account_id=account.account_id,
                uai=uai,
                at=now,
                detail=applied.detail,
            )
        return outcomes, sheets, mails

    @staticmethod
    def commit(uow: UnitOfWork, staged: StagedDocument | None) -> None:
        """Commit; if the commit fails, the staged document is discarded with it."""
        try:
            uow.commit()
        except BaseException:
            if staged is not None:
                staged.discard()
            raise
