"""The daily integration of the directory feed (SPEC §8): one call on a snapshot, idempotent,
all-or-nothing, never losing what a guardian chose.

- Only legal guardians of eligible pupils (admitted, with an INE, in a class) get an account.
- New guardians get a NOT_NOTIFIED account with a login and a provisional password.
- Directory data (names, e-mail, mobile, birth dates, classes, schools) is updated; the e-mail a
  guardian chose, the state, the password and the history are kept.
- A complete snapshot is the whole truth for the schools it holds: pupils and links absent from it
  disappear from those schools; accounts are never deleted. Other schools are untouched.
- A corrected birth date clears the birth-date failures of that pupil's guardians.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

import attrs

from educonnect_core.domain.account import Account
from educonnect_core.domain.directory import DirectorySnapshot, GuardianLink, Responsable, Student
from educonnect_core.domain.messages import surname_first
from educonnect_core.domain.policy import next_free_login
from educonnect_core.domain.values import Login, Uai
from educonnect_core.ports import Accounts, Directory, UnitOfWork
from educonnect_core.services.merge import follow_merges
from educonnect_core.services.runtime import Runtime

__all__ = [
    "IntegrationReport",
    "Rejection",
    "Unchanged",
    "by_name",
    "integrate",
    "integrate_snapshot",
]


@attrs.frozen
class Rejection:
    """A record left out of the integration, and why (`source` is the file, if any)."""

    record: str
    field: str
    reason: str
    source: str = ""
    #: A pupil id whose stored data must stay as it is (its record in the feed was unusable).
    protects: str | None = None


@attrs.frozen
class IntegrationReport:
    """What an integration did. Every guardian of the snapshot is counted once in created,
    updated, unchanged or without_account.
    """

    accounts_created: int = 0
    accounts_updated: int = 0
    accounts_unchanged: int = 0
    #: Guardians of the snapshot with no eligible child: no account is created for them.
    without_account: int = 0
    pupils_created: int = 0
    pupils_updated: int = 0
    pupils_unchanged: int = 0
    #: Pupils that left (absent from a complete snapshot, or no longer eligible): unlinked.
    pupils_removed: int = 0
    pupils_ineligible: int = 0
    links_added: int = 0
    #: Guardian ↔ pupil links removed (« unlinked »); the accounts themselves are kept.
    links_removed: int = 0
    birth_date_locks_cleared: int = 0
    rejected: tuple[Rejection, ...] = ()
    #: The ineligible pupils of the snapshot, as (id, « NOM Prénom »), by name then id.
    ineligible_pupils: tuple[tuple[str, str], ...] = ()
    #: The guardians left without an account, as (id, « NOM Prénom »), by name then id.
    guardians_without_account: tuple[tuple[str, str], ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the run changed anything stored."""
        return any(
            (
                self.accounts_created,
                self.accounts_updated,
                self.pupils_created,
                self.pupils_updated,
                self.pupils_removed,
                self.links_added,
                self.links_removed,
                self.birth_date_locks_cleared,
            )
        )


def by_name(people: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """(id, name) pairs in a report's order: by name, then id."""
    return tuple(sorted(people, key=lambda person: (person[1], person[0])))


def _check_references(
    snapshot: DirectorySnapshot, known_schools: set[Uai], known_classes: set[str]
) -> tuple[list[Student], list[GuardianLink], list[Rejection], list[tuple[str, str]]]:
    """Eligible pupils and legal links whose references resolve; everything else rejected."""
    rejected: list[Rejection] = []
    eligible: dict[str, Student] = {}
    ineligible: list[tuple[str, str]] = []
    for student in snapshot.students:
        record = f"élève {student.student_id}"
        if student.uai not in known_schools:
            rejected.append(
                Rejection(
                    record, "école", f"école {student.uai} inconnue", protects=student.student_id
                )
            )
        elif student.class_id is not None and student.class_id not in known_classes:
            rejected.append(
                Rejection(
                    record,
                    "classe",
                    f"classe {student.class_id} inconnue",
                    protects=student.student_id,
                )
            )
        elif student.student_id in eligible:
            rejected.append(
                Rejection(record, "id", "élève en double dans le flux", protects=student.student_id)
            )
        elif not student.eligible:
            ineligible.append(
                (student.student_id, surname_first(student.first_name, student.surname))
            )
        else:
            eligible[student.student_id] = student
    responsables = {r.responsable_id for r in snapshot.responsables}
    links: dict[tuple[str, str], GuardianLink] = {}
    for link in snapshot.links:
        if not link.legal:
            continue
        if link.responsable_id not in responsables:
            rejected.append(
                Rejection(
                    f"élève {link.student_id}",
                    "responsable légal",
                    f"responsable {link.responsable_id} absent du flux",
                )
            )
        elif link.student_id in eligible:
            links[link.responsable_id, link.student_id] = link
    return list(eligible.values()), list(links.values()), rejected, ineligible


@attrs.define
class _PupilPlan:
    """What the snapshot does to pupils and links."""

    students: list[Student]
    links: list[GuardianLink]
    stored: dict[str, Student]
    leaving: list[str]
    changed: list[Student]
    corrected: set[str]
    old_links: dict[tuple[str, str], GuardianLink]
    new_links: dict[tuple[str, str], GuardianLink]

    @property
    def to_remove(self) -> list[GuardianLink]:
        gone = self.old_links.keys() - self.new_links.keys()
        return [link for key, link in self.old_links.items() if key in gone] if gone else []

    @property
    def to_add(self) -> list[GuardianLink]:
        if not self.old_links:
            return list(self.new_links.values())
        added = self.new_links.keys() - self.old_links.keys()
        return [link for key, link in self.new_links.items() if key in added] if added else []


def _plan_pupils(
    directory: Directory,
    snapshot: DirectorySnapshot,
    students: list[Student],
    links: list[GuardianLink],
    protected: set[str],
    *,
    departures: Collection[str] | None,
) -> _PupilPlan:
    """Diff the snapshot's pupils and links against what is stored (nothing is written). With
    `departures` (a delta), those stored pupils leave instead of every stored pupil of the
    snapshot's schools that it does not hold.
    """
    wanted = {s.student_id: s for s in students if s.student_id not in protected}
    links = [link for link in links if link.student_id not in protected]
    snapshot_uais = {s.uai for s in snapshot.schools}
    stored: dict[str, Student] = {}
    if departures is not None:
        stored.update(directory.students(departures))
    elif snapshot.complete and snapshot_uais:
        stored.update({s.student_id: s for s in directory.students_in(snapshot_uais)})
    # The pupils of the snapshot stored elsewhere (another school, or an incomplete snapshot).
    stored.update(directory.students({s.student_id for s in snapshot.students} - stored.keys()))
    for sid in protected:
        stored.pop(sid, None)
    changed = [s for s in wanted.values() if stored.get(s.student_id) != s]
    concerned = set(stored) | set(wanted)
    return _PupilPlan(
        students=list(wanted.values()),
        links=links,
        stored=stored,
        leaving=[sid for sid in stored if sid not in wanted],
        changed=changed,
        corrected={
            s.student_id
            for s in changed
            if s.student_id in stored and stored[s.student_id].birth_date != s.birth_date
        },
        old_links={
            (link.responsable_id, link.student_id): link
            for link in directory.links_of_students(concerned)
        },
        new_links={(link.responsable_id, link.student_id): link for link in links},
    )


@attrs.frozen
class _AccountCounts:
    created: int
    updated: int
    unchanged: int
    without: tuple[tuple[str, str], ...]


def _apply_accounts(
    runtime: Runtime,
    accounts: Accounts,
    snapshot: DirectorySnapshot,
    with_child: set[str],
    now: datetime,
) -> _AccountCounts:
    """Create the accounts of new guardians with a child; update the others' directory data."""
    by_id: dict[str, Responsable] = {r.responsable_id: r for r in snapshot.responsables}
    existing = dict(accounts.get_many(list(by_id)))
    scheme = runtime.policy.login_scheme
    # Sorted, so that the order of the feed never changes who gets which login.
    new_ones = sorted(rid for rid in by_id if rid not in existing and rid in with_child)
    bases = {rid: scheme.base(by_id[rid].first_name, by_id[rid].surname) for rid in new_ones}
    taken = accounts.logins_taken(set(bases.values()))
    hints: dict[str, int] = {}
    for rid in new_ones:
        login = next_free_login(bases[rid], taken, hints)
        taken.add(login)
        accounts.add(Account.pre_create(by_id[rid], Login(login), runtime.new_provisional(), now))
    updated = unchanged = 0
    without: list[tuple[str, str]] = []
    for rid, responsable in by_id.items():
        known = existing.get(rid)
        if known is None:
            if rid not in with_child:
                without.append((rid, surname_first(responsable.first_name, responsable.surname)))
        elif known.update_from_directory(responsable):
            accounts.update(known)
            updated += 1
        else:
            unchanged += 1
    return _AccountCounts(len(new_ones), updated, unchanged, by_name(without))


def _unlock_corrected(runtime: Runtime, uow: UnitOfWork, plan: _PupilPlan, now: datetime) -> int:
    """Clear the birth-date failures of the guardians of pupils whose birth date was corrected."""
    if not plan.corrected:
        return 0
    guardians = {
        rid for rid, sid in plan.new_links.keys() | plan.old_links.keys() if sid in plan.corrected
    }
    cleared = 0
    for rid, account in uow.accounts.get_many(sorted(guardians)).items():
        if account.clear_birth_date_failures():
            uow.accounts.update(account)
            cleared += 1
            runtime.audit(uow, "feed", "BIRTH_DATE_CORRECTED", "done", account_id=rid, at=now)
    return cleared


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (as `timeit` does) and restore it after.

    An integration allocates millions of objects that live until its end; each allocation burst
    triggers a collection that walks the whole heap (the snapshot included), which took 30-40 %
    of a 100,000-guardian integration. Cycles made meanwhile are collected afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def integrate(
    runtime: Runtime, snapshot: DirectorySnapshot, rejected: Iterable[Rejection] = ()
) -> IntegrationReport:
    """Apply `snapshot` in one unit of work and report what changed. `rejected` (the feed
    reader's own rejections) is carried into the report; the pupils they protect stay as stored.
    The garbage collector is paused meanwhile (the whole process's: it is one switch).
    """
    return integrate_snapshot(runtime, snapshot, rejected)


@attrs.frozen
class Unchanged:
    """What a delta (`services.delta`) left out of its snapshot: records of the feed known to
    equal what is stored, counted « unchanged » without being read.
    """

    pupils: int = 0
    guardians: int = 0


def integrate_snapshot(
    runtime: Runtime,
    snapshot: DirectorySnapshot,
    rejected: Iterable[Rejection],
    departures: Collection[str] | None = None,
    unchanged: Unchanged = Unchanged(),
) -> IntegrationReport:
    """`integrate`, or with `departures` a delta's integration: see `services.delta`."""
    with _collector_paused():
        return _integrate(runtime, snapshot, rejected, departures, unchanged)


def _integrate(
    runtime: Runtime,
    snapshot: DirectorySnapshot,
    rejected: Iterable[Rejection],
    departures: Collection[str] | None = None,
    unchanged: Unchanged = Unchanged(),
) -> IntegrationReport:
    now = runtime.now()
    earlier = list(rejected)
    with runtime.storage.unit_of_work() as uow:
        snapshot = follow_merges(uow, snapshot)  # merged accounts are never created again
        directory = uow.directory
        if departures is None:
            stored_schools = {s.uai: s for s in directory.schools(None)}
        else:  # a delta: only the schools it names (its pupils' included)
            named = {s.uai for s in snapshot.schools} | {s.uai for s in snapshot.students}
            stored_schools = {s.uai: s for s in directory.schools(named)}
        known_classes = {c.class_id for c in snapshot.classes} | {
            c.class_id
            for uai in {s.uai for s in snapshot.students} & set(stored_schools)
            for c in directory.classes(uai)
        }
        students, links, rejections, ineligible = _check_references(
            snapshot, {s.uai for s in snapshot.schools} | set(stored_schools), known_classes
        )
        protected = {r.protects for r in (*earlier, *rejections) if r.protects is not None}
        plan = _plan_pupils(directory, snapshot, students, links, protected, departures=departures)

        directory.put_schools(s for s in snapshot.schools if stored_schools.get(s.uai) != s)
        directory.put_classes(snapshot.classes)
        to_remove, to_add = plan.to_remove, plan.to_add
        directory.remove_links(to_remove)
        directory.remove_students(plan.leaving)
        directory.put_students(plan.changed)
        directory.add_links(to_add)
        counts = _apply_accounts(
            runtime, uow.accounts, snapshot, {link.responsable_id for link in plan.links}, now
        )
        cleared = _unlock_corrected(runtime, uow, plan, now)

        report = IntegrationReport(
            accounts_created=counts.created,
            accounts_updated=counts.updated,
            accounts_unchanged=counts.unchanged + unchanged.guardians,
            without_account=len(counts.without),
            pupils_created=sum(1 for s in plan.changed if s.student_id not in plan.stored),
            pupils_updated=sum(1 for s in plan.changed if s.student_id in plan.stored),
            pupils_unchanged=len(plan.students) - len(plan.changed) + unchanged.pupils,
            pupils_removed=len(plan.leaving),
            pupils_ineligible=len(ineligible),
            links_added=len(to_add),
            links_removed=len(to_remove),
            birth_date_locks_cleared=cleared,
            rejected=(*earlier, *rejections),
            ineligible_pupils=by_name(ineligible),
            guardians_without_account=counts.without,
        )
        runtime.audit(
            uow,
            "feed",
            "INTEGRATE",
            "done",
            at=now,
            detail=(
                f"complete={snapshot.complete} created={counts.created} "
                f"updated={counts.updated} unchanged={report.accounts_unchanged} "
                f"links_removed={report.links_removed} rejected={len(report.rejected)}"
            ),
        )
        uow.commit()
    return report
