"""``integrate``: the directory feed through the bounded-memory path (`integrate_feed`), with a
progress display on standard error and a French report that never cuts a list silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from educonnect_cli.options import JsonOpt
from educonnect_cli.settings import settings_of
from educonnect_cli.terminal import err, guard, out, say

if TYPE_CHECKING:
    from educonnect_aaf import FeedGroup

__all__ = ["integrate", "schools_in"]

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
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from educonnect_aaf import integrate_feed
    from educonnect_cli import render
    from educonnect_cli.context import open_app

    with guard(), open_app(settings_of(ctx), create=True) as app:
        total = schools_in(path)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            TextColumn("écoles — reste"),
            TimeRemainingColumn(),
            TextColumn("— écoulé"),
            TimeElapsedColumn(),
            console=err(),
            transient=True,
        ) as progress:
            task = progress.add_task("Lecture du flux…", total=total)

            def group_done(group: FeedGroup, _report: object) -> None:
                progress.update(
                    task,
                    description="Intégration",
                    advance=len(group.snapshot.schools),
                )

            result = integrate_feed(
                app,
                path,
                uai=uai,
                school_name=school_name,
                assume_ine=assume_ine,
                on_group=group_done,
            )
            progress.update(task, completed=total or 0)
    report, warnings = result.report, result.warnings
    if as_json:
        render.dump_json(out(), render.integration_json(report, warnings))
        return
    out().print(render.integration_table(report))
    for line in render.integration_lines(report, warnings, limit=SHOWN):
        say(line)


def schools_in(path: Path) -> int | None:
    """How many school records the AAF run at `path` holds (its small EtabEducNat files are read
    once more), the total of the progress bar; None for an ONDE extraction or an unreadable run
    (`integrate_feed` then says what is wrong).
    """
    from educonnect_aaf import FeedError, find_run, iter_records
    from educonnect_aaf.feed import is_onde
    from educonnect_aaf.files import is_aaf_name

    if not path.exists() or is_onde(path):
        return None
    folder = path.parent if path.is_file() and is_aaf_name(path.name) else path
    try:
        return sum(1 for file in find_run(folder).schools for _ in iter_records(file))
    except FeedError:
        return None
