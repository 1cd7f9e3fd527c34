"""What the command line says and how it ends: the consoles, the exit codes, and errors turned
into one French sentence (never a traceback).

Every piece of data printed goes through `say` with markup off, or through rich `Text` and
tables whose cells are escaped (see `render`): a name such as ``[/]`` or
``[link=https://evil.example]x[/link]`` is shown as typed, never interpreted.

rich is imported on first use only, so that ``educonnect --help`` starts fast.
"""

from __future__ import annotations

import enum
import errno
import functools
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "ExitCode",
    "answerable",
    "confirm",
    "err",
    "fail",
    "guard",
    "interactive",
    "out",
    "say",
]


class ExitCode(enum.IntEnum):
    """The exit codes of every command (documented in docs/cli.md)."""

    #: The command did what was asked.
    DONE = 0
    #: An error: nothing was changed (one French sentence on standard error).
    ERROR = 1
    #: A usage error: unknown option, missing argument, invalid value; a question to confirm
    #: with no terminal to answer it and no ``--yes``.
    USAGE = 2
    #: Every selected account was left out (wrong state, no address…): nothing was done.
    NOTHING_DONE = 3


@functools.cache
def out() -> Console:
    """The console of results (standard output); 160 columns when not a terminal."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:  # a pipe or a file: no terminal width to respect
        console.width = 160
    return console


@functools.cache
def err() -> Console:
    """The console of errors and progress (standard error)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def say(text: str, *, error: bool = False) -> None:
    """Print `text` as it is: no markup, no highlighting, whatever it holds."""
    (err() if error else out()).print(text, markup=False, highlight=False, soft_wrap=True)


def _labelled(french: str, state: object) -> str:
    """`french` with a state's code (« NOT_NOTIFIED ») replaced by its French label."""
    from educonnect_core import AccountState

    code = getattr(state, "name", state)
    if isinstance(code, str) and code in AccountState.__members__:
        return french.replace(code, f"« {AccountState[code].label} »")
    return french


def _french(error: BaseException) -> str:
    french = getattr(error, "french", None)
    if isinstance(french, str) and french:
        return _labelled(french, getattr(error, "state", None))
    if isinstance(error, OSError):
        from educonnect_cli.output import french_reason

        where = f" {error.filename}" if error.filename else ""
        return f"Impossible d'accéder au fichier{where} : {french_reason(error)}."
    return "Une erreur inattendue est survenue."


def fail(error: BaseException | str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Print the error's French sentence on standard error and end with `code`."""
    text = error if isinstance(error, str) else _french(error)
    say(f"Erreur : {text}", error=True)
    raise typer.Exit(int(code))


@contextmanager
def guard() -> Iterator[None]:
    """Turn the library's and the system's errors into one French sentence and exit code 1."""
    from educonnect_core import EduconnectError

    try:
        yield
    except (EduconnectError, OSError) as error:
        if isinstance(error, OSError) and error.errno == errno.EPIPE:
            raise
        fail(error)


#: The answers that confirm an action (case ignored); anything else declines.
YES_ANSWERS = frozenset({"o", "oui"})


def interactive() -> bool:
    """Whether standard input is a terminal a person can answer a question from."""
    stdin = sys.stdin
    return stdin is not None and stdin.isatty()


def answerable(question: str, *, yes: bool) -> None:
    """End now (usage exit code, a French sentence) if `question` would be asked with no
    terminal to answer it: called before a command opens anything.
    """
    if not yes and not interactive():
        fail(
            f"« {question} » — aucune réponse possible sans terminal : relancez la commande "
            "avec --yes (ou -y, --oui) pour confirmer sans question.",
            ExitCode.USAGE,
        )


def confirm(question: str, warning: str | None = None, *, yes: bool) -> None:
    """Ask the guide's `question` (and its `warning`) on standard error and go on only on
    « o » or « oui ». With `yes` (``--yes``) nothing is asked. Without a terminal on standard
    input nothing is asked either — the command would wait for an answer nobody can give — and
    it ends with a French sentence and the usage exit code. A declined question changes
    nothing and ends with exit code 1.
    """
    if yes:
        return
    answerable(question, yes=yes)
    say(question, error=True)
    if warning:
        say(warning, error=True)
    err().print("Répondez o (oui) ou n (non) : ", end="", markup=False, highlight=False)
    answer = sys.stdin.readline()
    if answer.strip().casefold() not in YES_ANSWERS:
        say("Action annulée : aucun compte n'a été modifié.", error=True)
        raise typer.Exit(int(ExitCode.ERROR))
