"""The command line's own words in French: help pages and usage errors.

Typer (0.29) vendors click with its messages written in English in the code (no gettext), so a
message catalog cannot reach them. Instead `FrenchGroup`, the class of the ``educonnect`` group,
runs the command line in click's non-standalone mode and shows every usage error itself, in
French, from the error's type and fields (`usage_error`); and help pages are written by a
`FrenchFormatter`, whose section titles and fixed phrases are translated from a small table.
Typer's own few gettext strings (« default », « required »…) go through the same table.

Messages not in the table stay as click wrote them (a new click message shows in English rather
than disappearing); the tests check the common ones.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import Any, Final

import typer
import typer.core
from typer import _click

__all__ = ["CATALOG", "FrenchFormatter", "FrenchGroup", "translate", "usage_error"]

#: English phrase of click or typer → its French wording.
CATALOG: Final = {
    "Usage: ": "Utilisation : ",
    "Options": "Options",
    "Arguments": "Arguments",
    "Commands": "Commandes",
    "Show this message and exit.": "Afficher cette aide et quitter.",
    "default: {default}": "par défaut : {default}",
    "required": "obligatoire",
    "env var: {var}": "variable d'environnement : {var}",
    "(dynamic)": "(calculé)",
    "Aborted!": "Interrompu.",
    "Missing command.": "Commande manquante.",
    "No such command {name!r}.": "Commande inconnue : {name!r}.",
}

_PATTERNS: Final = (
    (re.compile(r"^'(?P<v>.*)' is not one of (?P<c>.*)\.$"), "« {v} » n'est pas parmi {c}."),
    (
        re.compile(r"^'(?P<v>.*)' is not a valid integer( range)?\.$"),
        "« {v} » n'est pas un nombre entier.",
    ),
    (re.compile(r"^'(?P<v>.*)' is not a valid float( range)?\.$"), "« {v} » n'est pas un nombre."),
    (re.compile(r"^'(?P<v>.*)' is not a valid boolean\.$"), "« {v} » n'est ni oui ni non."),
    (
        re.compile(r"^'?(?P<v>.*?)'? is not in the range (?P<r>.*)\.$"),
        "{v} n'est pas dans l'intervalle {r}.",
    ),
    (re.compile(r"^(?P<v>.*) is not one of (?P<c>.*)\.$"), "« {v} » n'est pas parmi {c}."),
    (
        re.compile(r"^Option '(?P<o>.*)' requires an argument\.$"),
        "L'option « {o} » attend une valeur.",
    ),
    (
        re.compile(r"^Option '(?P<o>.*)' requires (?P<n>\d+) arguments\.$"),
        "L'option « {o} » attend {n} valeurs.",
    ),
    (
        re.compile(r"^Got unexpected extra argument(s|\(s\))? \((?P<a>.*)\)$"),
        "Argument(s) en trop : {a}.",
    ),
    (re.compile(r"^Input should be a valid integer.*$"), "un nombre entier est attendu."),
    (re.compile(r"^Input should be a valid number.*$"), "un nombre est attendu."),
    (re.compile(r"^No such option: (?P<o>.*)$"), "Option inconnue : {o}."),
    (
        re.compile(r"^No such command '(?P<c>.*)'\.(?P<rest>.*)$"),
        "Commande inconnue : « {c} ».{rest}",
    ),
    (re.compile(r"^Did you mean (?P<s>.*)\?$"), "Vouliez-vous dire {s} ?"),
)


#: Typer's Python type after an argument's name in help (« UAI <str> »): noise for a director.
_TYPE_NOISE: Final = re.compile(r" <[^<>]*>$")


def translate(message: str) -> str:
    """`message` in French when the table knows it (exactly, or by one of its patterns)."""
    if message in CATALOG:
        return CATALOG[message]
    for pattern, french in _PATTERNS:
        found = pattern.match(message)
        if found:
            text = french.format(**found.groupdict())
            return text.replace(" Did you mean ", " Vouliez-vous dire ").replace("?", " ?")
    return message


def _gettext(message: str) -> str:
    return translate(message)


def _hint(error: _click.exceptions.BadParameter) -> str:
    if error.param_hint is not None:
        hint = error.param_hint
        return hint if isinstance(hint, str) else " / ".join(hint)
    if error.param is not None:
        return str(error.param.get_error_hint())
    return ""


def usage_error(error: _click.exceptions.UsageError) -> str:
    """The French sentence of a click usage error."""
    exceptions = _click.exceptions
    if isinstance(error, exceptions.MissingParameter):
        kind = error.param_type or (error.param.param_type_name if error.param else "")
        what = {"argument": "Argument manquant", "option": "Option manquante"}.get(
            kind, "Paramètre manquant"
        )
        return f"{what} : {_hint(error)}.".replace("'", "")
    if isinstance(error, exceptions.NoSuchOption):
        text = f"Option inconnue : {error.option_name}."
        if error.possibilities:
            text += f" Vouliez-vous dire {', '.join(sorted(error.possibilities))} ?"
        return text
    if isinstance(error, exceptions.BadParameter):
        hint = _hint(error).replace("'", "")
        where = f" pour {hint}" if hint else ""
        return f"Valeur invalide{where} : {translate(error.message.removeprefix('Value error, '))}"
    message = error.message
    if ". Did you mean " in message:
        head, _, tail = message.partition(". Did you mean ")
        return f"{translate(head + '.')} Vouliez-vous dire {tail.rstrip('?')} ?"
    return translate(message)


class FrenchFormatter(_click.HelpFormatter):
    """Click's help formatter with French section titles and fixed phrases."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """« Utilisation : educonnect … »."""
        super().write_usage(prog, args, translate(prefix or "Usage: "))

    def write_heading(self, heading: str) -> None:
        """A section title, translated."""
        super().write_heading(translate(heading))

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Option rows; click's own help text of ``--help`` translated."""
        super().write_dl(
            [(_TYPE_NOISE.sub("", term), translate(text)) for term, text in rows],
            col_max,
            col_spacing,
        )


_INSTALLED: list[bool] = []


def _install() -> None:
    """Route typer's gettext strings and every help page through the French table (once)."""
    if _INSTALLED:
        return
    typer.core._ = _gettext  # type: ignore[attr-defined]
    _click.Context.formatter_class = FrenchFormatter
    _INSTALLED.append(True)


class FrenchGroup(typer.core.TyperGroup):
    """The ``educonnect`` group: usage errors in French and exit code 2; help in French."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; a usage error is one French sentence and exit code 2."""
        _install()
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        return self._standalone(args, prog_name, complete_var, extra)

    def _standalone(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        extra: dict[str, Any],
    ) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _click.exceptions.NoArgsIsHelpError as error:
            error.show()  # the help page, already French: no « Erreur : » before it
            sys.exit(2)
        except _click.exceptions.UsageError as error:
            hint = ""
            if error.ctx is not None:
                hint = f"{error.ctx.get_usage()}\nPour l'aide : {error.ctx.command_path} --help\n"
            _click.echo(f"{hint}Erreur : {usage_error(error)}", file=sys.stderr)
            sys.exit(2)
        except _click.exceptions.ClickException as error:
            _click.echo(f"Erreur : {translate(error.format_message())}", file=sys.stderr)
            sys.exit(error.exit_code)
        except BrokenPipeError:  # `educonnect list … | head`: the reader left, say nothing
            devnull = os.open(os.devnull, os.O_WRONLY)  # no flush into the closed pipe at exit
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except typer.Abort:
            _click.echo(translate("Aborted!"), file=sys.stderr)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)
