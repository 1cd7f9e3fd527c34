"""A live console (uvicorn in a thread) on the sample school, and a headless Debian Chromium
driven by Selenium, with axe-core injected to check pages against WCAG A/AA.

Without chromium, chromedriver or axe-core the browser tests are skipped — except under CI=true,
where a skip is a failure (``make browser`` and ``make axe`` install them).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from tests.core.support import Scene, sample_feed
from tests.web.support import DIRECTOR_PASSWORD, HASHER, write_directors

from educonnect_core import EduConnect, LetterSettings
from educonnect_core.testing import in_memory_world
from educonnect_pdf import PdfRenderer
from educonnect_web import DirectorsFile, WebSettings, create_app

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "build" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: The WCAG levels RGAA asks for.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def missing() -> str | None:
    """What the browser tests lack on this machine, or None."""
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver"), (AXE, "axe-core")):
        if not Path(path).exists():
            return f"{what} absent ({path}): make browser axe"
    return None


def require_browser() -> None:
    """Skip without a browser — fail under CI=true, where the browser tests must run."""
    why = missing()
    if why is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI=true: {why}")
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@attrs.define
class Live:
    """The sample school served on 127.0.0.1, a browser, and where downloads land."""

    scene: Scene
    base: str
    driver: webdriver.Chrome
    downloads: Path

    def open(self, path: str) -> None:
        """Load `path` of the console."""
        self.driver.get(self.base + path)

    def fill(self, field_id: str, text: str) -> None:
        """Type `text` into the field `field_id` (emptied first)."""
        field = self.driver.find_element(By.ID, field_id)
        field.clear()
        field.send_keys(text)

    def click(self, css: str) -> None:
        """Click the element `css` selects (a box, a radio: no page change)."""
        self.driver.find_element(By.CSS_SELECTOR, css).click()

    def go(self, css: str) -> None:
        """Click the button or link `css` selects and wait for the next page, fully loaded."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.CSS_SELECTOR, css).click()

        def replaced(driver: webdriver.Chrome) -> bool:
            # Staleness as chromedriver reports it while the old document goes away: a stale
            # reference, or « Node with given id does not belong to the document ».
            try:
                old.is_enabled()
            except WebDriverException:
                return bool(driver.execute_script("return document.readyState") == "complete")
            return False

        WebDriverWait(self.driver, 10).until(replaced)

    def text(self) -> str:
        """The page's visible text."""
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def axe(self) -> list[dict[str, Any]]:
        """The axe-core violations of the current page at WCAG 2.1 A and AA."""
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
            ".then(r => done(JSON.stringify(r.violations)))"
            ".catch(e => done(JSON.stringify([{id: 'axe-error', help: String(e)}])));",
            AXE_TAGS,
        )
        violations: list[dict[str, Any]] = json.loads(result)
        return violations

    def activation_link(self, address: str) -> str:
        """The link of the last C07 e-mail sent to `address`."""
        message = self.scene.world.mailer.to(address)[-1]
        (line,) = [x for x in message.letter.lines if x.startswith(self.base + "/activation")]
        return line

    def login_director(self, who: str = "dir-1", password: str = DIRECTOR_PASSWORD) -> None:
        """Log in as a director through the form."""
        self.open("/directeur/connexion")
        self.fill("identifiant", who)
        self.fill("mot_de_passe", password)
        self.go("button[type=submit]")


def chrome(downloads: Path, profile: Path) -> webdriver.Chrome:
    """Headless Debian Chromium with a fresh profile and downloads into `downloads`."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=fr-FR",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "plugins.always_open_pdf_externally": True,
        },
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.set_script_timeout(30)
    return driver


@pytest.fixture(scope="module")
def live_server() -> Iterator[tuple[Scene, str]]:
    """The sample school (integrated, nothing notified) served by uvicorn in a thread."""
    require_browser()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    world = in_memory_world(seed=7)
    world.app = EduConnect(
        storage=world.storage,
        mailer=world.mailer,
        renderer=PdfRenderer(),
        clock=world.clock,
        secrets=world.secrets,
        hasher=world.hasher,
        letters=LetterSettings(activation_url=base + "/activation?jeton="),
    )
    scene = Scene(world, sample_feed())
    scene.integrate()
    folder = Path(tempfile.mkdtemp(prefix="educonnect-web-"))
    directors = write_directors(folder / "directors.json")
    web = create_app(scene.app, DirectorsFile(directors, HASHER), WebSettings())
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield scene, base
    finally:
        server.should_exit = True
        thread.join(5)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def live(live_server: tuple[Scene, str], tmp_path: Path) -> Iterator[Live]:
    """A fresh browser (fresh profile) on the live console."""
    scene, base = live_server
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = chrome(downloads, tmp_path / "profile")
    try:
        yield Live(scene, base, driver, downloads)
    finally:
        driver.quit()
