"""The director's console over HTTP: login, school choice, the Responsables list and its actions,
the account page, the statistics — with the guide's wording and the core's reports.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.core.support import OTHER_UAI, UAI, rentree
from tests.web.support import (
    DIRECTOR_PASSWORD,
    HASHER,
    Site,
    csrf_of,
    make_site,
)

from educonnect_core import (
    ACCOUNT_MENUS,
    LIST_MENUS,
    Action,
    Channel,
    CredentialsRefused,
    Director,
    Policy,
    Say,
    Selection,
    Throttle,
    Uai,
    confirmation_question,
    confirmation_warning,
    menu_label,
)
from educonnect_core.domain.statistics import TITLES
from educonnect_web import DirectorsFile, WebSettings, create_app, directors_entry
from educonnect_web.usecases import WORDING

LIST = f"/directeur/ecoles/{UAI}/responsables"
ACTIONS = f"/directeur/ecoles/{UAI}/actions"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    built = make_site(tmp_path)
    built.login_director()
    return built


def logins_on(html: str) -> list[str]:
    return re.findall(r'name="login" value="([^"]+)"', html)


def text_of(html: str) -> str:
    """The page's HTML with the apostrophes Jinja escapes put back, to find the core's sentences."""
    return html.replace("&#39;", "'").replace("&#34;", '"')


def twin_messages(action: str, **kwargs: object) -> tuple[str, ...]:
    """The messages the core gives for the same action on an identical, fresh sample school."""
    twin = rentree()
    admin = twin.admin
    if action == "notify":
        return admin.notify(UAI, **kwargs).messages  # type: ignore[arg-type]
    return admin.reset_passwords(UAI, **kwargs).messages  # type: ignore[arg-type]


class TestLogin:
    """A director logs in with the directors file's password; the session id changes at login."""

    def test_wrong_password_is_refused_with_one_sentence(self, tmp_path: Path) -> None:
        site = make_site(tmp_path)
        token = site.csrf("/directeur/connexion")
        answer = site.client.post(
            "/directeur/connexion",
            data={"csrf": token, "identifiant": "dir-1", "mot_de_passe": "faux"},
        )
        assert answer.status_code == 401
        assert CredentialsRefused.french in answer.text
        unknown = site.client.post(
            "/directeur/connexion",
            data={"csrf": token, "identifiant": "personne", "mot_de_passe": "faux"},
        )
        assert unknown.status_code == 401
        home = site.client.get("/directeur", follow_redirects=False)
        assert home.headers["location"] == "/directeur/connexion"

    def test_session_id_is_rotated_at_login_and_cookie_is_httponly_lax(
        self, tmp_path: Path
    ) -> None:
        site = make_site(tmp_path)
        token = site.csrf("/directeur/connexion")
        before = site.client.cookies["educonnect_session"]
        answer = site.client.post(
            "/directeur/connexion",
            data={"csrf": token, "identifiant": "dir-1", "mot_de_passe": DIRECTOR_PASSWORD},
            follow_redirects=False,
        )
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie
        after = site.client.cookies["educonnect_session"]
        assert after != before
        # the id planted before login opens nothing
        planted = TestClient(site.client.app, cookies={"educonnect_session": before})
        assert planted.get("/directeur", follow_redirects=False).status_code == 303
        assert site.client.get("/directeur", follow_redirects=False).status_code == 200

    def test_cookie_is_secure_behind_tls(self, tmp_path: Path) -> None:
        site = make_site(tmp_path, WebSettings(tls=True))
        answer = site.client.get("/directeur/connexion")
        assert "Secure" in answer.headers["set-cookie"]
        assert "strict-transport-security" in answer.headers


class TestSchoolChoice:
    """A director of several schools chooses one; a director of one school lands on it."""

    def test_several_schools_are_offered(self, tmp_path: Path) -> None:
        scene = rentree()
        path = tmp_path / "d.json"
        both = Director("dir-3", {Uai.parse(UAI), Uai.parse(OTHER_UAI)}, "Mme Deux-Écoles")
        path.write_text(json.dumps([directors_entry(both, "Deux2025ok", HASHER)]))
        site = Site(
            scene,
            TestClient(create_app(scene.app, DirectorsFile(path, HASHER))),
            path,
        )
        site.login_director("dir-3", "Deux2025ok")
        home = site.client.get("/directeur").text
        assert "ECOLE LES TILLEULS" in home
        assert "ECOLE DU PARC" in home
        assert f"/directeur/ecoles/{OTHER_UAI}/responsables" in home


class TestResponsablesList:
    """The §5.1 list: filters, sort, paging and the guide's empty-search message."""

    def test_default_list_shows_every_pair_with_state_colour_and_label(self, site: Site) -> None:
        page = site.client.get(LIST).text
        assert sorted(logins_on(page)) == sorted(
            ["a.diallo", "c.lebrun", "c.lebrun", "m.lebrun", "j.dupont", "j.dupont2"]
        )
        assert page.count('class="etat etat-rouge"') >= 6
        assert "Non notifié" in page

    def test_filters_combine(self, site: Site) -> None:
        assert logins_on(site.client.get(LIST, params={"texte": "diallo"}).text) == ["a.diallo"]
        without = logins_on(site.client.get(LIST, params={"mail": "non"}).text)
        assert sorted(without) == ["j.dupont", "m.lebrun"]
        cp = logins_on(site.client.get(LIST, params={"classe": "c-cp", "mail": "oui"}).text)
        assert sorted(cp) == ["a.diallo", "c.lebrun", "j.dupont2"]
        none = site.client.get(LIST, params={"etat": "ACTIVATED"}).text
        assert Say.NO_RESULT.text in none

    def test_action_menu_is_the_guides(self, site: Site) -> None:
        """The list's action menu shows the core's menus and items (§5.3.1, §5.4, §5.5.1)."""
        page = text_of(site.client.get(LIST).text)
        for menu, items in LIST_MENUS:
            assert f'<optgroup label="{menu}">' in page
            for item in items:
                assert item in page

    def test_sort_and_paging(self, tmp_path: Path) -> None:
        site = make_site(tmp_path, WebSettings(page_size=2))
        site.login_director()
        first = site.client.get(LIST, params={"tri": "LOGIN", "ordre": "desc"}).text
        assert logins_on(first) == ["m.lebrun", "j.dupont2"]
        second = site.client.get(LIST, params={"tri": "LOGIN", "ordre": "desc", "page": 2})
        assert logins_on(second.text) == ["j.dupont", "c.lebrun"]
        assert "Page suivante" in first

    def test_unknown_filter_value_is_a_clear_error(self, site: Site) -> None:
        answer = site.client.get(LIST, params={"etat": "HACKED"})
        assert answer.status_code == 422
        assert "valeur inconnue" in answer.text


class TestBulkActions:
    """Ticked accounts or « tout cocher »: the guide's question, then the report's messages."""

    def test_paper_notification_asks_then_reports_and_offers_the_pdf(self, site: Site) -> None:
        token = csrf_of(site.client.get(LIST).text)
        ask = site.client.post(
            ACTIONS, data={"csrf": token, "action": "notify_paper", "tous": "1", "classe": "c-cp"}
        )
        assert f"{confirmation_question(Action.NOTIFY, Channel.PAPER)}" in ask.text
        assert text_of(confirmation_warning(Action.NOTIFY) or "?") in text_of(ask.text)
        assert site.scene.stored("c.lebrun").state.name == "NOT_NOTIFIED"
        done = site.client.post(
            ACTIONS,
            data={
                "csrf": token,
                "action": "notify_paper",
                "tous": "1",
                "classe": "c-cp",
                "valider": "1",
            },
        )
        assert done.status_code == 200
        for message in twin_messages(
            "notify", targets=Selection(class_ids={"c-cp"}), channel=Channel.PAPER
        ):
            assert message in done.text.replace("&#39;", "'")
        assert Say.DOWNLOAD_PDF.text in done.text
        link = re.search(r'id="telecharger" href="([^"]+)"', done.text)
        assert link
        pdf = site.client.get(link.group(1))
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert site.scene.stored("c.lebrun").state.name == "NOTIFIED"
        assert site.scene.stored("j.dupont").state.name == "NOT_NOTIFIED"

    def test_email_notification_reports_the_accounts_without_address(self, site: Site) -> None:
        token = csrf_of(site.client.get(LIST).text)
        done = site.client.post(
            ACTIONS,
            data={
                "csrf": token,
                "action": "notify_email",
                "login": ["c.lebrun", "m.lebrun"],
                "valider": "1",
            },
        )
        ask = site.client.post(
            ACTIONS, data={"csrf": token, "action": "notify_email", "login": ["c.lebrun"]}
        )
        assert f"{confirmation_question(Action.NOTIFY, Channel.EMAIL)}" in ask.text
        expected = twin_messages("notify", targets=["c.lebrun", "m.lebrun"], channel=Channel.EMAIL)
        assert len(expected) == 2
        for message in expected:
            assert message in done.text.replace("&#39;", "'")
        assert Say.DOWNLOAD_PDF.text not in done.text

    def test_reset_question_and_report(self, site: Site) -> None:
        site.scene.admin.notify(UAI, ["c.lebrun"], Channel.PAPER)
        token = csrf_of(site.client.get(LIST).text)
        ask = site.client.post(
            ACTIONS, data={"csrf": token, "action": "reset", "login": "c.lebrun"}
        )
        assert f"{confirmation_question(Action.RESET_PASSWORD)}" in ask.text
        before = site.scene.password("c.lebrun")
        done = site.client.post(
            ACTIONS,
            data={
                "csrf": token,
                "action": "reset",
                "login": ["c.lebrun", "m.lebrun"],
                "valider": "1",
            },
        )
        assert site.scene.password("c.lebrun") != before
        twin = rentree()
        twin.admin.notify(UAI, ["c.lebrun"], Channel.PAPER)
        for message in twin.admin.reset_passwords(UAI, ["c.lebrun", "m.lebrun"]).messages:
            assert message in done.text.replace("&#39;", "'")

    def test_nothing_ticked_changes_nothing(self, site: Site) -> None:
        token = csrf_of(site.client.get(LIST).text)
        before = site.scene.fingerprint()
        answer = site.client.post(
            ACTIONS, data={"csrf": token, "action": "notify_paper", "valider": "1"}
        )
        assert WORDING["none_ticked"] in answer.text
        assert site.scene.fingerprint() == before

    def test_exports_csv_and_pdf_are_downloads_and_audited(self, site: Site) -> None:
        token = csrf_of(site.client.get(LIST).text)
        csv = site.client.post(ACTIONS, data={"csrf": token, "action": "export_csv"})
        assert csv.status_code == 200
        assert "attachment" in csv.headers["content-disposition"]
        assert "Educonnect-ListeResponsables-" in csv.headers["content-disposition"]
        assert csv.content.decode("utf-8-sig").startswith("RNE;Ecole;Nom de l'élève")
        pdf = site.client.post(
            ACTIONS, data={"csrf": token, "action": "export_pdf", "classe": "c-cp"}
        )
        assert pdf.headers["content-type"] == "application/pdf"
        assert [e.action for e in site.scene.audit()].count("EXPORT") == 2


class TestAccountPage:
    """The §5.2 page: labels of the guide, no reset offered before notification, unit actions."""

    def test_not_notified_account_offers_no_reset(self, site: Site) -> None:
        page = site.client.get(f"/directeur/ecoles/{UAI}/comptes/c.lebrun").text
        shown = site.scene.admin.account(UAI, "c.lebrun")
        for label, value in shown.fields(WebSettings().timezone):
            assert f"<dt>{label}</dt>" in page
            assert value in text_of(page)
        assert text_of(shown.footnote) in text_of(page)
        assert 'value="reset"' not in page
        assert 'name="reinitialiser"' not in page
        assert "VIEW_ACCOUNT" in [e.action for e in site.scene.audit()]

    def test_unit_reset_and_notification_show_the_reports_messages(self, site: Site) -> None:
        site.scene.admin.notify(UAI, ["a.diallo"], Channel.PAPER)
        url = f"/directeur/ecoles/{UAI}/comptes/a.diallo"
        page = site.client.get(url).text
        assert site.scene.password("a.diallo") in page
        assert 'value="reset"' in page
        assert "ECOLE DU PARC" in page  # Fatou, in another school
        resend = menu_label(Action.RESEND_ACTIVATION_EMAIL, unit=True)
        for menu, items in ACCOUNT_MENUS:
            assert text_of(menu) in text_of(page)
            for item in items:
                assert (item in text_of(page)) is (item != resend)  # resend: ACTIVATING only
        token = csrf_of(page)
        ask = site.client.post(url + "/actions", data={"csrf": token, "action": "reset"})
        assert f"{confirmation_question(Action.RESET_PASSWORD, unit=True)}" in ask.text
        before = site.scene.password("a.diallo")
        done = site.client.post(
            url + "/actions", data={"csrf": token, "action": "reset", "valider": "1"}
        )
        assert site.scene.password("a.diallo") != before
        assert text_of(done.text).count(Say.RESET_ONE.text) == 1
        assert Say.RESET.text not in text_of(done.text)  # one account, not « les responsable(s) »
        ask = site.client.post(url + "/actions", data={"csrf": token, "action": "notify_email"})
        assert f"{confirmation_question(Action.NOTIFY, Channel.EMAIL, unit=True)}" in ask.text
        assert text_of(confirmation_warning(Action.NOTIFY, unit=True) or "?") in text_of(ask.text)
        done = site.client.post(
            url + "/actions", data={"csrf": token, "action": "notify_paper", "valider": "1"}
        )
        assert Say.NOTIFIED_ONE.text in done.text
        assert Say.DOWNLOAD_PDF.text in done.text

    def test_blocked_account_shows_its_line(self, tmp_path: Path) -> None:
        """An account blocked after too many failed logins says so on its page (issue 9.7)."""
        site = make_site(
            tmp_path, policy=Policy(login_throttle=Throttle(free=10**6), login_block_after=3)
        )
        site.login_director()
        site.scene.admin.notify(UAI, ["a.diallo"], Channel.PAPER)
        url = f"/directeur/ecoles/{UAI}/comptes/a.diallo"
        assert Say.BLOCKED_LABEL.text not in site.client.get(url).text
        for _ in range(3):
            with pytest.raises(CredentialsRefused):
                site.scene.portal.login("a.diallo", "faux")
        page = text_of(site.client.get(url).text)
        assert f"<dt>{Say.BLOCKED_LABEL.text}</dt><dd>{Say.BLOCKED.text}</dd>" in page

    def test_resend_with_corrected_address(self, site: Site) -> None:
        site.scene.admin.notify(UAI, ["a.diallo"], Channel.PAPER)
        site.scene.first_connection("a.diallo")
        url = f"/directeur/ecoles/{UAI}/comptes/a.diallo"
        page = site.client.get(url).text
        assert 'id="renvoyer"' in page
        assert menu_label(Action.RESEND_ACTIVATION_EMAIL, unit=True) in text_of(page)
        done = site.client.post(
            url + "/actions",
            data={
                "csrf": csrf_of(page),
                "action": "resend",
                "email": "awa.new@example.org",
                "valider": "1",
            },
        )
        assert done.status_code == 200
        assert Say.RESENT.text in done.text
        assert site.scene.mails_to("awa.new@example.org")

    def test_resend_refused_for_a_notified_account(self, site: Site) -> None:
        site.scene.admin.notify(UAI, ["a.diallo"], Channel.PAPER)
        url = f"/directeur/ecoles/{UAI}/comptes/a.diallo"
        page = site.client.get(url).text
        assert 'id="renvoyer"' not in page
        answer = site.client.post(
            url + "/actions", data={"csrf": csrf_of(page), "action": "resend", "valider": "1"}
        )
        assert answer.status_code == 409
        assert 'data-code="action_not_allowed"' in answer.text


class TestStatistics:
    """The Statistiques tab: « Calculer les statistiques », the last update, tables and chart."""

    def test_statistics_before_and_after_the_first_computation(self, site: Site) -> None:
        """Before any computation: the guide's « … ne sont pas calculées » sentences under the
        guide's titles and headers, « … le Non Renseigné »; after: the core's tables, the last
        update, the chart.
        """
        page = text_of(site.client.get(f"/directeur/ecoles/{UAI}/statistiques").text)
        never = site.scene.admin.statistics(UAI)
        assert never.button in page
        assert never.last_update == Say.LAST_UPDATE_NEVER.text
        assert never.last_update in page
        for table in never.tables():
            assert table.title in page
            assert all(f">{header}</" in page for header in table.headers)
            assert table.message is not None
            assert table.message in page
        assert Say.STATS_NOT_COMPUTED.text in page
        assert "<svg" not in page
        computed = text_of(
            site.client.post(
                f"/directeur/ecoles/{UAI}/statistiques", data={"csrf": csrf_of(page)}
            ).text
        )
        stored = site.scene.admin.statistics(UAI)
        assert stored.last_update in computed
        assert re.search(r"Dernière mise à jour le \d\d-\d\d-\d{4} à \d\d:\d\d:\d\d", computed)
        assert Say.STATS_NOT_COMPUTED.text not in computed
        assert [t.title for t in stored.tables()] == list(TITLES)
        for table in stored.tables():
            assert table.title in computed
            assert table.rows
            for row in table.rows:  # each row's cells, in order, one per column
                cells = "</t[dh]><t[dh][^>]*>".join(re.escape(cell) for cell in row)
                assert re.search(f"<t[dh][^>]*>{cells}</t[dh]>", computed), row
        assert "<svg" in computed
        assert "CP A" in computed

    def test_compute_needs_the_csrf_token(self, site: Site) -> None:
        answer = site.client.post(f"/directeur/ecoles/{UAI}/statistiques", data={})
        assert answer.status_code == 403
