"""Properties of AAF1D feeds built by hypothesis, written to files, read back and integrated."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

import attrs
from hypothesis import given
from hypothesis import strategies as st

from educonnect_aaf import AafRecord, read_aaf1d
from educonnect_aaf.writer import guardian_record, pupil_record, school_record, write_run
from educonnect_core import (
    LEVELS,
    AccountState,
    Channel,
    Director,
    DirectorySnapshot,
    Email,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Selection,
    Student,
    Uai,
)
from educonnect_core.domain.values import uai_check_letter
from educonnect_core.services.portal import named_child
from educonnect_core.testing import World, in_memory_world

NAMES = ("DUPONT", "Léa", "N'DIAYE", "LE GOFF", "Œdipe", "Zoé", "Jean-Luc", "NGUYỄN")


@attrs.frozen
class Feed:
    """A generated feed: the snapshot it stands for and the school record ids."""

    snapshot: DirectorySnapshot
    school_ids: dict[Uai, str]

    def records(self) -> dict[str, list[AafRecord]]:
        classes = {c.class_id: c for c in self.snapshot.classes}
        guardians: dict[str, list[str]] = {}
        for link in self.snapshot.links:
            guardians.setdefault(link.student_id, []).append(link.responsable_id)
        return {
            "EtabEducNat": [
                school_record(self.school_ids[s.uai], s) for s in self.snapshot.schools
            ],
            "Eleve": [
                pupil_record(
                    s,
                    self.school_ids[s.uai],
                    classes.get(s.class_id or ""),
                    guardians.get(s.student_id, []),
                )
                for s in self.snapshot.students
            ],
            "PersRelEleve": [guardian_record(r) for r in self.snapshot.responsables],
        }


@st.composite
def feeds(draw: st.DrawFn, prefix: str = "") -> Feed:
    digits = draw(st.lists(st.integers(0, 9_999_999), min_size=1, max_size=2, unique=True))
    schools = [
        School.create(f"{d:07d}{uai_check_letter(f'{d:07d}')}", f"ECOLE {d}") for d in digits
    ]
    classes = [
        SchoolClass.create(
            f"{prefix}K{i}{j}", s.uai, draw(st.sampled_from(("CP A", "CE1-CE2", "CM2")))
        )
        for i, s in enumerate(schools)
        for j in range(draw(st.integers(1, 2)))
    ]
    guardians = [
        Responsable.create(
            f"{prefix}R{k}",
            surname=draw(st.sampled_from(NAMES)),
            first_name=draw(st.sampled_from(NAMES)),
            email=draw(st.none() | st.sampled_from(("a@example.org", "b.c@example.fr"))),
            mobile=draw(st.none() | st.just("0612345678")),
        )
        for k in range(draw(st.integers(1, 6)))
    ]
    students, links = [], []
    for n in range(draw(st.integers(1, 8))):
        klass = draw(st.sampled_from(classes))
        students.append(
            Student.create(
                f"{prefix}E{n}",
                surname=draw(st.sampled_from(NAMES)),
                first_name=draw(st.sampled_from(NAMES)),
                birth_date=draw(st.dates(date(2013, 1, 1), date(2023, 12, 31))),
                uai=klass.uai,
                class_id=klass.class_id,
                level=draw(st.sampled_from(sorted(LEVELS))),
                ine=draw(st.none() | st.just(f"{n:010d}A")),
            )
        )
        chosen = draw(st.lists(st.sampled_from(guardians), min_size=1, max_size=2, unique=True))
        links += [GuardianLink(g.responsable_id, f"{prefix}E{n}") for g in chosen]
    used = {s.class_id for s in students}
    snapshot = DirectorySnapshot(
        schools=schools,
        classes=[c for c in classes if c.class_id in used],
        students=students,
        responsables=guardians,
        links=links,
    )
    return Feed(snapshot, {s.uai: f"{prefix}S{i}" for i, s in enumerate(schools)})


def read(feed: Feed, *, seed: int = 0, per_file: int = 10_000) -> tuple[DirectorySnapshot, int]:
    """Write the feed (records shuffled with `seed`), read it back."""
    records = feed.records()
    rng = random.Random(seed)
    if seed:
        for found in records.values():
            rng.shuffle(found)
    with TemporaryDirectory() as folder:
        write_run(Path(folder), records, per_file=per_file)
        snapshot, rejections, _ = read_aaf1d(folder)
    assert rejections == ()
    return snapshot, len(rejections)


def normalised(snapshot: DirectorySnapshot) -> tuple[object, ...]:
    return (
        sorted(snapshot.schools, key=lambda s: s.uai),
        sorted(snapshot.classes, key=lambda c: c.class_id),
        sorted(snapshot.students, key=lambda s: s.student_id),
        sorted(snapshot.responsables, key=lambda r: r.responsable_id),
        sorted(snapshot.links, key=lambda k: (k.student_id, k.responsable_id)),
    )


def state(world: World) -> tuple[object, ...]:
    """Everything stored, comparable across worlds."""
    with world.storage.unit_of_work() as uow:
        schools = sorted(uow.directory.schools(None), key=lambda s: s.uai)
        students = sorted(
            uow.directory.students_in({s.uai for s in schools}), key=lambda s: s.student_id
        )
        links = sorted(
            uow.directory.links_of_students({s.student_id for s in students}),
            key=lambda k: (k.student_id, k.responsable_id),
        )
        ids = {k.responsable_id for k in links}
        accounts = sorted(
            (a.account_id, a.login.value, a.state, a.email, a.surname, a.first_name)
            for a in uow.accounts.get_many(ids).values()
        )
    return schools, students, links, accounts


class TestRoundTrip:
    """Reading the AAF files written from a snapshot gives that snapshot back."""

    @given(feeds())
    def test_round_trip(self, feed: Feed) -> None:
        snapshot, _ = read(feed)
        assert normalised(snapshot) == normalised(feed.snapshot)


class TestIdempotence:
    """Integrating the same feed twice changes nothing the second time."""

    @given(feeds())
    def test_twice_equals_once(self, feed: Feed) -> None:
        snapshot, _ = read(feed)
        world = in_memory_world(seed=1)
        world.app.integrate(snapshot)
        once = state(world)
        report = world.app.integrate(snapshot)
        assert not report.changed
        assert state(world) == once


class TestOrderIrrelevant:
    """The order of records and the cut into chunk files do not change what is stored."""

    @given(feeds(), st.integers(1, 2**32), st.integers(1, 4))
    def test_shuffled(self, feed: Feed, seed: int, per_file: int) -> None:
        straight, shuffled = in_memory_world(seed=1), in_memory_world(seed=1)
        straight.app.integrate(read(feed)[0])
        shuffled.app.integrate(read(feed, seed=seed, per_file=per_file)[0])
        assert state(shuffled) == state(straight)


class TestNothingChosenIsLost:
    """An activated guardian keeps the e-mail they chose, their login, password and state across
    any later feed, even one that changes their directory e-mail or drops them.
    """

    @given(feeds(), feeds(), st.data())
    def test_chosen_email_survives(self, first: Feed, second: Feed, data: st.DataObject) -> None:
        world = in_memory_world(seed=1)
        world.app.integrate(read(first)[0])
        with world.storage.unit_of_work() as uow:
            linked = uow.directory.links_of_students(
                {s.student_id for s in first.snapshot.students}
            )
            ids = sorted({k.responsable_id for k in linked})
        if not ids:
            return
        chosen_id = data.draw(st.sampled_from(ids))
        with world.storage.unit_of_work() as uow:
            account = uow.accounts.get(chosen_id)
            assert account is not None
            children = uow.directory.children([chosen_id])[chosen_id]
            uai = children[0].uai
        admin = world.app.administration(Director("d", {s.uai for s in first.snapshot.schools}))
        admin.notify(uai, Selection(), Channel.PAPER)
        password = admin.account(uai, account.login.value).password
        assert password is not None
        portal = world.app.portal()
        portal.first_connection(
            account.login.value,
            password,
            new_password="abc12345",  # noqa: S106 (a test guardian's chosen password)
            email="choisi@example.net",
            birth_date=named_child(children).birth_date,
        )
        token = next(
            line.split("jeton=")[1]
            for line in world.mailer.sent[-1].letter.lines
            if "jeton=" in line
        )
        portal.confirm_email(token)
        world.app.integrate(read(second)[0])
        with world.storage.unit_of_work() as uow:
            after = uow.accounts.get(chosen_id)
        assert after is not None
        assert after.email == Email.parse("choisi@example.net")
        assert (after.login, after.state) == (account.login, AccountState.ACTIVATED)
        assert portal.login(account.login.value, "abc12345") is not None


class TestReportAddsUp:
    """Every guardian is counted once, every eligible pupil once, every link change once."""

    @given(feeds(), feeds())
    def test_counts(self, first: Feed, second: Feed) -> None:
        world = in_memory_world(seed=1)
        for feed in (first, second):
            snapshot, _ = read(feed)
            before = state(world)
            report = world.app.integrate(snapshot)
            guardians = report.accounts_created + report.accounts_updated
            guardians += report.accounts_unchanged + report.without_account
            assert guardians == len(snapshot.responsables)
            eligible = sum(1 for s in snapshot.students if s.eligible)
            pupils = report.pupils_created + report.pupils_updated + report.pupils_unchanged
            assert pupils == eligible
            assert report.pupils_ineligible == len(snapshot.students) - eligible
            old_links = {(k.responsable_id, k.student_id) for k in before[2]}  # type: ignore[attr-defined]
            new_links = {(k.responsable_id, k.student_id) for k in state(world)[2]}  # type: ignore[attr-defined]
            assert report.links_added == len(new_links - old_links)
            assert report.links_removed == len(old_links - new_links)
