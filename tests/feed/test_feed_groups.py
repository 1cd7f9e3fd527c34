"""Integration of a staged feed group by group (`integrate_feed`) against one call of
`EduConnect.integrate` on the whole reading: same stored state, same report, same rejections.

The feeds are drawn from small pools of schools, pupils and guardians, so that two feeds in a row
move pupils between schools (and groups), drop and add links, correct birth dates, and share
guardians between groups; records are spoiled on purpose (conflicting duplicates, bad dates,
missing guardian records) so that protected pupils cross groups too.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from educonnect_aaf import AafRecord, HostileXml, read_aaf1d
from educonnect_aaf.files import find_run
from educonnect_aaf.integration import FeedIntegration, integrate_feed
from educonnect_aaf.staging import FeedGroup, stage_run
from educonnect_aaf.writer import guardian_record, pupil_record, school_record, write_run
from educonnect_core import (
    LEVELS,
    IntegrationReport,
    Responsable,
    School,
    SchoolClass,
    Student,
)
from educonnect_core.domain.values import uai_check_letter
from educonnect_core.testing import World, in_memory_world

PREFIX = "ENT1D_Complet_20250901"
UAIS = tuple(f"{d:07d}{uai_check_letter(f'{d:07d}')}" for d in (1_000_001, 1_000_002, 1_000_003))
NAMES = ("DUPONT", "Léa", "MARTIN", "Zoé")
Records = dict[str, list[AafRecord]]


@st.composite
def runs(draw: st.DrawFn) -> Records:
    """The records of one complete AAF1D run over the shared pools, some of them spoiled."""
    uais = draw(st.lists(st.sampled_from(UAIS), min_size=1, max_size=3, unique=True))
    schools = {uai: School.create(uai, f"ECOLE {uai}") for uai in uais}
    classes = [
        SchoolClass.create(f"K{uai[-2:]}{j}", uai, f"CLASSE {j}")
        for uai in uais
        for j in range(draw(st.integers(1, 2)))
    ]
    guardian_ids = draw(st.lists(st.integers(0, 7), min_size=1, max_size=8, unique=True))
    guardians = [
        Responsable.create(
            f"R{k}",
            surname=draw(st.sampled_from(NAMES)),
            first_name=draw(st.sampled_from(NAMES)),
            email=draw(st.none() | st.sampled_from(("a@example.org", "b@example.fr"))),
        )
        for k in guardian_ids
    ]
    pupils = []
    for n in draw(st.lists(st.integers(0, 9), max_size=10, unique=True)):
        klass = draw(st.sampled_from(classes))
        student = Student.create(
            f"E{n}",
            surname=draw(st.sampled_from(NAMES)),
            first_name=draw(st.sampled_from(NAMES)),
            birth_date=date(2018, 1, draw(st.integers(1, 3))),
            uai=klass.uai,
            class_id=klass.class_id,
            level=draw(st.sampled_from(sorted(LEVELS))),
            ine=draw(st.sampled_from((None, f"{n:010d}A", f"{n:010d}A"))),
        )
        named = draw(st.lists(st.sampled_from(guardian_ids), min_size=1, max_size=2, unique=True))
        pupils.append(pupil_record(student, f"S{klass.uai}", klass, [f"R{k}" for k in named]))
    records: Records = {
        "EtabEducNat": [school_record(f"S{uai}", school) for uai, school in schools.items()],
        "Eleve": pupils,
        "PersRelEleve": [guardian_record(g) for g in guardians],
    }
    spoil = draw(st.lists(st.sampled_from(("drop", "twin", "date")), max_size=2))
    rng = random.Random(draw(st.integers(0, 2**16)))
    for how in spoil:
        if how == "drop" and records["PersRelEleve"]:
            records["PersRelEleve"].pop(rng.randrange(len(records["PersRelEleve"])))
        elif how == "twin" and pupils:
            twin = rng.choice(pupils)
            changed = {**twin.attributes, "ENTPersonPrenom": ("Autre",)}
            pupils.append(attrs.evolve(twin, attributes=changed))
        elif how == "date" and pupils:
            index = rng.randrange(len(pupils))
            spoiled = {**pupils[index].attributes, "ENTPersonDateNaissance": ("31/02/2018",)}
            pupils[index] = attrs.evolve(pupils[index], attributes=spoiled)
    return records


def state(world: World) -> tuple[object, ...]:
    """What is stored, each login without its homonym number (which may differ between one call
    and groups); the pools' names hold no digit.
    """
    with world.storage.unit_of_work() as uow:
        schools = sorted(uow.directory.schools(None), key=lambda s: s.uai)
        students = sorted(
            uow.directory.students_in({s.uai for s in schools}), key=lambda s: s.student_id
        )
        links = sorted(
            uow.directory.links_of_students({s.student_id for s in students}),
            key=lambda k: (k.student_id, k.responsable_id),
        )
        accounts = uow.accounts.get_many([f"R{k}" for k in range(8)])
    rows: list[tuple[object, ...]] = [
        (a.account_id, a.login.value.rstrip("0123456789"), a.state, a.email)
        for a in accounts.values()
    ]
    rows += [
        (a.account_id, a.surname, a.first_name, a.birth_date_failures) for a in accounts.values()
    ]
    assert len({a.login for a in accounts.values()}) == len(accounts)
    return schools, students, links, sorted(rows, key=repr)


def counts(report: IntegrationReport) -> tuple[object, ...]:
    """The report's numbers, and its rejections as a multiset (their order may differ)."""
    numbers = attrs.astuple(attrs.evolve(report, rejected=()), recurse=False)
    return numbers, Counter(report.rejected)


def fail_birth_dates(world: World) -> None:
    """One wrong birth date for every account, so that a corrected date has a lock to lift."""
    with world.storage.unit_of_work() as uow:
        for account in uow.accounts.get_many([f"R{k}" for k in range(8)]).values():
            account.birth_date_failed(world.clock.now(), world.app.policy.birth_date_throttle)
            uow.accounts.update(account)
        uow.commit()


def once(world: World, folder: Path) -> IntegrationReport:
    snapshot, rejections, _ = read_aaf1d(folder)
    return world.app.integrate(snapshot, rejections)


def written(root: Path, name: str, records: Records) -> Path:
    folder = root / name
    folder.mkdir()
    write_run(folder, records, per_file=3)
    return folder


class TestGroupsEqualOneCall:
    """Integrating two successive runs in groups of 1, 2 or 3 schools stores what one call per
    run stores, with the same counts and rejections.
    """

    @given(runs(), runs(), st.integers(1, 3))
    def test_two_runs(self, first: Records, second: Records, batch: int) -> None:
        one, grouped = in_memory_world(seed=1), in_memory_world(seed=1)
        with TemporaryDirectory() as name:
            root = Path(name)
            for index, records in enumerate((first, second)):
                folder = written(root, str(index), records)
                expected = once(one, folder)
                result = integrate_feed(grouped.app, folder, batch_schools=batch)
                assert counts(result.report) == counts(expected)
                assert state(grouped) == state(one)
                fail_birth_dates(one)
                fail_birth_dates(grouped)


class TestReportAddsUp:
    """The summed report counts every guardian of the feed once, whatever the groups."""

    @given(runs(), st.integers(1, 3))
    def test_each_guardian_once(self, records: Records, batch: int) -> None:
        world = in_memory_world(seed=1)
        with TemporaryDirectory() as name:
            folder = written(Path(name), "run", records)
            reading = read_aaf1d(folder)
            report = integrate_feed(world.app, folder, batch_schools=batch).report
        guardians = report.accounts_created + report.accounts_updated
        guardians += report.accounts_unchanged + report.without_account
        assert guardians == len(reading.snapshot.responsables)
        # Every eligible pupil once, except those a rejection keeps as stored.
        protected = {r.protects for r in report.rejected}
        students = reading.snapshot.students
        eligible = [s for s in students if s.eligible and s.student_id not in protected]
        pupils = report.pupils_created + report.pupils_updated + report.pupils_unchanged
        assert pupils == len(eligible)
        assert report.pupils_ineligible == sum(1 for s in students if not s.eligible)


class TestIdempotentAndResumable:
    """Running a feed again changes nothing; a run stopped after its first group is completed by
    running it again.
    """

    @given(runs(), st.integers(1, 2))
    def test_twice_changes_nothing(self, records: Records, batch: int) -> None:
        world = in_memory_world(seed=1)
        with TemporaryDirectory() as name:
            folder = written(Path(name), "run", records)
            integrate_feed(world.app, folder, batch_schools=batch)
            before = state(world)
            again = integrate_feed(world.app, folder, batch_schools=batch)
        assert not again.report.changed
        assert state(world) == before

    @given(runs(), runs())
    def test_interrupted_then_rerun(self, first: Records, second: Records) -> None:
        one, grouped = in_memory_world(seed=1), in_memory_world(seed=1)

        def crash(group: FeedGroup, report: IntegrationReport) -> None:
            raise KeyboardInterrupt

        with TemporaryDirectory() as name:
            root = Path(name)
            once(one, written(root, "first", first))
            integrate_feed(grouped.app, root / "first", batch_schools=1)
            folder = written(root, "second", second)
            once(one, folder)
            with pytest.raises(KeyboardInterrupt):
                integrate_feed(grouped.app, folder, batch_schools=1, on_group=crash)
            integrate_feed(grouped.app, folder, batch_schools=1)
        assert state(grouped) == state(one)


class TestReadBeforeApplied:
    """A hostile file anywhere in the run is refused before the first group is applied."""

    def test_last_file_hostile(self, tmp_path: Path) -> None:
        write_run(tmp_path, _three_schools(), per_file=1)
        last = sorted(tmp_path.glob(f"{PREFIX}_PersRelEleve_*.xml"))[-1]
        last.write_text(
            '<?xml version="1.0"?><!DOCTYPE ficAlimMENESR [<!ENTITY a "aaaa">]>'
            "<ficAlimMENESR>&a;</ficAlimMENESR>"
        )
        world = in_memory_world()
        applied: list[int] = []
        with pytest.raises(HostileXml):
            integrate_feed(
                world.app, tmp_path, batch_schools=1, on_group=lambda g, r: applied.append(g.index)
            )
        assert applied == []
        with world.storage.unit_of_work() as uow:
            assert list(uow.directory.schools(None)) == []


def _three_schools() -> Records:
    schools = [School.create(uai, f"ECOLE {uai}") for uai in UAIS]
    classes = [SchoolClass.create(f"K{i}", s.uai, "CP") for i, s in enumerate(schools)]
    pupils = [
        pupil_record(
            Student.create(
                f"E{i}",
                surname="DUPONT",
                first_name="Léa",
                birth_date=date(2018, 1, 1),
                uai=k.uai,
                class_id=k.class_id,
                level="CP",
                ine=f"{i:010d}A",
            ),
            f"S{k.uai}",
            k,
            ["R0", f"R{i + 1}"],
        )
        for i, k in enumerate(classes)
    ]
    guardians = [
        guardian_record(Responsable.create(f"R{k}", surname="DUPONT", first_name="Sam"))
        for k in range(5)
    ]
    return {
        "EtabEducNat": [school_record(f"S{s.uai}", s) for s in schools],
        "Eleve": pupils,
        "PersRelEleve": guardians,
    }


class TestGroups:
    """The staged run gives one complete snapshot per group of schools, a guardian shared by
    several groups in each of them, and the guardians no pupil names at the end.
    """

    def test_layout(self, tmp_path: Path) -> None:
        write_run(tmp_path, _three_schools())
        with stage_run(find_run(tmp_path), batch_schools=2) as staged:
            groups = list(staged.groups())
        shape = [
            (
                [s.uai.value for s in g.snapshot.schools],
                [s.student_id for s in g.snapshot.students],
                [r.responsable_id for r in g.snapshot.responsables],
                g.repeated,
            )
            for g in groups
        ]
        assert shape == [
            (list(UAIS[:2]), ["E0", "E1"], ["R0", "R1", "R2"], ()),
            ([UAIS[2]], ["E2"], ["R0", "R3"], ("R0",)),
            ([], [], ["R4"], ()),
        ]
        assert all(g.snapshot.complete for g in groups)

    def test_shared_guardian_counted_once(self, tmp_path: Path) -> None:
        write_run(tmp_path, _three_schools())
        world = in_memory_world()
        result = integrate_feed(world.app, tmp_path, batch_schools=1)
        assert isinstance(result, FeedIntegration)
        assert (result.groups, result.repeated_guardians) == (4, 2)
        report = result.report
        # R0..R3 have an eligible child (R0 three), R4 none: 4 created, 1 without account.
        assert (report.accounts_created, report.without_account) == (4, 1)
        assert report.accounts_unchanged == 0
