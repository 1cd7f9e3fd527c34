"""`educonnect demo` (`make demo`) ends by printing how to open the web console on its data: the
`serve` command names the demo's database, and the director's and the guardian's credentials it
prints work (issue 10 item 13).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from tests.cli.conftest import runner

from educonnect_cli.context import Settings, open_app
from educonnect_cli.main import app
from educonnect_cli.output import MARKER
from educonnect_core import FirstConnectionRequired, ScryptHasher


def _value(argv: list[str], option: str) -> str:
    return argv[argv.index(option) + 1]


def test_the_printed_console_lines_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The printed `serve` command's database and directors file are the demo's (listed in its
    marker file), the director's password matches the file's scrypt hash, and the guardian's
    provisional password opens their first connection.
    """
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo", "--out", "demo-output", "--pupils", "20"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Console web de la démo :" in lines
    (command,) = [line for line in lines if " serve --port " in line]
    argv = shlex.split(command)
    assert argv[0] == "educonnect"
    database, directors = Path(_value(argv, "--db")), Path(_value(argv, "--directors"))
    assert database.is_file()
    assert directors.is_file()
    written = set(json.loads((tmp_path / "demo-output" / MARKER).read_text())["files"])
    assert {"educonnect.sqlite3", "educonnect-directors.json", "timeline.md"} <= written
    assert database.resolve() == (tmp_path / "demo-output" / "educonnect.sqlite3").resolve()

    director = re.search(r"directeur : (\S+) / (\S+)", result.output)
    assert director is not None
    entries = {e["id"]: e for e in json.loads(directors.read_text(encoding="utf-8"))}
    stored = entries[director[1]]["password_hash"]
    assert ScryptHasher().verify(stored, director[2])
    assert not ScryptHasher().verify(stored, director[2] + "x")

    guardian = re.search(r"responsable : (\S+) / (\S+)", result.output)
    assert guardian is not None
    with open_app(Settings(db=str(database))) as demo:
        step = demo.portal().login(guardian[1], guardian[2])
    assert isinstance(step, FirstConnectionRequired)

    assert lines.index("Console web de la démo :") > max(
        n for n, line in enumerate(lines) if "courriels (.eml)" in line
    ), "printed last"
