"""Each staged record version holds every field the reader compares (issue 14 item 1 rewrote
how it is built): two records of one pupil or guardian that differ in any one field are both
rejected as conflicting duplicates by `stage_run`, as by `read_aaf1d`; identical ones are kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.feed.test_feed_aaf_rules import base_records, with_attribute, write

from educonnect_aaf import AafRecord, read_aaf1d
from educonnect_aaf.files import find_run
from educonnect_aaf.staging import stage_run

PUPIL_CHANGES = {
    "ENTPersonNom": "AUTRE",
    "ENTPersonPrenom": "Max",
    "ENTPersonDateNaissance": "05/05/2018",
    "ENTPersonClasses": "9001$11$ORDINAIRE$70002$CP A",
    "ENTPersonClasses ": "9001$11$ORDINAIRE$70001$CP B",
    "ENTEleveNiveau": "0000$CE1",
    "ENTEleveINE": "0000000009A",
    "ENTEleveAutoriteParentale": "6000003",
}
GUARDIAN_CHANGES = {
    "ENTPersonNom": "AUTRE",
    "ENTPersonPrenom": "Max",
    "ENTPersonMail": "autre@example.org",
    "ENTPersRelEleveTelMobile": "0611111111",
}


def staged(folder: Path) -> set[tuple[str, str, str]]:
    with stage_run(find_run(folder)) as run:
        return {(r.record, r.field, r.reason) for r in run.rejections}


def read(folder: Path) -> set[tuple[str, str, str]]:
    return {(r.record, r.field, r.reason) for r in read_aaf1d(folder).rejections}


def twice(records: list[AafRecord], name: str | None, value: str) -> None:
    """Append a copy of the first record, with attribute `name` set to `value` (if any)."""
    first = records[0]
    records.append(first if name is None else with_attribute(first, name.strip(), value))


class TestEveryFieldCompared:
    """A difference in any one field makes the two versions conflict, staged or read."""

    @pytest.mark.parametrize("name", sorted(PUPIL_CHANGES))
    def test_pupil(self, tmp_path: Path, name: str) -> None:
        records = base_records()
        twice(records["Eleve"], name, PUPIL_CHANGES[name])
        folder = write(tmp_path, records)
        conflict = ("élève 5000001", "identifier", "élève en double, différent")
        assert conflict in staged(folder)
        assert staged(folder) == read(folder)

    @pytest.mark.parametrize("name", sorted(GUARDIAN_CHANGES))
    def test_guardian(self, tmp_path: Path, name: str) -> None:
        records = base_records()
        twice(records["PersRelEleve"], name, GUARDIAN_CHANGES[name])
        folder = write(tmp_path, records)
        conflict = ("responsable 6000001", "identifier", "responsable en double, différent")
        assert conflict in staged(folder)
        assert staged(folder) == read(folder)

    @pytest.mark.parametrize("kind", ["Eleve", "PersRelEleve"])
    def test_identical_twice_is_kept(self, tmp_path: Path, kind: str) -> None:
        records = base_records()
        twice(records[kind], None, "")
        folder = write(tmp_path, records)
        assert staged(folder) == read(folder) == set()
