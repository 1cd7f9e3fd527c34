"""The sample school of the core's scenario tests behind the web console, and a logged-in client."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import attrs
from fastapi.testclient import TestClient
from tests.core.support import CP, OTHER_UAI, UAI, Scene, pupil, rentree

from educonnect_core import Director, Policy, Responsable, ScryptHasher, Uai
from educonnect_web import DirectorsFile, WebSettings, create_app, directors_entry

#: Cheap scrypt for tests (the parameters travel in the hash).
HASHER = ScryptHasher(log2_n=4)
DIRECTOR_PASSWORD = "Directrice2025"  # noqa: S105 - a test password
OTHER_PASSWORD = "Directeur2025"  # noqa: S105 - a test password
HOSTILE_SURNAME = '<script>alert("x")</script>'
HOSTILE_LOGIN_PREFIX = "r."


@attrs.define
class Site:
    """The console on the sample school, with the directors file it reads."""

    scene: Scene
    client: TestClient
    directors: Path

    def csrf(self, path: str) -> str:
        """The CSRF token of the page at `path` (which also opens the session)."""
        return csrf_of(self.client.get(path).text)

    def login_director(self, who: str = "dir-1", password: str = DIRECTOR_PASSWORD) -> None:
        """Log in as director `who` through the login form."""
        token = self.csrf("/directeur/connexion")
        answer = self.client.post(
            "/directeur/connexion",
            data={"csrf": token, "identifiant": who, "mot_de_passe": password},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text

    def api_token(self, who: str = "dir-1", password: str = DIRECTOR_PASSWORD) -> dict[str, str]:
        """The Authorization header of a director logged in to the API."""
        answer = self.client.post("/api/v1/login", json={"username": who, "password": password})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}


def csrf_of(html: str) -> str:
    """The CSRF token in a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def write_directors(path: Path) -> Path:
    """dir-1 runs the sample school, dir-2 the other one (« ECOLE DU PARC »)."""
    entries = [
        directors_entry(
            Director("dir-1", {Uai.parse(UAI)}, "Mme la directrice"), DIRECTOR_PASSWORD, HASHER
        ),
        directors_entry(
            Director("dir-2", {Uai.parse(OTHER_UAI)}, "M. le directeur"), OTHER_PASSWORD, HASHER
        ),
    ]
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def hostile_family(scene: Scene) -> None:
    """A family whose names, in the feed, are HTML and script."""
    scene.feed.add_family(
        Responsable.create("r-hostile", surname=HOSTILE_SURNAME, first_name="<b>Eve</b>"),
        pupil("s-hostile", "<img src=x onerror=alert(1)>", "Zoé", pupil_birth(), class_id=CP),
    )
    scene.integrate()


def pupil_birth() -> date:
    """A birth date for the hostile family's child."""
    return date(2019, 4, 1)


def make_site(
    tmp_path: Path, settings: WebSettings | None = None, policy: Policy | None = None
) -> Site:
    """A fresh sample school (five NOT_NOTIFIED accounts) behind the console."""
    scene = rentree(policy=policy)
    directors = write_directors(tmp_path / "directors.json")
    web = create_app(scene.app, DirectorsFile(directors, HASHER), settings or WebSettings())
    return Site(scene, TestClient(web), directors)
