"""The guardian's side (guide §1.3.4–1.3.5): login, first connection, the confirmation link
(GET shows a page, POST confirms: a mail scanner following links activates nothing), password and
e-mail changes, logout. Every POST is rate-limited per client address on top of the core's
per-account throttling.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from educonnect_core import (
    BirthDateLocked,
    EduconnectError,
    FirstConnectionRequired,
    PasswordChangeRequired,
    PendingActivation,
)
from educonnect_web import usecases
from educonnect_web.errors import status_and_code
from educonnect_web.security import SessionData
from educonnect_web.state import WebState

__all__ = ["guardian_router"]

T = TypeVar("T")
W = usecases.WORDING


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _birth_date(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        return None


def client_of(request: Request) -> str:
    """The client's address (the host's proxy must set the ASGI client from X-Forwarded-For)."""
    return request.client.host if request.client else "?"


def guardian_router(web: WebState) -> APIRouter:  # noqa: PLR0915 - one route per screen
    """The guardian portal's routes, under ``/responsable`` and ``/activation``."""
    router = APIRouter()

    async def call(function: Callable[[], T]) -> T:
        return await run_in_threadpool(function)

    def too_many(request: Request) -> Response:
        return web.render(
            request, "error.html", status_code=429, message=W["too_many"], code="rate_limited"
        )

    async def posted(request: Request) -> tuple[str, SessionData, dict[str, str]] | Response:
        """The form of a guardian POST, once the rate limit and the CSRF token are checked."""
        if not web.limiter.allow(client_of(request)):
            return too_many(request)
        sid, data = web.session(request)
        form = await request.form()
        if not web.csrf_ok(data, form):
            return web.render(
                request,
                "error.html",
                status_code=403,
                message=W["expired_form"],
                code="csrf",
            )
        return sid, data, {k: v for k, v in form.items() if isinstance(v, str)}

    async def current(request: Request) -> tuple[str, SessionData] | None:
        """The guardian's session if their credentials have not changed since they logged in."""
        sid, data = web.session(request)
        if data.guardian is None:
            return None
        login = data.guardian
        now = await call(lambda: usecases.credential_version(web.app, login))
        if now is None or now != data.credential:
            web.sessions.drop(sid)
            return None
        return sid, data

    def signed_in(request: Request, sid: str, login: str, target: str) -> tuple[Response, str]:
        new_sid, fresh = web.sessions.rotate(sid)
        fresh.guardian = login
        return web.set_cookie(_see_other(target), new_sid), new_sid

    # -- login --------------------------------------------------------------------------------

    @router.get("/responsable/connexion")
    def login_page(request: Request) -> Response:
        return web.render(request, "guardian_login.html", error=None)

    @router.post("/responsable/connexion")
    async def login(request: Request) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        sid, _, form = got
        username, password = form.get("identifiant", ""), form.get("mot_de_passe", "")
        try:
            step = await call(lambda: web.app.portal().login(username, password))
        except EduconnectError as error:
            status, _ = status_and_code(error)
            return web.render(
                request, "guardian_login.html", status_code=status, error=error.french
            )
        if isinstance(step, FirstConnectionRequired):
            target = "/responsable/premiere-connexion"
        elif isinstance(step, PasswordChangeRequired):
            target = "/responsable/nouveau-mot-de-passe"
        else:
            target = "/responsable/compte"
        response, new_sid = signed_in(request, sid, step.login, target)
        fresh = web.sessions.get(new_sid)
        assert fresh is not None  # noqa: S101 - just created
        fresh.credential = await call(lambda: usecases.credential_version(web.app, step.login))
        if isinstance(step, FirstConnectionRequired | PasswordChangeRequired):
            fresh.pending_password = password
        if isinstance(step, FirstConnectionRequired):
            fresh.step = {"child": step.child_name, "email": step.email or ""}
        if isinstance(step, PendingActivation):
            fresh.step = {"pending": step.email or ""}
        return response

    @router.post("/responsable/deconnexion")
    async def logout(request: Request) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        web.sessions.drop(got[0])
        return _see_other("/responsable/connexion")

    # -- first connection ---------------------------------------------------------------------

    @router.get("/responsable/premiere-connexion")
    async def first_page(request: Request) -> Response:
        found = await current(request)
        if found is None or found[1].pending_password is None or "child" not in found[1].step:
            return _see_other("/responsable/connexion")
        data = found[1]
        return web.render(
            request, "first_connection.html", step=data.step, email=data.step["email"], error=None
        )

    @router.post("/responsable/premiere-connexion")
    async def first_connection(  # noqa: PLR0911 - one page per refusal
        request: Request,
    ) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        found = await current(request)
        if found is None or found[1].pending_password is None or found[1].guardian is None:
            return _see_other("/responsable/connexion")
        _, data, form = got
        login, provisional = found[1].guardian, found[1].pending_password
        assert login is not None  # noqa: S101 - checked above
        new, again = form.get("nouveau", ""), form.get("confirmation", "")
        email, day = form.get("email", ""), _birth_date(form.get("naissance", ""))

        def again_with(error: str, status: int) -> Response:
            return web.render(
                request,
                "first_connection.html",
                status_code=status,
                step=data.step,
                email=email,
                error=error,
            )

        if new != again:
            return again_with(W["different"], 422)
        if day is None:
            return again_with(W["bad_date"], 422)
        try:
            address = await call(
                lambda: web.app.portal().first_connection(
                    login, provisional, new_password=new, email=email, birth_date=day
                )
            )
        except BirthDateLocked as error:
            local = error.retry_at.astimezone(web.settings.timezone)
            return again_with(f"{error.french} {W['retry_at'].format(local)}", 429)
        except EduconnectError as error:
            return again_with(error.french, status_and_code(error)[0])
        web.sessions.drop_guardian(login)
        return web.render(
            request,
            "message.html",
            title="Première connexion",
            messages=[W["link_sent"].format(address)],
        )

    # -- the confirmation link ----------------------------------------------------------------

    @router.get("/activation")
    def activation_page(request: Request, jeton: str = "") -> Response:
        return web.render(request, "activation.html", token=jeton)

    @router.post("/activation")
    async def activate(request: Request) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        token = got[2].get("jeton", "")
        try:
            await call(lambda: web.app.portal().confirm_email(token))
        except EduconnectError as error:
            status, _ = status_and_code(error)
            return web.render(
                request,
                "message.html",
                status_code=status,
                title="Activation",
                messages=[error.french],
            )
        return web.render(
            request,
            "message.html",
            title="Activation",
            messages=[W["activated"]],
            login_link=True,
        )

    # -- the guardian's account ---------------------------------------------------------------

    @router.get("/responsable/compte")
    async def account(request: Request) -> Response:
        found = await current(request)
        if found is None:
            return _see_other("/responsable/connexion")
        return web.render(request, "guardian_account.html", login=found[1].guardian, error=None)

    @router.get("/responsable/nouveau-mot-de-passe")
    async def forced_change_page(request: Request) -> Response:
        found = await current(request)
        if found is None or found[1].pending_password is None:
            return _see_other("/responsable/connexion")
        return web.render(request, "forced_change.html", error=None)

    async def change(request: Request, what: str) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        found = await current(request)
        if found is None or found[1].guardian is None:
            return _see_other("/responsable/connexion")
        sid, data = found
        form = got[2]
        login = data.guardian
        assert login is not None  # noqa: S101 - checked above
        forced = what == "forced"
        current_password = (data.pending_password if forced else form.get("mot_de_passe", "")) or ""
        template = "forced_change.html" if forced else "guardian_account.html"
        try:
            if what == "email":
                await call(
                    lambda: web.app.portal().change_email(
                        login, current_password, form.get("email", "")
                    )
                )
                message = W["email_changed"]
            else:
                if form.get("nouveau", "") != form.get("confirmation", ""):
                    return web.render(
                        request, template, status_code=422, login=login, error=W["different"]
                    )
                await call(
                    lambda: web.app.portal().change_password(
                        login, current_password, form.get("nouveau", "")
                    )
                )
                message = W["password_changed"]
        except EduconnectError as error:
            status, _ = status_and_code(error)
            return web.render(
                request, template, status_code=status, login=login, error=error.french
            )
        if what == "email":
            # A new address is new credentials: every other session of the account ends at its
            # next request, this one goes on under the new generation.
            data.credential = await call(lambda: usecases.credential_version(web.app, login))
            data.flash.append(message)
            return _see_other("/responsable/compte")
        # A new password ends every session of the account, this one included: log in again.
        web.sessions.drop_guardian(login)
        web.sessions.drop(sid)
        return web.render(
            request, "message.html", title="Mot de passe", messages=[message], login_link=True
        )

    @router.post("/responsable/mot-de-passe")
    async def change_password(request: Request) -> Response:
        return await change(request, "password")

    @router.post("/responsable/nouveau-mot-de-passe")
    async def forced_change(request: Request) -> Response:
        return await change(request, "forced")

    @router.post("/responsable/adresse")
    async def change_email(request: Request) -> Response:
        return await change(request, "email")

    return router
