"""A small school and the helpers the concurrency and crash tests share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from educonnect_core.domain.directory import (
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Student,
)
from educonnect_core.domain.records import Director
from educonnect_core.domain.values import Uai
from educonnect_core.ports import Storage, UnitOfWork
from educonnect_core.testing.wrapping import DelegatingUnitOfWork

UAI = "0999901Z"
DIRECTOR = Director("d1", {Uai(UAI)})


def snapshot(guardians: int, *, surname: str = "LEBRUN", email: bool = True) -> DirectorySnapshot:
    """A school of `guardians` guardians, each with one pupil (e-mail addresses optional)."""
    school = School.create(UAI, "ECOLE LES TILLEULS")
    school_class = SchoolClass.create("70001", UAI, "CP A")
    students, responsables, links = [], [], []
    for i in range(guardians):
        students.append(
            Student.create(
                f"E{i:04d}",
                surname=f"ELEVE{i}",
                first_name="Lina",
                birth_date=date(2018, 3, 14),
                uai=UAI,
                class_id="70001",
                level="CP",
                ine=f"{i:010d}A",
            )
        )
        responsables.append(
            Responsable.create(
                f"R{i:04d}",
                surname=surname,
                first_name=f"Claire{i}",
                email=f"claire{i}@example.org" if email else None,
            )
        )
        links.append(GuardianLink(f"R{i:04d}", f"E{i:04d}"))
    return DirectorySnapshot([school], [school_class], students, responsables, links)


class GatedStorage:
    """A storage whose first commit waits for `gate()` (to line up two writers)."""

    def __init__(self, inner: Storage, gate: Callable[[], Any]) -> None:
        self.inner = inner
        self.gate = gate
        self.fired = False

    def unit_of_work(self) -> GatedUnitOfWork:
        return GatedUnitOfWork(self, self.inner.unit_of_work())


class GatedUnitOfWork(DelegatingUnitOfWork):
    """Delegates everything; `commit` passes the gate first (once per storage)."""

    def __init__(self, storage: GatedStorage, inner: UnitOfWork) -> None:
        super().__init__(inner)
        self.storage = storage

    def commit(self) -> None:
        if not self.storage.fired:
            self.storage.fired = True
            self.storage.gate()
        self.inner.commit()
