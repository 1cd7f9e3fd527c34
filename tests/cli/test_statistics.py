"""`educonnect stats` shows the STORED statistics page as the guide does, computes them on demand
(`--calculer`), and `stats-nightly` is the host's nightly job (issue 10 item 3).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.conftest import FEED, UAI, cli

from educonnect_cli.context import Settings, open_app
from educonnect_cli.render import statistics_tables
from educonnect_core import Director, Uai
from educonnect_core.domain.messages import Say
from educonnect_core.domain.statistics import COUNT_HEADERS, PUPILS_HEADER, TITLES

LAST_UPDATE = re.compile(r"Dernière mise à jour le \d\d-\d\d-\d{4} à \d\d:\d\d:\d\d")


def _flat(text: str) -> str:
    """Rich's table output with its borders and line breaks reduced to single spaces."""
    return " ".join(re.sub(r"[│┃┏┓┗┛┡┩└┘━─┳┻╇╈┼┬┴╭╮╰╯|]", " ", text).split())


class TestBeforeAnyComputation:
    """A school never computed shows the guide's « … ne sont pas calculées … » sentences."""

    def test_the_guides_sentences_and_no_figures(self, school: Path) -> None:
        code, out = cli(school, "stats", UAI)
        assert code == 0, out
        for say in (
            Say.STATS_NOT_COMPUTED,
            Say.STATS_NOT_COMPUTED_CLASSES,
            Say.STATS_NOT_COMPUTED_LEVELS,
            Say.LAST_UPDATE_NEVER,
        ):
            assert say.text in out
        assert "--calculer" in out
        assert not LAST_UPDATE.search(out)

    def test_json_says_not_computed(self, school: Path) -> None:
        code, out = cli(school, "stats", UAI, "--json")
        assert code == 0, out
        data = json.loads(out)
        assert data["computed"] is False
        assert data["summary"] is None
        assert data["updated_at"] is None
        assert data["message"] == Say.STATS_NOT_COMPUTED.text

    def test_reading_them_does_not_compute_them(self, school: Path) -> None:
        cli(school, "stats", UAI)
        assert json.loads(cli(school, "stats", UAI, "--json")[1])["computed"] is False


class TestComputeOnDemand:
    """`--calculer` (or `--compute`) stores the figures; later reads show them with the time."""

    def test_compute_then_read_stored(self, school: Path) -> None:
        code, out = cli(school, "stats", UAI, "--calculer")
        assert code == 0, out
        flat = _flat(out)
        for title in TITLES:
            assert title in flat
        assert LAST_UPDATE.search(out)
        assert Say.STATS_NOT_COMPUTED.text not in out
        assert "0 %" in flat, "percentages as the guide prints them"
        code, out = cli(school, "stats", UAI, "--json")
        data = json.loads(out)
        assert data["computed"] is True
        assert data["summary"]["not_notified"] == data["summary"]["accounts"] > 0
        assert LAST_UPDATE.fullmatch(data["last_update"])
        assert data["updated_at"].endswith(("+01:00", "+02:00")), "Paris time"

    def test_stored_figures_stay_until_computed_again(self, school: Path) -> None:
        cli(school, "stats", UAI, "--compute")
        before = json.loads(cli(school, "stats", UAI, "--json")[1])
        code, out = cli(
            school, "notify", UAI, "--all", "--channel", "paper", "--out", str(school / "p"), "-y"
        )
        assert code == 0, out
        assert json.loads(cli(school, "stats", UAI, "--json")[1]) == before
        after = json.loads(cli(school, "stats", UAI, "--calculer", "--json")[1])
        assert after["summary"]["notified"] == after["summary"]["accounts"]
        assert after["summary"] != before["summary"]


class TestTheTablesAreTheGuides:
    """Each table printed has the core's title, the guide's headers, and the core's rows."""

    def test_headers_and_rows(self, school: Path) -> None:
        cli(school, "stats", UAI, "--calculer")
        with open_app(Settings(db=str(school / "base.sqlite3")), read_only=True) as app:
            page = app.administration(Director("d", {Uai.parse(UAI)})).statistics(UAI)
        shown = statistics_tables(page)
        assert [str(grid.title) for grid, _ in shown] == list(TITLES)
        summary = [str(column.header) for column in shown[0][0].columns]
        assert summary == [*COUNT_HEADERS, PUPILS_HEADER]
        for (grid, message), table in zip(shown, page.tables(), strict=True):
            assert [str(c.header) for c in grid.columns] == list(table.headers)
            cells = [[str(cell) for cell in column.cells] for column in grid.columns]
            assert [tuple(row) for row in zip(*cells, strict=True)] == list(table.rows)
            assert message is None
        assert shown[2][0].row_count >= 2, "levels, then Total"


class TestNightly:
    """`stats-nightly` computes and stores every school's statistics."""

    def test_every_school(self, school: Path) -> None:
        code, out = cli(school, "stats-nightly")
        assert code == 0, out
        schools = {s.uai.value for s in FEED.corrected.schools}
        assert f"Statistiques calculées pour {len(schools)} école(s)." in out
        for uai in schools:
            assert json.loads(cli(school, "stats", uai, "--json")[1])["computed"] is True
        code, out = cli(school, "stats-nightly", "--json")
        assert {entry["uai"] for entry in json.loads(out)} == schools
