"""The `educonnect` command line: the composition root of the main job.

`main` is the ``educonnect`` script: without the ``cli`` extra (typer, rich) it says which extra to
install instead of showing a traceback.
"""

from __future__ import annotations

import sys

__all__ = ["CLI_EXTRA_HINT", "main"]

#: What to run when the command line's libraries are missing.
CLI_EXTRA_HINT = 'pip install "educonnect-core[cli]"'
_CLI_LIBRARIES = frozenset({"typer", "rich", "click", "shellingham"})


def main() -> None:
    """Entry point of the ``educonnect`` script: the command line, or the extra to install."""
    try:
        from educonnect_cli.main import main as run
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] not in _CLI_LIBRARIES:
            raise
        print(
            f"educonnect: {missing.name} is missing; the command line needs the « cli » extra: "
            f"{CLI_EXTRA_HINT}",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    run()
