"""The director's use cases (guide §4–§6), each scoped to one school in the director's charge:
the public facade. The actions run through one pipeline (`services.actions`); what each does to
one account lives in `notification`, `passwords` and `activation`; the statistics in
`services.statistics`.

Every action answers an `ActionReport`, the same shape for a selection (from the list) and for
one account (from its page, `targets` a plain login string): one outcome per account, and the
guide's messages (its one-account variants for a page). A forbidden action on one account of a
selection is reported for that account and never aborts the others; on a page it raises
`ActionNotAllowed`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

import attrs

from educonnect_core.domain.directory import School
from educonnect_core.domain.lifecycle import AccountState, Channel
from educonnect_core.domain.permissions import Action
from educonnect_core.domain.records import AccountList, Director, Document
from educonnect_core.domain.selection import Page, Selection
from educonnect_core.domain.statistics import SchoolStatistics
from educonnect_core.domain.values import Uai
from educonnect_core.ports import DocumentSink, UnitOfWork
from educonnect_core.services.account_page import account_page
from educonnect_core.services.actions import ActionPipeline, Targets
from educonnect_core.services.activation import ResendPlan, activation_letter
from educonnect_core.services.exports import csv_document
from educonnect_core.services.notification import NotifyPlan
from educonnect_core.services.passwords import ResetPlan
from educonnect_core.services.reports import AccountPage, ActionReport, Reminder
from educonnect_core.services.runtime import Runtime
from educonnect_core.services.statistics import StatisticsPage, compute_and_store, stored_page

__all__ = ["Administration", "Targets", "activation_letter"]


class Administration:
    """What one director can do; obtained from `EduConnect.administration(director)`."""

    def __init__(self, runtime: Runtime, director: Director) -> None:
        self._rt = runtime
        self.director = director
        self._pipeline = ActionPipeline(runtime, director)
        self._actor = self._pipeline.actor

    def __repr__(self) -> str:
        return f"<Administration of {self.director.director_id}>"

    def _school_uai(self, uai: str | Uai, action: str) -> Uai:
        with self._pipeline.refusals(action, uai):
            return self._pipeline.school_uai(uai)

    # -- reading ------------------------------------------------------------------------------

    def schools(self) -> Sequence[School]:
        """The schools in the director's charge (guide §4.1), by UAI."""
        with self._rt.storage.unit_of_work() as uow:
            return uow.directory.schools(self.director.uais)

    def rows(self, uai: str | Uai, selection: Selection = Selection()) -> Page:
        """The responsables list of a school (guide §5.1): filtered, sorted, one page. An empty
        page is shown with `Say.NO_RESULT` (« Attention ! Aucun responsable ne correspond … »).
        """
        school = self._school_uai(uai, "LIST")
        with self._rt.storage.unit_of_work() as uow:
            return uow.directory.responsable_rows(school, selection)

    def account(self, uai: str | Uai, login: str) -> AccountPage:
        """The account page (guide §5.2). Viewing it is audited: it may show a password."""
        with self._pipeline.refusals("VIEW_ACCOUNT", uai):
            school = self._pipeline.school_uai(uai)
            with self._rt.storage.unit_of_work() as uow:
                account = self._pipeline.one(uow, school, login)
                page = account_page(uow, school, account)
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

    def statistics(self, uai: str | Uai) -> StatisticsPage:
        """The statistics page (guide §6.1) as last computed (nightly or on demand); before the
        first computation it carries the guide's « … ne sont pas calculées. … » message.
        """
        return stored_page(self._rt, self._school_uai(uai, "STATISTICS"))

    def compute_statistics(self, uai: str | Uai) -> SchoolStatistics:
        """« Calculer les statistiques » (guide §6.1): count now and store; `statistics(uai)`
        then shows them with their « Dernière mise à jour … ».
        """
        return compute_and_store(self._rt, self._school_uai(uai, "STATISTICS"))

    def recount_statistics(self, uai: str | Uai) -> SchoolStatistics:
        """Fresh figures counted now, stored nowhere (checks and tests: they equal a recount)."""
        school = self._school_uai(uai, "STATISTICS")
        with self._rt.storage.unit_of_work() as uow:
            return uow.directory.statistics(school, self._rt.now())

    def reminders(self, uai: str | Uai, within: timedelta | None = None) -> list[Reminder]:
        """Accounts notified but not activated, with the day their 3 months end, soonest first
        (guide §3.1 « Avant l’échéance des 3 mois »); only those ending within `within` if given.
        """
        school = self._school_uai(uai, "REMINDERS")
        now = self._rt.now()
        policy = self._rt.policy
        waiting = Selection(states={AccountState.NOTIFIED, AccountState.ACTIVATING})
        with self._pipeline.refusals("REMINDERS", uai), self._rt.storage.unit_of_work() as uow:
            accounts = self._pipeline.accounts(uow, school, waiting)
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

    # -- actions ------------------------------------------------------------------------------

    def notify(
        self,
        uai: str | Uai,
        targets: Targets,
        channel: Channel,
        *,
        reset: bool = False,
        sink: DocumentSink | None = None,
    ) -> ActionReport:
        """(Re)notify accounts by paper sheet or e-mail, with or without a password reset
        (guide §5.3, §5.5.2, §5.5.4). `targets`: a selection or ticked logins (the list), or
        one login (the account's page, where a NOT_NOTIFIED account is offered no reset:
        `ActionNotAllowed`). Paper gives ONE PDF with a page per account, staged in `sink` (if
        given) before the commit and published after it; e-mails go to the outbox with the
        change and leave after commit. Accounts without a usable address are skipped for e-mail
        and reported; in a selection a reset is not applied to NOT_NOTIFIED accounts (warning).
        """
        return self._pipeline.run(uai, targets, NotifyPlan(channel, reset), sink=sink)

    def reset_passwords(self, uai: str | Uai, targets: Targets) -> ActionReport:
        """Give new provisional passwords to a selection (guide §5.5.1). NOT_NOTIFIED accounts
        are left as they are, with the guide's warning. The accounts must then be re-notified.
        """
        return self._pipeline.run(uai, targets, ResetPlan())

    def reset_password(self, uai: str | Uai, login: str) -> ActionReport:
        """Reset one account's password from its page (guide §5.5.3): the report of one
        account (« Le mot de passe a bien été réinitialisé. »); the page showing the new
        provisional password is `account(uai, login)`. Refused (`ActionNotAllowed`) for a
        NOT_NOTIFIED account.
        """
        return self._pipeline.run(uai, login, ResetPlan())

    def resend_activation_email(
        self, uai: str | Uai, login: str, email: str | None = None
    ) -> ActionReport:
        """Send the activation e-mail (C07) again, to a corrected address if given (guide §5.6).
        ACTIVATING accounts only (`ActionNotAllowed` otherwise); the previous link stops working.
        """
        return self._pipeline.run(uai, login, ResendPlan(email))

    # -- exports ------------------------------------------------------------------------------

    def _listing(self, uow: UnitOfWork, school_uai: Uai, selection: Selection) -> AccountList:
        school = self._pipeline.school(uow, school_uai)
        rows = uow.directory.responsable_rows(school_uai, selection.everything()).rows
        class_name = None
        if len(selection.class_ids) == 1:
            (only,) = selection.class_ids
            class_name = next(
                (c.name for c in uow.directory.classes(school_uai) if c.class_id == only), None
            )
        return AccountList(school, self._rt.now(), rows, class_name)

    def account_list(self, uai: str | Uai, selection: Selection = Selection()) -> AccountList:
        """The rows of the account list (guide §5.4) for a selection, ready to render. Handing
        them out is audited as an export: the list shows provisional passwords.
        """
        listing, _ = self._export(uai, selection, lambda _: None, None)
        return listing

    def export_csv(
        self,
        uai: str | Uai,
        selection: Selection = Selection(),
        *,
        sink: DocumentSink | None = None,
    ) -> Document:
        """The CSV export of guide §5.4 / SPEC §6 (``Educonnect-ListeResponsables-….csv``),
        staged in `sink` (if given) before the export is recorded, and published after.
        """

        def render(listing: AccountList) -> Document:
            return csv_document(listing, self._rt.local(listing.created_at))

        _, document = self._export(uai, selection, render, sink)
        return _rendered(document)

    def export_pdf(
        self,
        uai: str | Uai,
        selection: Selection = Selection(),
        *,
        sink: DocumentSink | None = None,
    ) -> Document:
        """The PDF list of guide §5.4; filtered on one class, it is the teacher's class list.
        Staged in `sink` (if given) like `export_csv`.
        """

        def render(listing: AccountList) -> Document:
            local = attrs.evolve(listing, created_at=self._rt.local(listing.created_at))
            return self._rt.renderer.account_list(local)

        _, document = self._export(uai, selection, render, sink)
        return _rendered(document)

    def _export(
        self,
        uai: str | Uai,
        selection: Selection,
        render: Callable[[AccountList], Document | None],
        sink: DocumentSink | None,
    ) -> tuple[AccountList, Document | None]:
        """Read the rows, render the document, stage it, and only then record EXPORT; commit,
        publish (issue 9 items 2 and 15: no EXPORT entry for a document that does not exist).
        """
        with self._pipeline.refusals("EXPORT", uai):
            school_uai = self._pipeline.school_uai(uai)
            with self._rt.storage.unit_of_work() as uow:
                listing = self._listing(uow, school_uai, selection)
                document = render(listing)
                staged = sink.stage(document) if sink is not None and document else None
                self._rt.audit(
                    uow,
                    self._actor,
                    "EXPORT",
                    "done",
                    uai=school_uai.value,
                    at=listing.created_at,
                    detail=f"rows={len(listing.rows)}",
                )
                self._pipeline.commit(uow, staged)
        if staged is not None:
            staged.publish()
        return listing, document


def _rendered(document: Document | None) -> Document:
    if document is None:  # pragma: no cover - the renderers always give a document
        raise RuntimeError("no document rendered")
    return document
