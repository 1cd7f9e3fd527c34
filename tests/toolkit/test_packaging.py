"""Packaging that explains itself: a missing extra is named, with the command that installs it."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points, requires

import pytest


def _run(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter of this environment."""
    return subprocess.run(  # noqa: S603 - our own interpreter and code.
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("adapter", "missing", "extra"),
    [
        ("educonnect_sql", "sqlalchemy", "sql"),
        ("educonnect_sql", "alembic", "sql"),
        ("educonnect_pdf", "reportlab", "pdf"),
        ("educonnect_argon2", "argon2", "argon2"),
    ],
)
def test_importing_an_adapter_without_its_extra_names_the_extra(
    adapter: str, missing: str, extra: str
) -> None:
    """With its library made unimportable, importing the adapter raises ModuleNotFoundError
    naming the library and the install command of its extra.
    """
    done = _run(
        f"import sys; sys.modules[{missing!r}] = None\n"
        f"try:\n    import {adapter}\n"
        f"except ModuleNotFoundError as e:\n    print(e.name, '|', e)\n"
    )
    assert done.returncode == 0, done.stderr
    name, _, message = done.stdout.strip().partition(" | ")
    assert name.partition(".")[0] == missing
    assert f'pip install "educonnect-core[{extra}]"' in message
    assert missing in message


def test_the_script_without_the_cli_extra_prints_the_hint() -> None:
    """The ``educonnect`` script's entry point, without typer, prints the install command of the
    « cli » extra on stderr and exits with 2, without a traceback.
    """
    done = _run(
        "import sys; sys.modules['typer'] = None\n"
        "from importlib.metadata import entry_points\n"
        "(script,) = [e for e in entry_points(group='console_scripts') if e.name == 'educonnect']\n"
        "script.load()()\n"
    )
    assert done.returncode == 2
    assert 'pip install "educonnect-core[cli]"' in done.stderr
    assert "Traceback" not in done.stderr


def test_the_script_with_the_cli_extra_runs() -> None:
    """With the extra installed the same entry point is the command line (``--help`` works)."""
    done = _run(
        "import sys; sys.argv = ['educonnect', '--help']\nfrom educonnect_cli import main\nmain()\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Utilisation : educonnect" in done.stdout


def test_the_testing_extra_brings_pytest_and_the_plugin_is_registered() -> None:
    """The ``testing`` extra requires pytest and hypothesis; the pytest11 entry point names the
    plugin module.
    """
    wanted = [r.split(";")[0] for r in requires("educonnect-core") or [] if "testing" in r]
    assert {w.split(">")[0] for w in wanted} >= {"pytest", "hypothesis"}
    (plugin,) = [e for e in entry_points(group="pytest11") if e.name == "educonnect"]
    assert plugin.value == "educonnect_core.testing.plugin"
