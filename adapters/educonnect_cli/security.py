"""``educonnect key rotate`` and ``educonnect audit verify``: the key of the secrets at rest and
the audit trail's hash chain, for the operator of the database.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from educonnect_cli.context import Settings, database_url
from educonnect_core import EduconnectError
from educonnect_core.domain.audit import first_broken, head
from educonnect_sql import SqlStorage
from educonnect_sql.keys import (
    Key,
    default_key,
    existing_key,
    key_path,
    sqlite_file,
    write_key_file,
)

__all__ = ["audit_app", "key_app"]

key_app = typer.Typer(help="Clé de chiffrement des secrets de la base.", no_args_is_help=True)
audit_app = typer.Typer(help="Journal d’audit de la base.", no_args_is_help=True)
_out = Console()
_errors = Console(stderr=True)


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj[0]
    return settings


def _fail(error: EduconnectError) -> NoReturn:
    french = getattr(error, "french", None) or str(error)
    _errors.print(f"[bold red]Erreur :[/] {escape(french)}", highlight=False)
    raise typer.Exit(1)


def _say_error(sentence: str) -> NoReturn:
    _errors.print(f"[bold red]Erreur :[/] {escape(sentence)}", highlight=False)
    raise typer.Exit(1)


@key_app.command("rotate")
def rotate(
    ctx: typer.Context,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="Fichier où écrire la nouvelle clé (par défaut : le fichier de clé de la base "
            "SQLite, <base>.key).",
        ),
    ] = None,
) -> None:
    """Chiffrer tous les secrets de la base avec une nouvelle clé, en une seule transaction."""
    url = database_url(_settings(ctx).db)
    database = sqlite_file(url)
    target = key_file or (None if database is None else key_path(database))
    if target is None:
        _say_error("Indiquez avec --key-file où écrire la nouvelle clé.")
    new = Key.generate()
    staged = target.with_name(target.name + ".new")
    try:
        storage = SqlStorage.open(url, key=default_key(url))
    except EduconnectError as error:
        _fail(error)
    try:
        # The new key is on disk before the database uses it: an interruption after the
        # commit leaves it in <key>.new, never lost.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)
        write_key_file(staged, new)
        count = storage.rotate_key(new)
    except EduconnectError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)
        _fail(error)
    except OSError as error:
        _say_error(
            f"Impossible d’écrire la nouvelle clé dans {staged} ({error.strerror}) ; "
            "la base n’a pas été modifiée."
        )
    finally:
        storage.close()
    try:
        os.replace(staged, target)
    except OSError as error:
        _say_error(
            f"La base utilise la nouvelle clé, qui est dans {staged} : elle n’a pas pu "
            f"remplacer {target} ({error.strerror}) ; renommez ce fichier vous-même."
        )
    _out.print(
        f"Clé remplacée : {count} secret(s) chiffré(s) de nouveau ; "
        f"nouvelle clé dans {escape(str(target))}.",
        highlight=False,
    )
    if os.environ.get("EDUCONNECT_KEY"):
        _out.print(
            "La variable EDUCONNECT_KEY contient encore l’ancienne clé : "
            "remplacez-la par le contenu du nouveau fichier.",
            highlight=False,
        )


@audit_app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Vérifier le chaînage du journal d’audit ; nomme la première entrée altérée."""
    url = database_url(_settings(ctx).db)
    try:
        storage = SqlStorage.open(url, key=existing_key(url))
    except EduconnectError as error:
        _fail(error)
    try:
        with storage.unit_of_work() as uow:
            chain = list(uow.audit.chain())
    except EduconnectError as error:
        _fail(error)
    finally:
        storage.close()
    broken = first_broken(chain)
    if broken is not None:
        entry = broken.entry
        _errors.print(
            f"Journal d’audit altéré : l’entrée n° {broken.position} "
            f"({escape(entry.at.isoformat())}, {escape(entry.actor)}, {escape(entry.action)}) "
            "ne correspond pas à son empreinte ; elle, ou une entrée qui la précède, a été "
            "modifiée, insérée ou supprimée.",
            highlight=False,
        )
        raise typer.Exit(1)
    _out.print(
        f"Journal d’audit intact : {len(chain)} entrée(s) vérifiée(s). "
        f"Empreinte de la dernière : {head(chain)}",
        highlight=False,
    )
