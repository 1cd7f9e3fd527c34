"""The shared samples (AAF1D illustration, real ONDE extraction) read and integrated end to end,
with the expected counts derived by hand from the files.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from educonnect_aaf import is_synthetic_ine, read_aaf1d, read_feed, read_onde
from educonnect_core import Director, Uai
from educonnect_core.testing import in_memory_world

UAI = "0999901Z"
ONDE_UAI = "0610001V"


@pytest.fixture
def aaf_example(shared: Path) -> Path:
    return shared / "reference" / "aaf" / "aaf1d-example"


@pytest.fixture
def onde_sample(shared: Path) -> Path:
    return shared / "reference" / "aaf" / "onde-csv-sample"


class TestAafIllustration:
    """The AAF1D illustration maps to 1 school, 2 classes, 3 pupils, 4 guardians, 5 legal links."""

    def test_snapshot(self, aaf_example: Path) -> None:
        snapshot, rejections, warnings = read_aaf1d(aaf_example)
        assert (rejections, warnings) == ((), ())
        assert snapshot.complete
        assert [(s.uai.value, s.name) for s in snapshot.schools] == [
            (UAI, "ECOLE ELEMENTAIRE PUBLIQUE-LES TILLEULS")
        ]
        assert {(c.class_id, c.name) for c in snapshot.classes} == {
            ("70001", "CP-CE1 A"),
            ("70002", "CM2 B"),
        }
        pupils = {s.student_id: s for s in snapshot.students}
        assert set(pupils) == {"5000001", "5000002", "5000003"}
        assert pupils["5000002"].ine is None
        assert not pupils["5000002"].eligible
        assert pupils["5000001"].birth_date == date(2019, 3, 14)
        assert pupils["5000003"].level is not None
        assert pupils["5000003"].level.code == "CM2"
        assert pupils["5000003"].class_id == "70002"
        assert {(g.responsable_id, g.student_id) for g in snapshot.links} == {
            ("6000001", "5000001"),
            ("6000002", "5000001"),
            ("6000003", "5000002"),
            ("6000001", "5000003"),
            ("6000004", "5000003"),
        }
        claire = next(r for r in snapshot.responsables if r.responsable_id == "6000001")
        assert (claire.surname, str(claire.email), str(claire.mobile)) == (
            "LEBRUN",
            "claire.lebrun@example.invalid",
            "0600000001",
        )

    def test_integration(self, aaf_example: Path) -> None:
        world = in_memory_world(seed=3)
        reading = read_feed(aaf_example)
        report = world.app.integrate(reading.snapshot, reading.rejections)
        # 6000003's only child (5000002) has no INE: no account for them.
        assert (report.accounts_created, report.without_account) == (3, 1)
        assert (report.pupils_created, report.pupils_ineligible, report.links_added) == (2, 1, 4)
        again = world.app.integrate(reading.snapshot, reading.rejections)
        assert not again.changed
        assert again.accounts_unchanged == 3
        admin = world.app.administration(Director("d", {Uai.parse(UAI)}))
        rows = admin.rows(UAI).rows
        assert len(rows) == 4  # (pupil, guardian) pairs of eligible pupils.


def _onde_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="iso-8859-1", newline="") as stream:
        return list(csv.reader(stream, delimiter=";"))[1:]


class TestOndeSample:
    """The real ONDE extraction gives 247 pupils, 10 classes, 461 guardians and 491 links."""

    def test_counts_derived_from_the_files(self, onde_sample: Path) -> None:
        pupils = _onde_rows(onde_sample / "CSVExtraction-eleves.csv")
        guardians = _onde_rows(onde_sample / "CSVExtraction-responsables.csv")
        people = Counter((row[0], row[2], row[3]) for row in guardians)
        blocks = sum(1 for row in guardians for k in (12, 16, 20) if any(row[k : k + 4]))
        reading = read_onde(onde_sample, uai=ONDE_UAI, school_name="Ecole primaire Emile Zola")
        snapshot = reading.snapshot
        assert len(snapshot.students) == len(pupils) == 247
        assert len(snapshot.classes) == len({row[15] for row in pupils}) == 10
        # 469 rows, 8 guardians on two rows each (one per child): merged into one account each.
        assert len(snapshot.responsables) == len(people) == 461
        assert len(snapshot.links) == blocks == 491
        assert reading.rejections == ()
        assert all(s.ine is not None and is_synthetic_ine(s.ine) for s in snapshot.students)

    def test_integration(self, onde_sample: Path) -> None:
        world = in_memory_world(seed=5)
        reading = read_feed(onde_sample, uai=ONDE_UAI, school_name="Ecole primaire Emile Zola")
        report = world.app.integrate(reading.snapshot, reading.rejections)
        assert (report.accounts_created, report.pupils_created, report.links_added) == (
            461,
            247,
            491,
        )
        assert not world.app.integrate(reading.snapshot, reading.rejections).changed

    def test_without_assumed_ine_nobody_gets_an_account(self, onde_sample: Path) -> None:
        reading = read_onde(
            onde_sample, uai=ONDE_UAI, school_name="Ecole Emile Zola", assume_ine=False
        )
        report = in_memory_world().app.integrate(reading.snapshot, reading.rejections)
        assert (report.accounts_created, report.pupils_ineligible) == (0, 247)
        assert report.without_account == 461

    def test_ids_are_stable_and_independent_of_the_class(
        self, onde_sample: Path, tmp_path: Path
    ) -> None:
        first = read_onde(onde_sample, uai=ONDE_UAI, school_name="Ecole")
        text = (onde_sample / "CSVExtraction-eleves.csv").read_bytes()
        # Next year: every pupil moved up one class (the class column changes).
        moved = text.replace(b'"CE1";"CE1"', b'"CE2";"CE2 B"')
        (tmp_path / "CSVExtraction-eleves.csv").write_bytes(moved)
        (tmp_path / "CSVExtraction-responsables.csv").write_bytes(
            (onde_sample / "CSVExtraction-responsables.csv").read_bytes()
        )
        second = read_onde(tmp_path, uai=ONDE_UAI, school_name="Ecole")
        assert {s.student_id for s in first.snapshot.students} == {
            s.student_id for s in second.snapshot.students
        }
        assert {r.responsable_id for r in first.snapshot.responsables} == {
            r.responsable_id for r in second.snapshot.responsables
        }
