"""``educonnect serve``: the web console and the JSON API (`educonnect_web`, extra ``web``) on the
command line's database. The web stack is imported only when the command runs.
"""

from __future__ import annotations

from typing import Annotated

import attrs
import typer

from educonnect_cli.settings import settings_of

__all__ = ["serve"]


def serve(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option(metavar="BASE", help="Base : chemin SQLite ou URL.")
    ] = None,
    host: Annotated[str, typer.Option(metavar="ADRESSE", help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port d'écoute.")] = 8000,
    public_url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="Adresse publique (liens des courriels d'activation)."),
    ] = None,
    tls: Annotated[
        bool, typer.Option("--tls", help="Servi derrière HTTPS (cookies Secure).")
    ] = False,
) -> None:
    """Ouvre la console web (directeurs et responsables) et l'API JSON /api/v1."""
    from educonnect_cli.serve import run_console

    settings = settings_of(ctx)
    if db is not None:
        settings = attrs.evolve(settings, db=db)
    run_console(settings, host=host, port=port, public_url=public_url, tls=tls)
