"""The statistics page as the guide prints it (issue 10 item 3; guide §6.1, quick guide §7.1): its
worked example reproduced number for number, percentages with up to two decimals, level codes,
the guide's headers, and figures computed nightly or on demand, stored, and dated.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from tests.core.support import CLAIRE, LOGINS, OTHER_UAI, UAI, notified, rentree

from educonnect_core import (
    AccountState,
    Director,
    EduConnect,
    Enrolment,
    Level,
    NotInScope,
    Uai,
    compute_statistics,
    format_percent,
)
from educonnect_core.testing import in_memory_world
from educonnect_core.testing.demo import UAI as DEMO_UAI
from educonnect_core.testing.demo import snapshot

N, D, A, V = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)
PARIS = ZoneInfo("Europe/Paris")

# -- the guide's example (detailed guide §6.1, page 61): school 0311478N ---------------------------

#: Transcribed from the screenshot: label, accounts, not notified, notified, activating, activated,
#: % of accounts activated.
GUIDE_BY_CLASS = [
    ("PSMS", "24", "24", "0", "0", "0", "0 %"),
    ("PS", "27", "25", "1", "0", "1", "3.7 %"),
    ("MSGS", "25", "24", "0", "0", "1", "4 %"),
    ("GS", "28", "28", "0", "0", "0", "0 %"),
    ("CPP", "23", "23", "0", "0", "0", "0 %"),
    ("CPB", "22", "20", "0", "0", "2", "9.09 %"),
    ("CM2B", "28", "27", "0", "1", "0", "0 %"),
    ("CM1/2 D", "25", "25", "0", "0", "0", "0 %"),
    ("CM1", "28", "25", "2", "1", "0", "0 %"),
    ("CE2B", "30", "28", "2", "0", "0", "0 %"),
    ("CE1D", "28", "27", "1", "0", "0", "0 %"),
    ("CE1/2", "25", "25", "0", "0", "0", "0 %"),
]
GUIDE_CLASS_TOTAL = ("Total", "313", "301", "6", "2", "4", "1.28 %")
GUIDE_BY_LEVEL = [
    ("PS", "37", "35", "1", "0", "1", "2.7 %"),
    ("MS", "31", "30", "0", "0", "1", "3.23 %"),
    ("GS", "36", "36", "0", "0", "0", "0 %"),
    ("CP", "45", "43", "0", "0", "2", "4.44 %"),
    ("CE1", "44", "43", "1", "0", "0", "0 %"),
    ("CE2", "38", "36", "2", "0", "0", "0 %"),
    ("CM1", "39", "36", "2", "1", "0", "0 %"),
    ("CM2", "41", "40", "0", "1", "0", "0 %"),
    ("Total", "311", "299", "6", "2", "4", "1.29 %"),
]
GUIDE_SUMMARY = ("238", "230", "5", "1", "2", "0.84 %", "1.27 %")

#: A school that gives those figures. Each entry: how many guardians of that state have children
#: in these (class, level) — one pupil per child, except `COUPLES`, pupils with two guardians.
FAMILIES: list[tuple[AccountState, int, tuple[tuple[str, str], ...]]] = [
    (A, 1, (("CM2B", "CM2"), ("CM1", "CM1"))),
    (D, 1, (("PS", "PS"),)),
    (D, 1, (("CM1", "CM1"),)),
    (D, 1, (("CM1", "CM1"), ("CE2B", "CE2"))),
    (D, 1, (("CE2B", "CE2"),)),
    (D, 1, (("CE1D", "CE1"),)),
    (N, 1, (("CM1", "CM1"), ("CM1/2 D", "CM1"))),
    (N, 1, (("CE1D", "CE1"), ("CE1/2", "CE1"))),
    (N, 20, (("CPB", "CP"), ("GS", "GS"))),
    (N, 23, (("CPP", "CP"), ("CM2B", "CM2"))),
    (N, 25, (("CE2B", "CE2"), ("PS", "PS"))),
    (N, 1, (("CE1D", "CE1"), ("MSGS", "GS"))),
    (N, 1, (("CE1D", "CE1"),)),
    (N, 1, (("CM1/2 D", "CM1"),)),
    (N, 1, (("CM1/2 D", "CM2"),)),
    (N, 1, (("MSGS", "GS"),)),
    (N, 3, (("CE2B", "CE2"),)),
]
#: Pupils with two NOT_NOTIFIED guardians (each guardian has this one child): how many, where.
COUPLES: list[tuple[int, tuple[str, str]]] = [
    (12, ("CM1", "CM1")),
    (12, ("CE1D", "CE1")),
    (5, ("CM1/2 D", "CM1")),
    (6, ("CM1/2 D", "CM2")),
    (8, ("CE1/2", "CE1")),
    (7, ("PSMS", "MS")),
    (8, ("MSGS", "MS")),
    (5, ("PSMS", "PS")),
    (4, ("GS", "GS")),
    (3, ("MSGS", "GS")),
    (4, ("CE1/2", "CE2")),
    (2, ("CM2B", "CM2")),
]


def guide_school() -> list[Enrolment]:
    """The pupils of the example: two activated parents share their CP child in CPB."""
    ids = itertools.count(1)
    pupils: list[Enrolment] = []

    def pupil(place: tuple[str, str], *guardians: tuple[str, AccountState]) -> None:
        class_name, level = place
        pupils.append(
            Enrolment(f"E{next(ids)}", class_name, class_name, Level(level), tuple(guardians))
        )

    def guardian(state: AccountState) -> tuple[str, AccountState]:
        return (f"R{next(ids)}", state)

    mother, father = guardian(V), guardian(V)
    pupil(("PS", "PS"), mother)
    pupil(("MSGS", "MS"), father)
    pupil(("CPB", "CP"), mother, father)
    for state, count, children in FAMILIES:
        for _ in range(count):
            parent = guardian(state)
            for place in children:
                pupil(place, parent)
    for count, place in COUPLES:
        for _ in range(count):
            pupil(place, guardian(N), guardian(N))
    return pupils


class TestTheGuidesExample:
    """Computed from a school like the guide's, the three tables print exactly the guide's
    figures: 238 accounts in the summary, 313 in the class detail, 311 in the level detail.
    """

    def test_every_figure(self) -> None:
        at = datetime(2017, 11, 28, 7, 33, 39, tzinfo=UTC)
        stats = compute_statistics("0311478N", at, guide_school())
        summary, by_class, by_level = stats.tables()
        assert summary.rows == (GUIDE_SUMMARY,)
        assert set(by_class.rows[:-1]) == set(GUIDE_BY_CLASS)
        assert by_class.rows[-1] == GUIDE_CLASS_TOTAL
        assert list(by_level.rows) == GUIDE_BY_LEVEL

    def test_the_guides_headers_and_the_pupils_column_in_the_summary_only(self) -> None:
        summary, by_class, by_level = compute_statistics(
            "0311478N", datetime(2017, 11, 28, tzinfo=UTC), guide_school()
        ).tables()
        assert summary.title == "Synthèse des comptes responsables de la structure"
        assert summary.headers == (
            "Nombre de comptes responsables",
            "Nombre de comptes non notifiés",
            "Nombre de comptes notifiés et non activés",
            "Nombre de comptes en cours d'activation",
            "Nombre de comptes activés",
            "% de comptes resp. avec un compte activé",
            "% d'élèves ayant au moins un resp. avec un compte activé",
        )
        assert by_class.title == "Synthèse des comptes responsables par classe"
        assert by_class.headers == ("Classe", *summary.headers[:-1])
        assert by_level.title == "Synthèse des comptes responsables par niveau"
        assert by_level.headers == ("Niveau", *summary.headers[:-1])
        assert all(len(row) == len(by_class.headers) for row in by_class.rows + by_level.rows)


class TestPercentages:
    """Percentages are printed as the guide prints them: up to two decimals, rounded half up,
    no trailing zero.
    """

    @pytest.mark.parametrize(
        ("part", "whole", "printed"),
        [
            (2, 238, "0.84 %"),
            (1, 11, "9.09 %"),
            (1, 25, "4 %"),
            (1, 27, "3.7 %"),
            (0, 0, "0 %"),
            (3, 3, "100 %"),
            (1, 8, "12.5 %"),
            (1, 200, "0.5 %"),
            (1, 800, "0.13 %"),
        ],
    )
    def test_format(self, part: int, whole: int, printed: str) -> None:
        row = compute_statistics(
            "0311478N",
            datetime(2017, 1, 1, tzinfo=UTC),
            [
                Enrolment(f"E{i}", "C", "C", Level("CP"), ((f"R{i}", V if i < part else N),))
                for i in range(whole)
            ],
        ).summary
        assert format_percent(row.percent_activated) == printed


# -- stored, computed nightly and on demand ----------------------------------------------------


class TestStoredStatistics:
    """Before any computation the page says so in the guide's words; « Calculer les
    statistiques » and the nightly run store figures, shown with their date until the next run.
    """

    def test_never_computed(self) -> None:
        scene = rentree()
        page = scene.admin.statistics(UAI)
        assert not page.computed
        assert page.message == (
            "Les statistiques pour cette structure ne sont pas calculées. "
            "Veuillez cliquez sur le bouton 'Calculer les statistiques'"
        )
        assert page.last_update == "Dernière mise à jour le Non Renseigné"
        tables = page.tables()
        assert [t.rows for t in tables] == [(), (), ()]
        assert [t.message for t in tables] == [
            page.message,
            "Les statistiques pour les classes de la structure ne sont pas calculées. "
            "Veuillez cliquez sur le bouton 'Calculer les statistiques'",
            "Les statistiques pour les niveaux de la structure ne sont pas calculées. "
            "Veuillez cliquez sur le bouton 'Calculer les statistiques'",
        ]

    def test_computed_on_demand_then_shown_as_stored(self) -> None:
        scene = notified()
        computed = scene.admin.compute_statistics(UAI)
        at = scene.now
        scene.world.clock.advance(hours=2)
        scene.activate(LOGINS[CLAIRE])
        page = scene.admin.statistics(UAI)
        assert page.statistics == computed
        assert page.statistics.summary.activated == 0  # as last computed, not as now
        assert scene.admin.recount_statistics(UAI).summary.activated == 1
        local = at.astimezone(scene.world.app.runtime.timezone)
        assert page.last_update == f"Dernière mise à jour le {local:%d-%m-%Y} à {local:%H:%M:%S}"
        assert scene.admin.compute_statistics(UAI).summary.activated == 1

    def test_last_update_in_paris_time(self) -> None:
        world = in_memory_world(seed=1)
        app = EduConnect(
            storage=world.storage,
            mailer=world.mailer,
            renderer=world.renderer,
            clock=world.clock,
            secrets=world.secrets,
            hasher=world.hasher,
            timezone=PARIS,
        )
        app.integrate(snapshot(birth_date_of_tom=date(2019, 2, 8)))
        admin = app.administration(Director("d", {Uai.parse(DEMO_UAI)}))
        world.clock.advance(hours=3, minutes=4, seconds=5)
        admin.compute_statistics(DEMO_UAI)
        local = world.clock.now().astimezone(PARIS)
        assert local.utcoffset() != world.clock.now().utcoffset()
        assert admin.statistics(DEMO_UAI).last_update == (
            f"Dernière mise à jour le {local:%d-%m-%Y} à {local:%H:%M:%S}"
        )

    def test_the_nightly_run_computes_every_school(self) -> None:
        scene = notified()
        other = scene.app.administration(Director("dir-2", {Uai.parse(OTHER_UAI)}))
        assert not other.statistics(OTHER_UAI).computed
        computed = scene.app.compute_all_statistics()
        assert {s.uai for s in computed} == {UAI, OTHER_UAI}
        assert scene.admin.statistics(UAI).statistics == scene.admin.recount_statistics(UAI)
        assert other.statistics(OTHER_UAI).computed

    def test_out_of_scope(self) -> None:
        scene = rentree()
        with pytest.raises(NotInScope):
            scene.admin.compute_statistics(OTHER_UAI)
        assert (
            not scene.app.administration(Director("dir-2", {Uai.parse(OTHER_UAI)}))
            .statistics(OTHER_UAI)
            .computed
        )
