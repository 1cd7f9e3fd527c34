"""The simulated school year of `educonnect_core.testing.simulation` on the in-memory world."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from educonnect_core import AccountState, EduConnect, Origin, Selection
from educonnect_core.testing import RecordingMailer, in_memory_world
from educonnect_core.testing.simulation import MailTap, SchoolYear, SimulationResult, synthetic_feed


def run(seed: int) -> tuple[SimulationResult, EduConnect]:
    world = in_memory_world(seed=seed)
    tap = MailTap(RecordingMailer())
    app = EduConnect(
        storage=world.storage,
        mailer=tap,
        renderer=world.renderer,
        clock=world.clock,
        secrets=world.secrets,
        hasher=world.hasher,
    )
    return SchoolYear(app, world.clock, tap, synthetic_feed(seed), seed=seed).run(), app


class TestSyntheticFeed:
    """The feed has three schools under two directors, shared guardians and one wrong date."""

    def test_shape(self) -> None:
        feed = synthetic_feed(7, pupils=120)
        assert len(feed.snapshot.schools) == 3
        assert [len(d.uais) for d in feed.directors] == [2, 1]
        assert len(feed.snapshot.students) >= 120
        pupil, wrong, true = feed.wrong_birth_date
        assert wrong != true
        feed_dates = {s.student_id: s.birth_date for s in feed.snapshot.students}
        assert feed_dates[pupil] == wrong
        assert {s.student_id: s.birth_date for s in feed.corrected.students}[pupil] == true
        schools_of: dict[str, set[str]] = {}
        school = {s.student_id: s.uai.value for s in feed.snapshot.students}
        for link in feed.snapshot.links:
            schools_of.setdefault(link.responsable_id, set()).add(school[link.student_id])
        assert any(len(uais) > 1 for uais in schools_of.values()), "a guardian across schools"
        assert any(r.email is None for r in feed.snapshot.responsables)


class TestSchoolYear:
    """A year runs end to end, deterministically, and its figures add up."""

    def test_same_seed_same_year(self) -> None:
        first, _ = run(3)
        second, _ = run(3)
        assert first.markdown() == second.markdown()

    def test_the_year_moves_accounts_forward(self) -> None:
        result, app = run(5)
        feed = synthetic_feed(5)
        text = result.markdown()
        assert "date de naissance saisie ne correspond pas" in text
        assert "J+1, date de naissance corrigée" in text
        assert "relance avant l'échéance des 3 mois" in text
        assert "a perdu son mot de passe" in text
        activated_over_time = [s.summary.activated for s in result.statistics[:3]]
        assert activated_over_time[0] <= result.statistics[3].summary.activated
        director = feed.directors[0]
        admin = app.administration(director)
        for uai in director.uais:
            rows = admin.rows(uai, Selection(page_size=0)).rows
            states = {r.state for r in rows}
            assert AccountState.ACTIVATED in states
            assert AccountState.NOT_NOTIFIED not in states, "everyone was notified at the rentrée"
            stats = admin.recount_statistics(uai)
            assert stats.summary.accounts == len({r.account_id for r in rows})
        assert any(d.filename.endswith(".csv") for _, d in result.documents)
        paths = [f"{folder}/{d.filename}" for folder, d in result.documents]
        assert len(paths) == len(set(paths)), "no two documents share a path"


class TestTheFeaturedStory:
    """The README's story happens: the guardian blocked by a wrong birth date is refused, the
    next day's feed corrects the date, and that guardian ends Activé.
    """

    def test_blocked_guardian_ends_activated(self) -> None:
        result, app = run(5)
        feed = synthetic_feed(5)
        pupil = feed.wrong_birth_date[0]
        guardian = next(
            link.responsable_id for link in feed.snapshot.links if link.student_id == pupil
        )
        director = feed.directors[0]
        admin = app.administration(director)
        (row,) = {
            r.login: r
            for uai in director.uais
            for r in admin.rows(uai, Selection(page_size=0)).rows
            if r.account_id == guardian
        }.values()
        lines = [text for _, text in sorted(result.timeline, key=lambda entry: entry[0])]
        mine = [text for text in lines if text.startswith(f"{row.login} :")]
        assert any("première connexion refusée" in text for text in mine), mine
        assert mine[-1] == f"{row.login} : adresse validée, compte activé.", mine
        assert row.state is AccountState.ACTIVATED

    def test_first_connections_are_refused_only_for_the_wrong_date(self) -> None:
        """Guardians type their own child's true date: only guardians of the pupil whose date
        is wrong in the feed are ever refused (children are found by id, not by name).
        """
        result, app = run(5)
        feed = synthetic_feed(5)
        pupil = feed.wrong_birth_date[0]
        ids = {link.responsable_id for link in feed.snapshot.links if link.student_id == pupil}
        logins = set()
        for director in feed.directors:
            admin = app.administration(director)
            for uai in director.uais:
                rows = admin.rows(uai, Selection(page_size=0)).rows
                logins |= {r.login for r in rows if r.account_id in ids}
        refused = {
            text.split(" :")[0] for _, text in result.timeline if "connexion refusée" in text
        }
        assert refused
        assert refused <= logins, (refused, logins)


class TestTimeline:
    """The timeline speaks Paris time and calls the weekly integrations weekly."""

    def test_paris_time_and_weekly(self) -> None:
        result, _ = run(3)
        text = result.markdown(ZoneInfo("Europe/Paris"))
        assert "- 10:20 — Intégration du flux AAF (rentrée)" in text  # 08:20 UTC in September
        assert "quotidienne" not in text
        assert "(hebdomadaire)" in text


class TestSelfServiceInTheYear:
    """The year holds one FranceConnect activation and one merge of a guardian recorded twice
    (issue 13: « the demo's year includes one merge and one FranceConnect activation »).
    """

    def test_the_guardian_recorded_twice_is_merged_across_directors(self) -> None:
        """The second record's account is deleted by an SMS merge: no director lists it after
        the weekly feeds, and the other director's school lists the surviving account.
        """
        result, app = run(5)
        feed = synthetic_feed(5)
        assert feed.recorded_twice is not None
        first, second = feed.recorded_twice
        rows = {
            (uai.value, r.account_id): r.login
            for director in feed.directors
            for uai in director.uais
            for r in app.administration(director).rows(uai, Selection(page_size=0)).rows
        }
        survivor = next(login for (_, aid), login in rows.items() if aid == first)
        assert second not in {aid for _, aid in rows}
        child = next(
            link.student_id for link in feed.snapshot.links if link.responsable_id == second
        )
        school = next(s.uai.value for s in feed.snapshot.students if s.student_id == child)
        assert (school, first) in rows, "the child's school lists the surviving account"
        assert school in {u.value for u in feed.directors[1].uais}, "another director's school"
        merges = [t for _, t in result.timeline if t.startswith(f"{survivor} : regroupement")]
        assert len(merges) == 1, merges
        later = [r.accounts_created for r in result.integrations[1:]]
        assert later
        assert not any(later), "no feed re-creates the deleted account"

    def test_one_franceconnect_activation_then_a_direct_login(self) -> None:
        """One guardian activates with FranceConnect (origin FranceConnect, no password shown)
        and the next day logs straight in with the same identity.
        """
        result, app = run(5)
        feed = synthetic_feed(5)
        lines = [t for _, t in sorted(result.timeline, key=lambda entry: entry[0])]
        (first,) = [t for t in lines if "première connexion FranceConnect (code SMS" in t]
        login = first.split(" :")[0]
        assert f"{login} : connexion FranceConnect, directement sur son compte." in lines
        rows = [
            r
            for director in feed.directors
            for uai in director.uais
            for r in app.administration(director).rows(uai, Selection(logins={login})).rows
        ]
        assert rows
        assert {(r.state, r.origin) for r in rows} == {
            (AccountState.ACTIVATED, Origin.FRANCECONNECT)
        }
