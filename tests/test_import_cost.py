"""`import educonnect_core` stays light (issue 14, item 4): the services load on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import educonnect_core

_HEAVY = (
    "educonnect_core.application",
    "educonnect_core.defaults",
    "educonnect_core.services.administration",
    "educonnect_core.services.portal",
    "educonnect_core.services.integration",
    "educonnect_core.testing",
    "hypothesis",
    "hashlib",
    "email_validator",
)


def _loaded_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nimport json; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def test_importing_the_package_loads_no_service_nor_test_support() -> None:
    """A bare `import educonnect_core` imports the domain only: no service, no hasher, no
    test support (hypothesis), no e-mail validator (its patterns are compiled on the first
    address), whatever the package re-exports.
    """
    loaded = set(_loaded_after("import educonnect_core"))
    assert sorted(loaded & set(_HEAVY)) == []


def test_every_public_name_resolves_and_loads_its_module_on_first_use() -> None:
    """Each name of `__all__` is reachable from the package, and is the object of its module."""
    from educonnect_core.application import EduConnect  # noqa: PLC0415

    for name in educonnect_core.__all__:
        assert getattr(educonnect_core, name) is not None
    assert educonnect_core.EduConnect is EduConnect
    assert set(educonnect_core.__all__) <= set(dir(educonnect_core))
    loaded = _loaded_after("from educonnect_core import EduConnect")
    assert "educonnect_core.application" in loaded
