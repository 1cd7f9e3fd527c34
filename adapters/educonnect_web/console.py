"""The director's console (guide §4–§6): login, school choice, the Responsables list and its
actions, the account page, the Statistiques tab. Every rule is the core's; this module only turns
requests into calls and reports into pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from typing import Final, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from educonnect_core import (
    AccountState,
    Action,
    ActionReport,
    Administration,
    Channel,
    CredentialsRefused,
    Director,
    EduconnectError,
    Origin,
    ResponsableRow,
    Say,
    Selection,
    SortColumn,
)
from educonnect_core.domain.statistics import COUNT_HEADERS
from educonnect_web import charts, usecases
from educonnect_web.errors import status_and_code
from educonnect_web.forms import search_pairs, search_query, selection_from
from educonnect_web.security import SessionData
from educonnect_web.state import STATE_CLASSES, WebState
from educonnect_web.usecases import WORDING, Choice

__all__ = ["console_router"]

T = TypeVar("T")

#: The statistics tables' state columns (« Nombre de comptes non notifiés » …), shown with the
#: state's colour beside the guide's header.
HEADER_STATES = dict(zip(COUNT_HEADERS[1:5], AccountState, strict=True))


#: One row of the Responsables table. Written here rather than in the template because the
#: row loop was most of the page's rendering time; every value goes through `html.escape` (see
#: `rows_html`), so a hostile name from the feed is text here as everywhere.
_ROW: Final = (
    '<tr><td><input type="checkbox" name="login" value="{login}" id="c{n}" '
    'aria-label="Cocher {guardian} ({pupil})"></td>'
    "<td>{pupil}</td><td>{class_name}</td><td>{guardian}</td><td>{login}</td><td>{email}</td>"
    '<td>{origin}</td><td><span class="etat {state_class}"><span class="pastille" '
    'aria-hidden="true"></span>{state}</span></td><td>{distributed}</td><td>{last_login}</td>'
    '<td><a href="/directeur/ecoles/{uai}/comptes/{quoted}">Consulter<span class="invisible">'
    " le compte de {guardian}</span></a></td></tr>\n"
)
#: The rows' fixed texts, escaped once.
_STATES: Final = {s: (escape(s.label), STATE_CLASSES[s]) for s in AccountState}
_ORIGINS: Final = {o: escape(o.label) for o in Origin}
_YES_NO: Final = {True: "Oui", False: "Non"}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def console_router(web: WebState) -> APIRouter:  # noqa: PLR0915 - one route per screen
    """The routes of the director's console, under ``/directeur``."""
    router = APIRouter(prefix="/directeur")

    def logged_in(request: Request) -> tuple[str, SessionData, Director | None]:
        sid, data = web.session(request)
        return sid, data, web.director(data)

    def admin_of(director: Director) -> Administration:
        return web.app.administration(director)

    async def call(function: Callable[[], T]) -> T:
        return await run_in_threadpool(function)

    def error_page(request: Request, error: EduconnectError) -> Response:
        status, code = status_and_code(error)
        return web.render(
            request, "error.html", status_code=status, message=error.french, code=code
        )

    def to_login() -> RedirectResponse:
        return _see_other("/directeur/connexion")

    async def checked_form(request: Request, data: SessionData) -> FormData | None:
        form = await request.form()
        return form if web.csrf_ok(data, form) else None

    def refused_csrf(request: Request) -> Response:
        return web.render(
            request,
            "error.html",
            status_code=403,
            message=WORDING["expired_form"],
            code="csrf",
        )

    # -- login --------------------------------------------------------------------------------

    @router.get("/connexion")
    def login_page(request: Request) -> Response:
        return web.render(request, "director_login.html", error=None)

    @router.post("/connexion")
    async def login(request: Request) -> Response:
        sid, data = web.session(request)
        form = await checked_form(request, data)
        if form is None:
            return refused_csrf(request)
        username, password = str(form.get("identifiant", "")), str(form.get("mot_de_passe", ""))
        director = await call(lambda: web.authenticator.authenticate(username, password))
        if director is None:
            return web.render(
                request, "director_login.html", status_code=401, error=CredentialsRefused.french
            )
        new_sid, fresh = web.sessions.rotate(sid)
        fresh.director_id = director.director_id
        web.directors[director.director_id] = director
        return web.set_cookie(_see_other("/directeur"), new_sid)

    @router.post("/deconnexion")
    async def logout(request: Request) -> Response:
        sid, data = web.session(request)
        if await checked_form(request, data) is None:
            return refused_csrf(request)
        web.sessions.drop(sid)
        return _see_other("/")

    # -- home: school choice ------------------------------------------------------------------

    @router.get("")
    async def home(request: Request) -> Response:
        _, data, director = logged_in(request)
        if director is None:
            return to_login()
        schools = await call(lambda: admin_of(director).schools())
        if len(schools) == 1 and data.uai is None:
            data.uai = schools[0].uai.value
        return web.render(request, "home.html", director=director, schools=schools)

    # -- Responsables list --------------------------------------------------------------------

    @router.get("/ecoles/{uai}/responsables")
    async def responsables(request: Request, uai: str) -> Response:
        _, data, director = logged_in(request)
        if director is None:
            return to_login()
        # One trip to the thread pool for the whole page: the reads and the rendering.
        return await call(lambda: responsables_page(request, data, director, uai))

    def responsables_page(
        request: Request, data: SessionData, director: Director, uai: str
    ) -> Response:
        try:
            selection = selection_from(request.query_params, web.settings.page_size)
            admin = admin_of(director)
            page = usecases.rows(admin, uai, selection)
            school, classes = usecases.school_and_classes(web.app, admin, uai)
        except EduconnectError as error:
            return error_page(request, error)
        data.uai = uai
        pairs = search_pairs(selection)
        data.last_search = search_query(selection, pairs)
        return web.render(
            request,
            "responsables.html",
            director=director,
            uai=uai,
            school=school,
            classes=classes,
            page=page,
            rows=rows_html(uai, page.rows),
            selection=selection,
            hidden=pairs,
            query=lambda **changes: search_query(selection, pairs, **changes),
            states=list(AccountState),
            origins=list(Origin),
            columns=list(SortColumn),
            menus=usecases.LIST_ACTIONS,
            with_reset=usecases.WITH_RESET,
            empty=Say.NO_RESULT.text,
        )

    def rows_html(uai: str, rows: Sequence[ResponsableRow]) -> Markup:
        """The table's rows: each one format of escaped values (`html.escape`, quotes too)."""
        stamps: dict[datetime | None, str] = {None: ""}  # most rows share their dates

        def when(moment: datetime | None) -> str:
            found = stamps.get(moment)
            if found is None:
                found = stamps[moment] = escape(web.when(moment))
            return found

        school = escape(uai)
        lines = []
        for n, row in enumerate(rows, 1):
            state, state_class = _STATES[row.state]
            lines.append(
                _ROW.format(
                    uai=school,
                    n=n,
                    login=escape(row.login),
                    quoted=escape(quote(row.login)),
                    pupil=escape(row.pupil_name),
                    class_name=escape(row.class_name),
                    guardian=escape(row.responsable_name),
                    email=_YES_NO[row.has_email],
                    origin=_ORIGINS[row.origin],
                    state=state,
                    state_class=state_class,
                    distributed=when(row.distributed_at),
                    last_login=when(row.last_login_at),
                )
            )
        return Markup("".join(lines))  # noqa: S704 - every value above is escaped

    def targets_of(form: FormData, selection: Selection) -> Selection | list[str] | None:
        if form.get("tous") == "1":
            return selection
        logins = [v for v in form.getlist("login") if isinstance(v, str) and v]
        return logins or None

    @router.post("/ecoles/{uai}/actions")
    async def bulk_action(  # noqa: PLR0911 - one answer per outcome of the form
        request: Request, uai: str
    ) -> Response:
        _, data, director = logged_in(request)
        if director is None:
            return to_login()
        form = await checked_form(request, data)
        if form is None:
            return refused_csrf(request)
        chosen = usecases.choice(str(form.get("action", "")), unit=False)
        reset_too = form.get("reinitialiser") == "1"
        try:
            selection = selection_from(form, 0)
            if chosen is None:
                return _see_other(f"/directeur/ecoles/{quote(uai)}/responsables?{data.last_search}")
            admin = admin_of(director)
            if chosen.action in (Action.EXPORT_CSV, Action.EXPORT_PDF):
                fmt = "csv" if chosen.action is Action.EXPORT_CSV else "pdf"
                document = await call(lambda: usecases.export(admin, uai, selection, fmt))
                media = "text/csv; charset=utf-8" if fmt == "csv" else "application/pdf"
                return Response(
                    document.content,
                    media_type=media,
                    headers={
                        "content-disposition": f'attachment; filename="{document.filename}"',
                        "cache-control": "no-store",
                    },
                )
            targets = targets_of(form, selection)
            if targets is None:
                data.flash.append(WORDING["none_ticked"])
                return _see_other(f"/directeur/ecoles/{quote(uai)}/responsables?{data.last_search}")
            asked = usecases.question(chosen, reset_too=reset_too, unit=False)
            if form.get("valider") != "1" and asked is not None:
                ticked = [] if isinstance(targets, Selection) else targets
                await call(lambda: usecases.check_in_scope(admin, uai, ticked))
                return web.render(
                    request,
                    "confirm.html",
                    director=director,
                    uai=uai,
                    question=asked,
                    fields=[
                        ("action", chosen.key),
                        ("reinitialiser", "1" if reset_too else ""),
                        ("tous", "1" if isinstance(targets, Selection) else ""),
                        *search_pairs(selection),
                        *(("login", login) for login in ticked),
                    ],
                    post_to=f"/directeur/ecoles/{uai}/actions",
                    back=f"/directeur/ecoles/{uai}/responsables?{data.last_search}",
                )
            report = await call(lambda: perform(admin, uai, chosen, targets, reset_too))
        except EduconnectError as error:
            return error_page(request, error)
        return result_page(request, data, director, uai, report, None)

    def perform(
        admin: Administration,
        uai: str,
        chosen: Choice,
        targets: Selection | list[str] | str,
        reset_too: bool,
    ) -> ActionReport:
        if chosen.action is Action.RESET_PASSWORD:
            return usecases.reset(admin, uai, targets)
        channel = chosen.channel or Channel.PAPER
        return usecases.notify(admin, uai, targets, channel, reset_password=reset_too)

    def result_page(  # noqa: PLR0917 - an inner helper of the router
        request: Request,
        data: SessionData,
        director: Director,
        uai: str,
        report: ActionReport,
        login: str | None,
    ) -> Response:
        document_url = None
        if report.document is not None:
            key = web.sessions.keep_document(
                data, report.document.filename, "application/pdf", report.document.content
            )
            document_url = f"/directeur/documents/{key}"
        back = (
            f"/directeur/ecoles/{uai}/comptes/{quote(login)}"
            if login
            else f"/directeur/ecoles/{uai}/responsables?{data.last_search}"
        )
        return web.render(
            request,
            "result.html",
            director=director,
            uai=uai,
            messages=report.messages,
            document_url=document_url,
            download=report.download_label,
            back=back,
        )

    @router.get("/documents/{key}")
    def document(request: Request, key: str) -> Response:
        _, data, director = logged_in(request)
        if director is None or key not in data.documents:
            return web.render(
                request,
                "error.html",
                status_code=404,
                message="Ce document n’est plus disponible.",
                code="not_found",
            )
        filename, media, content = data.documents[key]
        return Response(
            content,
            media_type=media,
            headers={
                "content-disposition": f'attachment; filename="{filename}"',
                "cache-control": "no-store",
            },
        )

    # -- account page -------------------------------------------------------------------------

    @router.get("/ecoles/{uai}/comptes/{login}")
    async def account_page(request: Request, uai: str, login: str) -> Response:
        _, data, director = logged_in(request)
        if director is None:
            return to_login()
        try:
            admin = admin_of(director)
            page = await call(lambda: usecases.account(admin, uai, login))
        except EduconnectError as error:
            return error_page(request, error)
        return web.render(
            request,
            "account.html",
            director=director,
            uai=uai,
            account=page,
            fields=page.fields(web.settings.timezone),
            menus=[
                (menu, [c for c in choices if c.action in page.actions])
                for menu, choices in usecases.ACCOUNT_ACTIONS
            ],
            with_reset=usecases.WITH_RESET if Action.NOTIFY_WITH_RESET in page.actions else None,
            back=f"/directeur/ecoles/{uai}/responsables?{data.last_search}",
        )

    @router.post("/ecoles/{uai}/comptes/{login}/actions")
    async def account_action(request: Request, uai: str, login: str) -> Response:
        _, data, director = logged_in(request)
        if director is None:
            return to_login()
        form = await checked_form(request, data)
        if form is None:
            return refused_csrf(request)
        chosen = usecases.choice(str(form.get("action", "")), unit=True)
        if chosen is None:
            return _see_other(f"/directeur/ecoles/{quote(uai)}/comptes/{quote(login)}")
        reset_too = form.get("reinitialiser") == "1"
        email = str(form.get("email", "")).strip()
        admin = admin_of(director)
        try:
            asked = usecases.question(chosen, reset_too=reset_too, unit=True)
            if form.get("valider") != "1" and asked is not None:
                # Reading the page first proves the account is in scope before any question.
                await call(lambda: usecases.account(admin, uai, login))
                return web.render(
                    request,
                    "confirm.html",
                    director=director,
                    uai=uai,
                    question=asked,
                    fields=[("action", chosen.key), ("reinitialiser", "1" if reset_too else "")],
                    post_to=f"/directeur/ecoles/{uai}/comptes/{login}/actions",
                    back=f"/directeur/ecoles/{uai}/comptes/{quote(login)}",
                )
            if chosen.action is Action.RESEND_ACTIVATION_EMAIL:
                report = await call(lambda: usecases.resend(admin, uai, login, email))
            else:
                report = await call(lambda: perform(admin, uai, chosen, login, reset_too))
        except EduconnectError as error:
            return error_page(request, error)
        return result_page(request, data, director, uai, report, login)

    # -- statistics ---------------------------------------------------------------------------

    async def statistics_page(request: Request, uai: str, *, compute: bool) -> Response:
        _, data, director = logged_in(request)
        if director is None:
            return to_login()
        if compute and await checked_form(request, data) is None:
            return refused_csrf(request)
        try:
            admin = admin_of(director)
            page = await call(lambda: usecases.statistics(admin, uai, compute=compute))
        except EduconnectError as error:
            return error_page(request, error)
        data.uai = uai
        return web.render(
            request,
            "statistics.html",
            director=director,
            uai=uai,
            page=page,
            tables=page.tables(),
            header_states=HEADER_STATES,
            chart=None if page.statistics is None else charts.activation_by_class(page.statistics),
        )

    @router.get("/ecoles/{uai}/statistiques")
    async def statistics(request: Request, uai: str) -> Response:
        return await statistics_page(request, uai, compute=False)

    @router.post("/ecoles/{uai}/statistiques")
    async def compute_statistics(request: Request, uai: str) -> Response:
        return await statistics_page(request, uai, compute=True)

    return router
