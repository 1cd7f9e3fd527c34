"""The generated parts of the docs match the code, and the scripted demo tells its story."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from educonnect_core.testing import demo

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestGeneratedDocs:
    """docs/concepts.md holds exactly what `make docs` would write from the library's data."""

    def test_concepts_are_fresh(self) -> None:
        text = (DOCS / "concepts.md").read_text(encoding="utf-8")
        assert _generator().render(text) == text, "run `make docs`"

    def test_the_permission_table_is_in_it(self) -> None:
        text = (DOCS / "concepts.md").read_text(encoding="utf-8")
        assert "| `RESEND_ACTIVATION_EMAIL` | non | non | oui → ACTIVATING | non |" in text


class TestDemo:
    """The scripted school of `make demo` runs through notification, activation and statistics."""

    def test_demo_tells_the_school_year(self) -> None:
        lines: list[str] = []
        demo.main(say=lines.append)
        text = "\n".join(lines)
        assert "6 comptes pré-créés" in text
        assert "compte Activé" in text
        assert "J+1 : date corrigée par le flux" in text
        # By hand: Céline DUPONT and Aïssatou DIALLO activate (2 of 6 accounts); their children
        # Léa, Enzo and Sékou are 3 of the 5 pupils.
        assert "Statistiques : 6 comptes, 2 activés (33.33 %), 60 % des élèves" in text
        assert any(line.endswith("documents.") for line in lines)
