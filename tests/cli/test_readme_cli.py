"""The README's command-line lines run as printed on a demo output, and the quickstart page runs
twice in the same folder (issue 10 item 13).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.cli.conftest import runner
from tests.test_docs_examples import Block, Notebook, commands, fenced_blocks

from educonnect_cli.main import app

ROOT = Path(__file__).resolve().parents[2]


class TestReadmeOnTheDemo:
    """After `make demo`, every `$ .venv/bin/educonnect …` line of the README exits 0."""

    def test_readme_lines_run_on_a_demo_output(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("EDUCONNECT_DB", raising=False)
        demo = runner.invoke(app, ["demo", "--out", "demo-output", "--pupils", "40"])
        assert demo.exit_code == 0, demo.output
        text = (ROOT / "README.md").read_text(encoding="utf-8")
        blocks = [b for b in fenced_blocks(text) if b.language == "console"]
        assert blocks, "the README shows the command line on the demo"
        ran = 0
        for block in blocks:
            for argv in commands(block):
                if argv[0] == "export":
                    name, _, value = argv[1].partition("=")
                    monkeypatch.setenv(name, value)
                    continue
                assert argv[0] == ".venv/bin/educonnect", argv
                result = runner.invoke(app, argv[1:])
                assert "Traceback" not in result.output
                assert result.exit_code == 0, (argv, result.output)
                assert "Erreur" not in result.output
                ran += 1
        assert ran >= 5
        assert list((tmp_path / "demo-output" / "listes").glob("*.pdf"))

    def test_make_demo_again_keeps_the_readmes_outputs(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The README exports into demo-output/listes: a second demo keeps that file and starts
        a fresh database (its old write-ahead log removed with it).
        """
        monkeypatch.chdir(tmp_path)
        out = tmp_path / "demo-output"
        assert runner.invoke(app, ["demo", "--out", str(out), "--pupils", "20"]).exit_code == 0
        (out / "listes").mkdir()
        (out / "listes" / "ma-liste.pdf").write_bytes(b"%PDF")
        (out / "educonnect.sqlite3-wal").write_bytes(b"stale")
        second = runner.invoke(app, ["demo", "--out", str(out), "--pupils", "20"])
        assert second.exit_code == 0, second.output
        assert (out / "listes" / "ma-liste.pdf").read_bytes() == b"%PDF"
        assert not (out / "educonnect.sqlite3-wal").exists() or (
            (out / "educonnect.sqlite3-wal").read_bytes() != b"stale"
        )


class TestQuickstartTwice:
    """docs/quickstart.md runs twice in the same folder (its files are there the second time)."""

    def test_twice(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        page = ROOT / "docs" / "quickstart.md"
        blocks: list[Block] = fenced_blocks(page.read_text(encoding="utf-8"))
        for _ in range(2):
            notebook = Notebook(page, monkeypatch)
            for block in blocks:
                notebook.run(block)
            assert notebook.ran > 0
        assert len([p for p in tmp_path.iterdir() if re.search(r"\.pdf$", p.name)]) >= 1
