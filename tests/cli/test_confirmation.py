"""`notify` and `reset` ask the guide's question before they change anything, go on only on
« o »/« oui », skip it with --yes, and never wait for an answer nobody can give (issue 10 item 1).
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cli.conftest import UAI, cli, runner, states

from educonnect_cli import terminal
from educonnect_cli.main import app
from educonnect_core.domain.messages import Say

NOTIFY_PAPER = ("notify", UAI, "--all", "--channel", "papier")


def _answering(tmp: Path, answer: str, *args: str) -> tuple[int, str]:
    """Run the CLI as if from a terminal, typing `answer`."""
    result = runner.invoke(
        app,
        ["--db", str(tmp / "base.sqlite3"), "--outbox", str(tmp / "outbox"), *args],
        input=answer,
    )
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


class TestWithoutATerminal:
    """No terminal on standard input and no --yes: a French sentence, exit 2, nothing done."""

    def test_notify_refuses_instead_of_waiting(self, school: Path) -> None:
        code, out = cli(school, *NOTIFY_PAPER, "--out", str(school / "pdf"))
        assert code == 2, out
        assert Say.CONFIRM_NOTIFY_PAPER.text in out
        assert "relancez la commande avec --yes" in out
        assert states(school) == {"NOT_NOTIFIED"}
        assert not list((school / "pdf").glob("*.pdf")) if (school / "pdf").exists() else True

    def test_reset_refuses_instead_of_waiting(self, school: Path) -> None:
        cli(school, *NOTIFY_PAPER, "--out", str(school / "pdf"), "--yes")
        before = json.loads(cli(school, "list", UAI, "--json")[1])["rows"][0]["login"]
        page = json.loads(cli(school, "account", UAI, before, "--json")[1])
        code, out = cli(school, "reset", UAI, "--login", before)
        assert code == 2, out
        assert Say.CONFIRM_RESET.text in out
        assert json.loads(cli(school, "account", UAI, before, "--json")[1]) == page

    def test_every_spelling_of_yes_skips_the_question(self, school: Path) -> None:
        for n, flag in enumerate(("--yes", "-y", "--oui")):
            out_dir = school / f"pdf{n}"
            code, out = cli(school, *NOTIFY_PAPER, "--out", str(out_dir), flag)
            assert code == 0, (flag, out)
            assert "Êtes-vous sûr" not in out
            assert len(list(out_dir.glob("*.pdf"))) == 1


class TestAtATerminal:
    """From a terminal the guide's question and warning are asked; only « o »/« oui » go on."""

    @pytest.fixture(autouse=True)
    def _terminal(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(terminal, "interactive", lambda: True)

    def test_no_changes_nothing(self, school: Path) -> None:
        for answer in ("n\n", "\n", "non\n", "yes\n", ""):
            code, out = _answering(school, answer, *NOTIFY_PAPER, "--out", str(school / "pdf"))
            assert code == 1, (answer, out)
            assert Say.CONFIRM_NOTIFY_PAPER.text in out
            assert Say.WARN_NOTIFY.text in out
            assert "Action annulée : aucun compte n'a été modifié." in out
        assert states(school) == {"NOT_NOTIFIED"}

    def test_o_and_oui_go_on(self, school: Path) -> None:
        code, out = _answering(
            school, "o\n", "notify", UAI, "--all", "--email", "oui", "--channel", "courriel"
        )
        assert code == 0, out
        assert Say.CONFIRM_NOTIFY_EMAIL.text in out
        assert Say.NOTIFIED.text in out
        code, out = _answering(school, " OUI \n", "reset", UAI, "--all", "--email", "oui")
        assert code == 0, out
        assert Say.CONFIRM_RESET.text in out
        assert Say.RESET.text in out

    def test_json_stays_parseable_after_the_question(self, school: Path) -> None:
        result = runner.invoke(
            app,
            [
                "--db",
                str(school / "base.sqlite3"),
                *("notify", UAI, "--all", "--email", "oui", "--channel", "email", "--json"),
            ],
            input="oui\n",
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["done"]
        assert Say.CONFIRM_NOTIFY_EMAIL.text in result.stderr


class TestARealTerminal:
    """The real process, its standard input a pseudo-terminal: it asks and reads the answer."""

    def test_answer_typed_in_a_pty(self, school: Path) -> None:
        leader, follower = pty.openpty()
        try:
            os.write(leader, b"oui\n")
            done = subprocess.run(  # noqa: S603 - our own interpreter and command
                [
                    sys.executable,
                    "-m",
                    "educonnect_cli",
                    "--db",
                    str(school / "base.sqlite3"),
                    *NOTIFY_PAPER,
                    "--out",
                    str(school / "pdf"),
                ],
                stdin=follower,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        finally:
            os.close(follower)
            os.close(leader)
        assert done.returncode == 0, done.stderr
        assert Say.CONFIRM_NOTIFY_PAPER.text in done.stderr
        assert Say.NOTIFIED.text in done.stdout
        assert len(list((school / "pdf").glob("*.pdf"))) == 1


def test_refused_before_any_file_is_opened(tmp_path: Path) -> None:
    """Without a terminal and --yes, not even the database is opened (nor created, nor its key
    file): the refusal comes first.
    """
    code, out = cli(tmp_path, "reset", UAI, "--all")
    assert code == 2, out
    assert Say.CONFIRM_RESET.text in out
    assert list(tmp_path.iterdir()) == []
