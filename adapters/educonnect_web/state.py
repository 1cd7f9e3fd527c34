"""What every route of the console shares: the library, the authenticator, the settings, the
sessions, the templates; and the helpers reading a request's session and CSRF token.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from educonnect_core import AccountState, Director, EduConnect
from educonnect_web.auth import Authenticator
from educonnect_web.security import RateLimiter, SessionData, SessionStore, same_token

__all__ = ["COOKIE", "STATE_CLASSES", "WebSettings", "WebState"]

COOKIE: Final = "educonnect_session"
PARIS: Final = ZoneInfo("Europe/Paris")
HERE: Final = Path(__file__).parent

#: CSS class of each state: colour AND label are shown together.
STATE_CLASSES: Final = {
    AccountState.NOT_NOTIFIED: "etat-rouge",
    AccountState.NOTIFIED: "etat-orange",
    AccountState.ACTIVATING: "etat-jaune",
    AccountState.ACTIVATED: "etat-vert",
}


@attrs.frozen
class WebSettings:
    """How the console runs inside its host.

    `tls`: served over HTTPS (cookies get ``Secure``, HSTS is sent). `guardian_rate`: guardian
    requests allowed per client address and per `guardian_window` seconds, on top of the
    per-account throttling of the core. `operators`: director ids allowed to flush the outbox.
    """

    tls: bool = False
    timezone: tzinfo = PARIS
    page_size: int = 50
    guardian_rate: int = 30
    guardian_window: float = 60.0
    session_idle_seconds: float = 3600.0
    operators: frozenset[str] = frozenset()
    #: The API's title in its OpenAPI document.
    title: str = "EduConnect — administration des comptes"


class WebState:
    """The console's shared objects, held by the FastAPI application's state."""

    def __init__(
        self, app: EduConnect, authenticator: Authenticator, settings: WebSettings
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.settings = settings
        self.sessions = SessionStore(settings.session_idle_seconds)
        self.limiter = RateLimiter(settings.guardian_rate, settings.guardian_window)
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.templates.env.autoescape = True
        self.templates.env.filters["when"] = self.when
        self.templates.env.filters["day"] = lambda d: "" if d is None else f"{d:%d/%m/%Y}"
        self.templates.env.globals["STATE_CLASSES"] = STATE_CLASSES
        #: Directors of live sessions, by director id (the authenticator said who they are).
        self.directors: dict[str, Director] = {}

    def when(self, moment: datetime | None) -> str:
        """A date and time as the guide prints them, in the school's time zone."""
        if moment is None:
            return ""
        return f"{moment.astimezone(self.settings.timezone):%d/%m/%Y %H:%M}"

    # -- sessions -----------------------------------------------------------------------------

    def session(self, request: Request) -> tuple[str, SessionData]:
        """The request's session, opened if there is none yet (for its CSRF token)."""
        sid = request.cookies.get(COOKIE)
        data = self.sessions.get(sid)
        if data is None or sid is None:
            sid, data = self.sessions.new()
        request.state.sid = sid
        return sid, data

    def set_cookie(self, response: Response, sid: str) -> Response:
        """Attach the session cookie: HttpOnly, SameSite=Lax, Secure behind TLS."""
        response.set_cookie(
            COOKIE,
            sid,
            httponly=True,
            samesite="lax",
            secure=self.settings.tls,
            path="/",
        )
        return response

    def render(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        """A page with the session's CSRF token and flash messages, and the session cookie."""
        sid, data = self.session(request)
        flash, data.flash = data.flash, []
        response = self.templates.TemplateResponse(
            request,
            template,
            {"csrf": data.csrf, "session": data, "flash": flash, **context},
            status_code=status_code,
        )
        if request.cookies.get(COOKIE) != sid:  # a session cookie: sent once is enough
            self.set_cookie(response, sid)
        response.headers["cache-control"] = "no-store"
        return response

    @staticmethod
    def csrf_ok(data: SessionData, form: FormData) -> bool:
        """Whether the form carries the session's CSRF token."""
        token = form.get("csrf")
        return same_token(token if isinstance(token, str) else None, data.csrf)

    def director(self, data: SessionData) -> Director | None:
        """The director logged in to this session."""
        if data.director_id is None:
            return None
        return self.directors.get(data.director_id)
