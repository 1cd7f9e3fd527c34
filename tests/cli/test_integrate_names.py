"""`integrate` names the ineligible pupils and the guardians left without an account, shows 50 of
each at most with « … et N autres (tous avec --json) », and lists them all in --json (issue 10
item 9).
"""

from __future__ import annotations

import json
from pathlib import Path

import attrs
from tests.cli.conftest import FEED, cli

from educonnect_aaf import integrate_feed
from educonnect_cli.context import Settings, open_app
from educonnect_cli.demo import write_feed
from educonnect_core import DirectorySnapshot
from educonnect_core.domain.messages import surname_first


def _ineligible(snapshot: DirectorySnapshot, how_many: int) -> tuple[DirectorySnapshot, set[str]]:
    """`snapshot` whose first `how_many` pupils have no INE (ineligible), and the ids of
    the guardians all of whose children are among them (they get no account).
    """
    out = {s.student_id for s in snapshot.students[:how_many]}
    students = [attrs.evolve(s, ine=None) if s.student_id in out else s for s in snapshot.students]
    legal = [link for link in snapshot.links if link.legal]
    kept = {link.responsable_id for link in legal if link.student_id not in out}
    alone = {link.responsable_id for link in legal} - kept
    return attrs.evolve(snapshot, students=students), alone


class TestNamesInTheReport:
    """The report names each ineligible pupil and each guardian left without an account."""

    def test_few_are_all_named(self, tmp_path: Path) -> None:
        snapshot, alone = _ineligible(FEED.corrected, 3)
        assert alone, "the sample gives guardians without account"
        write_feed(snapshot, tmp_path / "feed", "ENT1D_Complet_20250901")
        code, out = cli(tmp_path, "integrate", str(tmp_path / "feed"))
        assert code == 0, out
        for pupil in snapshot.students[:3]:
            name = surname_first(pupil.first_name, pupil.surname)
            assert f"Élève non éligible — {name} ({pupil.student_id})" in out
        people = {r.responsable_id: r for r in snapshot.responsables}
        for rid in alone:
            name = surname_first(people[rid].first_name, people[rid].surname)
            assert f"Responsable sans compte — {name} ({rid})" in out
        assert "autres" not in out

    def test_json_lists_them_all(self, tmp_path: Path) -> None:
        snapshot, alone = _ineligible(FEED.corrected, 3)
        write_feed(snapshot, tmp_path / "feed", "ENT1D_Complet_20250901")
        code, out = cli(tmp_path, "integrate", str(tmp_path / "feed"), "--json")
        assert code == 0, out
        data = json.loads(out)
        assert {sid for sid, _ in data["ineligible_pupils"]} == {
            s.student_id for s in snapshot.students[:3]
        }
        assert {rid for rid, _ in data["guardians_without_account"]} == alone
        assert data["pupils_ineligible"] == 3
        assert data["without_account"] == len(alone)


class TestLongListsAreCountedNotCut:
    """Beyond 50, « … et N autres … (tous avec --json) », and --json has every one."""

    def test_sixty_ineligible_pupils(self, tmp_path: Path) -> None:
        snapshot = FEED.corrected
        template = snapshot.students[0]
        extra = [
            attrs.evolve(template, student_id=f"X{n:03d}", surname=f"HORS{n:03d}", ine=None)
            for n in range(60)
        ]
        write_feed(
            attrs.evolve(snapshot, students=[*snapshot.students, *extra]),
            tmp_path / "feed",
            "ENT1D_Complet_20250901",
        )
        code, out = cli(tmp_path, "integrate", str(tmp_path / "feed"))
        assert code == 0, out
        assert out.count("Élève non éligible — ") == 50
        assert "… et 10 autres élèves non éligibles (tous avec --json)." in out
        code, out = cli(tmp_path, "integrate", str(tmp_path / "feed"), "--json")
        assert len(json.loads(out)["ineligible_pupils"]) == 60


class TestGroupByGroup:
    """Through the bounded-memory path, a guardian without an account in one group who gets one
    in a later group is not named; one without in every group is named once.
    """

    def test_small_groups_agree_with_one_call(self, tmp_path: Path) -> None:
        snapshot, alone = _ineligible(FEED.corrected, 4)
        write_feed(snapshot, tmp_path / "feed", "ENT1D_Complet_20250901")
        with open_app(Settings(db=str(tmp_path / "groups.sqlite3")), create=True) as app:
            grouped = integrate_feed(app, tmp_path / "feed", batch_schools=1).report
        with open_app(Settings(db=str(tmp_path / "one.sqlite3")), create=True) as app:
            whole = app.integrate(snapshot)
        assert grouped.without_account == whole.without_account == len(alone)
        assert sorted(grouped.guardians_without_account) == sorted(whole.guardians_without_account)
        assert sorted(grouped.ineligible_pupils) == sorted(whole.ineligible_pupils)
        assert len(grouped.guardians_without_account) == grouped.without_account


class TestNamesAreDataNotMarkup:
    """Names in the new lists are printed as typed, never read as terminal markup (issue 9
    item 12).
    """

    def test_hostile_names(self, tmp_path: Path) -> None:
        snapshot, alone = _ineligible(FEED.corrected, 2)
        pupil = attrs.evolve(snapshot.students[0], surname="[/]", first_name="[link=x]Noé")
        guardians = [
            attrs.evolve(r, surname="[bold]MARTIN") if r.responsable_id in alone else r
            for r in snapshot.responsables
        ]
        write_feed(
            attrs.evolve(
                snapshot, students=[pupil, *snapshot.students[1:]], responsables=guardians
            ),
            tmp_path / "feed",
            "ENT1D_Complet_20250901",
        )
        code, out = cli(tmp_path, "integrate", str(tmp_path / "feed"))
        assert code == 0, out
        assert f"Élève non éligible — [/] [link=x]Noé ({pupil.student_id})" in out
        assert "Responsable sans compte — [BOLD]MARTIN" in out
        assert "\x1b]8;" not in out
