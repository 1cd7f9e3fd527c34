"""Shared helpers of the command-line tests: run the CLI on a SQLite file of a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from educonnect_cli.demo import write_feed
from educonnect_cli.main import app
from educonnect_core.testing.simulation import synthetic_feed

FEED = synthetic_feed(11, pupils=24)
UAI = sorted(FEED.directors[0].uais)[0].value
runner = CliRunner()


def cli(tmp: Path, *args: str) -> tuple[int, str]:
    """Run ``educonnect --db tmp/base.sqlite3 --outbox tmp/outbox ARGS``; never a traceback."""
    result = runner.invoke(
        app, ["--db", str(tmp / "base.sqlite3"), "--outbox", str(tmp / "outbox"), *args]
    )
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.output


@pytest.fixture
def school(tmp_path: Path) -> Path:
    """A folder whose base.sqlite3 holds the integrated synthetic feed."""
    write_feed(FEED.corrected, tmp_path / "feed", "ENT1D_Complet_20250901")
    code, out = cli(tmp_path, "integrate", str(tmp_path / "feed"), "--json")
    assert code == 0, out
    assert json.loads(out)["accounts_created"] > 0
    return tmp_path


def states(tmp: Path) -> set[str]:
    """The states of every account of `UAI`."""
    code, out = cli(tmp, "list", UAI, "--json")
    assert code == 0, out
    return {row["state"] for row in json.loads(out)["rows"]}
