"""`create_app`: the console and the JSON API as one ASGI application a host serves or mounts."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from educonnect_core import EduConnect
from educonnect_web.api import api_app
from educonnect_web.auth import Authenticator
from educonnect_web.console import console_router
from educonnect_web.guardian import guardian_router
from educonnect_web.security import SecurityHeaders
from educonnect_web.state import HERE, WebSettings, WebState

__all__ = ["create_app"]


def create_app(
    app: EduConnect, authenticator: Authenticator, settings: WebSettings | None = None
) -> FastAPI:
    """The web console (director and guardian pages) and the JSON API on `app`.

    Mount it in a host with ``host.mount("/educonnect", create_app(...))`` or serve it alone
    (``educonnect serve``). The C07 e-mail's link must lead to ``/activation?jeton=``: give the
    `EduConnect` a ``LetterSettings(activation_url=<public base> + "/activation?jeton=")``.
    """
    settings = settings or WebSettings()
    web = WebState(app, authenticator, settings)
    site = FastAPI(title=settings.title, openapi_url=None, docs_url=None, redoc_url=None)
    site.state.web = web
    site.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    site.mount("/api/v1", api_app(web))
    site.include_router(console_router(web))
    site.include_router(guardian_router(web))

    @site.get("/")
    def index(request: Request) -> Response:
        return web.render(request, "index.html")

    @site.exception_handler(404)
    def not_found(request: Request, error: Exception) -> Response:
        return web.render(
            request,
            "error.html",
            status_code=404,
            message="Cette page n’existe pas.",
            code="not_found",
        )

    site.add_middleware(SecurityHeaders, tls=settings.tls)
    return site
