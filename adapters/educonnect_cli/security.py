"""``educonnect key rotate`` and ``educonnect audit verify``: the key of the secrets at rest and
the audit trail's hash chain, for the operator of the database.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer

from educonnect_cli.settings import settings_of
from educonnect_cli.terminal import fail, say

__all__ = ["audit_app", "key_app"]

key_app = typer.Typer(
    help="Clé de chiffrement des secrets de la base.", no_args_is_help=True, rich_markup_mode=None
)
audit_app = typer.Typer(
    help="Journal d’audit de la base.", no_args_is_help=True, rich_markup_mode=None
)


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
    from educonnect_cli.context import database_url
    from educonnect_core import EduconnectError
    from educonnect_sql import SqlStorage
    from educonnect_sql.keys import Key, default_key, key_path, sqlite_file, write_key_file

    url = database_url(settings_of(ctx).db)
    database = sqlite_file(url)
    target = key_file or (None if database is None else key_path(database))
    if target is None:
        fail("Indiquez avec --key-file où écrire la nouvelle clé.")
    new = Key.generate()
    staged = target.with_name(target.name + ".new")
    try:
        storage = SqlStorage.open(url, key=default_key(url))
    except EduconnectError as error:
        fail(error)
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
        fail(error)
    except OSError as error:
        fail(
            f"Impossible d’écrire la nouvelle clé dans {staged} ({error.strerror}) ; "
            "la base n’a pas été modifiée."
        )
    finally:
        storage.close()
    try:
        os.replace(staged, target)
    except OSError as error:
        fail(
            f"La base utilise la nouvelle clé, qui est dans {staged} : elle n’a pas pu "
            f"remplacer {target} ({error.strerror}) ; renommez ce fichier vous-même."
        )
    say(f"Clé remplacée : {count} secret(s) chiffré(s) de nouveau ; nouvelle clé dans {target}.")
    if os.environ.get("EDUCONNECT_KEY"):
        say(
            "La variable EDUCONNECT_KEY contient encore l’ancienne clé : "
            "remplacez-la par le contenu du nouveau fichier."
        )


@audit_app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Vérifier le chaînage du journal d’audit ; nomme la première entrée altérée."""
    from educonnect_cli.context import database_url
    from educonnect_core import EduconnectError
    from educonnect_core.domain.audit import first_broken, head
    from educonnect_sql import SqlStorage
    from educonnect_sql.keys import existing_key

    url = database_url(settings_of(ctx).db)
    try:
        storage = SqlStorage.open(url, key=existing_key(url))
    except EduconnectError as error:
        fail(error)
    try:
        with storage.unit_of_work() as uow:
            chain = list(uow.audit.chain())
    except EduconnectError as error:
        fail(error)
    finally:
        storage.close()
    broken = first_broken(chain)
    if broken is not None:
        entry = broken.entry
        fail(
            f"Journal d’audit altéré : l’entrée n° {broken.position} "
            f"({entry.at.isoformat()}, {entry.actor}, {entry.action}) "
            "ne correspond pas à son empreinte ; elle, ou une entrée qui la précède, a été "
            "modifiée, insérée ou supprimée."
        )
    say(
        f"Journal d’audit intact : {len(chain)} entrée(s) vérifiée(s). "
        f"Empreinte de la dernière : {head(chain)}"
    )
