"""``demo``: a simulated school year into a folder the demo owns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from educonnect_cli.terminal import guard

__all__ = ["demo"]


def demo(
    out: Annotated[
        Path,
        typer.Option(
            metavar="DOSSIER",
            help="Dossier de sortie : nouveau, vide, ou une sortie précédente de la démo "
            "(seuls les fichiers qu'elle a écrits sont remplacés).",
        ),
    ] = Path("demo-output"),
    seed: Annotated[
        int, typer.Option(metavar="N", help="Graine : même graine, même année.")
    ] = 2025,
    pupils: Annotated[int, typer.Option(metavar="N", help="Nombre d'élèves environ.")] = 300,
) -> None:
    """Simule une année scolaire sur SQLite, PDF et courriels .eml, dans --out."""
    from educonnect_cli.demo import run_demo
    from educonnect_cli.terminal import out as console

    with guard():
        run_demo(out, seed=seed, pupils=pupils, console=console())
