"""The delta path of `integrate_feed` (`services.delta`, `Directory.differing`) against the full
path (`delta=False`): after any sequence of feeds and of what else writes the directory, both
store the same thing, report the same counts and write the same audit entries.

A sequence mixes new runs drawn from small pools (so pupils move between schools and groups,
links come and go, guardians appear and disappear, records are spoiled and rejected), the same
run again, the previous run with one edit (a name, a birth date, an e-mail, a mobile, a class, a
pupil or a link removed), account merges, an ONDE-like integration of one school, and
birth-date locks for a corrected date to lift. It runs on the in-memory storage and on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.feed.test_feed_groups import NAMES, UAIS, Records, counts, fail_birth_dates, runs

from educonnect_aaf import AafRecord
from educonnect_aaf.integration import integrate_feed
from educonnect_aaf.writer import guardian_record, pupil_record, school_record, write_run
from educonnect_core import (
    DirectorySnapshot,
    GuardianLink,
    IntegrationReport,
    Responsable,
    School,
    SchoolClass,
    Student,
)
from educonnect_core.ports import Storage
from educonnect_core.services.delta import close_changes
from educonnect_core.services.merge import absorb
from educonnect_core.testing import World, in_memory_world
from educonnect_sql import SqlStorage

GUARDIANS = [f"R{k}" for k in range(12)]
MOBILES = ("0601020304", "0611223344")
EDITS = (
    "first_name",
    "birth_date",
    "surname",
    "email",
    "mobile",
    "no_class",
    "one_guardian",
    "departure",
)

Event = tuple[Any, ...]
#: Each example integrates several runs twice, on SQLite too: a quarter of the profile's
#: examples (50 under ``ci``, 25 at least), each mutation of the fingerprint tried was caught at 25.
EXAMPLES = max(25, settings().max_examples // 4)


@st.composite
def feeds(draw: st.DrawFn) -> Records:
    """A run of `runs()`, some guardians with a mobile."""
    records = draw(runs())
    guardians = []
    for record in records["PersRelEleve"]:
        mobile = draw(st.sampled_from((None, *MOBILES)))
        attributes = dict(record.attributes)
        if mobile is not None:
            attributes["ENTPersRelEleveTelMobile"] = (mobile,)
        guardians.append(attrs.evolve(record, attributes=attributes))
    return {**records, "PersRelEleve": guardians}


@st.composite
def family_feeds(draw: st.DrawFn) -> Records:
    """A run of up to six families (guardians R2f and R2f+1, pupils E2f and E2f+1) spread over
    the three schools, mostly eligible and apart from each other, so that most records stay
    as they were from one run to the next and the delta path leaves them out.
    """
    schools = {uai: School.create(uai, f"ECOLE {uai}") for uai in UAIS}
    classes = [
        SchoolClass.create(f"K{uai[-2:]}{j}", uai, f"CLASSE {j}") for uai in UAIS for j in (0, 1)
    ]
    pupils, guardians = [], []
    for family in draw(st.lists(st.integers(0, 5), min_size=1, max_size=6, unique=True)):
        ids = draw(st.sampled_from(((0,), (1,), (0, 1))))
        named = [f"R{2 * family + k}" for k in ids]
        guardians += [
            guardian_record(
                Responsable.create(
                    rid,
                    surname=draw(st.sampled_from(NAMES[:2])),
                    first_name="Sam",
                    email=draw(st.sampled_from((None, "a@example.org"))),
                    mobile=draw(st.sampled_from((None, *MOBILES))),
                )
            )
            for rid in named
        ]
        for n in draw(st.sampled_from(((0,), (0, 1)))):
            sid = 2 * family + n
            klass = draw(st.sampled_from(classes))
            student = Student.create(
                f"E{sid}",
                surname="DUPONT",
                first_name=draw(st.sampled_from(NAMES[:2])),
                birth_date=date(2018, 1, 1),
                uai=klass.uai,
                class_id=klass.class_id,
                level="CP",
                ine=draw(st.sampled_from((f"{sid:010d}A",) * 5 + (None,))),
            )
            # Now and then a pupil names another family's guardian too.
            extra = draw(st.sampled_from([None] * 5 + GUARDIANS[:4]))
            links = [*named, *([extra] if extra and extra not in named else [])]
            pupils.append(pupil_record(student, f"S{klass.uai}", klass, links))
            if extra and extra not in named:
                guardians.append(
                    guardian_record(Responsable.create(extra, surname="DUPONT", first_name="Sam"))
                )
    seen: dict[str, AafRecord] = {}
    for record in guardians:
        seen.setdefault(record.record_id, record)
    return {
        "EtabEducNat": [school_record(f"S{uai}", school) for uai, school in schools.items()],
        "Eleve": pupils,
        "PersRelEleve": list(seen.values()),
    }


def _edited(records: Records, kind: str, which: int, value: str) -> Records:
    """`records` with one edit of `kind` on the `which`-th record concerned."""
    pupils, guardians = list(records["Eleve"]), list(records["PersRelEleve"])

    def change(items: list[AafRecord], name: str, values: tuple[str, ...]) -> None:
        if items:
            index = which % len(items)
            items[index] = attrs.evolve(
                items[index], attributes={**items[index].attributes, name: values}
            )

    if kind == "first_name":
        change(pupils, "ENTPersonPrenom", (value,))
    elif kind == "birth_date":
        change(pupils, "ENTPersonDateNaissance", (f"0{1 + which % 3}/01/2018",))
    elif kind == "surname":
        change(guardians, "ENTPersonNom", (value,))
    elif kind == "email":
        change(guardians, "ENTPersonMail", ("c@example.org",))
    elif kind == "mobile":
        change(guardians, "ENTPersRelEleveTelMobile", (MOBILES[which % 2],))
    elif kind == "no_class":
        change(pupils, "ENTPersonClasses", ())
    elif kind == "one_guardian" and pupils:
        named = pupils[which % len(pupils)].attributes["ENTEleveAutoriteParentale"]
        change(pupils, "ENTEleveAutoriteParentale", named[:1])
    elif kind == "departure" and pupils:
        pupils.pop(which % len(pupils))
    return {**records, "Eleve": pupils, "PersRelEleve": guardians}


@st.composite
def onde_snapshots(draw: st.DrawFn) -> DirectorySnapshot:
    """One school's complete snapshot, as an ONDE extraction gives it, over the same pools."""
    uai = draw(st.sampled_from(UAIS))
    school_class = SchoolClass.create(f"K{uai[-2:]}0", uai, draw(st.sampled_from(("CP", "CE1"))))
    guardians = [
        Responsable.create(rid, surname=draw(st.sampled_from(NAMES)), first_name="Sam")
        for rid in draw(st.lists(st.sampled_from(GUARDIANS), min_size=1, max_size=2, unique=True))
    ]
    students, links = [], []
    for n in draw(st.lists(st.integers(0, 9), max_size=2, unique=True)):
        students.append(
            Student.create(
                f"E{n}",
                surname="ONDE",
                first_name=draw(st.sampled_from(NAMES)),
                birth_date=date(2018, 1, 1),
                uai=uai,
                class_id=school_class.class_id,
                level="CP",
                ine=f"{n:010d}A",
            )
        )
        links += [GuardianLink(g.responsable_id, f"E{n}") for g in guardians]
    return DirectorySnapshot(
        schools=[School.create(uai, f"ECOLE {uai}")],  # named as the feed names it
        classes=[school_class],
        students=students,
        responsables=guardians,
        links=links,
    )


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """A first run, then up to five events."""
    any_feed = st.one_of(family_feeds(), feeds())
    events: list[Event] = [("feed", draw(any_feed), draw(st.integers(1, 3)))]
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(("feed", "again", "edit", "edit", "merge", "onde", "lock")))
        if kind == "feed":
            events.append(("feed", draw(any_feed), draw(st.integers(1, 3))))
        elif kind == "again":
            events.append(("again", draw(st.integers(1, 3))))
        elif kind == "edit":
            edit = draw(st.sampled_from(EDITS))
            events.append(("edit", edit, draw(st.integers(0, 9)), draw(st.sampled_from(NAMES))))
        elif kind == "merge":
            pair = draw(st.lists(st.sampled_from(GUARDIANS), min_size=2, max_size=2, unique=True))
            events.append(("merge", *pair))
        elif kind == "onde":
            events.append(("onde", draw(onde_snapshots())))
        else:
            events.append(("lock",))
    return events


def stored(world: World) -> tuple[object, ...]:
    """Everything an integration writes: schools, classes, pupils, links, accounts (every
    directory field, state, login, birth-date lock), aliases, and the integration's audit
    entries.
    """
    with world.storage.unit_of_work() as uow:
        directory = uow.directory
        schools = list(directory.schools(None))
        classes = [c for s in schools for c in directory.classes(s.uai)]
        students = list(directory.students_in([s.uai for s in schools]))
        links = list(directory.links_of_students(sorted(s.student_id for s in students)))
        accounts = uow.accounts.get_many(GUARDIANS)
        aliases = uow.accounts.aliases(GUARDIANS)
        audit = [
            (e.action, e.outcome, e.account_id, e.detail)
            for e in uow.audit.entries()
            if e.action in {"INTEGRATE", "BIRTH_DATE_CORRECTED", "MERGE"}
        ]
    people = sorted(
        (
            a.account_id,
            a.login.value,
            a.surname,
            a.first_name,
            a.directory_email,
            a.mobile,
            a.state,
            a.birth_date_failures,
        )
        for a in accounts.values()
    )
    return schools, classes, students, links, people, sorted(aliases.items()), audit


def _apply(
    world: World, event: Event, root: Path, step: int, delta: bool
) -> IntegrationReport | None:
    """Apply `event` to `world`; what an integration reported (None for the other events)."""
    kind = event[0]
    if kind == "feed":
        folder = root / str(step)
        return integrate_feed(world.app, folder, batch_schools=event[-1], delta=delta).report
    if kind == "merge":
        with world.storage.unit_of_work() as uow:
            found = uow.accounts.get_many(event[1:])
            if len(found) == 2:
                survivor, other = found[event[1]], found[event[2]]
                absorb(world.app.runtime, uow, survivor, other, world.clock.now(), how="test")
                uow.commit()
        return None
    if kind == "onde":
        return world.app.integrate(event[1])
    fail_birth_dates(world)
    return None


def _folders(events: list[Event], root: Path) -> list[Event]:
    """Write each run's files (an edit applies to the last run); every run becomes a « feed »."""
    last: Records | None = None
    batch = 1
    out: list[Event] = []
    for step, event in enumerate(events):
        if event[0] in {"feed", "again", "edit"}:
            if event[0] == "feed":
                last, batch = event[1], event[2]
            elif event[0] == "again":
                batch = event[1]
            elif last is not None:
                last = _edited(last, event[1], event[2], event[3])
            assert last is not None
            folder = root / str(step)
            folder.mkdir()
            write_run(folder, last, per_file=3)
            out.append(("feed", batch))
        else:
            out.append(event)
    return out


@contextmanager
def two_worlds(kind: str, root: Path) -> Iterator[tuple[World, World]]:
    """A world for the delta path and one for the full path, on `kind` storage."""
    storages: list[Storage | None] = [None, None]
    if kind == "sqlite":
        storages = [
            SqlStorage.open(f"sqlite:///{root / name}.sqlite3", migrate=True)
            for name in ("delta", "full")
        ]
    try:
        yield (
            in_memory_world(seed=1, storage=storages[0]),
            in_memory_world(seed=1, storage=storages[1]),
        )
    finally:
        for storage in storages:
            if isinstance(storage, SqlStorage):
                storage.close()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
class TestDeltaEqualsFull:
    """Any history leaves the same storage, reports and audit through both paths."""

    @settings(
        max_examples=EXAMPLES,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(histories())
    def test_histories(self, kind: str, events: list[Event]) -> None:
        with TemporaryDirectory() as name:
            root = Path(name)
            steps = _folders(events, root)
            with two_worlds(kind, root) as (delta, full):
                for step, event in enumerate(steps):
                    by_delta = _apply(delta, event, root, step, delta=True)
                    by_full = _apply(full, event, root, step, delta=False)
                    if by_full is not None:
                        assert by_delta is not None
                        assert counts(by_delta) == counts(by_full)
                    assert stored(delta) == stored(full)


class TestFewEdits:
    """A run of families, then the same run with one to three edits: both paths agree (on
    SQLite), while the delta path leaves out most records.
    """

    @settings(
        max_examples=EXAMPLES,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        family_feeds(),
        st.lists(
            st.tuples(st.sampled_from(EDITS), st.integers(0, 9), st.sampled_from(NAMES)),
            min_size=1,
            max_size=3,
        ),
        st.integers(1, 3),
    )
    def test_few_edits(
        self, records: Records, edits: list[tuple[str, int, str]], batch: int
    ) -> None:
        with TemporaryDirectory() as folder:
            root = Path(folder)
            events: list[Event] = [("feed", records, batch)]
            events += [("edit", *edit) for edit in edits]
            steps = _folders(events, root)
            with two_worlds("sqlite", root) as (delta, full):
                for step, event in enumerate(steps):
                    by_delta = _apply(delta, event, root, step, delta=True)
                    by_full = _apply(full, event, root, step, delta=False)
                    assert by_delta is not None
                    assert by_full is not None
                    assert counts(by_delta) == counts(by_full)
                    assert stored(delta) == stored(full)


def _family(surnames: dict[str, str]) -> Records:
    """One school, one pupil E0 whose guardians are `surnames`' ids (their surnames)."""
    uai = UAIS[0]
    school_class = SchoolClass.create("K0", uai, "CP")
    student = Student.create(
        "E0",
        surname="DUPONT",
        first_name="Léa",
        birth_date=date(2018, 1, 1),
        uai=uai,
        class_id="K0",
        level="CP",
        ine="0000000000A",
    )
    guardians = [
        guardian_record(Responsable.create(rid, surname=name, first_name="Sam"))
        for rid, name in surnames.items()
    ]
    return {
        "EtabEducNat": [school_record(f"S{uai}", School.create(uai, f"ECOLE {uai}"))],
        "Eleve": [pupil_record(student, f"S{uai}", school_class, list(surnames))],
        "PersRelEleve": guardians,
    }


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_merged_record_meets_its_survivor(kind: str) -> None:
    """R1 merged into R0, the same feed again: R1's record (new for the storage: its account is
    gone) must be integrated with R0's, which is dropped for it, never instead of it.
    """
    records = _family({"R0": "DUPONT", "R1": "MARTIN"})
    events: list[Event] = [("feed", records, 1), ("merge", "R0", "R1"), ("again", 1)]
    with TemporaryDirectory() as name:
        root = Path(name)
        steps = _folders(events, root)
        with two_worlds(kind, root) as (delta, full):
            for step, event in enumerate(steps):
                by_delta = _apply(delta, event, root, step, delta=True)
                by_full = _apply(full, event, root, step, delta=False)
                if by_full is not None:
                    assert by_delta is not None
                    assert by_full is not None
                    assert counts(by_delta) == counts(by_full)
            assert stored(delta) == stored(full)
            assert delta.account_of("R0").surname == "DUPONT"


class TestFamilies:
    """`close_changes` gives whole families: the connected parts of the links."""

    def test_a_changed_guardian_brings_its_children_and_their_guardians(self) -> None:
        links = [("E0", "R0"), ("E0", "R1"), ("E1", "R1"), ("E1", "R2"), ("E2", "R3")]
        assert close_changes(links, (), {"R0"}) == ({"E0", "E1"}, {"R0", "R1", "R2"})
        assert close_changes(links, {"E2"}, ()) == ({"E2"}, {"R3"})
        assert close_changes(links, (), {"R9"}) == (set(), {"R9"})

    @given(
        st.lists(st.tuples(st.sampled_from("ABCDEF"), st.sampled_from("uvwxyz"))),
        st.sets(st.sampled_from("ABCDEF")),
        st.sets(st.sampled_from("uvwxyz")),
    )
    def test_closed_under_links(
        self, links: list[tuple[str, str]], pupils: set[str], guardians: set[str]
    ) -> None:
        """Every link touching the result has both ends in it, and the seeds are in it."""
        found_pupils, found_guardians = close_changes(links, pupils, guardians)
        assert pupils <= found_pupils
        assert guardians <= found_guardians
        for sid, rid in links:
            assert (sid in found_pupils) == (rid in found_guardians)
