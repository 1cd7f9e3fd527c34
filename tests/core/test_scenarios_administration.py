"""The detailed guide's table §3.1 « Administration des comptes », one scenario per row, driven
only through the public API on the sample school of `support`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.core.support import (
    AWA,
    CLAIRE,
    CP,
    EMAILS,
    JEAN,
    JEANNE,
    LOGINS,
    MARC,
    UAI,
    notified,
    pupil,
    rentree,
    states,
)

from educonnect_core import (
    MESSAGES,
    AccountState,
    Action,
    ActivationLinkRefused,
    Channel,
    LetterKind,
    Origin,
    Responsable,
    Selection,
    Skip,
    SortColumn,
)
from educonnect_core.domain.policy import add_months

N, D, A, V = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)
WITH_EMAIL = [LOGINS[r] for r in (CLAIRE, AWA, JEANNE)]
WITHOUT_EMAIL = [LOGINS[r] for r in (MARC, JEAN)]


class TestPremiereNotificationRentreeScolaire:
    """« Première notification de comptes — rentrée scolaire »: the population with an address is
    notified by e-mail, the others by paper sheets, then the teacher gets the class list.
    """

    def test_mail_for_those_with_an_address_paper_for_the_others_then_the_class_list(
        self,
    ) -> None:
        scene = rentree()
        admin = scene.admin
        assert set(states(scene, LOGINS.values()).values()) == {N.name}
        assert all(scene.page(login).password == "" for login in LOGINS.values())

        with_email = admin.rows(UAI, Selection(has_email=True))
        assert sorted({r.login for r in with_email.rows}) == sorted(WITH_EMAIL)
        by_mail = admin.notify(UAI, Selection(has_email=True), Channel.EMAIL)
        assert [o.letter for o in by_mail.outcomes] == [LetterKind.C02] * 3
        assert by_mail.messages == (
            "La distribution a été effectuée avec succès pour le(s) compte(s) sélectionné(s).",
        )
        assert by_mail.document is None
        for rid in (CLAIRE, AWA, JEANNE):
            (mail,) = scene.mails_to(EMAILS[rid])
            assert mail.letter.kind is LetterKind.C02
            assert mail.letter.login == LOGINS[rid]
            assert mail.letter.password == scene.page(LOGINS[rid]).password != ""
            assert f"Mot de passe * : {mail.letter.password}" in mail.letter.lines

        by_paper = admin.notify(UAI, Selection(has_email=False), Channel.PAPER)
        assert by_paper.messages == (
            "La distribution a été effectuée avec succès pour le(s) compte(s) sélectionné(s).",
        )
        assert by_paper.document is not None
        (sheets,) = scene.world.renderer.sheets
        assert sorted(s.login for s in sheets) == sorted(WITHOUT_EMAIL)
        assert {s.kind for s in sheets} == {LetterKind.C01}
        assert by_paper.document.content.count(b"\f") == len(sheets) - 1
        for sheet in sheets:
            assert sheet.password == scene.password(sheet.login)
            assert sheet.lines[0] == f"A l’attention de {sheet.recipient}."
        lebrun_marc = next(s for s in sheets if s.login == LOGINS[MARC])
        assert lebrun_marc.children == ("Lina LEBRUN",)

        for login in LOGINS.values():
            account = scene.stored(login)
            assert (account.state, account.origin) == (D, Origin.SCHOOL)
            assert account.distributed_at == scene.now
        assert len(scene.world.mailer.sent) == 3

        class_list = admin.export_pdf(UAI, Selection(class_ids={CP}))
        listing = scene.world.renderer.lists[-1]
        assert listing.class_name == "CP A"
        assert {r.class_id for r in listing.rows} == {CP}
        assert {r.login for r in listing.rows} == {LOGINS[r] for r in (CLAIRE, MARC, AWA, JEANNE)}
        assert class_list.filename.startswith("Educonnect-ListeResponsables-")

        actions = [(e.action, e.outcome) for e in scene.audit() if e.actor == "director:dir-1"]
        assert actions.count(("NOTIFY", "done")) == 5
        assert ("EXPORT", "done") in actions
        scene.assert_no_secret_in_audit()

    def test_mail_to_everybody_skips_the_accounts_without_address_with_the_guides_message(
        self,
    ) -> None:
        scene = rentree()
        report = scene.admin.notify(UAI, Selection(), Channel.EMAIL)
        assert {o.login for o in report.done} == set(WITH_EMAIL)
        assert {(o.login, o.skip) for o in report.not_done} == {
            (login, Skip.NO_EMAIL) for login in WITHOUT_EMAIL
        }
        names = " , ".join(f"{o.listed_name}" for o in report.outcomes if o.skip is Skip.NO_EMAIL)
        assert report.messages[1] == (
            "Aucune adresse mail n'étant renseignée, la distribution par mail est impossible "
            f"pour le(s) responsable(s) suivant(s) (total : 2 compte(s)) : {names}"
        )
        assert MESSAGES[Skip.NO_EMAIL][0].text.format(count=2, names=names) == report.messages[1]
        assert states(scene, WITHOUT_EMAIL) == dict.fromkeys(WITHOUT_EMAIL, N.name)
        assert states(scene, WITH_EMAIL) == dict.fromkeys(WITH_EMAIL, D.name)
        skipped = [e.outcome for e in scene.audit() if e.action == "NOTIFY" and e.outcome != "done"]
        assert skipped == ["skipped: no e-mail"] * 2


class TestEnCoursDAnneeNouveauxArrives:
    """« En cours d’année, pour les nouveaux arrivés »: the new family's account comes with the
    feed, is found and notified alone; nobody else is touched.
    """

    def test_a_new_family_is_notified_unitarily(self) -> None:
        scene = notified()
        scene.world.clock.advance(days=40)
        scene.feed.add_family(
            Responsable.create("r-ines", surname="MARTIN", first_name="Inès"),
            pupil("s-tom", "MARTIN", "Tom", date(2019, 6, 6)),
        )
        integration = scene.integrate()
        assert integration.accounts_created == 1
        assert integration.accounts_unchanged == 5
        before = {login: scene.stored(login) for login in LOGINS.values()}

        new = scene.admin.rows(UAI, Selection(states={N}))
        assert [(r.login, r.pupil_name) for r in new.rows] == [("i.martin", "Tom MARTIN")]
        report = scene.admin.notify(UAI, ["i.martin"], Channel.PAPER)
        assert [(o.login, o.state_before, o.state_after) for o in report.outcomes] == [
            ("i.martin", N, D)
        ]
        sheets = scene.world.renderer.sheets[-1]
        assert [(s.login, s.kind, s.children) for s in sheets] == [
            ("i.martin", LetterKind.C01, ("Tom MARTIN",))
        ]
        assert sheets[0].password == scene.password("i.martin")
        assert {login: scene.stored(login) for login in LOGINS.values()} == before
        assert scene.stored("i.martin").distributed_at == scene.now


class TestSuivreLAvancement:
    """« Suivre l’avancement de l’activation »: the statistics and the list by state agree with a
    recount of what the guardians did.
    """

    def test_statistics_and_list_by_state_follow_the_activations(self) -> None:
        scene = notified()
        scene.activate(LOGINS[CLAIRE])
        scene.activate(LOGINS[AWA])
        scene.first_connection(LOGINS[JEANNE])
        expected = {
            LOGINS[CLAIRE]: V,
            LOGINS[AWA]: V,
            LOGINS[JEANNE]: A,
            LOGINS[MARC]: D,
            LOGINS[JEAN]: D,
        }
        for state in AccountState:
            rows = scene.admin.rows(UAI, Selection(states={state}, sort=SortColumn.LOGIN))
            assert {r.login for r in rows.rows} == {k for k, v in expected.items() if v is state}

        stats = scene.admin.recount_statistics(UAI)
        assert stats.computed_at == scene.now
        summary = stats.summary
        assert summary.accounts == 5
        assert dict(summary.by_state) == {N: 0, D: 2, A: 1, V: 2}
        assert summary.percent_activated == 40.0
        # Pupils here: Lina (Claire ✓), Hugo (Claire ✓), Moussa (Awa ✓), Léo (Jean), Emma (Jeanne).
        assert (summary.pupils, summary.pupils_with_activated_guardian) == (5, 3)
        assert summary.percent_pupils_with_activated_guardian == 60.0
        by_class = {line.label: line for line in stats.by_class}
        # CP A: Lina (Claire, Marc), Moussa (Awa), Emma (Jeanne); CE1 B: Hugo (Claire), Léo (Jean).
        assert (by_class["CP A"].accounts, by_class["CP A"].activated) == (4, 2)
        assert (by_class["CE1 B"].accounts, by_class["CE1 B"].activated) == (2, 1)
        assert by_class["Total"].accounts == 6 > summary.accounts
        levels = [line.label for line in stats.by_level]
        assert levels == ["CP", "CE1", "Total"]


class TestAvantLEcheanceDesTroisMois:
    """« Avant l’échéance des 3 mois »: the reminder list shows who has not activated and when
    their 3 months end; re-notifying restarts them, resending the activation replaces the link.
    """

    def test_reminders_then_renotify_and_resend(self) -> None:
        scene = notified()
        start = scene.now
        scene.activate(LOGINS[CLAIRE])
        scene.world.clock.advance(days=10)
        scene.first_connection(LOGINS[AWA])
        old_token = scene.token(EMAILS[AWA])
        scene.world.clock.advance(days=60)

        reminders = scene.admin.reminders(UAI)
        assert [r.login for r in reminders] == sorted(LOGINS[r] for r in (MARC, AWA, JEAN, JEANNE))
        deadline = add_months(start, 3).date()
        assert {r.deadline for r in reminders} == {deadline} == {date(2025, 12, 1)}
        suggested = {r.login: r.suggested for r in reminders}
        assert suggested[LOGINS[AWA]] is Action.RESEND_ACTIVATION_EMAIL
        assert {suggested[LOGINS[r]] for r in (MARC, JEAN, JEANNE)} == {Action.NOTIFY}
        assert scene.admin.reminders(UAI, within=timedelta(days=20)) == []
        assert len(scene.admin.reminders(UAI, within=timedelta(days=30))) == 4

        waiting = [r.login for r in reminders if r.suggested is Action.NOTIFY]
        report = scene.admin.notify(UAI, waiting, Channel.PAPER)
        assert {o.letter for o in report.outcomes} == {LetterKind.C01}
        assert all(o.state_after is D and not o.password_reset for o in report.outcomes)
        passwords = {s.login: s.password for s in scene.world.renderer.sheets[-1]}
        assert passwords == {login: scene.password(login) for login in waiting}

        resent = scene.admin.resend_activation_email(UAI, LOGINS[AWA])
        assert [o.letter for o in resent.outcomes] == [LetterKind.C07]
        assert resent.messages == ("Le mail a été renvoyé.",)
        new_token = scene.token(EMAILS[AWA])
        assert new_token != old_token

        after = {r.login: r for r in scene.admin.reminders(UAI)}
        renewed = add_months(scene.now, 3).date()
        assert {after[login].deadline for login in waiting} == {renewed}
        assert after[LOGINS[AWA]].deadline == deadline

        with pytest.raises(ActivationLinkRefused):
            scene.portal.confirm_email(old_token)
        assert scene.portal.confirm_email(new_token) == LOGINS[AWA]
        assert scene.stored(LOGINS[AWA]).state is V
        assert LOGINS[AWA] not in {r.login for r in scene.admin.reminders(UAI)}
        scene.assert_no_secret_in_audit()
