"""The JSON API: the CLI's use cases over HTTP, typed errors with a status, a stable code and the
French sentence, OpenAPI at /api/v1/openapi.json.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.core.support import UAI
from tests.web.support import HASHER, Site, make_site

from educonnect_core import (
    ActionNotAllowed,
    BirthDateLocked,
    EduconnectError,
    InvalidField,
    NotFound,
    NotInScope,
    Say,
)
from educonnect_core.domain.statistics import TITLES
from educonnect_web import DirectorsFile, WebSettings, create_app
from educonnect_web.errors import STATUS, error_body, status_and_code

API = "/api/v1"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


@pytest.fixture
def auth(site: Site) -> dict[str, str]:
    return site.api_token()


class TestAuthentication:
    """No token, no data; a wrong password gets no token."""

    def test_without_token(self, site: Site) -> None:
        answer = site.client.get(f"{API}/schools")
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"

    def test_wrong_password(self, site: Site) -> None:
        answer = site.client.post(f"{API}/login", json={"username": "dir-1", "password": "x"})
        assert answer.status_code == 401

    def test_logout_ends_the_token(self, site: Site, auth: dict[str, str]) -> None:
        assert site.client.post(f"{API}/logout", headers=auth).status_code == 200
        assert site.client.get(f"{API}/schools", headers=auth).status_code == 401


class TestUseCases:
    """Each route gives what the service gives."""

    def test_schools_and_list(self, site: Site, auth: dict[str, str]) -> None:
        schools = site.client.get(f"{API}/schools", headers=auth).json()
        assert schools == [{"uai": UAI, "name": "ECOLE LES TILLEULS"}]
        listing = site.client.get(
            f"{API}/schools/{UAI}/list", params={"email": "non", "sort": "LOGIN"}, headers=auth
        ).json()
        assert [r["login"] for r in listing["rows"]] == ["j.dupont", "m.lebrun"]
        assert listing["total"] == 2
        assert all("password" not in r for r in listing["rows"])
        assert listing["rows"][0]["state"] == "NOT_NOTIFIED"
        assert listing["rows"][0]["state_label"] == "Non notifié"

    def test_notify_paper_returns_the_pdf_and_messages(
        self, site: Site, auth: dict[str, str]
    ) -> None:
        answer = site.client.post(
            f"{API}/schools/{UAI}/notify",
            json={"channel": "paper", "all": True, "search": {"classes": ["c-cp"]}},
            headers=auth,
        ).json()
        assert answer["action"] == "NOTIFY"
        assert answer["messages"]
        assert base64.b64decode(answer["document"]["content_base64"])
        assert site.scene.stored("c.lebrun").state.name == "NOTIFIED"
        account = site.client.get(f"{API}/schools/{UAI}/accounts/c.lebrun", headers=auth).json()
        assert account["password"] == site.scene.password("c.lebrun")
        assert account["state_label"] == "Notifié et non activé"

    def test_reset_resend_export_stats(self, site: Site, auth: dict[str, str]) -> None:
        site.client.post(
            f"{API}/schools/{UAI}/notify",
            json={"channel": "paper", "logins": ["a.diallo"]},
            headers=auth,
        )
        before = site.scene.password("a.diallo")
        reset = site.client.post(
            f"{API}/schools/{UAI}/reset", json={"logins": ["a.diallo"]}, headers=auth
        ).json()
        assert reset["action"] == "RESET_PASSWORD"
        assert site.scene.password("a.diallo") != before
        site.scene.first_connection("a.diallo")
        resent = site.client.post(
            f"{API}/schools/{UAI}/accounts/a.diallo/resend",
            json={"email": "awa.b@example.org"},
            headers=auth,
        )
        assert resent.status_code == 200
        assert site.scene.mails_to("awa.b@example.org")
        csv = site.client.post(
            f"{API}/schools/{UAI}/export", params={"format": "csv"}, json={}, headers=auth
        )
        assert csv.content.decode("utf-8-sig").startswith("RNE;Ecole;")
        never = site.client.get(f"{API}/schools/{UAI}/stats", headers=auth).json()
        assert never["computed"] is False
        assert never["message"] == Say.STATS_NOT_COMPUTED.text
        assert never["last_update"] == Say.LAST_UPDATE_NEVER.text
        assert [t["title"] for t in never["tables"]] == list(TITLES)
        stats = site.client.post(f"{API}/schools/{UAI}/stats", headers=auth).json()
        stored = site.scene.admin.statistics(UAI)
        assert stats["last_update"] == stored.last_update
        assert stats["tables"][1]["rows"] == [list(row) for row in stored.tables()[1].rows]
        assert stats["computed"] is True
        assert stats["summary"]["activating"] == 1
        assert stats["last_update"].startswith("Dernière mise à jour le ")
        assert site.client.get(f"{API}/schools/{UAI}/stats", headers=auth).status_code == 200

    def test_targets_must_be_logins_or_all(self, site: Site, auth: dict[str, str]) -> None:
        answer = site.client.post(f"{API}/schools/{UAI}/reset", json={}, headers=auth)
        assert answer.status_code == 422
        assert answer.json()["error"]["code"] == "bad_targets"

    def test_outbox_is_for_operators(self, tmp_path: Path, site: Site) -> None:
        auth = site.api_token()
        assert site.client.post(f"{API}/outbox/send", headers=auth).status_code == 403
        operator = TestClient(
            create_app(
                site.scene.app,
                DirectorsFile(site.directors, HASHER),
                WebSettings(operators=frozenset({"dir-1"})),
            )
        )
        token = operator.post(
            f"{API}/login", json={"username": "dir-1", "password": "Directrice2025"}
        ).json()["token"]
        sent = operator.post(f"{API}/outbox/send", headers={"Authorization": f"Bearer {token}"})
        assert sent.status_code == 200
        assert sent.json() == {"sent": 0, "failed": []}


class TestErrors:
    """Library errors become a status, a stable code and the French sentence."""

    @pytest.mark.parametrize(
        ("path", "status", "code"),
        [
            (f"/schools/{UAI}/accounts/inconnu", 404, "not_found"),
            ("/schools/0000000B/list", 422, "invalid_field"),
            ("/schools/0999902A/list", 403, "not_in_scope"),
            (f"/schools/{UAI}/list?state=NOPE", 422, "invalid_field"),
        ],
    )
    def test_mapping(
        self, site: Site, auth: dict[str, str], path: str, status: int, code: str
    ) -> None:
        answer = site.client.get(API + path, headers=auth)
        assert answer.status_code == status, answer.text
        error = answer.json()["error"]
        assert error["code"] == code
        assert error["message"]

    def test_action_not_allowed(self, site: Site, auth: dict[str, str]) -> None:
        answer = site.client.post(
            f"{API}/schools/{UAI}/accounts/c.lebrun/resend", json={}, headers=auth
        )
        assert answer.status_code == 409
        assert answer.json()["error"]["code"] == "action_not_allowed"

    def test_table_covers_the_hierarchy(self) -> None:
        codes = [code for _, _, code in STATUS]
        assert len(codes) == len(set(codes))
        assert status_and_code(NotInScope("d", "x")) == (403, "not_in_scope")
        assert status_and_code(NotFound("compte", "x")) == (404, "not_found")
        assert status_and_code(ActionNotAllowed("a", "s", "x"))[0] == 409
        assert status_and_code(EduconnectError()) == (400, "error")
        body = error_body(InvalidField("r", "courriel", "invalide"))
        assert body["error"]["field"] == "courriel"  # type: ignore[index]
        from datetime import UTC, datetime  # noqa: PLC0415

        locked = error_body(BirthDateLocked("l", datetime(2025, 9, 1, tzinfo=UTC)))
        assert locked["error"]["retry_at"] == "2025-09-01T00:00:00+00:00"  # type: ignore[index]


class TestOpenApi:
    """The API describes itself at /api/v1/openapi.json."""

    def test_openapi(self, site: Site) -> None:
        spec = site.client.get(f"{API}/openapi.json").json()
        paths = set(spec["paths"])
        for expected in (
            "/schools",
            "/schools/{uai}/list",
            "/schools/{uai}/accounts/{login}",
            "/schools/{uai}/notify",
            "/schools/{uai}/reset",
            "/schools/{uai}/accounts/{login}/resend",
            "/schools/{uai}/export",
            "/schools/{uai}/stats",
            "/outbox/send",
        ):
            assert expected in paths


class TestRowJson:
    """The list's hand-written JSON row is the library's own serialisation, minus the password."""

    def test_same_as_unstructure(self, site: Site) -> None:
        from educonnect_core import Channel, Selection  # noqa: PLC0415
        from educonnect_core.serialization import unstructure  # noqa: PLC0415
        from educonnect_web.api import _row  # noqa: PLC0415

        site.scene.admin.notify(UAI, ["a.diallo"], Channel.PAPER)
        site.scene.first_connection("a.diallo")
        for row in site.scene.admin.rows(UAI, Selection()).rows:
            expected = unstructure(row)
            expected.pop("password")
            expected["state_label"] = row.state.label
            assert _row(row) == expected
