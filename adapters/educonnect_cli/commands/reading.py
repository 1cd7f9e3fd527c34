"""Commands that only read: ``schools``, ``list``, ``account``, ``stats``.

They never create nor change a database: the SQLite file must exist and is opened read-only. An
unknown school, class, state or page is an error naming what exists (exit code 1).
"""

from __future__ import annotations

from typing import Annotated

import typer

from educonnect_cli.options import (
    ClassOpt,
    Criteria,
    EmailOpt,
    JsonOpt,
    OriginOpt,
    StateOpt,
    TextOpt,
    UaiArg,
    known_school,
)
from educonnect_cli.settings import settings_of
from educonnect_cli.terminal import fail, guard, out, say

__all__ = ["account", "list_rows", "schools", "stats", "stats_nightly"]


def schools(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Les écoles de la base (celles d'un directeur avec --director)."""
    from educonnect_cli import render
    from educonnect_cli.context import acting_director, open_app

    settings = settings_of(ctx)
    with guard(), open_app(settings, read_only=True) as app:
        if settings.director is None:
            with app.runtime.storage.unit_of_work() as uow:
                found = list(uow.directory.schools(None))
        else:
            found = list(app.administration(acting_director(settings)).schools())
    if as_json:
        render.dump_json(out(), [{"uai": s.uai.value, "name": s.name} for s in found])
        return
    for school in found:
        say(f"{school.uai}  {school.name}")


def list_rows(
    ctx: typer.Context,
    uai: UaiArg,
    text: TextOpt = "",
    classes: ClassOpt = None,
    states: StateOpt = None,
    email: EmailOpt = None,
    origins: OriginOpt = None,
    sort: Annotated[
        str | None,
        typer.Option(
            metavar="COLONNE",
            help="Colonne de tri, par son titre (« Élève », « Classe », « Responsable », "
            "« Identifiant »…) ou son code (PUPIL, CLASS…).",
        ),
    ] = None,
    desc: Annotated[bool, typer.Option("--desc", help="Ordre descendant.")] = False,
    page: Annotated[int, typer.Option(metavar="N", min=1, help="Page (50 lignes).")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """La liste des responsables d'une école (guide §5.1)."""
    from educonnect_cli import render
    from educonnect_cli.context import PARIS, acting_director, open_app

    settings = settings_of(ctx)
    criteria = Criteria(text, classes or (), states or (), email, origins or ())
    with guard(), open_app(settings, read_only=True) as app:
        school = known_school(app, uai)
        selection = criteria.selection(app, school, sort=sort, descending=desc, page=page)
        result = app.administration(acting_director(settings, uai)).rows(uai, selection)
    if result.total and page > result.pages:
        fail(f"La page {page} n'existe pas : la liste a {result.pages} page(s).")
    if as_json:
        render.dump_json(out(), render.rows_json(result))
    elif result.total == 0:
        say(render.NO_RESULT)
    else:
        out().print(render.rows_table(result, PARIS))


def account(
    ctx: typer.Context,
    uai: UaiArg,
    login: Annotated[str, typer.Argument(metavar="IDENTIFIANT", help="Identifiant du compte.")],
    as_json: JsonOpt = False,
) -> None:
    """La page d'un compte (guide §5.2)."""
    from educonnect_cli import render
    from educonnect_cli.context import PARIS, acting_director, open_app

    settings = settings_of(ctx)
    with guard(), open_app(settings) as app:
        known_school(app, uai)
        page = app.administration(acting_director(settings, uai)).account(uai, login)
    if as_json:
        render.dump_json(out(), render.account_json(page))
    else:
        out().print(render.account_table(page, PARIS))


def stats(
    ctx: typer.Context,
    uai: UaiArg,
    compute: Annotated[
        bool,
        typer.Option(
            "--calculer",
            "--compute",
            help="« Calculer les statistiques » maintenant, les enregistrer, puis les afficher.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Les statistiques d'une école telles qu'enregistrées (guide §6.1), ou calculées d'abord."""
    from educonnect_cli import render
    from educonnect_cli.context import acting_director, open_app

    settings = settings_of(ctx)
    with guard(), open_app(settings, read_only=not compute) as app:
        known_school(app, uai)
        admin = app.administration(acting_director(settings, uai))
        if compute:
            admin.compute_statistics(uai)
        page = admin.statistics(uai)
    if as_json:
        render.dump_json(out(), render.statistics_page_json(page))
        return
    for table, message in render.statistics_tables(page):
        out().print(table)
        if message:
            say(message)
    say(page.last_update)
    if not page.computed:
        say(f"« {page.button} » : educonnect stats {page.uai} --calculer")


def stats_nightly(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Calcule et enregistre les statistiques de toutes les écoles (tâche de nuit, cron)."""
    from educonnect_cli import render
    from educonnect_cli.context import open_app
    from educonnect_core.domain.messages import last_update

    with guard(), open_app(settings_of(ctx)) as app:
        computed = app.compute_all_statistics()
        zone = app.runtime.timezone
    if as_json:
        render.dump_json(
            out(),
            [
                {"uai": s.uai, "updated_at": s.computed_at.astimezone(zone).isoformat()}
                for s in computed
            ],
        )
        return
    latest = max((s.computed_at for s in computed), default=None)
    when = last_update(None if latest is None else latest.astimezone(zone))
    say(f"Statistiques calculées pour {len(computed)} école(s). {when}.")
