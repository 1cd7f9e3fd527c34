"""Every example of the documentation runs as written.

Each ``docs/**/*.md`` page is run like a notebook: its ```python blocks in order, in one namespace,
in a fresh working folder (their asserts are the checks). In ```console blocks, the lines
``$ educonnect …`` run the command line in-process, in the same folder and in page order, and
must exit with 0; ``$ export NAME=value`` sets an environment variable for the next ones. A block
fenced ``no-run`` (```python no-run, ```console no-run) is skipped: only for blocks that need a
server (PostgreSQL, SMTP) or, in cli.md, secrets the test supplies itself.
"""

from __future__ import annotations

import email
import email.policy
import functools
import json
import os
import re
import shlex
import textwrap
from pathlib import Path
from typing import Any

import attrs
import pytest
import typer
from typer.testing import CliRunner

from educonnect_cli.main import app as cli_app
from educonnect_core.ports import Storage
from educonnect_core.testing import InMemoryStorage
from educonnect_core.testing.contract import StorageContract

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.rglob("*.md"))

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<info>[^`]*)$")


class UnclosedFence(ValueError):
    """A code block opens and never closes."""


@attrs.frozen
class Block:
    """One fenced block of a Markdown page."""

    language: str
    options: tuple[str, ...]
    #: The line of the page where the code starts (1-based), for tracebacks.
    first_line: int
    code: str

    @property
    def runs(self) -> bool:
        """Whether the block is meant to run (not fenced ``no-run``)."""
        return "no-run" not in self.options


def fenced_blocks(text: str) -> list[Block]:
    """The fenced code blocks of `text`, in order, dedented to their fence."""
    blocks: list[Block] = []
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        opening = _FENCE.match(lines[number])
        number += 1
        if opening is None:
            continue
        info = opening["info"].split()
        ticks, start, body = opening["ticks"], number, []
        while True:
            if number >= len(lines):
                raise UnclosedFence(f"the block opened at line {start} is never closed")
            line = lines[number]
            number += 1
            if line.strip() == ticks:
                break
            body.append(line)
        blocks.append(
            Block(
                language=info[0] if info else "",
                options=tuple(info[1:]),
                first_line=start + 1,
                code=textwrap.dedent("\n".join(body)),
            )
        )
    return blocks


def commands(block: Block) -> list[list[str]]:
    """The ``$ …`` lines of a console block, split like a shell would (a final backslash
    continues the line).
    """
    found: list[list[str]] = []
    pending = ""
    for raw in block.code.splitlines():
        line = raw.rstrip()
        if pending:
            pending += " " + line.rstrip("\\").strip()
        elif line.startswith("$ "):
            pending = line[2:].rstrip("\\").strip()
        else:
            continue
        if not line.endswith("\\"):
            found.append(shlex.split(pending, comments=True))
            pending = ""
    return found


class Notebook:
    """Runs one page's blocks in order, in one namespace, in the current folder."""

    def __init__(self, page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.page = page
        self.monkeypatch = monkeypatch
        self.namespace: dict[str, Any] = {"__name__": "docs_example"}
        self.runner = CliRunner()
        self.ran = 0

    def run(self, block: Block) -> None:
        """Run `block` if it is Python or console and not fenced ``no-run``."""
        if not block.runs:
            return
        if block.language == "python":
            padded = "\n" * (block.first_line - 1) + block.code
            exec(compile(padded, str(self.page), "exec"), self.namespace)  # noqa: S102 - our docs
            self.ran += 1
        elif block.language == "console":
            for argv in commands(block):
                self.command(block, argv)
            self.ran += 1

    def command(self, block: Block, argv: list[str]) -> str:
        """Run one ``$`` line of a console block; return what it printed."""
        where = f"{self.page.name}:{block.first_line}: {shlex.join(argv)}"
        if argv[0] == "export":
            name, _, value = argv[1].partition("=")
            self.monkeypatch.setenv(name, value)
            return ""
        assert argv[0] == "educonnect", f"{where}: only `educonnect` and `export` lines run"
        result = self.runner.invoke(cli_app, [os.path.expandvars(a) for a in argv[1:]])
        assert "Traceback" not in result.output, f"{where}\n{result.output}"
        assert result.exit_code == 0, f"{where} exited with {result.exit_code}\n{result.output}"
        return result.output


class TestFenceReader:
    """The reader finds every fenced block with its language, options and first line."""

    def test_blocks_and_options(self) -> None:
        text = (
            "# T\n\n```python\nx = 1\n```\n\n  ```python no-run\n  y = 2\n  ```\n```sh\nls\n```\n"
        )
        found = fenced_blocks(text)
        assert [(b.language, b.options, b.first_line, b.code) for b in found] == [
            ("python", (), 4, "x = 1"),
            ("python", ("no-run",), 8, "y = 2"),
            ("sh", (), 11, "ls"),
        ]
        assert [b.runs for b in found] == [True, False, True]

    def test_an_unclosed_block_is_an_error(self) -> None:
        with pytest.raises(UnclosedFence, match="line 2"):
            fenced_blocks("text\n```python\nx = 1\n")

    def test_console_commands(self) -> None:
        block = Block(
            "console",
            (),
            1,
            "$ educonnect list 0750654D --text 'é d'  # a comment\nsome output\n"
            "$ educonnect notify 0750654D \\\n    --channel paper --all\n",
        )
        assert commands(block) == [
            ["educonnect", "list", "0750654D", "--text", "é d"],
            ["educonnect", "notify", "0750654D", "--channel", "paper", "--all"],
        ]


class TestNotebook:
    """A page's blocks share one namespace, run in order, and a failing block fails the page."""

    def test_blocks_share_a_namespace(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        page = tmp_path / "page.md"
        notebook = Notebook(page, monkeypatch)
        for block in fenced_blocks("```python\nx = 41\n```\n```python\nassert x + 1 == 42\n```\n"):
            notebook.run(block)
        assert notebook.ran == 2

    def test_a_failing_block_names_the_page_line(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        notebook = Notebook(tmp_path / "page.md", monkeypatch)
        (block,) = fenced_blocks("Intro\n\n```python\nx = 1\nassert x == 2\n```\n")
        with pytest.raises(AssertionError) as failure:
            notebook.run(block)
        assert failure.traceback[-1].lineno + 1 == 5  # pytest's line numbers start at 0

    def test_no_run_blocks_are_skipped(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        notebook = Notebook(tmp_path / "page.md", monkeypatch)
        (block,) = fenced_blocks("```python no-run\nraise SystemExit('needs a server')\n```\n")
        notebook.run(block)
        assert notebook.ran == 0

    def test_a_failing_command_fails(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        notebook = Notebook(tmp_path / "page.md", monkeypatch)
        (block,) = fenced_blocks("```console\n$ educonnect stats 0750654X\n```\n")
        with pytest.raises(AssertionError, match="exited with 1"):
            notebook.run(block)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
class TestDocsPages:
    """Every page of docs/ runs: its Python examples and its `educonnect` commands."""

    def test_examples_run(
        self, page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("EDUCONNECT_DB", raising=False)
        notebook = Notebook(page, monkeypatch)
        for block in fenced_blocks(page.read_text(encoding="utf-8")):
            notebook.run(block)


def _cli_commands() -> set[str]:
    """Every command of `educonnect`, sub-commands as ``group sub``."""
    names: set[str] = set()
    root = typer.main.get_command(cli_app)
    for name, command in getattr(root, "commands", {}).items():
        subcommands = getattr(command, "commands", None)
        if subcommands:
            names |= {f"{name} {sub}" for sub in subcommands}
        else:
            names.add(name)
    return names


def _cli_sections() -> dict[str, str]:
    """The sections of docs/cli.md by command (``### `educonnect name …` `` up to the next
    heading).
    """
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    parts = re.split(r"^(#{2,3} .*)$", text, flags=re.MULTILINE)
    sections: dict[str, str] = {}
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        found = re.match(r"### `educonnect ([a-z][a-z -]*?)(?: [A-Z]|`)", heading)
        if found:
            sections[found[1]] = body
    return sections


def _email_token(folder: Path, recipient: str) -> str:
    """The activation token of the last C07 e-mail written to `folder` for `recipient`."""
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] and recipient in str(message["To"]):
            body = message.get_body(("plain",))
            assert body is not None
            found = re.search(r"jeton=(\S+)", body.get_content())
            if found:
                return found[1]
    raise AssertionError(f"no activation e-mail for {recipient} in {folder}")


class TestReferencePages:
    """The reference pages cover what they claim to (every CLI command and option, every use
    case, links that resolve), and the CLI page's guardian commands run with real secrets.
    """

    def test_every_cli_command_and_option_is_documented(self) -> None:
        sections = _cli_sections()
        root = typer.main.get_command(cli_app)
        commands_found = _cli_commands()
        assert commands_found, "the command line has commands"
        assert commands_found <= set(sections), commands_found - set(sections)
        for name in commands_found:
            command: Any = root
            for part in name.split():
                command = command.commands[part]
            for parameter in command.params:
                for option in [*parameter.opts, *parameter.secondary_opts]:
                    if option.startswith("--") and option != "--help":
                        assert f"`{option}" in sections[name], f"{name}: {option} undocumented"
        root_options = [o for p in root.params for o in p.opts if o.startswith("--")]
        text = (DOCS / "cli.md").read_text(encoding="utf-8")
        assert all(f"| `{o}` |" in text for o in root_options), root_options

    def test_relative_links_resolve(self) -> None:
        for page in PAGES:
            text = page.read_text(encoding="utf-8")
            for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
                if "://" not in target:
                    assert (page.parent / target).exists(), f"{page.name}: broken link {target}"

    def test_the_guardian_commands_run(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("EDUCONNECT_DB", raising=False)
        page = DOCS / "cli.md"
        notebook = Notebook(page, monkeypatch)
        blocks = fenced_blocks(page.read_text(encoding="utf-8"))
        (guardian,) = [b for b in blocks if not b.runs and "first-connection" in b.code]
        for block in blocks[: blocks.index(guardian)]:
            notebook.run(block)
        shown = notebook.command(
            guardian, ["educonnect", "account", "0750654D", "c.dupont", "--json"]
        )
        monkeypatch.setenv("PASSWORD", json.loads(shown)["password"])
        output = ""
        for argv in commands(guardian):
            if "$TOKEN" in argv:
                monkeypatch.setenv("TOKEN", _email_token(tmp_path / "outbox", "celine@exemple.fr"))
            output = notebook.command(guardian, argv)
        assert json.loads(output)["state"] == "ACTIVATED"

    def test_every_use_case_page_is_listed_and_runs_something(self) -> None:
        folder = DOCS / "use-cases"
        index = (folder / "index.md").read_text(encoding="utf-8")
        pages = sorted(p.name for p in folder.glob("*.md") if p.name != "index.md")
        linked = sorted(set(re.findall(r"\]\(([a-z0-9-]+\.md)\)", index)))
        assert pages == linked
        # One page per row of the guide's tables §3.1 (4 rows) and §3.2 (9 rows).
        assert len(pages) == 13
        for name in pages:
            blocks = fenced_blocks((folder / name).read_text(encoding="utf-8"))
            assert any(b.language == "python" and b.runs for b in blocks), name


@functools.cache
def _documented_storage() -> Any:
    """The `MirroredStorage` class exactly as docs/adapters.md defines it."""
    page = DOCS / "adapters.md"
    namespace: dict[str, Any] = {"__name__": "docs_adapters"}
    for block in fenced_blocks(page.read_text(encoding="utf-8")):
        if block.language == "python" and "class MirroredStorage" in block.code:
            padded = "\n" * (block.first_line - 1) + block.code
            exec(compile(padded, str(page), "exec"), namespace)  # noqa: S102 - our docs
            return namespace["MirroredStorage"]
    raise AssertionError("docs/adapters.md no longer defines MirroredStorage")


class TestDocumentedStorageAdapter(StorageContract):
    """The storage adapter written in docs/adapters.md keeps every rule of the storage ports."""

    def make_storage(self) -> Storage:
        storage: Storage = _documented_storage()(InMemoryStorage(), lambda entries: None)
        return storage
