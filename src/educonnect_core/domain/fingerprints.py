"""The fingerprint of a directory record: every field an integration compares, as canonical
strings, so that a feed's reader and the storage can tell « unchanged » without domain objects.

A pupil's fingerprint is its `PupilFields` (the pupil, its class as stored: id, school and name)
plus its legal guardians (the `(pupil id, responsable id)` pairs of `DirectoryRecords.links`); a
guardian's is its `GuardianFields` (names, e-mail, mobile: what `Account.update_from_directory`
compares). Two records with equal fingerprints are integrated the same way, so a record whose
fingerprint equals what is stored needs no integration at all.

The storage compares the fingerprints with what it holds (`Directory.differing`), field by field
and set-wise in the database, against the stored rows themselves: no hash, no table of
fingerprints to keep in step with the data (a merge, an ONDE run, anything that writes a record
changes what it is compared with).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence

import attrs

from educonnect_core.domain.account import Account
from educonnect_core.domain.directory import Responsable, SchoolClass, Student

__all__ = [
    "DirectoryRecords",
    "GuardianFields",
    "PupilFields",
    "RecordChanges",
    "account_fields",
    "compare_records",
    "guardian_fields",
    "pupil_fields",
]

#: (student id, UAI, surname, first name, ISO birth date, class id, class UAI, class name,
#: level code, INE, admitted).
PupilFields = tuple[
    str, str, str, str, str, str | None, str | None, str | None, str | None, str | None, bool
]
#: (responsable id, surname, first name, e-mail, mobile).
GuardianFields = tuple[str, str, str, str | None, str | None]


def pupil_fields(student: Student, school_class: SchoolClass | None) -> PupilFields:
    """The fingerprint of a pupil in `school_class` (its class, or None when it has none)."""
    return (
        student.student_id,
        student.uai.value,
        student.surname,
        student.first_name,
        student.birth_date.isoformat(),
        student.class_id,
        None if school_class is None else school_class.uai.value,
        None if school_class is None else school_class.name,
        None if student.level is None else student.level.code,
        None if student.ine is None else student.ine.value,
        student.admitted,
    )


def account_fields(account: Account) -> GuardianFields:
    """The fingerprint of the directory record an account was last given (`guardian_fields` of
    it, as `Account.update_from_directory` stored it).
    """
    email, mobile = account.directory_email, account.mobile
    return (
        account.account_id,
        account.surname,
        account.first_name,
        None if email is None else email.value,
        None if mobile is None else mobile.value,
    )


def guardian_fields(responsable: Responsable) -> GuardianFields:
    """The fingerprint of a guardian's directory record."""
    return (
        responsable.responsable_id,
        responsable.surname,
        responsable.first_name,
        None if responsable.email is None else responsable.email.value,
        None if responsable.mobile is None else responsable.mobile.value,
    )


@attrs.frozen
class DirectoryRecords:
    """The fingerprints of one complete group of a feed: every pupil of its schools, their legal
    links as (pupil id, responsable id) — of those pupils only —, and every guardian those
    pupils name.
    """

    pupils: Sequence[PupilFields] = ()
    links: Sequence[tuple[str, str]] = ()
    guardians: Sequence[GuardianFields] = ()


@attrs.frozen
class RecordChanges:
    """What `Directory.differing` found: the pupils and guardians whose fingerprint differs from
    what is stored (new ones included), and the departures (stored pupils of the group's schools
    absent from its records), by id.
    """

    pupils: frozenset[str] = frozenset()
    guardians: frozenset[str] = frozenset()
    departures: tuple[str, ...] = ()

    @property
    def nothing(self) -> bool:
        """Whether the group changes nothing stored (no change, no departure)."""
        return not (self.pupils or self.guardians or self.departures)


def compare_records(
    records: DirectoryRecords,
    stored_pupil: Callable[[str], PupilFields | None],
    stored_guardians: Callable[[str], Collection[str]],
    stored_guardian: Callable[[str], GuardianFields | None],
    stored_in_schools: Iterable[str],
) -> RecordChanges:
    """`Directory.differing` over stored records read one by one (the in-memory storage's way;
    a database does the same set-wise): `stored_pupil`, `stored_guardians` (the responsable ids
    linked to a pupil) and `stored_guardian` (None without an account) read what is stored,
    `stored_in_schools` lists the stored pupils of the group's schools.
    """
    staged_links: defaultdict[str, set[str]] = defaultdict(set)
    for sid, rid in records.links:
        staged_links[sid].add(rid)
    pupils = {
        fields[0]
        for fields in records.pupils
        if stored_pupil(fields[0]) != fields
        or set(stored_guardians(fields[0])) != staged_links.get(fields[0], set())
    }
    guardians = {fields[0] for fields in records.guardians if stored_guardian(fields[0]) != fields}
    ours = {fields[0] for fields in records.pupils}
    departures = sorted(sid for sid in stored_in_schools if sid not in ours)
    return RecordChanges(frozenset(pupils), frozenset(guardians), tuple(departures))
