"""The JSON API under ``/api/v1`` for an ENT backend: the CLI's use cases over HTTP. A director
logs in once (``POST /login``) and sends ``Authorization: Bearer <token>``: no cookie, so no CSRF.
Errors are ``{"error": {"code", "message"}}`` with the status of `educonnect_web.errors.STATUS`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from educonnect_core import (
    ActionReport,
    Channel,
    Director,
    EduconnectError,
    ResponsableRow,
    Selection,
    StatisticsPage,
)
from educonnect_core.serialization import unstructure
from educonnect_web import usecases
from educonnect_web.errors import error_body, status_and_code
from educonnect_web.forms import as_multimap, selection_from
from educonnect_web.state import WebState

__all__ = ["api_app"]

T = TypeVar("T")


class Credentials(BaseModel):
    """A director's login."""

    username: str = Field(max_length=200)
    password: str = Field(max_length=200)


class Search(BaseModel):
    """The §5.1 criteria (code names: ``NOT_NOTIFIED``, ``SCHOOL``…)."""

    text: str = ""
    classes: list[str] = []
    states: list[str] = []
    email: Literal["oui", "non", ""] = ""
    origins: list[str] = []


class Targets(BaseModel):
    """The accounts of an action: the `logins` given, or every account of `search` with `all`."""

    logins: list[str] = []
    all: bool = False
    search: Search = Search()


class NotifyBody(Targets):
    """A notification."""

    channel: Literal["paper", "email"]
    reset: bool = False


class ResendBody(BaseModel):
    """The activation e-mail again, to a corrected address if given."""

    email: str | None = None


def _selection(search: Search, logins: list[str] | None = None) -> Selection:
    data: dict[str, list[str]] = {
        "texte": [search.text],
        "classe": search.classes,
        "etat": search.states,
        "mail": [search.email],
        "origine": search.origins,
        "login": logins or [],
    }
    return selection_from(as_multimap(data), 0, logins=bool(logins))


def _row(row: ResponsableRow) -> dict[str, Any]:
    """A list row as JSON: code names, ISO dates, the state's label; never the password."""
    return {
        "uai": row.uai,
        "student_id": row.student_id,
        "student_surname": row.student_surname,
        "student_first_name": row.student_first_name,
        "student_birth_date": row.student_birth_date.isoformat(),
        "class_id": row.class_id,
        "class_name": row.class_name,
        "level": None if row.level is None else row.level.code,
        "account_id": row.account_id,
        "login": row.login,
        "surname": row.surname,
        "first_name": row.first_name,
        "has_email": row.has_email,
        "origin": row.origin.name,
        "state": row.state.name,
        "state_label": row.state.label,
        "distributed_at": None if row.distributed_at is None else row.distributed_at.isoformat(),
        "last_login_at": None if row.last_login_at is None else row.last_login_at.isoformat(),
        "blocked": row.blocked,
    }


def _report(report: ActionReport) -> dict[str, Any]:
    document = report.document
    return {
        "action": report.action.name,
        "uai": report.uai,
        "at": report.at.isoformat(),
        "messages": list(report.messages),
        "outcomes": unstructure(list(report.outcomes)),
        "document": None
        if document is None
        else {
            "filename": document.filename,
            "content_base64": base64.b64encode(document.content).decode("ascii"),
        },
    }


def _statistics(page: StatisticsPage) -> dict[str, Any]:
    """The statistics page as JSON: the guide's sentences and tables (`StatisticsPage`), and the
    raw figures once computed.
    """
    data: dict[str, Any] = {
        "computed": page.computed,
        "message": page.message,
        "last_update": page.last_update,
        "tables": [
            {
                "title": t.title,
                "headers": list(t.headers),
                "rows": [list(r) for r in t.rows],
                "message": t.message,
            }
            for t in page.tables()
        ],
    }
    stats = page.statistics
    if stats is None:
        return data
    raw: dict[str, Any] = unstructure(stats)
    for key in ("by_class", "by_level"):
        for line_data, line in zip(raw[key], getattr(stats, key), strict=True):
            line_data["percent_activated"] = line.percent_activated
    raw["summary"]["percent_activated"] = stats.summary.percent_activated
    raw["summary"]["percent_pupils_with_activated_guardian"] = (
        stats.summary.percent_pupils_with_activated_guardian
    )
    return {**raw, **data}


def api_app(web: WebState) -> FastAPI:  # noqa: PLR0915 - one route per use case
    """The JSON API, an ASGI application to mount at ``/api/v1``."""
    api = FastAPI(
        title=web.settings.title,
        version="1",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.web = web

    @api.exception_handler(EduconnectError)
    def _error(request: Request, error: EduconnectError) -> JSONResponse:
        status, _ = status_and_code(error)
        return JSONResponse(error_body(error), status_code=status)

    async def call(function: Callable[[], T]) -> T:
        return await run_in_threadpool(function)

    @api.exception_handler(_UnauthorisedError)
    def _unauthorised(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse(
            {"error": {"code": "unauthenticated", "message": "Authentification requise."}},
            status_code=401,
            headers={"www-authenticate": "Bearer"},
        )

    @api.post("/login")
    async def login(body: Credentials) -> dict[str, str]:
        """A bearer token for the director (ends after an hour without use)."""
        found = await call(lambda: web.authenticator.authenticate(body.username, body.password))
        if found is None:
            raise _UnauthorisedError
        token, data = web.sessions.new()
        data.director_id = found.director_id
        web.directors[found.director_id] = found
        return {"token": token, "token_type": "bearer"}

    @api.post("/logout")
    def logout(who: Who, authorization: Annotated[str, Header()] = "") -> dict[str, bool]:
        """End the token."""
        web.sessions.drop(authorization.partition(" ")[2])
        return {"ok": True}

    @api.get("/schools")
    async def schools(who: Who) -> list[dict[str, str]]:
        """The schools in the director's charge."""
        found = await call(lambda: web.app.administration(who).schools())
        return [{"uai": s.uai.value, "name": s.name} for s in found]

    @api.get("/schools/{uai}/list")
    async def rows(  # noqa: PLR0917 - FastAPI passes each query parameter as an argument
        who: Who,
        uai: str,
        text: str = "",
        classes: Annotated[list[str], Query(alias="class")] = [],  # noqa: B006 - FastAPI's idiom
        states: Annotated[list[str], Query(alias="state")] = [],  # noqa: B006
        email: Literal["oui", "non", ""] = "",
        origins: Annotated[list[str], Query(alias="origin")] = [],  # noqa: B006
        sort: str = "PUPIL",
        desc: bool = False,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 50,
    ) -> dict[str, Any]:
        """One page of the Responsables list (guide §5.1); no passwords."""
        params: dict[str, list[str]] = {
            "texte": [text],
            "classe": classes,
            "etat": states,
            "mail": [email],
            "origine": origins,
            "tri": [sort],
            "ordre": ["desc" if desc else ""],
            "page": [str(page)],
        }
        selection = selection_from(as_multimap(params), page_size)
        result = await call(lambda: usecases.rows(web.app.administration(who), uai, selection))
        out = [_row(row) for row in result.rows]
        return {
            "rows": out,
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "page_size": result.page_size,
        }

    @api.get("/schools/{uai}/accounts/{login}")
    async def account(who: Who, uai: str, login: str) -> dict[str, Any]:
        """The account page (guide §5.2); audited."""
        page = await call(lambda: usecases.account(web.app.administration(who), uai, login))
        data: dict[str, Any] = unstructure(page)
        data["state_label"] = page.state.label
        return data

    def targets(body: Targets) -> Selection | list[str]:
        if body.all == bool(body.logins):
            raise _BadTargetsError
        return _selection(body.search) if body.all else body.logins

    @api.exception_handler(_BadTargetsError)
    def _bad_targets(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse(
            {
                "error": {
                    "code": "bad_targets",
                    "message": "Donnez soit des identifiants, soit « all » avec une recherche.",
                }
            },
            status_code=422,
        )

    @api.post("/schools/{uai}/notify")
    async def notify(who: Who, uai: str, body: NotifyBody) -> dict[str, Any]:
        """(Re)notify accounts by paper (the PDF in base64) or e-mail (guide §5.3)."""
        channel = Channel.PAPER if body.channel == "paper" else Channel.EMAIL
        chosen = targets(body)
        report = await call(
            lambda: usecases.notify(
                web.app.administration(who), uai, chosen, channel, reset_password=body.reset
            )
        )
        return _report(report)

    @api.post("/schools/{uai}/reset")
    async def reset(who: Who, uai: str, body: Targets) -> dict[str, Any]:
        """Reset passwords (guide §5.5)."""
        chosen = targets(body)
        report = await call(lambda: usecases.reset(web.app.administration(who), uai, chosen))
        return _report(report)

    @api.post("/schools/{uai}/accounts/{login}/resend")
    async def resend(who: Who, uai: str, login: str, body: ResendBody) -> dict[str, Any]:
        """Resend the activation e-mail (guide §5.6)."""
        report = await call(
            lambda: usecases.resend(web.app.administration(who), uai, login, body.email)
        )
        return _report(report)

    @api.post("/schools/{uai}/export")
    async def export(
        who: Who,
        uai: str,
        body: Search,
        fmt: Annotated[Literal["csv", "pdf"], Query(alias="format")],
    ) -> Response:
        """The CSV or PDF list (guide §5.4); audited."""
        selection = _selection(body)
        document = await call(
            lambda: usecases.export(web.app.administration(who), uai, selection, fmt)
        )
        return Response(
            document.content,
            media_type="text/csv; charset=utf-8" if fmt == "csv" else "application/pdf",
            headers={"content-disposition": f'attachment; filename="{document.filename}"'},
        )

    @api.get("/schools/{uai}/stats")
    async def stats(who: Who, uai: str) -> dict[str, Any]:
        """The statistics last computed (guide §6.1)."""
        found = await call(lambda: usecases.statistics(web.app.administration(who), uai))
        return _statistics(found)

    @api.post("/schools/{uai}/stats")
    async def compute(who: Who, uai: str) -> dict[str, Any]:
        """« Calculer les statistiques »."""
        found = await call(
            lambda: usecases.statistics(web.app.administration(who), uai, compute=True)
        )
        return _statistics(found)

    @api.post("/outbox/send")
    async def outbox(who: Who) -> JSONResponse:
        """Hand the committed e-mails to the mailer; operators only (settings.operators)."""
        if who.director_id not in web.settings.operators:
            return JSONResponse(
                {"error": {"code": "forbidden", "message": "Action réservée à l’exploitant."}},
                status_code=403,
            )
        delivery = await call(web.app.deliver_pending)
        return JSONResponse(
            {
                "sent": len(delivery.sent),
                "failed": [{"message_id": m, "reason": r} for m, _account, r in delivery.failed],
            }
        )

    return api


class _UnauthorisedError(Exception):
    """No valid bearer token."""


class _BadTargetsError(Exception):
    """Neither logins nor « all », or both."""


def _director(request: Request, authorization: Annotated[str, Header()] = "") -> Director:
    """The director of the bearer token."""
    web: WebState = request.app.state.web
    scheme, _, token = authorization.partition(" ")
    data = web.sessions.get(token) if scheme.lower() == "bearer" else None
    found = None if data is None else web.director(data)
    if found is None:
        raise _UnauthorisedError
    return found


Who = Annotated[Director, Depends(_director)]
