"""What the director reads and does in bulk: the CSV export's rows, the account page, bulk actions
that never abort on one account, and the unit reset against the bulk one.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import cast

import pytest
from tests.core.support import (
    AWA,
    CE1,
    CLAIRE,
    CP,
    EMAILS,
    FATOU,
    JEAN,
    JEANNE,
    LOGINS,
    MARC,
    MOUSSA,
    OTHER_UAI,
    UAI,
    Scene,
    notified,
    pupil,
    rentree,
)

from educonnect_core import (
    CSV_HEADER,
    HIDDEN_PASSWORD,
    MESSAGES,
    AccountState,
    Action,
    ActionNotAllowed,
    AuditEntry,
    Channel,
    Director,
    NotInScope,
    Responsable,
    Selection,
    Skip,
    Uai,
)

N, D, A, V = (
    AccountState.NOT_NOTIFIED,
    AccountState.NOTIFIED,
    AccountState.ACTIVATING,
    AccountState.ACTIVATED,
)
WARNING = (
    "Avertissement : les mots de passe des comptes qui n'étaient pas encore notifiés "
    "n'ont pas été mis à jour."
)


def _csv(scene: Scene, selection: Selection | None = None) -> list[dict[str, str]]:
    document = scene.admin.export_csv(UAI, selection or Selection())
    assert document.media_type == "text/csv"
    assert document.content.startswith("\ufeff".encode())
    text = document.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(CSV_HEADER)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def _mixed(scene: Scene) -> None:
    """Leave Marc NOT_NOTIFIED, Jean NOTIFIED, Jeanne ACTIVATING, Claire and Awa ACTIVATED."""
    others = [LOGINS[r] for r in (CLAIRE, AWA, JEAN, JEANNE)]
    scene.admin.notify(UAI, others, Channel.PAPER)
    scene.activate(LOGINS[CLAIRE])
    scene.activate(LOGINS[AWA])
    scene.first_connection(LOGINS[JEANNE])


class TestCsvExport:
    """One CSV line per (pupil, guardian) pair; the password column is clear while provisional,
    ``******`` once chosen, empty while NOT_NOTIFIED; names and levels as the directory has them.
    """

    def test_password_column_by_state(self) -> None:
        scene = rentree()
        _mixed(scene)
        rows = _csv(scene)
        assert len(rows) == 7 - 1  # Fatou is at the other school.
        by_login = {(r["Identifiant"], r["Prénom de l'élève"]): r for r in rows}
        assert by_login["m.lebrun", "Lina"]["Mot de passe"] == ""
        assert by_login["j.dupont", "Léo"]["Mot de passe"] == scene.password("j.dupont")
        for login, child in (("c.lebrun", "Lina"), ("c.lebrun", "Hugo"), ("a.diallo", "Moussa")):
            assert by_login[login, child]["Mot de passe"] == HIDDEN_PASSWORD
        assert by_login["j.dupont2", "Emma"]["Mot de passe"] == HIDDEN_PASSWORD
        assert by_login["j.dupont", "Léo"] == {
            "RNE": UAI,
            "Ecole": "ECOLE LES TILLEULS",
            "Nom de l'élève": "DUPONT",
            "Prénom de l'élève": "Léo",
            "Niveau de l'élève": "Cours élémentaire 1ère année",
            "Classe de l'élève": "CE1 B",
            "Nom du responsable": "DUPONT",
            "Prénom du responsable": "Jean",
            "Identifiant": "j.dupont",
            "Mot de passe": scene.password("j.dupont"),
        }

    def test_the_class_list_and_its_audit(self) -> None:
        scene = notified()
        rows = _csv(scene, Selection(class_ids={CE1}))
        assert sorted((r["Prénom de l'élève"], r["Identifiant"]) for r in rows) == [
            ("Hugo", "c.lebrun"),
            ("Léo", "j.dupont"),
        ]
        exports = [e for e in scene.audit() if e.action == "EXPORT"]
        assert [(e.outcome, e.detail) for e in exports] == [("done", "rows=2")]
        scene.assert_no_secret_in_audit()

    def test_a_name_looking_like_a_formula_stays_text(self) -> None:
        scene = rentree()
        scene.feed.add_family(
            Responsable.create("r-evil", surname="=HYPERLINK(1)", first_name="+Eve"),
            pupil("s-evil", "@SUM", "-Kid", date(2019, 9, 9)),
        )
        scene.integrate()
        (row,) = [r for r in _csv(scene) if r["Nom de l'élève"].endswith("SUM")]
        assert row["Nom de l'élève"] == "'@SUM"
        assert row["Prénom de l'élève"] == "'-Kid"
        assert row["Nom du responsable"] == "'=HYPERLINK(1)"
        assert row["Prénom du responsable"] == "'+Eve"


class TestAccountPage:
    """The page shows the login, the password as the state allows, the contact data, and the
    children here (with their class) and elsewhere (with UAI and school name).
    """

    def test_children_here_and_elsewhere(self) -> None:
        scene = rentree()
        page = scene.page(LOGINS[AWA])
        assert (page.login, page.name, page.email) == ("a.diallo", "Awa DIALLO", EMAILS[AWA])
        assert page.mobile == "0600000003"
        assert (page.state, page.password, page.distributed_at) == (N, "", None)
        assert [(c.student_id, c.class_name, c.uai) for c in page.children_here] == [
            (MOUSSA, "CP A", UAI)
        ]
        assert [(c.student_id, c.uai, c.school_name) for c in page.children_elsewhere] == [
            (FATOU, OTHER_UAI, "ECOLE DU PARC")
        ]
        assert page.children_elsewhere[0].birth_date == date(2016, 11, 20)
        assert Action.RESET_PASSWORD not in page.actions
        assert Action.RESEND_ACTIVATION_EMAIL not in page.actions

    def test_password_display_follows_the_state(self) -> None:
        scene = rentree()
        _mixed(scene)
        assert scene.page(LOGINS[MARC]).password == ""
        jean = scene.page(LOGINS[JEAN])
        assert jean.password == scene.password(LOGINS[JEAN])
        assert len(jean.password) == 8
        assert scene.page(LOGINS[JEANNE]).password == HIDDEN_PASSWORD
        assert Action.RESEND_ACTIVATION_EMAIL in scene.page(LOGINS[JEANNE]).actions
        claire = scene.page(LOGINS[CLAIRE])
        assert (claire.password, claire.state) == (HIDDEN_PASSWORD, V)
        assert claire.last_login_at == scene.now

    def test_out_of_scope(self) -> None:
        scene = rentree()
        with pytest.raises(NotInScope):
            scene.admin.account(OTHER_UAI, LOGINS[AWA])
        other = scene.app.administration(Director("dir-2", {Uai.parse(OTHER_UAI)}))
        with pytest.raises(NotInScope):
            other.account(OTHER_UAI, LOGINS[JEAN])
        assert other.account(OTHER_UAI, LOGINS[AWA]).children_here[0].student_id == FATOU


class TestBulkActionsNeverAbort:
    """In a bulk action, an account the action cannot apply to is reported with its reason and the
    others are processed all the same.
    """

    def test_bulk_reset_skips_not_notified_with_the_warning(self) -> None:
        scene = rentree()
        _mixed(scene)
        before = scene.stored(LOGINS[MARC])
        old = {login: scene.stored(login).password for login in LOGINS.values()}
        report = scene.admin.reset_passwords(UAI, Selection())
        assert {o.login for o in report.done} == {LOGINS[r] for r in (CLAIRE, AWA, JEAN, JEANNE)}
        assert [(o.login, o.skip) for o in report.not_done] == [
            (LOGINS[MARC], Skip.RESET_NOT_APPLIED)
        ]
        assert report.messages == (
            "Le mot de passe a bien été réinitialisé pour les responsable(s) sélectionné(s).",
            WARNING,
        )
        assert MESSAGES[Skip.RESET_NOT_APPLIED][0].text == WARNING
        assert scene.stored(LOGINS[MARC]) == before
        for outcome in report.done:
            account = scene.stored(outcome.login)
            assert account.provisional
            assert account.password != old[outcome.login]
            assert outcome.state_before is outcome.state_after is account.state
        assert ("director:dir-1", "RESET_PASSWORD", "skipped: not notified") in scene.audit_of(
            LOGINS[MARC]
        )

    def test_bulk_notify_with_reset_notifies_not_notified_without_reset(self) -> None:
        scene = rentree()
        _mixed(scene)
        marc_password = scene.stored(LOGINS[MARC]).password
        report = scene.admin.notify(UAI, Selection(), Channel.PAPER, reset=True)
        assert len(report.done) == 5
        marc = next(o for o in report.outcomes if o.login == LOGINS[MARC])
        assert (marc.state_before, marc.state_after, marc.password_reset) == (N, D, False)
        assert marc.skip is Skip.RESET_NOT_APPLIED
        assert scene.stored(LOGINS[MARC]).password.secret == marc_password.secret  # type: ignore[union-attr]
        assert WARNING in report.messages
        kinds = {o.login: o.letter.name for o in report.outcomes if o.letter}
        assert kinds == {
            LOGINS[MARC]: "C01",
            LOGINS[JEAN]: "C01",
            LOGINS[JEANNE]: "C05",
            LOGINS[CLAIRE]: "C05",
            LOGINS[AWA]: "C05",
        }
        sheets = {s.login: s for s in scene.world.renderer.sheets[-1]}
        assert all(s.password == scene.password(login) for login, s in sheets.items())

    def test_bulk_mail_skips_those_without_address_and_sends_the_others(self) -> None:
        scene = rentree()
        _mixed(scene)
        sent = len(scene.world.mailer.sent)
        report = scene.admin.notify(UAI, list(LOGINS.values()), Channel.EMAIL)
        assert {o.login for o in report.not_done} == {LOGINS[MARC], LOGINS[JEAN]}
        assert {o.skip for o in report.not_done} == {Skip.NO_EMAIL}
        assert len(scene.world.mailer.sent) == sent + 3
        letters = {m.letter.login: m.letter for m in scene.world.mailer.sent[sent:]}
        assert {k: v.kind.name for k, v in letters.items()} == {
            LOGINS[CLAIRE]: "C04",
            LOGINS[AWA]: "C04",
            LOGINS[JEANNE]: "C04",
        }
        assert all(letter.password is None for letter in letters.values())
        assert scene.stored(LOGINS[MARC]).state is N

    def test_bulk_on_the_ticked_logins_of_another_school_is_refused_whole(self) -> None:
        scene = rentree()
        before = scene.fingerprint()
        with pytest.raises(NotInScope):
            scene.admin.notify(OTHER_UAI, [LOGINS[AWA]], Channel.PAPER)
        after = scene.fingerprint()
        # Nothing changed but the audit trail, which records the refusal (issue 9 item 15).
        assert after[:3] + after[4:] == before[:3] + before[4:]
        trail_before, trail_after = cast(tuple[AuditEntry, ...], before[3]), scene.audit()
        assert tuple(trail_after[: len(trail_before)]) == trail_before
        (refusal,) = trail_after[len(trail_before) :]
        assert (refusal.action, refusal.outcome) == ("NOTIFY", "refused: out of scope")


class TestUnitResetVersusBulk:
    """A unit reset of a NOT_NOTIFIED account is refused with `ActionNotAllowed` (and audited),
    where the bulk reset skips it with the warning.
    """

    def test_unit_refused_bulk_skipped(self) -> None:
        scene = rentree()
        login = LOGINS[JEANNE]
        before = scene.stored(login)
        with pytest.raises(ActionNotAllowed) as refused:
            scene.admin.reset_password(UAI, login)
        assert (refused.value.state, refused.value.action) == ("NOT_NOTIFIED", "RESET_PASSWORD")
        assert scene.stored(login) == before
        assert scene.audit_of(login)[-1] == ("director:dir-1", "RESET_PASSWORD", "refused")

        report = scene.admin.reset_passwords(UAI, [login])
        assert report.done == ()
        assert report.messages == (WARNING,)
        assert scene.stored(login) == before

    @pytest.mark.parametrize("rid", [JEAN, JEANNE, CLAIRE])
    def test_unit_reset_of_a_notified_account_gives_a_new_password_at_once(self, rid: str) -> None:
        scene = rentree()
        _mixed(scene)
        login = LOGINS[rid]
        state = scene.stored(login).state
        report = scene.admin.reset_password(UAI, login)
        assert report.messages == ("Le mot de passe a bien été réinitialisé.",)
        page = scene.page(login)
        assert page.password == scene.password(login)
        assert page.state is state
        assert [c.student_id for c in page.children_here]

    def test_resend_to_an_account_without_address_outside_activating_is_not_allowed(self) -> None:
        scene = notified()
        with pytest.raises(ActionNotAllowed):
            scene.admin.resend_activation_email(UAI, LOGINS[MARC])


class TestClassFilter:
    """The list filtered on a class holds exactly that class's pairs (the teacher's list)."""

    @pytest.mark.parametrize(("class_id", "children"), [(CP, 4), (CE1, 2)])
    def test_rows_of_one_class(self, class_id: str, children: int) -> None:
        scene = rentree()
        page = scene.admin.rows(UAI, Selection(class_ids={class_id}))
        assert page.total == children
        assert {r.class_id for r in page.rows} == {class_id}
