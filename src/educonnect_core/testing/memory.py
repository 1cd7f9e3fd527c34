"""The in-memory storage: a complete, transactional implementation of the storage ports.

It is the reference the SQL adapters are checked against (the contract suite) and the embedded
world of tests, demos and simulations. A unit of work reads committed data, keeps its writes to
itself, and applies them all at once on commit after checking every account's version; the
directory is copied on the first write and swapped in on commit.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

import attrs

from educonnect_core.domain.account import Account, FailureCounter
from educonnect_core.domain.audit import GENESIS, ChainedEntry, chain_digest
from educonnect_core.domain.directory import GuardianLink, School, SchoolClass, Student
from educonnect_core.domain.fingerprints import (
    DirectoryRecords,
    GuardianFields,
    PupilFields,
    RecordChanges,
    account_fields,
    compare_records,
    pupil_fields,
)
from educonnect_core.domain.policy import Throttle
from educonnect_core.domain.records import AuditEntry, OutboxMessage
from educonnect_core.domain.selection import Page, ResponsableRow, Selection, select_rows
from educonnect_core.domain.sms import OneTimeCode, line_key
from educonnect_core.domain.statistics import Enrolment, SchoolStatistics, compute_statistics
from educonnect_core.domain.values import Email, Mobile, Uai
from educonnect_core.errors import ConcurrentChange, StorageError

__all__ = ["InMemoryStorage", "InMemoryUnitOfWork"]


@attrs.define
class _DirectoryData:
    schools: dict[Uai, School] = attrs.Factory(dict)
    classes: dict[str, SchoolClass] = attrs.Factory(dict)
    students: dict[str, Student] = attrs.Factory(dict)
    by_school: defaultdict[Uai, set[str]] = attrs.Factory(lambda: defaultdict(set))
    guardians_of: defaultdict[str, set[str]] = attrs.Factory(lambda: defaultdict(set))
    children_of: defaultdict[str, set[str]] = attrs.Factory(lambda: defaultdict(set))
    version: int = 0

    def copy(self) -> _DirectoryData:
        def sets(d: defaultdict[str, set[str]]) -> defaultdict[str, set[str]]:
            return defaultdict(set, {k: set(v) for k, v in d.items()})

        return _DirectoryData(
            dict(self.schools),
            dict(self.classes),
            dict(self.students),
            defaultdict(set, {k: set(v) for k, v in self.by_school.items()}),
            sets(self.guardians_of),
            sets(self.children_of),
            self.version,
        )


@attrs.define
class _Pending:
    message: OutboxMessage
    attempts: int = 0
    due_at: datetime | None = None
    last_error: str = ""
    #: When the relay marked it in flight (None: pending).
    in_flight_at: datetime | None = None


@attrs.frozen
class _Activity:
    """A guardian's activity, kept apart from the account's versioned state: `counter` counts
    against credentials generation `credentials` (older generations' failures no longer count).
    """

    counter: FailureCounter = FailureCounter()
    credentials: int = 0
    last_login_at: datetime | None = None

    def effective(self, account: Account) -> FailureCounter:
        """The failures that count for `account`'s present credentials."""
        return self.counter if self.credentials == account.credentials else _NO_FAILURE


_NO_FAILURE = FailureCounter()
_NO_ACTIVITY = _Activity()
#: A pending change of activity: (account id, new activity from the stored one and account).
_ActivityChange = tuple[str, Callable[[_Activity, Account], _Activity]]


@attrs.define
class _World:
    accounts: dict[str, Account] = attrs.Factory(dict)
    #: Login failures and last login, by account id: never written by `Accounts.update`.
    activity: dict[str, _Activity] = attrs.Factory(dict)
    logins: dict[str, str] = attrs.Factory(dict)
    directory: _DirectoryData = attrs.Factory(_DirectoryData)
    outbox: dict[str, _Pending] = attrs.Factory(dict)
    sent: dict[str, datetime] = attrs.Factory(dict)
    audit: list[AuditEntry] = attrs.Factory(list)
    #: The last statistics computed for each school, by UAI.
    statistics: dict[str, SchoolStatistics] = attrs.Factory(dict)
    #: The audit entries with their digests (the hash chain), in recording order.
    chain: list[ChainedEntry] = attrs.Factory(list)
    #: The SMS one-time codes, by line (E.164).
    codes: dict[str, OneTimeCode] = attrs.Factory(dict)
    #: Accounts merged into another: merged id → surviving id.
    aliases: dict[str, str] = attrs.Factory(dict)


class InMemoryStorage:
    """Accounts, directory, outbox and audit trail in memory, with real transactions."""

    def __init__(self) -> None:
        self._world = _World()
        #: Commits are applied one at a time (units of work may run in threads).
        self.lock = threading.Lock()
        #: Set to make the next commit fail (fault injection for tests).
        self.fail_next_commit = False

    def __repr__(self) -> str:
        return f"<InMemoryStorage {len(self._world.accounts)} accounts>"

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """A new unit of work on this storage."""
        return InMemoryUnitOfWork(self)


class InMemoryUnitOfWork:
    """One transaction on an `InMemoryStorage`."""

    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage
        self._world = storage._world
        self.accounts = _Accounts(self)
        self.directory = _Directory(self)
        self.outbox = _Outbox(self)
        self.audit = _Audit(self)
        self.codes = _Codes(self)
        self._reset()
        self.committed = False

    def _reset(self) -> None:
        self._added: dict[str, Account] = {}
        #: login → id of the accounts in `_added`, so that adding n accounts stays O(n).
        self._added_logins: dict[str, str] = {}
        self._updated: dict[str, Account] = {}
        self._activity: list[_ActivityChange] = []
        self._dir: _DirectoryData | None = None
        self._dir_base_version = self._world.directory.version
        self._new_messages: list[OutboxMessage] = []
        self._sent: dict[str, datetime] = {}
        self._failed: dict[str, tuple[datetime, str, datetime]] = {}
        self._in_flight: dict[str, datetime] = {}
        self._entries: list[AuditEntry] = []
        self._statistics: dict[str, SchoolStatistics] = {}
        #: Accounts merged away here: id → (the account as read, the surviving id).
        self._merged: dict[str, tuple[Account, str]] = {}
        #: Staged changes of SMS codes, applied in order at commit.
        self._code_changes: list[Callable[[dict[str, OneTimeCode]], None]] = []

    def __repr__(self) -> str:
        return f"<InMemoryUnitOfWork committed={self.committed}>"

    def __enter__(self) -> Self:
        self._reset()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @property
    def dir_read(self) -> _DirectoryData:
        """The directory as this unit of work sees it."""
        return self._dir if self._dir is not None else self._world.directory

    @property
    def dir_write(self) -> _DirectoryData:
        """The directory copy this unit of work writes to (made on first use)."""
        if self._dir is None:
            self._dir = self._world.directory.copy()
        return self._dir

    def commit(self) -> None:
        """Check every version, then apply every change at once."""
        if self._storage.fail_next_commit:
            self._storage.fail_next_commit = False
            self._reset()
            raise StorageError("injected commit failure")
        with self._storage.lock:
            try:
                self._check_versions()
            except ConcurrentChange:
                self._reset()
                raise
            self._apply()
        self._reset()
        self.committed = True

    def _check_versions(self) -> None:
        world = self._world
        for account_id, account in self._updated.items():
            current = world.accounts.get(account_id)
            if current is None or current.version != account.version:
                raise ConcurrentChange(
                    account_id, account.version, None if current is None else current.version
                )
        for account_id, account in self._added.items():
            current = world.accounts.get(account_id)
            if current is not None or account.login.value in world.logins:
                raise ConcurrentChange(account_id, 0, None if current is None else current.version)
        for account_id, (account, _survivor) in self._merged.items():
            current = world.accounts.get(account_id)
            if current is None or current.version != account.version:
                raise ConcurrentChange(
                    account_id, account.version, None if current is None else current.version
                )
        codes = dict(world.codes)
        for change in self._code_changes:
            change(codes)
        if self._dir is not None and world.directory.version != self._dir_base_version:
            raise ConcurrentChange("directory", self._dir_base_version, world.directory.version)

    def _apply(self) -> None:
        self._apply_accounts()
        world = self._world
        for change in self._code_changes:
            change(world.codes)
        if self._dir is not None:
            self._dir.version += 1
            world.directory = self._dir
        self._apply_outbox()
        world.audit.extend(self._entries)
        world.statistics.update(self._statistics)
        previous = world.chain[-1].digest if world.chain else GENESIS
        for entry in self._entries:
            previous = chain_digest(previous, entry)
            world.chain.append(ChainedEntry(len(world.chain) + 1, entry, previous))

    def _apply_accounts(self) -> None:
        world = self._world
        for account_id, account in {**self._added, **self._updated}.items():
            stored = attrs.evolve(account, version=account.version + 1)
            old = world.accounts.get(account_id)
            if old is not None and old.login != stored.login:
                del world.logins[old.login.value]
            if old is None:
                world.activity[account_id] = _Activity(
                    account.login_failures, account.credentials, account.last_login_at
                )
            world.accounts[account_id] = stored
            world.logins[stored.login.value] = account_id
            account.version = stored.version
        for account_id, (_account, survivor) in self._merged.items():
            gone = world.accounts.pop(account_id)
            world.logins.pop(gone.login.value, None)
            world.activity.pop(account_id, None)
            for merged, into in list(world.aliases.items()):
                if into == account_id:
                    world.aliases[merged] = survivor
            world.aliases[account_id] = survivor
        for account_id, change in self._activity:
            current = world.accounts.get(account_id)
            if current is not None:
                activity = world.activity.get(account_id, _NO_ACTIVITY)
                world.activity[account_id] = change(activity, current)

    def _apply_outbox(self) -> None:
        world = self._world
        for message in self._new_messages:
            world.outbox[message.message_id] = _Pending(message)
        for message_id, at in self._in_flight.items():
            pending = world.outbox.get(message_id)
            if pending is not None:
                pending.in_flight_at = at
        for message_id, (_at, error, retry_at) in self._failed.items():
            pending = world.outbox.get(message_id)
            if pending is not None:
                pending.attempts += 1
                pending.due_at = retry_at
                pending.last_error = error
                pending.in_flight_at = None
        for message_id, at in self._sent.items():
            world.outbox.pop(message_id, None)
            world.sent[message_id] = at

    def rollback(self) -> None:
        """Forget every uncommitted change."""
        self._reset()

    # -- reads shared by the repositories ------------------------------------------------------

    def account(self, account_id: str) -> Account | None:
        """The account as this unit of work sees it (a private copy of the committed one)."""
        if account_id in self._merged:
            return None
        staged = self._updated.get(account_id) or self._added.get(account_id)
        if staged is not None:
            return staged
        stored = self._world.accounts.get(account_id)
        if stored is None:
            return None
        activity = self._world.activity.get(account_id, _NO_ACTIVITY)
        return attrs.evolve(
            stored,
            login_failures=activity.effective(stored),
            last_login_at=activity.last_login_at,
        )

    def record_activity(
        self, account_id: str, change: Callable[[_Activity, Account], _Activity]
    ) -> FailureCounter:
        """Stage a change of `account_id`'s activity (applied, in order, at commit, to the
        activity then stored) and return the failure counter it would give now.
        """
        self._activity.append((account_id, change))
        activity = self._world.activity.get(account_id, _NO_ACTIVITY)
        current = self._world.accounts.get(account_id)
        if current is None:
            return _NO_FAILURE
        for other, staged in self._activity:
            if other == account_id:
                activity = staged(activity, current)
        return activity.effective(current)

    def all_account_ids(self) -> Iterable[str]:
        """Every account id, committed or added here."""
        yield from (i for i in self._world.accounts if i not in self._merged)
        yield from (i for i in self._added if i not in self._world.accounts)


class _Accounts:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def get(self, account_id: str) -> Account | None:
        return self._uow.account(account_id)

    def get_many(self, account_ids: Collection[str]) -> Mapping[str, Account]:
        found = {i: self._uow.account(i) for i in account_ids}
        return {i: a for i, a in found.items() if a is not None}

    def by_login(self, login: str) -> Account | None:
        added = self._uow._added.get(self._uow._added_logins.get(login, ""))
        if added is not None and added.login.value == login:
            return added
        for account in self._uow._updated.values():
            if account.login.value == login:
                return account
        account_id = self._uow._world.logins.get(login)
        return None if account_id is None else self._uow.account(account_id)

    def by_franceconnect_sub(self, sub: str) -> Account | None:
        for account_id in list(self._uow.all_account_ids()):
            account = self._uow.account(account_id)
            if account is not None and account.franceconnect_sub == sub:
                return account
        return None

    def by_recovery_digest(self, digest: str) -> Account | None:
        for account_id in list(self._uow.all_account_ids()):
            account = self._uow.account(account_id)
            if account and account.recovery and account.recovery.digest == digest:
                return account
        return None

    def by_email(self, email: Email) -> Sequence[Account]:
        found = []
        for account_id in list(self._uow.all_account_ids()):
            account = self._uow.account(account_id)
            if account is not None and account.chosen_email == email:
                found.append(account)
        return sorted(found, key=lambda a: a.login.value)

    def merge_into(self, account: Account, survivor_id: str) -> None:
        if account.account_id == survivor_id:
            raise ValueError("an account cannot be merged into itself")
        self._uow._updated.pop(account.account_id, None)
        self._uow._merged[account.account_id] = (account, survivor_id)

    def aliases(self, responsable_ids: Collection[str]) -> Mapping[str, str]:
        known = dict(self._uow._world.aliases)
        for merged, (_account, survivor) in self._uow._merged.items():
            for alias, into in list(known.items()):
                if into == merged:
                    known[alias] = survivor
            known[merged] = survivor
        return {i: known[i] for i in responsable_ids if i in known}

    def by_activation_digest(self, digest: str) -> Account | None:
        for account_id in list(self._uow.all_account_ids()):
            account = self._uow.account(account_id)
            if account and account.activation and account.activation.digest == digest:
                return account
        return None

    def by_mobile(self, mobile: Mobile) -> Sequence[Account]:
        found = []
        wanted = line_key(mobile)  # E.164: « 06… », « +336… » and « 00336… » are one line
        for account_id in list(self._uow.all_account_ids()):
            account = self._uow.account(account_id)
            if account and account.mobile is not None and line_key(account.mobile) == wanted:
                found.append(account)
        return found

    def logins_taken(self, bases: Collection[str]) -> set[str]:
        wanted = set(bases)
        logins = set(self._uow._world.logins) | {a.login.value for a in self._uow._added.values()}
        # A login is `base` + digits for every cut between its last letter and its end: both
        # « j.dupont3 » (Jean DUPONT3) and « j.dupont » + « 3 » must count as taken.
        return {
            login
            for login in logins
            if any(
                login[:cut] in wanted
                for cut in range(len(login.rstrip("0123456789")), len(login) + 1)
            )
        }

    def add(self, account: Account) -> None:
        if self.by_login(account.login.value) is not None or self.get(account.account_id):
            raise ConcurrentChange(account.account_id, 0, None)
        self._uow._added[account.account_id] = account
        self._uow._added_logins[account.login.value] = account.account_id

    def update(self, account: Account) -> None:
        if account.account_id in self._uow._added:
            self._uow._added[account.account_id] = account
            self._uow._added_logins[account.login.value] = account.account_id
        else:
            self._uow._updated[account.account_id] = account

    def record_login_failure(
        self, account_id: str, now: datetime, throttle: Throttle, block_after: int | None
    ) -> FailureCounter:
        def failed(activity: _Activity, account: Account) -> _Activity:
            counter = activity.effective(account).failed(now, throttle, block_after)
            return _Activity(counter, account.credentials, activity.last_login_at)

        return self._uow.record_activity(account_id, failed)

    def record_login_success(self, account_id: str, now: datetime, *, connected: bool) -> None:
        def succeeded(activity: _Activity, account: Account) -> _Activity:
            last = now if connected else activity.last_login_at
            return _Activity(_NO_FAILURE, account.credentials, last)

        self._uow.record_activity(account_id, succeeded)


class _Directory:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def schools(self, uais: Collection[Uai] | None = None) -> Sequence[School]:
        schools = self._uow.dir_read.schools
        keys = schools.keys() if uais is None else [u for u in uais if u in schools]
        return [schools[u] for u in sorted(keys)]

    def classes(self, uai: Uai) -> Sequence[SchoolClass]:
        found = [c for c in self._uow.dir_read.classes.values() if c.uai == uai]
        return sorted(found, key=lambda c: (c.name, c.class_id))

    def students(self, student_ids: Collection[str]) -> Mapping[str, Student]:
        students = self._uow.dir_read.students
        return {i: students[i] for i in student_ids if i in students}

    def students_in(self, uais: Collection[Uai]) -> Sequence[Student]:
        data = self._uow.dir_read
        return [data.students[i] for u in uais for i in sorted(data.by_school.get(u, ()))]

    def links_of_students(self, student_ids: Collection[str]) -> Sequence[GuardianLink]:
        data = self._uow.dir_read
        return [
            GuardianLink(rid, sid)
            for sid in student_ids
            for rid in sorted(data.guardians_of.get(sid, ()))
        ]

    def children(self, account_ids: Collection[str]) -> Mapping[str, Sequence[Student]]:
        data = self._uow.dir_read
        out: dict[str, Sequence[Student]] = {}
        for account_id in account_ids:
            ids = data.children_of.get(account_id)
            if ids:
                out[account_id] = [data.students[i] for i in sorted(ids)]
        return out

    def guardian_ids(self, uai: Uai) -> set[str]:
        data = self._uow.dir_read
        return {
            rid for sid in data.by_school.get(uai, ()) for rid in data.guardians_of.get(sid, ())
        }

    def differing(self, records: DirectoryRecords, uais: Collection[Uai]) -> RecordChanges:
        data = self._uow.dir_read

        def pupil(sid: str) -> PupilFields | None:
            student = data.students.get(sid)
            if student is None:
                return None
            return pupil_fields(student, data.classes.get(student.class_id or ""))

        def guardian(rid: str) -> GuardianFields | None:
            account = self._uow.account(rid)
            return None if account is None else account_fields(account)

        return compare_records(
            records,
            pupil,
            lambda sid: data.guardians_of.get(sid, ()),
            guardian,
            (sid for u in uais for sid in data.by_school.get(u, ())),
        )

    def put_schools(self, schools: Iterable[School]) -> None:
        for school in schools:
            self._uow.dir_write.schools[school.uai] = school

    def put_classes(self, classes: Iterable[SchoolClass]) -> None:
        items = list(classes)
        if not items:
            return
        data = self._uow.dir_write
        for school_class in items:
            data.classes[school_class.class_id] = school_class

    def put_students(self, students: Iterable[Student]) -> None:
        items = list(students)
        if not items:
            return
        data = self._uow.dir_write
        for student in items:
            old = data.students.get(student.student_id)
            if old is not None:
                data.by_school[old.uai].discard(student.student_id)
            data.students[student.student_id] = student
            data.by_school[student.uai].add(student.student_id)

    def remove_students(self, student_ids: Collection[str]) -> None:
        if not student_ids:
            return
        data = self._uow.dir_write
        for sid in student_ids:
            student = data.students.pop(sid, None)
            if student is not None:
                data.by_school[student.uai].discard(sid)
            for rid in data.guardians_of.pop(sid, set()):
                data.children_of[rid].discard(sid)
                if not data.children_of[rid]:
                    del data.children_of[rid]

    def add_links(self, links: Iterable[GuardianLink]) -> None:
        items = list(links)
        if not items:
            return
        data = self._uow.dir_write
        for link in items:
            data.guardians_of[link.student_id].add(link.responsable_id)
            data.children_of[link.responsable_id].add(link.student_id)

    def remove_links(self, links: Iterable[GuardianLink]) -> None:
        items = list(links)
        if not items:
            return
        data = self._uow.dir_write
        for link in items:
            data.guardians_of[link.student_id].discard(link.responsable_id)
            data.children_of[link.responsable_id].discard(link.student_id)
            if not data.children_of[link.responsable_id]:
                del data.children_of[link.responsable_id]

    def _pairs(self, uai: Uai) -> Iterable[tuple[Student, SchoolClass | None, Account]]:
        data = self._uow.dir_read
        ids = sorted(
            {rid for sid in data.by_school.get(uai, ()) for rid in data.guardians_of.get(sid, ())}
        )
        accounts = {i: self._uow.account(i) for i in ids}
        for sid in data.by_school.get(uai, ()):
            student = data.students[sid]
            school_class = data.classes.get(student.class_id or "")
            for rid in data.guardians_of.get(sid, ()):
                account = accounts.get(rid)
                if account is not None:
                    yield student, school_class, account

    def responsable_rows(self, uai: Uai, selection: Selection) -> Page:
        rows = (ResponsableRow.pair(s, c, a) for s, c, a in self._pairs(uai))
        return select_rows(rows, selection)

    def statistics(self, uai: Uai, at: datetime) -> SchoolStatistics:
        data = self._uow.dir_read
        enrolments = []
        for sid in sorted(data.by_school.get(uai, ())):
            student = data.students[sid]
            school_class = data.classes.get(student.class_id or "")
            guardians = []
            for rid in sorted(data.guardians_of.get(sid, ())):
                account = self._uow.account(rid)
                if account is not None:
                    guardians.append((rid, account.state))
            enrolments.append(
                Enrolment(
                    student_id=sid,
                    class_id=student.class_id or "",
                    class_name=school_class.name if school_class else (student.class_id or ""),
                    level=student.level,
                    guardians=tuple(guardians),
                )
            )
        return compute_statistics(uai.value, at, enrolments)

    def store_statistics(self, statistics: SchoolStatistics) -> None:
        self._uow._statistics[statistics.uai] = statistics

    def stored_statistics(self, uai: Uai) -> SchoolStatistics | None:
        found = self._uow._statistics.get(uai.value)
        return found if found is not None else self._uow._world.statistics.get(uai.value)


class _Outbox:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, message: OutboxMessage) -> None:
        self._uow._new_messages.append(message)

    def pending(self, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        due = [
            p.message
            for p in self._uow._world.outbox.values()
            if p.in_flight_at is None and (p.due_at is None or p.due_at <= now)
        ]
        due.sort(key=lambda m: (m.created_at, m.message_id))
        return due[:limit]

    def mark_in_flight(self, message_id: str, at: datetime) -> None:
        self._uow._in_flight[message_id] = at

    def in_flight(self) -> Sequence[OutboxMessage]:
        flying = [p.message for p in self._uow._world.outbox.values() if p.in_flight_at is not None]
        flying.sort(key=lambda m: (m.created_at, m.message_id))
        return flying

    def mark_sent(self, message_id: str, at: datetime) -> None:
        self._uow._sent[message_id] = at

    def mark_failed(self, message_id: str, at: datetime, error: str, retry_at: datetime) -> None:
        self._uow._failed[message_id] = (at, error, retry_at)

    def attempts(self, message_id: str) -> int:
        pending = self._uow._world.outbox.get(message_id)
        return 0 if pending is None else pending.attempts

    def sent_ids(self) -> Collection[str]:
        return set(self._uow._world.sent)


class _Audit:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def record(self, entry: AuditEntry) -> None:
        self._uow._entries.append(entry)

    def chain(self) -> Sequence[ChainedEntry]:
        return list(self._uow._world.chain)

    def entries(
        self, *, account_id: str | None = None, since: datetime | None = None
    ) -> Sequence[AuditEntry]:
        return [
            e
            for e in self._uow._world.audit
            if (account_id is None or e.account_id == account_id)
            and (since is None or e.at >= since)
        ]


class _Codes:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _staged(self) -> dict[str, OneTimeCode]:
        codes = dict(self._uow._world.codes)
        for change in self._uow._code_changes:
            change(codes)
        return codes

    def get(self, line: str) -> OneTimeCode | None:
        return self._staged().get(line)

    def put(self, code: OneTimeCode) -> None:
        def put(codes: dict[str, OneTimeCode]) -> None:
            codes[code.line] = code

        self._uow._code_changes.append(put)

    def spend(self, line: str, digest: str, then: OneTimeCode) -> None:
        def spend(codes: dict[str, OneTimeCode]) -> None:
            current = codes.get(line)
            if current is None or current.digest != digest:
                raise ConcurrentChange(f"sms:{line}", 0, None)
            codes[line] = then

        spend(self._staged())  # refused at once when already spent
        self._uow._code_changes.append(spend)

    def record_failure(self, line: str, now: datetime, throttle: Throttle) -> FailureCounter:
        def failed(codes: dict[str, OneTimeCode]) -> None:
            current = codes.get(line)
            if current is not None:
                codes[line] = attrs.evolve(current, failures=current.failures.failed(now, throttle))

        self._uow._code_changes.append(failed)
        found = self._staged().get(line)
        return _NO_FAILURE if found is None else found.failures
