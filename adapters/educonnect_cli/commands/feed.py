"""``integrate``: the directory feed through the bounded-memory path (`integrate_feed`), with a
progress display on standard error and a French report that never cuts a list silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from educonnect_cli.options import JsonOpt
from educonnect_cli.settings import settings_of
from educonnect_cli.terminal import err, guard, out, say

__all__ = ["integrate"]

#: How many rejections and warnings the human report lists before « … et N autres ».
SHOWN = 50


def integrate(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(metavar="CHEMIN", help="Dossier AAF1D ou extraction ONDE (CSV)."),
    ],
    uai: Annotated[
        str | None, typer.Option(metavar="UAI", help="UAI de l'école (extraction ONDE).")
    ] = None,
    school_name: Annotated[
        str | None, typer.Option(metavar="NOM", help="Nom de l'école (extraction ONDE).")
    ] = None,
    assume_ine: Annotated[
        bool,
        typer.Option(
            "--assume-ine/--no-assume-ine",
            help="Extraction ONDE : un élève sans INE est tout de même éligible (par défaut), "
            "ou non.",
        ),
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Intègre le flux annuaire (AAF1D ou ONDE) ; code de sortie 1 si le lot est refusé."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from educonnect_aaf import integrate_feed
    from educonnect_cli import render
    from educonnect_cli.context import open_app

    with (
        guard(),
        open_app(settings_of(ctx), create=True) as app,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed} groupe(s) d'écoles intégré(s)"),
            TimeElapsedColumn(),
            console=err(),
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("Lecture et intégration du flux…", total=None)
        result = integrate_feed(
            app,
            path,
            uai=uai,
            school_name=school_name,
            assume_ine=assume_ine,
            on_group=lambda _group, _report: progress.advance(task),
        )
    report, warnings = result.report, result.warnings
    if as_json:
        render.dump_json(out(), render.integration_json(report, warnings))
        return
    out().print(render.integration_table(report))
    for line in render.integration_lines(report, warnings, limit=SHOWN):
        say(line)
