"""The guardian's pages: one refusal message, the first connection with the named child's birth
date, the confirmation link (GET shows, POST confirms), password and e-mail changes, logout.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.core.support import CHOSEN, UAI
from tests.web.support import Site, csrf_of, make_site

from educonnect_core import Channel, CredentialsRefused

LOGIN = "/responsable/connexion"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    built = make_site(tmp_path)
    built.scene.admin.notify(UAI, ["c.lebrun", "a.diallo"], Channel.PAPER)
    return built


def log_in(site: Site, login: str, password: str, *, follow: bool = True) -> str:
    token = site.csrf(LOGIN)
    answer = site.client.post(
        LOGIN,
        data={"csrf": token, "identifiant": login, "mot_de_passe": password},
        follow_redirects=follow,
    )
    return answer.text


class TestLogin:
    """Every refusal gives the same sentence and status; the next step follows the core's answer."""

    def test_one_message_for_every_refusal(self, site: Site) -> None:
        answers = []
        for login, password in (
            ("personne", "x"),
            ("c.lebrun", "faux"),
            ("m.lebrun", "x"),  # NOT_NOTIFIED
            ("pas un identifiant !", "x"),
        ):
            token = site.csrf(LOGIN)
            got = site.client.post(
                LOGIN, data={"csrf": token, "identifiant": login, "mot_de_passe": password}
            )
            found = re.search(r'role="alert"><p>([^<]+)</p>', got.text)
            assert found
            answers.append((got.status_code, found.group(1)))
        assert set(answers) == {(401, CredentialsRefused.french)}

    def test_provisional_password_leads_to_the_first_connection(self, site: Site) -> None:
        page = log_in(site, "c.lebrun", site.scene.password("c.lebrun"))
        assert "Première connexion" in page
        assert 'value="claire.lebrun@example.org"' in page
        assert re.search(r"Date de naissance de (Hugo|Lina) LEBRUN", page)
        assert site.scene.password("c.lebrun") not in page


class TestFirstConnection:
    """Wrong birth date refused (then a wait shown as a time), right one sends the link; the link's
    page activates only on POST.
    """

    def test_wrong_then_right_birth_date_then_link(self, site: Site) -> None:
        page = log_in(site, "c.lebrun", site.scene.password("c.lebrun"))
        child = re.search(r"Date de naissance de ([^(]+) \(", page)
        assert child
        right = site.scene.feed.birth_date_of(child.group(1).strip())
        form = {
            "csrf": csrf_of(page),
            "nouveau": CHOSEN,
            "confirmation": CHOSEN,
            "email": "claire.lebrun@example.org",
        }
        wrong = site.client.post(
            "/responsable/premiere-connexion", data={**form, "naissance": "01/01/2001"}
        )
        assert wrong.status_code == 422
        assert "La date de naissance saisie ne correspond pas" in wrong.text
        assert site.scene.stored("c.lebrun").state.name == "NOTIFIED"
        done = site.client.post(
            "/responsable/premiere-connexion", data={**form, "naissance": f"{right:%d/%m/%Y}"}
        )
        assert done.status_code == 200
        assert "claire.lebrun@example.org" in done.text
        assert site.scene.stored("c.lebrun").state.name == "ACTIVATING"
        token = site.scene.token("claire.lebrun@example.org")
        shown = site.client.get("/activation", params={"jeton": token})
        assert shown.status_code == 200
        assert site.scene.stored("c.lebrun").state.name == "ACTIVATING"
        confirmed = site.client.post(
            "/activation", data={"csrf": csrf_of(shown.text), "jeton": token}
        )
        assert confirmed.status_code == 200
        assert "votre compte est activé" in confirmed.text
        assert site.scene.stored("c.lebrun").state.name == "ACTIVATED"
        again = site.client.post("/activation", data={"csrf": csrf_of(shown.text), "jeton": token})
        assert again.status_code == 410
        assert "Ce lien d’activation n’est plus valide." in again.text

    def test_repeated_wrong_dates_show_the_wait_as_a_time(self, site: Site) -> None:
        page = log_in(site, "a.diallo", site.scene.password("a.diallo"))
        form = {
            "csrf": csrf_of(page),
            "nouveau": CHOSEN,
            "confirmation": CHOSEN,
            "email": "awa.diallo@example.org",
            "naissance": "01/01/2001",
        }
        texts = [
            site.client.post("/responsable/premiere-connexion", data=form).text for _ in range(4)
        ]
        assert any(re.search(r"Prochain essai possible à partir de \d\d:\d\d", t) for t in texts)

    def test_mismatched_passwords_and_bad_date_are_explained(self, site: Site) -> None:
        page = log_in(site, "a.diallo", site.scene.password("a.diallo"))
        base = {"csrf": csrf_of(page), "email": "awa.diallo@example.org"}
        different = site.client.post(
            "/responsable/premiere-connexion",
            data={**base, "nouveau": CHOSEN, "confirmation": "Autre2025", "naissance": "x"},
        )
        assert "Les deux mots de passe saisis sont différents." in different.text
        bad = site.client.post(
            "/responsable/premiere-connexion",
            data={**base, "nouveau": CHOSEN, "confirmation": CHOSEN, "naissance": "31/02/2019"},
        )
        assert "Date attendue au format JJ/MM/AAAA." in bad.text

    def test_first_connection_page_needs_a_login(self, site: Site) -> None:
        answer = site.client.get("/responsable/premiere-connexion", follow_redirects=False)
        assert answer.headers["location"] == LOGIN


class TestAccountChanges:
    """An activated guardian changes password (every session ends) and e-mail; logs out."""

    def test_change_password_ends_the_sessions(self, site: Site) -> None:
        site.scene.activate("c.lebrun")
        page = log_in(site, "c.lebrun", CHOSEN)
        assert "Mon compte EduConnect" in page
        other = Site(site.scene, type(site.client)(site.client.app), site.directors)
        log_in(other, "c.lebrun", CHOSEN)
        done = site.client.post(
            "/responsable/mot-de-passe",
            data={
                "csrf": csrf_of(page),
                "mot_de_passe": CHOSEN,
                "nouveau": "Pluie2027ab",
                "confirmation": "Pluie2027ab",
            },
        )
        assert "Votre mot de passe a été modifié." in done.text
        for client in (site.client, other.client):
            answer = client.get("/responsable/compte", follow_redirects=False)
            assert answer.headers["location"] == LOGIN
        assert "Mon compte EduConnect" in log_in(site, "c.lebrun", "Pluie2027ab")

    def test_change_email_and_logout(self, site: Site) -> None:
        site.scene.activate("c.lebrun")
        page = log_in(site, "c.lebrun", CHOSEN)
        done = site.client.post(
            "/responsable/adresse",
            data={"csrf": csrf_of(page), "mot_de_passe": CHOSEN, "email": "claire@example.net"},
        )
        assert "Votre adresse mail a été modifiée." in done.text
        assert site.scene.stored("c.lebrun").email.value == "claire@example.net"  # type: ignore[union-attr]
        site.client.post("/responsable/deconnexion", data={"csrf": csrf_of(done.text)})
        answer = site.client.get("/responsable/compte", follow_redirects=False)
        assert answer.headers["location"] == LOGIN

    def test_change_email_ends_the_other_sessions_only(self, site: Site) -> None:
        """A new address is new credentials (`Account.credentials`): the guardian's other
        sessions end, the one that made the change goes on.
        """
        site.scene.activate("c.lebrun")
        page = log_in(site, "c.lebrun", CHOSEN)
        other = Site(site.scene, type(site.client)(site.client.app), site.directors)
        log_in(other, "c.lebrun", CHOSEN)
        site.client.post(
            "/responsable/adresse",
            data={"csrf": csrf_of(page), "mot_de_passe": CHOSEN, "email": "claire@example.net"},
        )
        assert site.client.get("/responsable/compte", follow_redirects=False).status_code == 200
        answer = other.client.get("/responsable/compte", follow_redirects=False)
        assert answer.headers["location"] == LOGIN

    def test_wrong_current_password_is_refused(self, site: Site) -> None:
        site.scene.activate("c.lebrun")
        page = log_in(site, "c.lebrun", CHOSEN)
        refused = site.client.post(
            "/responsable/mot-de-passe",
            data={
                "csrf": csrf_of(page),
                "mot_de_passe": "faux",
                "nouveau": "Pluie2027ab",
                "confirmation": "Pluie2027ab",
            },
        )
        assert refused.status_code == 401
        assert CredentialsRefused.french in refused.text

    def test_reset_password_forces_a_new_one(self, site: Site) -> None:
        site.scene.activate("c.lebrun")
        site.scene.admin.reset_passwords(UAI, ["c.lebrun"])
        page = log_in(site, "c.lebrun", site.scene.password("c.lebrun"))
        assert "Choisissez un nouveau mot de passe" in page
        done = site.client.post(
            "/responsable/nouveau-mot-de-passe",
            data={"csrf": csrf_of(page), "nouveau": "Pluie2027ab", "confirmation": "Pluie2027ab"},
        )
        assert "Votre mot de passe a été modifié." in done.text
        assert "Mon compte EduConnect" in log_in(site, "c.lebrun", "Pluie2027ab")
