"""In a real browser (headless Debian Chromium + chromedriver, Selenium): a director notifies a
class on paper and downloads the PDF; a guardian does the first connection (wrong, then right
birth date) and opens the link; the director sees « Activé » and the statistics change; every
page passes axe-core at WCAG 2.1 A/AA. With EDUCONNECT_SCREENSHOTS=<folder> each screen is saved
there (``make screenshots``).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from tests.core.support import CHOSEN, UAI
from tests.web.browser import Live, live, live_server

from educonnect_core import Action, Channel, Say, confirmation_question
from educonnect_core.domain.statistics import COUNT_HEADERS

__all__ = ["live", "live_server"]  # the fixtures, imported to be found

SHOTS = os.environ.get("EDUCONNECT_SCREENSHOTS")


def shot(site: Live, name: str) -> None:
    """Save the screen as docs/images/web-<name>.png when screenshots are asked for."""
    if SHOTS:
        height = site.driver.execute_script("return document.body.scrollHeight")
        site.driver.set_window_size(1280, min(max(int(height) + 40, 600), 2400))
        site.driver.save_screenshot(str(Path(SHOTS) / f"web-{name}.png"))
        site.driver.set_window_size(1280, 1000)


def activated_count(site: Live) -> int:
    site.open(f"/directeur/ecoles/{UAI}/statistiques")
    site.go("#calculer")
    headers = [e.text for e in site.driver.find_elements(By.CSS_SELECTOR, "#synthese thead th")]
    cells = site.driver.find_elements(By.CSS_SELECTOR, "#synthese tbody td")
    return int(cells[headers.index(COUNT_HEADERS[4])].text)


def wait_for_pdf(folder: Path) -> Path:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.pdf") if p.stat().st_size > 0]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no PDF downloaded in {folder}: {list(folder.iterdir())}")


class TestSchoolYearInABrowser:
    """The guide's journey, clicked through."""

    def test_notify_class_on_paper_then_guardian_activates_and_director_sees_it(
        self, live: Live
    ) -> None:
        scene = live.scene
        live.open("/directeur/connexion")
        shot(live, "director-login")
        live.login_director()
        shot(live, "home")
        live.go(f"a[href='/directeur/ecoles/{UAI}/responsables']")
        before = activated_count(live)
        live.open(f"/directeur/ecoles/{UAI}/responsables")
        live.click("input[name=classe][value=c-cp]")
        live.go("#rechercher")
        shot(live, "responsables")
        assert "Non notifié" in live.text()
        live.click("#tout-cocher")
        boxes = live.driver.find_elements(By.CSS_SELECTOR, "input[name=login]")
        assert boxes
        assert all(box.is_selected() for box in boxes)  # the small script ticks the rows too
        Select(live.driver.find_element(By.ID, "action")).select_by_value("notify_paper")
        live.go("#executer")
        assert f"{confirmation_question(Action.NOTIFY, Channel.PAPER)}" in live.text()
        shot(live, "confirm")
        live.go("#valider")
        shot(live, "result")
        assert Say.DOWNLOAD_PDF.text in live.text()
        live.click("#telecharger")
        pdf = wait_for_pdf(live.downloads)
        assert pdf.read_bytes().startswith(b"%PDF")
        assert scene.stored("c.lebrun").state.name == "NOTIFIED"
        assert scene.stored("j.dupont").state.name == "NOT_NOTIFIED"  # CE1 only

        # The guardian, with the sheet's provisional password.
        live.open("/responsable/connexion")
        shot(live, "guardian-login")
        live.fill("identifiant", "c.lebrun")
        live.fill("mot_de_passe", scene.password("c.lebrun"))
        live.go("button[type=submit]")
        assert "Première connexion" in live.text()
        shot(live, "first-connection")
        label = live.driver.find_element(By.CSS_SELECTOR, "label[for=naissance]").text
        child = re.search(r"Date de naissance de (.+) \(", label)
        assert child
        right = scene.feed.birth_date_of(child.group(1))
        email = live.driver.find_element(By.ID, "email").get_attribute("value")
        assert email == "claire.lebrun@example.org"
        for field in ("nouveau", "confirmation"):
            live.fill(field, CHOSEN)
        live.fill("naissance", "01/01/2001")
        live.go("#valider")
        assert "La date de naissance saisie ne correspond pas" in live.text()
        for field in ("nouveau", "confirmation"):
            live.fill(field, CHOSEN)
        live.fill("naissance", f"{right:%d/%m/%Y}")
        live.go("#valider")
        assert "claire.lebrun@example.org" in live.text()
        assert scene.stored("c.lebrun").state.name == "ACTIVATING"
        live.driver.get(live.activation_link("claire.lebrun@example.org"))
        shot(live, "activation")
        assert scene.stored("c.lebrun").state.name == "ACTIVATING"  # GET activates nothing
        live.go("#activer")
        assert "votre compte est activé" in live.text()
        shot(live, "activated")
        assert scene.stored("c.lebrun").state.name == "ACTIVATED"

        # The director again: « Activé », and the statistics moved.
        live.login_director()
        live.open(f"/directeur/ecoles/{UAI}/comptes/c.lebrun")
        assert "Activé" in live.driver.find_element(By.CSS_SELECTOR, ".fiche").text
        live.open(f"/directeur/ecoles/{UAI}/responsables?texte=lebrun")
        states = [e.text for e in live.driver.find_elements(By.CSS_SELECTOR, "td .etat")]
        assert "Activé" in states
        assert activated_count(live) == before + 1
        shot(live, "statistics")
        scene.admin.notify(UAI, ["a.diallo"], Channel.PAPER)
        live.open(f"/directeur/ecoles/{UAI}/comptes/a.diallo")
        shot(live, "account")


class TestAccessibility:
    """Every page of the console has no axe-core violation at WCAG 2.1 A and AA."""

    def test_every_page(self, live: Live) -> None:
        scene = live.scene
        scene.admin.notify(UAI, ["j.dupont2", "a.diallo"], Channel.PAPER)
        failures: dict[str, list[str]] = {}

        def check(name: str) -> None:
            found = live.axe()
            if found:
                failures[name] = [f"{v['id']}: {v.get('help', '')}" for v in found]

        live.open("/")
        live.driver.execute_script(
            "document.querySelector('main').appendChild(document.createElement('input'))"
        )
        assert "label" in [v["id"] for v in live.axe()], "axe-core must see a planted fault"
        for path in ("/", "/directeur/connexion", "/responsable/connexion", "/nulle-part"):
            live.open(path)
            check(path)
        live.login_director()
        check("accueil directeur")
        for path in (
            f"/directeur/ecoles/{UAI}/responsables",
            f"/directeur/ecoles/{UAI}/responsables?etat=ACTIVATED",
            f"/directeur/ecoles/{UAI}/comptes/a.diallo",
            f"/directeur/ecoles/{UAI}/statistiques",
        ):
            live.open(path)
            check(path)
        live.go("#calculer")
        check("statistiques calculées")
        live.open(f"/directeur/ecoles/{UAI}/comptes/a.diallo")
        live.go("#agir")
        check("confirmation")
        live.go("#valider")
        check("résultat")
        live.open("/responsable/connexion")
        live.fill("identifiant", "j.dupont2")
        live.fill("mot_de_passe", "faux")
        live.go("button[type=submit]")
        check("connexion refusée")
        live.fill("identifiant", "j.dupont2")
        live.fill("mot_de_passe", scene.password("j.dupont2"))
        live.go("button[type=submit]")
        check("première connexion")
        live.fill("naissance", "pas une date")
        for field in ("nouveau", "confirmation"):
            live.fill(field, CHOSEN)
        live.go("#valider")
        check("première connexion refusée")
        live.fill("naissance", f"{scene.feed.birth_date_of('Emma DUPONT'):%d/%m/%Y}")
        for field in ("nouveau", "confirmation"):
            live.fill(field, CHOSEN)
        live.go("#valider")
        check("lien envoyé")
        live.driver.get(live.activation_link("jeanne.dupont@example.org"))
        check("activation")
        live.go("#activer")
        check("activé")
        live.open("/responsable/connexion")
        live.fill("identifiant", "j.dupont2")
        live.fill("mot_de_passe", CHOSEN)
        live.go("button[type=submit]")
        check("compte du responsable")
        shot(live, "guardian-account")
        assert failures == {}
