"""The director's use cases (guide §4–§6), each scoped to one school in the director's charge.

Every action has the same shape: load the accounts in scope → check the matrix → call the
aggregate → letters, audit, outbox → commit → report. A forbidden action on one account of a
selection is reported for that account and never aborts the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

import attrs

from educonnect_core.domain.account import Account
from educonnect_core.domain.directory import School, Student, full_name
from educonnect_core.domain.letters import LetterContent, LetterKind, compose, letter_for
from educonnect_core.domain.lifecycle import AccountState, Channel
from educonnect_core.domain.permissions import Action, permission
from educonnect_core.domain.records import AccountList, Director, Document, OutboxMessage
from educonnect_core.domain.selection import Page, Selection
from educonnect_core.domain.statistics import SchoolStatistics
from educonnect_core.domain.values import Email, Login, Uai
from educonnect_core.errors import ActionNotAllowed, NoEmailAddress, NotFound, NotInScope
from educonnect_core.ports import UnitOfWork
from educonnect_core.services.exports import csv_document
from educonnect_core.services.reports import (
    AccountOutcome,
    AccountPage,
    ActionReport,
    ChildView,
    Reminder,
    Skip,
)
from educonnect_core.services.runtime import Runtime

__all__ = ["Administration", "Targets"]

#: The accounts an action applies to: the ticked logins, or every account a search selects.
Targets = Selection | Iterable[str]


class Administration:
    """What one director can do; obtained from `EduConnect.administration(director)`."""

    def __init__(self, runtime: Runtime, director: Director) -> None:
        self._rt = runtime
        self.director = director
        self._actor = f"director:{director.director_id}"

    def __repr__(self) -> str:
        return f"<Administration of {self.director.director_id}>"

    # -- scope --------------------------------------------------------------------------------

    def _school_uai(self, uai: str | Uai) -> Uai:
        parsed = uai if isinstance(uai, Uai) else Uai.parse(uai)
        if parsed not in self.director.uais:
            raise NotInScope(self.director.director_id, parsed.value)
        return parsed

    def _school(self, uow: UnitOfWork, uai: Uai) -> School:
        found = uow.directory.schools([uai])
        if not found:
            raise NotFound("école", uai.value)
        return found[0]

    def _one(self, uow: UnitOfWork, uai: Uai, login: str) -> Account:
        parsed = Login.parse(login)
        account = uow.accounts.by_login(parsed.value)
        if account is None:
            raise NotFound("compte", parsed.value)
        if account.account_id not in uow.directory.guardian_ids(uai):
            raise NotInScope(self.director.director_id, parsed.value, uai.value)
        return account

    def _targets(self, uow: UnitOfWork, uai: Uai, targets: Targets) -> list[Account]:
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

    def _children_names(self, children: Sequence[Student]) -> tuple[str, ...]:
        ordered = sorted(children, key=lambda s: (s.surname, s.first_name, s.student_id))
        return tuple(full_name(s.first_name, s.surname) for s in ordered)

    # -- reading ------------------------------------------------------------------------------

    def schools(self) -> Sequence[School]:
        """The schools in the director's charge (guide §4.1), by UAI."""
        with self._rt.storage.unit_of_work() as uow:
            return uow.directory.schools(self.director.uais)

    def rows(self, uai: str | Uai, selection: Selection = Selection()) -> Page:
        """The responsables list of a school (guide §5.1): filtered, sorted, one page."""
        school = self._school_uai(uai)
        with self._rt.storage.unit_of_work() as uow:
            return uow.directory.responsable_rows(school, selection)

    def account(self, uai: str | Uai, login: str) -> AccountPage:
        """The account page (guide §5.2). Viewing it is audited: it may show a password."""
        school = self._school_uai(uai)
        with self._rt.storage.unit_of_work() as uow:
            account = self._one(uow, school, login)
            page = self._page(uow, school, account)
            self._rt.audit(
                uow,
                self._actor,
                "VIEW_ACCOUNT",
                "done",
                account_id=account.account_id,
                uai=school.value,
            )
            uow.commit()
        return page

    def _page(self, uow: UnitOfWork, uai: Uai, account: Account) -> AccountPage:
        children = uow.directory.children([account.account_id]).get(account.account_id, ())
        schools = {s.uai: s for s in uow.directory.schools({c.uai for c in children})}
        class_names = {
            c.class_id: c.name for u in {c.uai for c in children} for c in uow.directory.classes(u)
        }
        views = sorted(
            (
                ChildView(
                    student_id=c.student_id,
                    name=c.name,
                    birth_date=c.birth_date,
                    uai=c.uai.value,
                    school_name=schools[c.uai].name if c.uai in schools else "",
                    class_name=class_names.get(c.class_id or ""),
                    level=c.level,
                    in_this_school=c.uai == uai,
                )
                for c in children
            ),
            key=lambda v: (v.name, v.student_id),
        )
        return AccountPage(
            login=account.login.value,
            name=account.name,
            password=account.password_display,
            email=None if account.email is None else account.email.value,
            mobile=None if account.mobile is None else account.mobile.value,
            origin=account.origin,
            state=account.state,
            distributed_at=account.distributed_at,
            last_login_at=account.last_login_at,
            children_here=tuple(v for v in views if v.in_this_school),
            children_elsewhere=tuple(v for v in views if not v.in_this_school),
            actions=tuple(a for a in Action if permission(a, account.state).allowed),
        )

    def statistics(self, uai: str | Uai) -> SchoolStatistics:
        """The statistics of the school (guide §6.1), computed now."""
        school = self._school_uai(uai)
        with self._rt.storage.unit_of_work() as uow:
            return uow.directory.statistics(school, self._rt.now())

    def reminders(self, uai: str | Uai, within: timedelta | None = None) -> list[Reminder]:
        """Accounts notified but not activated, with the day their 3 months end, soonest first
        (guide §3.1 « Avant l’échéance des 3 mois »); only those ending within `within` if given.
        """
        school = self._school_uai(uai)
        now = self._rt.now()
        policy = self._rt.policy
        waiting = Selection(states={AccountState.NOTIFIED, AccountState.ACTIVATING})
        with self._rt.storage.unit_of_work() as uow:
            accounts = self._targets(uow, school, waiting)
        reminders = []
        for account in accounts:
            expiry = account.provisional_expires_at(policy)
            if expiry is None:
                start = account.distributed_at or account.created_at
                expiry = policy.provisional_expiry(start)
            if within is not None and expiry > now + within:
                continue
            reminders.append(
                Reminder(
                    login=account.login.value,
                    name=account.name,
                    state=account.state,
                    distributed_at=account.distributed_at,
                    deadline=self._rt.local(expiry).date(),
                    suggested=Action.NOTIFY
                    if account.state is AccountState.NOTIFIED
                    else Action.RESEND_ACTIVATION_EMAIL,
                )
            )
        return sorted(reminders, key=lambda r: (r.deadline, r.login))

    # -- notifying ----------------------------------------------------------------------------

    def notify(
        self, uai: str | Uai, targets: Targets, channel: Channel, *, reset: bool = False
    ) -> ActionReport:
        """(Re)notify accounts by paper sheet or e-mail, with or without a password reset
        (guide §5.3, §5.5.2). Paper gives ONE PDF with a page per account; e-mails go to the
        outbox with the change and leave after commit. Accounts without an e-mail address are
        skipped for e-mail and reported; a reset is not applied to NOT_NOTIFIED accounts.
        """
        school_uai = self._school_uai(uai)
        now = self._rt.now()
        action = Action.NOTIFY_WITH_RESET if reset else Action.NOTIFY
        outcomes: list[AccountOutcome] = []
        sheets: list[LetterContent] = []
        with self._rt.storage.unit_of_work() as uow:
            school = self._school(uow, school_uai)
            accounts = self._targets(uow, school_uai, targets)
            children = uow.directory.children([a.account_id for a in accounts])
            for account in accounts:
                if channel is Channel.EMAIL and account.email is None:
                    outcomes.append(self._skipped(account, Skip.NO_EMAIL))
                    self._rt.audit(
                        uow,
                        self._actor,
                        action.name,
                        "skipped: no e-mail",
                        account_id=account.account_id,
                        uai=school_uai.value,
                        at=now,
                    )
                    continue
                kind = letter_for(account.state, channel, reset)
                result = account.notify(now, reset=reset, new_secret=self._rt.new_provisional)
                letter = compose(
                    kind,
                    recipient=account.name,
                    school_name=school.name,
                    children=self._children_names(children.get(account.account_id, ())),
                    login=account.login.value,
                    password=account.readable_password,
                    settings=self._rt.letters,
                )
                uow.accounts.update(account)
                if channel is Channel.EMAIL and account.email is not None:
                    uow.outbox.add(
                        OutboxMessage(
                            self._rt.message_id(), account.account_id, account.email, letter, now
                        )
                    )
                else:
                    sheets.append(letter)
                outcomes.append(
                    AccountOutcome(
                        login=account.login.value,
                        name=account.name,
                        done=True,
                        state_before=result.state_before,
                        state_after=account.state,
                        password_reset=result.password_reset,
                        letter=kind,
                        skip=Skip.RESET_NOT_APPLIED if result.reset_skipped else None,
                    )
                )
                self._rt.audit(
                    uow,
                    self._actor,
                    action.name,
                    "done",
                    account_id=account.account_id,
                    uai=school_uai.value,
                    at=now,
                    detail=f"channel={channel.name} letter={kind.name} "
                    f"reset={result.password_reset}",
                )
            document = (
                self._rt.renderer.notification_sheets(sheets, self._rt.local(now))
                if sheets
                else None
            )
            uow.commit()
        if channel is Channel.EMAIL:
            self._rt.after_mail()
        return ActionReport(action, school_uai.value, now, tuple(outcomes), channel, document)

    def _skipped(self, account: Account, skip: Skip) -> AccountOutcome:
        return AccountOutcome(
            login=account.login.value,
            name=account.name,
            done=False,
            state_before=account.state,
            state_after=account.state,
            skip=skip,
        )

    # -- passwords ----------------------------------------------------------------------------

    def reset_passwords(self, uai: str | Uai, targets: Targets) -> ActionReport:
        """Give new provisional passwords to a selection (guide §5.5.1). NOT_NOTIFIED accounts
        are left as they are, with the guide's warning. The accounts must then be re-notified.
        """
        school_uai = self._school_uai(uai)
        now = self._rt.now()
        outcomes: list[AccountOutcome] = []
        with self._rt.storage.unit_of_work() as uow:
            for account in self._targets(uow, school_uai, targets):
                if not permission(Action.RESET_PASSWORD, account.state).allowed:
                    outcomes.append(self._skipped(account, Skip.RESET_NOT_APPLIED))
                    self._rt.audit(
                        uow,
                        self._actor,
                        Action.RESET_PASSWORD.name,
                        "skipped: not notified",
                        account_id=account.account_id,
                        uai=school_uai.value,
                        at=now,
                    )
                    continue
                before = account.state
                account.reset_password(now, self._rt.new_provisional())
                uow.accounts.update(account)
                outcomes.append(
                    AccountOutcome(
                        account.login.value,
                        account.name,
                        True,
                        before,
                        account.state,
                        password_reset=True,
                    )
                )
                self._rt.audit(
                    uow,
                    self._actor,
                    Action.RESET_PASSWORD.name,
                    "done",
                    account_id=account.account_id,
                    uai=school_uai.value,
                    at=now,
                )
            uow.commit()
        return ActionReport(Action.RESET_PASSWORD, school_uai.value, now, tuple(outcomes))

    def reset_password(self, uai: str | Uai, login: str) -> AccountPage:
        """Reset one account's password from its page (guide §5.5.3) and return the page, which
        shows the new provisional password. Refused (`ActionNotAllowed`) for NOT_NOTIFIED.
        """
        school_uai = self._school_uai(uai)
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            account = self._one(uow, school_uai, login)
            try:
                account.reset_password(now, self._rt.new_provisional())
            except ActionNotAllowed:
                self._rt.audit(
                    uow,
                    self._actor,
                    Action.RESET_PASSWORD.name,
                    "refused",
                    account_id=account.account_id,
                    uai=school_uai.value,
                    at=now,
                )
                uow.commit()
                raise
            uow.accounts.update(account)
            self._rt.audit(
                uow,
                self._actor,
                Action.RESET_PASSWORD.name,
                "done",
                account_id=account.account_id,
                uai=school_uai.value,
                at=now,
            )
            page = self._page(uow, school_uai, account)
            uow.commit()
        return page

    def resend_activation_email(
        self, uai: str | Uai, login: str, email: str | None = None
    ) -> ActionReport:
        """Send the activation e-mail (C07) again, to a corrected address if given (guide §5.6).
        ACTIVATING accounts only; the previous link stops working.
        """
        school_uai = self._school_uai(uai)
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            account = self._one(uow, school_uai, login)
            if not permission(Action.RESEND_ACTIVATION_EMAIL, account.state).allowed:
                self._rt.audit(
                    uow,
                    self._actor,
                    Action.RESEND_ACTIVATION_EMAIL.name,
                    "refused",
                    account_id=account.account_id,
                    uai=school_uai.value,
                    at=now,
                )
                uow.commit()
                raise ActionNotAllowed(
                    account.account_id, account.state.name, Action.RESEND_ACTIVATION_EMAIL.name
                )
            address = Email.parse(email, record=account.login.value) if email else account.email
            if address is None:
                raise NoEmailAddress(account.account_id)
            token, link = self._rt.new_activation(address, now)
            account.resend_activation(link)
            letter = activation_letter(self._rt, account, token)
            uow.accounts.update(account)
            uow.outbox.add(
                OutboxMessage(self._rt.message_id(), account.account_id, address, letter, now)
            )
            self._rt.audit(
                uow,
                self._actor,
                Action.RESEND_ACTIVATION_EMAIL.name,
                "done",
                account_id=account.account_id,
                uai=school_uai.value,
                at=now,
                detail="address corrected" if email else "",
            )
            uow.commit()
        self._rt.after_mail()
        outcome = AccountOutcome(
            account.login.value,
            account.name,
            True,
            account.state,
            account.state,
            letter=letter.kind,
        )
        return ActionReport(
            Action.RESEND_ACTIVATION_EMAIL, school_uai.value, now, (outcome,), Channel.EMAIL
        )

    # -- exports ------------------------------------------------------------------------------

    def account_list(self, uai: str | Uai, selection: Selection = Selection()) -> AccountList:
        """The rows of the account list (guide §5.4) for a selection, ready to render. Exporting
        is audited: the list shows provisional passwords.
        """
        school_uai = self._school_uai(uai)
        now = self._rt.now()
        with self._rt.storage.unit_of_work() as uow:
            school = self._school(uow, school_uai)
            rows = uow.directory.responsable_rows(school_uai, selection.everything()).rows
            class_name = None
            if len(selection.class_ids) == 1:
                (only,) = selection.class_ids
                class_name = next(
                    (c.name for c in uow.directory.classes(school_uai) if c.class_id == only), None
                )
            self._rt.audit(
                uow,
                self._actor,
                "EXPORT",
                "done",
                uai=school_uai.value,
                at=now,
                detail=f"rows={len(rows)}",
            )
            uow.commit()
        return AccountList(school, now, rows, class_name)

    def export_csv(self, uai: str | Uai, selection: Selection = Selection()) -> Document:
        """The CSV export of guide §5.4 / SPEC §6 (``Educonnect-ListeResponsables-….csv``)."""
        listing = self.account_list(uai, selection)
        return csv_document(listing, self._rt.local(listing.created_at))

    def export_pdf(self, uai: str | Uai, selection: Selection = Selection()) -> Document:
        """The PDF list of guide §5.4; filtered on one class, it is the teacher's class list."""
        listing = self.account_list(uai, selection)
        local = attrs.evolve(listing, created_at=self._rt.local(listing.created_at))
        return self._rt.renderer.account_list(local)


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
