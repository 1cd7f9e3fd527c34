"""A storage written from scratch with nothing but the ports' docstrings (docs/adapters.md).

Everything lives in plain dicts. A unit of work stages its writes and, on commit, checks every
version and login against what is committed before applying them all at once.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

import attrs

from educonnect_core import AuditEntry, ConcurrentChange, OutboxMessage
from educonnect_core.domain.account import Account, FailureCounter
from educonnect_core.domain.audit import GENESIS, ChainedEntry, chain_digest
from educonnect_core.domain.directory import GuardianLink, School, SchoolClass, Student
from educonnect_core.domain.fingerprints import DirectoryRecords, RecordChanges
from educonnect_core.domain.policy import Throttle
from educonnect_core.domain.selection import Page, ResponsableRow, Selection, select_rows
from educonnect_core.domain.sms import OneTimeCode
from educonnect_core.domain.statistics import Enrolment, SchoolStatistics, compute_statistics
from educonnect_core.domain.values import Email, Mobile, Uai
from educonnect_core.services.delta import read_differences


@attrs.define
class DirectoryData:
    """Schools, classes, pupils and links; copied by a unit of work on its first write."""

    schools: dict[Uai, School] = attrs.Factory(dict)
    classes: dict[str, SchoolClass] = attrs.Factory(dict)
    students: dict[str, Student] = attrs.Factory(dict)
    links: set[tuple[str, str]] = attrs.Factory(set)  # (responsable id, student id)
    version: int = 0


@attrs.define
class Letter:
    """An outbox message and its delivery attempts."""

    message: OutboxMessage
    attempts: int = 0
    retry_at: datetime | None = None
    in_flight: bool = False


@attrs.frozen
class Activity:
    """A guardian's logins, kept apart from the versioned account: failures count against the
    credentials generation `credentials` only.
    """

    failures: FailureCounter = FailureCounter()
    credentials: int = 0
    last_login_at: datetime | None = None

    def counter(self, account: Account) -> FailureCounter:
        """The failures that count for `account`'s present credentials."""
        same = self.credentials == account.credentials
        return self.failures if same else FailureCounter()


@attrs.define
class Committed:
    """What every unit of work sees once committed."""

    accounts: dict[str, Account] = attrs.Factory(dict)
    directory: DirectoryData = attrs.Factory(DirectoryData)
    outbox: dict[str, Letter] = attrs.Factory(dict)
    sent: set[str] = attrs.Factory(set)
    audit: list[ChainedEntry] = attrs.Factory(list)
    activity: dict[str, Activity] = attrs.Factory(dict)
    statistics: dict[str, SchoolStatistics] = attrs.Factory(dict)
    codes: dict[str, OneTimeCode] = attrs.Factory(dict)  # SMS codes, by line
    aliases: dict[str, str] = attrs.Factory(dict)  # merged account id → surviving id


class DictStorage:
    """The `Storage` port in plain dicts."""

    def __init__(self) -> None:
        self.committed = Committed()

    def unit_of_work(self) -> DictUnitOfWork:
        """A new unit of work."""
        return DictUnitOfWork(self.committed)


class DictUnitOfWork:
    """The `UnitOfWork` port: its four parts are itself, seen through four small classes."""

    def __init__(self, committed: Committed) -> None:
        self.committed = committed
        self.accounts = DictAccounts(self)
        self.directory = DictDirectory(self)
        self.outbox = DictOutbox(self)
        self.audit = DictAudit(self)
        self.codes = DictCodes(self)
        self.rollback()

    def __enter__(self) -> Self:
        self.rollback()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def rollback(self) -> None:
        """Forget every staged write."""
        self.added: dict[str, Account] = {}
        self.updated: dict[str, Account] = {}
        self.dir_base = self.committed.directory.version
        self.dir: DirectoryData | None = None
        self.messages: list[OutboxMessage] = []
        self.sent: set[str] = set()
        self.failed: dict[str, datetime] = {}
        self.flying: set[str] = set()
        self.entries: list[AuditEntry] = []
        self.logins: list[tuple[str, Callable[[Activity, Account], Activity]]] = []
        self.statistics: dict[str, SchoolStatistics] = {}
        self.merged: dict[str, tuple[Account, str]] = {}  # id → (account read, surviving id)
        self.code_changes: list[Callable[[dict[str, OneTimeCode]], None]] = []

    def commit(self) -> None:
        """Check every version and login, then apply everything; on a conflict keep nothing."""
        try:
            self._check()
        except ConcurrentChange:
            self.rollback()
            raise
        store = self.committed
        for account in [*self.added.values(), *self.updated.values()]:
            account.version += 1  # the caller's object learns its new version
            store.accounts[account.account_id] = copy.deepcopy(account)
        for account in self.added.values():  # a new account starts with its own activity
            store.activity[account.account_id] = Activity(
                account.login_failures, account.credentials, account.last_login_at
            )
        for account_id, change in self.logins:  # applied to what is committed now: atomic
            if account_id in store.accounts:
                found = store.activity.get(account_id, Activity())
                store.activity[account_id] = change(found, store.accounts[account_id])
        self._apply_self_service(store)
        store.statistics.update(self.statistics)
        if self.dir is not None:
            self.dir.version += 1
            store.directory = self.dir
        store.outbox.update({m.message_id: Letter(m) for m in self.messages})
        for message_id in self.flying:
            if message_id in store.outbox:
                store.outbox[message_id].in_flight = True
        for message_id, retry_at in self.failed.items():
            if message_id in store.outbox:
                store.outbox[message_id].attempts += 1
                store.outbox[message_id].retry_at = retry_at
                store.outbox[message_id].in_flight = False
        for message_id in self.sent:
            store.outbox.pop(message_id, None)  # the letter holds a secret: forget it
            store.sent.add(message_id)
        for entry in self.entries:  # each entry chained to the one committed before it
            previous = store.audit[-1].digest if store.audit else GENESIS
            digest = chain_digest(previous, entry)
            store.audit.append(ChainedEntry(len(store.audit) + 1, entry, digest))
        self.rollback()

    def _apply_self_service(self, store: Committed) -> None:
        """Delete the merged accounts (their ids become aliases) and apply the SMS codes."""
        for account_id, (_read, survivor) in self.merged.items():
            del store.accounts[account_id]
            store.activity.pop(account_id, None)
            for alias, into in list(store.aliases.items()):
                if into == account_id:
                    store.aliases[alias] = survivor
            store.aliases[account_id] = survivor
        for code_change in self.code_changes:
            code_change(store.codes)

    def _check(self) -> None:
        store = self.committed
        for account in [*self.updated.values(), *(read for read, _ in self.merged.values())]:
            stored = store.accounts.get(account.account_id)
            if stored is None or stored.version != account.version:
                found = None if stored is None else stored.version
                raise ConcurrentChange(account.account_id, account.version, found)
        taken = {a.login for a in store.accounts.values()}
        for account in self.added.values():
            if account.account_id in store.accounts or account.login in taken:
                raise ConcurrentChange(account.account_id, account.version, None)
        if self.dir is not None and store.directory.version != self.dir_base:
            raise ConcurrentChange("directory", self.dir_base, store.directory.version)
        self.codes_seen()  # a code spent meanwhile raises ConcurrentChange

    # -- what this unit sees -------------------------------------------------------------------

    def visible(self) -> dict[str, Account]:
        """Committed accounts overlaid with this unit's writes (not copies: read only)."""
        found = {**self.committed.accounts, **self.added, **self.updated}
        return {i: a for i, a in found.items() if i not in self.merged}

    def codes_seen(self) -> dict[str, OneTimeCode]:
        """The SMS codes as this unit sees them: committed, then its own changes."""
        codes = dict(self.committed.codes)
        for change in self.code_changes:
            change(codes)
        return codes

    def activity(self, account_id: str, account: Account) -> Activity:
        """The account's activity as this unit sees it: committed, then its own logins."""
        found = self.committed.activity.get(account_id, Activity())
        for other, change in self.logins:
            if other == account_id:
                found = change(found, account)
        return found

    def read_dir(self) -> DirectoryData:
        """The directory as this unit sees it."""
        return self.dir if self.dir is not None else self.committed.directory

    def write_dir(self) -> DirectoryData:
        """The unit's own copy of the directory, made on the first write."""
        if self.dir is None:
            self.dir = copy.deepcopy(self.committed.directory)
        return self.dir


class DictAccounts:
    """The `Accounts` port."""

    def __init__(self, uow: DictUnitOfWork) -> None:
        self.uow = uow

    def get(self, account_id: str) -> Account | None:
        found = self.uow.visible().get(account_id)
        return None if found is None else self._with_activity(found)

    def _with_activity(self, account: Account) -> Account:
        """A copy of `account` showing its activity, which `update` never writes."""
        copied = copy.deepcopy(account)
        if account.account_id in self.uow.added:
            return copied
        activity = self.uow.activity(account.account_id, account)
        copied.login_failures = activity.counter(account)
        copied.last_login_at = activity.last_login_at
        return copied

    def get_many(self, account_ids: Collection[str]) -> Mapping[str, Account]:
        found = {i: self.get(i) for i in account_ids}
        return {i: a for i, a in found.items() if a is not None}

    def _first(self, found: Iterable[Account]) -> Account | None:
        return next((self._with_activity(a) for a in found), None)

    def by_login(self, login: str) -> Account | None:
        return self._first(a for a in self.uow.visible().values() if a.login.value == login)

    def by_activation_digest(self, digest: str) -> Account | None:
        return self._first(
            a
            for a in self.uow.visible().values()
            if a.activation is not None and a.activation.digest == digest
        )

    def by_mobile(self, mobile: Mobile) -> Sequence[Account]:
        return [
            self._with_activity(a)
            for a in self.uow.visible().values()
            if a.mobile is not None and a.mobile.same_line(mobile)
        ]

    def by_franceconnect_sub(self, sub: str) -> Account | None:
        return self._first(a for a in self.uow.visible().values() if a.franceconnect_sub == sub)

    def by_recovery_digest(self, digest: str) -> Account | None:
        return self._first(
            a
            for a in self.uow.visible().values()
            if a.recovery is not None and a.recovery.digest == digest
        )

    def by_email(self, email: Email) -> Sequence[Account]:
        found = [a for a in self.uow.visible().values() if a.chosen_email == email]
        return [self._with_activity(a) for a in sorted(found, key=lambda a: a.login.value)]

    def merge_into(self, account: Account, survivor_id: str) -> None:
        self.uow.updated.pop(account.account_id, None)
        self.uow.merged[account.account_id] = (account, survivor_id)

    def aliases(self, responsable_ids: Collection[str]) -> Mapping[str, str]:
        known = dict(self.uow.committed.aliases)
        for merged, (_read, survivor) in self.uow.merged.items():
            known = {a: survivor if into == merged else into for a, into in known.items()}
            known[merged] = survivor
        return {i: known[i] for i in responsable_ids if i in known}

    def logins_taken(self, bases: Collection[str]) -> set[str]:
        shapes = [re.compile(re.escape(base) + r"[0-9]*") for base in bases]
        logins = {a.login.value for a in self.uow.visible().values()}
        return {x for x in logins if any(shape.fullmatch(x) for shape in shapes)}

    def add(self, account: Account) -> None:
        self.uow.added[account.account_id] = account

    def update(self, account: Account) -> None:
        if account.account_id in self.uow.added:
            self.uow.added[account.account_id] = account
        else:
            self.uow.updated[account.account_id] = account

    def record_login_failure(
        self, account_id: str, now: datetime, throttle: Throttle, block_after: int | None
    ) -> FailureCounter:
        account = self.uow.visible().get(account_id)
        if account is None:
            return FailureCounter()

        def failed(activity: Activity, stored: Account) -> Activity:
            counter = activity.counter(stored).failed(now, throttle, block_after)
            return Activity(counter, stored.credentials, activity.last_login_at)

        self.uow.logins.append((account_id, failed))
        return self.uow.activity(account_id, account).counter(account)

    def record_login_success(self, account_id: str, now: datetime, *, connected: bool) -> None:
        def succeeded(activity: Activity, stored: Account) -> Activity:
            last = now if connected else activity.last_login_at
            return Activity(FailureCounter(), stored.credentials, last)

        if account_id in self.uow.visible():
            self.uow.logins.append((account_id, succeeded))


class DictCodes:
    """The `OneTimeCodes` port: changes staged as functions, applied in order at commit."""

    def __init__(self, uow: DictUnitOfWork) -> None:
        self.uow = uow

    def get(self, line: str) -> OneTimeCode | None:
        return self.uow.codes_seen().get(line)

    def put(self, code: OneTimeCode) -> None:
        self.uow.code_changes.append(lambda codes: codes.update({code.line: code}))

    def spend(self, line: str, digest: str, then: OneTimeCode) -> None:
        def spend(codes: dict[str, OneTimeCode]) -> None:
            found = codes.get(line)
            if found is None or found.digest != digest:
                raise ConcurrentChange(f"sms:{line}", 0, None)
            codes[line] = then

        spend(self.uow.codes_seen())  # refused at once if already spent
        self.uow.code_changes.append(spend)

    def record_failure(self, line: str, now: datetime, throttle: Throttle) -> FailureCounter:
        def failed(codes: dict[str, OneTimeCode]) -> None:
            if line in codes:
                counter = codes[line].failures.failed(now, throttle)
                codes[line] = attrs.evolve(codes[line], failures=counter)

        self.uow.code_changes.append(failed)
        found = self.uow.codes_seen().get(line)
        return FailureCounter() if found is None else found.failures


class DictDirectory:
    """The `Directory` port, read models included (computed with the core's functions)."""

    def __init__(self, uow: DictUnitOfWork) -> None:
        self.uow = uow

    def schools(self, uais: Collection[Uai] | None = None) -> Sequence[School]:
        data = self.uow.read_dir().schools
        return [data[u] for u in sorted(data if uais is None else set(uais) & set(data))]

    def classes(self, uai: Uai) -> Sequence[SchoolClass]:
        found = [c for c in self.uow.read_dir().classes.values() if c.uai == uai]
        return sorted(found, key=lambda c: (c.name, c.class_id))

    def students(self, student_ids: Collection[str]) -> Mapping[str, Student]:
        data = self.uow.read_dir().students
        return {i: data[i] for i in student_ids if i in data}

    def students_in(self, uais: Collection[Uai]) -> Sequence[Student]:
        data = self.uow.read_dir().students
        return [s for u in uais for _, s in sorted(data.items()) if s.uai == u]

    def links_of_students(self, student_ids: Collection[str]) -> Sequence[GuardianLink]:
        links = sorted(self.uow.read_dir().links)
        return [GuardianLink(r, s) for sid in student_ids for r, s in links if s == sid]

    def children(self, account_ids: Collection[str]) -> Mapping[str, Sequence[Student]]:
        data = self.uow.read_dir()
        out: dict[str, Sequence[Student]] = {}
        for account_id in account_ids:
            ids = sorted(s for r, s in data.links if r == account_id)
            if ids:
                out[account_id] = [data.students[i] for i in ids]
        return out

    def guardian_ids(self, uai: Uai) -> set[str]:
        data = self.uow.read_dir()
        return {r for r, s in data.links if s in data.students and data.students[s].uai == uai}

    def differing(self, records: DirectoryRecords, uais: Collection[Uai]) -> RecordChanges:
        return read_differences(self, self.uow.accounts, records, uais)

    def put_schools(self, schools: Iterable[School]) -> None:
        for school in schools:
            self.uow.write_dir().schools[school.uai] = school

    def put_classes(self, classes: Iterable[SchoolClass]) -> None:
        for school_class in classes:
            self.uow.write_dir().classes[school_class.class_id] = school_class

    def put_students(self, students: Iterable[Student]) -> None:
        for student in students:
            self.uow.write_dir().students[student.student_id] = student

    def remove_students(self, student_ids: Collection[str]) -> None:
        if not student_ids:
            return
        data = self.uow.write_dir()
        for sid in student_ids:
            data.students.pop(sid, None)
        data.links = {(r, s) for r, s in data.links if s not in student_ids}

    def add_links(self, links: Iterable[GuardianLink]) -> None:
        for link in links:
            self.uow.write_dir().links.add((link.responsable_id, link.student_id))

    def remove_links(self, links: Iterable[GuardianLink]) -> None:
        for link in links:
            self.uow.write_dir().links.discard((link.responsable_id, link.student_id))

    def _pupils(self, uai: Uai) -> list[tuple[Student, SchoolClass | None, list[Account]]]:
        """Each pupil of the school, its stored class, its guardians that have an account."""
        data, accounts = self.uow.read_dir(), self.uow.visible()
        return [
            (
                pupil,
                data.classes.get(pupil.class_id or ""),
                [accounts[r] for r, s in sorted(data.links) if s == sid and r in accounts],
            )
            for sid, pupil in sorted(data.students.items())
            if pupil.uai == uai
        ]

    def responsable_rows(self, uai: Uai, selection: Selection) -> Page:
        rows = [
            ResponsableRow.pair(pupil, known, guardian)
            for pupil, known, guardians in self._pupils(uai)
            for guardian in guardians
        ]
        return select_rows(rows, selection)

    def statistics(self, uai: Uai, at: datetime) -> SchoolStatistics:
        enrolments = [
            Enrolment(
                student_id=pupil.student_id,
                class_id=pupil.class_id or "",
                class_name=known.name if known else (pupil.class_id or ""),
                level=pupil.level,
                guardians=tuple(sorted((g.account_id, g.state) for g in guardians)),
            )
            for pupil, known, guardians in self._pupils(uai)
        ]
        return compute_statistics(uai.value, at, enrolments)

    def store_statistics(self, statistics: SchoolStatistics) -> None:
        self.uow.statistics[statistics.uai] = statistics

    def stored_statistics(self, uai: Uai) -> SchoolStatistics | None:
        found = self.uow.statistics.get(uai.value)
        return found if found is not None else self.uow.committed.statistics.get(uai.value)


class DictOutbox:
    """The `Outbox` port."""

    def __init__(self, uow: DictUnitOfWork) -> None:
        self.uow = uow

    def add(self, message: OutboxMessage) -> None:
        self.uow.messages.append(message)

    def pending(self, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        due = [
            x.message
            for x in self.uow.committed.outbox.values()
            if not x.in_flight and (x.retry_at is None or x.retry_at <= now)
        ]
        return sorted(due, key=lambda m: (m.created_at, m.message_id))[:limit]

    def mark_in_flight(self, message_id: str, at: datetime) -> None:
        self.uow.flying.add(message_id)

    def in_flight(self) -> Sequence[OutboxMessage]:
        flying = [x.message for x in self.uow.committed.outbox.values() if x.in_flight]
        return sorted(flying, key=lambda m: (m.created_at, m.message_id))

    def mark_sent(self, message_id: str, at: datetime) -> None:
        self.uow.sent.add(message_id)

    def mark_failed(self, message_id: str, at: datetime, error: str, retry_at: datetime) -> None:
        self.uow.failed[message_id] = retry_at

    def attempts(self, message_id: str) -> int:
        letter = self.uow.committed.outbox.get(message_id)
        return 0 if letter is None else letter.attempts

    def sent_ids(self) -> Collection[str]:
        return set(self.uow.committed.sent)


class DictAudit:
    """The `AuditTrail` port."""

    def __init__(self, uow: DictUnitOfWork) -> None:
        self.uow = uow

    def record(self, entry: AuditEntry) -> None:
        self.uow.entries.append(entry)

    def chain(self) -> Sequence[ChainedEntry]:
        return list(self.uow.committed.audit)

    def entries(
        self, *, account_id: str | None = None, since: datetime | None = None
    ) -> Sequence[AuditEntry]:
        return [
            c.entry
            for c in self.uow.committed.audit
            if (account_id is None or c.entry.account_id == account_id)
            and (since is None or c.entry.at >= since)
        ]
