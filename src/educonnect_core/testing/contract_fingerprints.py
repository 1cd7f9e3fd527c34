"""The storage contract for `Directory.differing`: a feed group's fingerprints compared with what
is stored. Folded into `StorageContract`.

What it proves: records equal to what is stored are not reported; a change of any one field of a
pupil (its class's school and name included, as the stored class has them), of its set of legal
guardians, or of a guardian's directory fields is; a pupil or guardian that is not stored is (a
merged record included); departures are exactly the stored pupils of the group's schools that the
records do not hold, by id; the unit of work's own uncommitted writes count as stored.
"""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from educonnect_core.domain.account import Account
from educonnect_core.domain.directory import (
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
)
from educonnect_core.domain.fingerprints import (
    DirectoryRecords,
    GuardianFields,
    PupilFields,
    RecordChanges,
    account_fields,
    pupil_fields,
)
from educonnect_core.domain.values import Ine, Level, Uai
from educonnect_core.ports import Storage
from educonnect_core.testing.contract_base import _Base, account, fresh_uai, student

__all__ = ["FingerprintContract"]

#: A value of each field of `PupilFields` (by index, the id aside) that no example stores.
_OTHER_PUPIL: dict[int, object] = {
    1: "9999999Z",
    2: "AUTRE",
    3: "Autre",
    4: "2017-01-02",
    5: "C9",
    6: "8888888Y",
    7: "CE2 Z",
    8: "CM2",
    9: "9999999999Z",
    10: "the other of admitted or not",
}
_OTHER_GUARDIAN: dict[int, object] = {
    1: "AUTRE",
    2: "Autre",
    3: "autre@example.org",
    4: "0799999999",
}


class _World:
    """One school, one class, two pupils (one in the class with two guardians, one with no class,
    level nor INE, not admitted) and the accounts of both guardians, as stored.
    """

    def __init__(self) -> None:
        self.uai = fresh_uai()
        self.other_uai = fresh_uai()
        self.school_class = SchoolClass("C1", self.uai, "CP A")
        self.first = student("E1", self.uai, class_id="C1", level=Level("CP"))
        self.second = student(
            "E2", self.uai, level=None, ine=None, admitted=False, birth_date=date(2019, 2, 3)
        )
        self.elsewhere = student("E3", self.other_uai, ine=Ine("0000000003C"))
        self.accounts: tuple[Account, ...] = (
            account("R1", "jean.dupont", email="jean@example.org", mobile="0601020304"),
            account("R2", "marie.durand", surname="DURAND", first_name="Marie"),
        )

    def store(self, storage: Storage) -> None:
        """Commit the world."""
        with storage.unit_of_work() as uow:
            uow.directory.put_schools(
                [School(self.uai, "ECOLE A"), School(self.other_uai, "ECOLE B")]
            )
            uow.directory.put_classes([self.school_class])
            uow.directory.put_students([self.first, self.second, self.elsewhere])
            uow.directory.add_links([GuardianLink("R1", "E1"), GuardianLink("R2", "E1")])
            for item in self.accounts:
                uow.accounts.add(item)
            uow.commit()

    def pupils(self) -> list[PupilFields]:
        """The fingerprints of the school's pupils, as stored."""
        return [pupil_fields(self.first, self.school_class), pupil_fields(self.second, None)]

    def guardians(self) -> list[GuardianFields]:
        """The fingerprints of the guardians, as stored."""
        return [account_fields(a) for a in self.accounts]

    def records(
        self,
        pupils: list[PupilFields] | None = None,
        links: list[tuple[str, str]] | None = None,
        guardians: list[GuardianFields] | None = None,
    ) -> DirectoryRecords:
        """The school's records, equal to what is stored unless given."""
        return DirectoryRecords(
            pupils=self.pupils() if pupils is None else pupils,
            links=[("E1", "R1"), ("E1", "R2")] if links is None else links,
            guardians=self.guardians() if guardians is None else guardians,
        )


def _differing(storage: Storage, records: DirectoryRecords, uais: list[Uai]) -> RecordChanges:
    with storage.unit_of_work() as uow:
        return uow.directory.differing(records, uais)


def _replace(fields: tuple[object, ...], index: int, value: object) -> tuple[object, ...]:
    return (*fields[:index], value, *fields[index + 1 :])


class FingerprintContract(_Base):
    """`Directory.differing` reports exactly the records that differ from what is stored."""

    def test_records_equal_to_what_is_stored_are_not_reported(self, storage: Storage) -> None:
        """The stored world, fingerprinted, differs in nothing (empty fields included)."""
        world = _World()
        world.store(storage)
        found = _differing(storage, world.records(), [world.uai])
        assert found == RecordChanges()
        assert found.nothing

    @pytest.mark.parametrize("index", sorted(_OTHER_PUPIL))
    @pytest.mark.parametrize("pupil", [0, 1])
    def test_any_field_of_a_pupil_changed_is_reported(
        self, storage: Storage, index: int, pupil: int
    ) -> None:
        """One field of one pupil's fingerprint changed: that pupil, and only it, differs."""
        world = _World()
        world.store(storage)
        pupils = world.pupils()
        value = not pupils[pupil][10] if index == 10 else _OTHER_PUPIL[index]
        pupils[pupil] = _replace(pupils[pupil], index, value)  # type: ignore[assignment]
        found = _differing(storage, world.records(pupils=pupils), [world.uai])
        assert found == RecordChanges(pupils=frozenset({pupils[pupil][0]}))

    @pytest.mark.parametrize(
        "links",
        [
            [("E1", "R1")],
            [("E1", "R1"), ("E1", "R2"), ("E1", "R3")],
            [("E1", "R1"), ("E1", "R3")],
            [("E1", "R1"), ("E1", "R2"), ("E2", "R1")],
        ],
    )
    def test_a_pupil_whose_guardians_changed_is_reported(
        self, storage: Storage, links: list[tuple[str, str]]
    ) -> None:
        """A guardian removed, added or replaced: the pupil concerned differs."""
        world = _World()
        world.store(storage)
        found = _differing(storage, world.records(links=links), [world.uai])
        changed = {sid for sid, _ in set(links) ^ {("E1", "R1"), ("E1", "R2")}}
        assert found == RecordChanges(pupils=frozenset(changed))

    def test_a_class_changed_in_the_store_is_reported(self, storage: Storage) -> None:
        """The pupil's class renamed, or stored under another school, since: the pupil differs."""
        world = _World()
        world.store(storage)
        for changed in (
            SchoolClass("C1", world.uai, "CP B"),
            SchoolClass("C1", world.other_uai, "CP A"),
        ):
            with storage.unit_of_work() as uow:
                uow.directory.put_classes([changed])
                uow.commit()
            found = _differing(storage, world.records(), [world.uai])
            assert found == RecordChanges(pupils=frozenset({"E1"}))

    @pytest.mark.parametrize("index", sorted(_OTHER_GUARDIAN))
    def test_any_field_of_a_guardian_changed_is_reported(
        self, storage: Storage, index: int
    ) -> None:
        """A guardian's name, e-mail or mobile differs (given or taken away): it differs."""
        world = _World()
        world.store(storage)
        for position in (0, 1):
            guardians = world.guardians()
            value = _OTHER_GUARDIAN[index]
            if index >= 3 and guardians[position][index] is not None:
                value = None  # an e-mail or mobile taken away
            guardians[position] = _replace(guardians[position], index, value)  # type: ignore[assignment]
            found = _differing(storage, world.records(guardians=guardians), [world.uai])
            assert found == RecordChanges(guardians=frozenset({guardians[position][0]}))

    def test_new_records_and_merged_guardians_are_reported(self, storage: Storage) -> None:
        """A pupil or a guardian that is not stored differs; so does a merged account's record."""
        world = _World()
        world.store(storage)
        new_pupil = pupil_fields(student("E9", world.uai), None)
        new_guardian: GuardianFields = ("R9", "NOUVEAU", "Paul", None, None)
        records = world.records(
            pupils=[*world.pupils(), new_pupil], guardians=[*world.guardians(), new_guardian]
        )
        found = _differing(storage, records, [world.uai])
        assert found == RecordChanges(frozenset({"E9"}), frozenset({"R9"}))
        with storage.unit_of_work() as uow:
            merged = uow.accounts.get("R2")
            assert merged is not None
            uow.accounts.merge_into(merged, "R1")
            uow.commit()
        found = _differing(storage, world.records(), [world.uai])
        assert found == RecordChanges(guardians=frozenset({"R2"}))

    def test_departures_are_the_stored_pupils_of_the_schools_not_in_the_records(
        self, storage: Storage
    ) -> None:
        """Pupils absent from the records leave, by id; other schools' pupils do not."""
        world = _World()
        world.store(storage)
        found = _differing(storage, world.records(pupils=[], links=[]), [world.uai])
        assert found == RecordChanges(departures=("E1", "E2"))
        records = world.records(pupils=world.pupils()[1:], links=[])
        found = _differing(storage, records, [world.uai])
        assert found == RecordChanges(departures=("E1",))
        both = _differing(storage, world.records(), [world.uai, world.other_uai])
        assert both == RecordChanges(departures=("E3",))
        assert _differing(storage, world.records(), []) == RecordChanges()

    def test_uncommitted_writes_of_the_unit_of_work_count(self, storage: Storage) -> None:
        """Within one unit of work, what it wrote is what records are compared with."""
        world = _World()
        world.store(storage)
        renamed = attrs.evolve(world.first, first_name="Zoé")
        pupils = [pupil_fields(renamed, world.school_class), world.pupils()[1]]
        with storage.unit_of_work() as uow:
            assert uow.directory.differing(world.records(pupils=pupils), [world.uai]) == (
                RecordChanges(pupils=frozenset({"E1"}))
            )
            uow.directory.put_students([renamed])
            account_r1 = uow.accounts.get("R1")
            assert account_r1 is not None
            assert account_r1.update_from_directory(
                Responsable("R1", "DUPONT-MARTIN", "Jean", account_r1.directory_email)
            )
            uow.accounts.update(account_r1)
            found = uow.directory.differing(world.records(pupils=pupils), [world.uai])
        assert found == RecordChanges(guardians=frozenset({"R1"}))
