"""Integrating only what changed: a complete group of a feed reduced to its changed families.

A feed's reader asks the storage which records of a group differ from what is stored
(`Directory.differing`, on the records' fingerprints: `domain.fingerprints`), then hands
`integrate_changes` a `DirectoryChanges`: the group's schools, the records of every family that
holds a changed record (`close_changes`), the departures, and how many records it left out.
The result — what is stored, the report's counts, the audit entry — is the one `integrate` gives
the whole group, because:

- a record left out equals what is stored, so `integrate` would leave it as it is and count it
  « unchanged » (a pupil: its fields, class and legal guardians; a guardian: an account exists
  and its directory fields are equal);
- every record of a family goes in with any one of them (a family: the guardians and pupils
  joined by links in the group), so a guardian's account, its « with a child » rule and the
  links of its pupils are decided on all of its group's records, as in one call;
- new guardians, merged records and ineligible pupils never equal a stored record, so they
  always go in: logins are given in the same order, merged records meet their survivor;
- departures are the group's stored pupils absent from the feed, as `integrate` finds them.

A group with no change and no departure costs one small unit of work (its schools compared, its
audit entry written) and no read of its records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

import attrs

from educonnect_core.domain.directory import DirectorySnapshot
from educonnect_core.domain.fingerprints import (
    DirectoryRecords,
    GuardianFields,
    PupilFields,
    RecordChanges,
    account_fields,
    compare_records,
    pupil_fields,
)
from educonnect_core.domain.values import Uai
from educonnect_core.ports import Accounts, Directory
from educonnect_core.services.integration import (
    IntegrationReport,
    Rejection,
    Unchanged,
    integrate_snapshot,
)
from educonnect_core.services.runtime import Runtime

__all__ = [
    "DirectoryChanges",
    "close_changes",
    "integrate_changes",
    "read_differences",
]


@attrs.frozen
class DirectoryChanges:
    """What a complete group of a feed changes.

    `snapshot` holds the group's schools and, of its pupils, guardians, classes and links, only
    those of the families `close_changes` gives; `departures` the stored pupils of those schools
    that the group does not hold (none for an incomplete feed); `unchanged` the records left out.
    """

    snapshot: DirectorySnapshot
    departures: tuple[str, ...] = ()
    unchanged: Unchanged = attrs.field(factory=Unchanged)


def close_changes(
    links: Iterable[tuple[str, str]], pupils: Collection[str], guardians: Collection[str]
) -> tuple[set[str], set[str]]:
    """The pupils and guardians of every family (connected by the (pupil id, responsable id)
    `links` of a group) that holds one of `pupils` or `guardians`: the records to integrate.
    """
    children: defaultdict[str, list[str]] = defaultdict(list)
    parents: defaultdict[str, list[str]] = defaultdict(list)
    for sid, rid in links:
        children[rid].append(sid)
        parents[sid].append(rid)
    seen_pupils, seen_guardians = set(pupils), set(guardians)
    todo_pupils, todo_guardians = list(seen_pupils), list(seen_guardians)
    while todo_pupils or todo_guardians:
        while todo_pupils:
            for rid in parents.get(todo_pupils.pop(), ()):
                if rid not in seen_guardians:
                    seen_guardians.add(rid)
                    todo_guardians.append(rid)
        while todo_guardians:
            for sid in children.get(todo_guardians.pop(), ()):
                if sid not in seen_pupils:
                    seen_pupils.add(sid)
                    todo_pupils.append(sid)
    return seen_pupils, seen_guardians


def read_differences(
    directory: Directory, accounts: Accounts, records: DirectoryRecords, uais: Collection[Uai]
) -> RecordChanges:
    """`Directory.differing` through the other port methods (the stored pupils, their classes
    as `Directory.classes` of their school lists them, their links, the accounts): for a
    storage that has no faster way. A pupil whose class is stored under another school differs.
    """
    ids = [fields[0] for fields in records.pupils]
    students = directory.students(ids)
    classes = {
        c.class_id: c
        for uai in sorted({s.uai for s in students.values()})
        for c in directory.classes(uai)
    }
    linked: defaultdict[str, list[str]] = defaultdict(list)
    for link in directory.links_of_students(ids):
        linked[link.student_id].append(link.responsable_id)
    found = accounts.get_many([fields[0] for fields in records.guardians])

    def pupil(sid: str) -> PupilFields | None:
        student = students.get(sid)
        if student is None:
            return None
        return pupil_fields(student, classes.get(student.class_id or ""))

    def guardian(rid: str) -> GuardianFields | None:
        account = found.get(rid)
        return None if account is None else account_fields(account)

    stored_in = [s.student_id for s in directory.students_in(uais)]
    return compare_records(records, pupil, lambda sid: linked.get(sid, ()), guardian, stored_in)


def integrate_changes(
    runtime: Runtime, changes: DirectoryChanges, rejected: Iterable[Rejection] = ()
) -> IntegrationReport:
    """Apply `changes` in one unit of work; the report is the one `integrate` gives the whole
    group (the records left out counted « unchanged »). `rejected` as for `integrate`.
    """
    return integrate_snapshot(
        runtime, changes.snapshot, rejected, changes.departures, changes.unchanged
    )
