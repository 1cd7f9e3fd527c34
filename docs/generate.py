"""Regenerate the parts of the docs that come from the code (`make docs`).

The state diagram, the permission table and the letter table of `docs/concepts.md` are written
between ``<!-- generated:NAME -->`` and ``<!-- end:NAME -->`` markers from the library's own data,
so they cannot drift from it; `tests/test_docs.py` fails when they are stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from educonnect_core import LETTERS, PERMISSIONS, TRANSITIONS, AccountState, Action, Channel

DOCS = Path(__file__).resolve().parent


def state_diagram() -> str:
    """The lifecycle as a Mermaid state diagram, from `TRANSITIONS`."""
    lines = ["```mermaid", "stateDiagram-v2", "    [*] --> NOT_NOTIFIED: intégration du flux"]
    for event, sources, dest in TRANSITIONS:
        for source in sources:
            lines.append(f"    {source.name} --> {(dest or source).name}: {event.value}")
    lines.append("```")
    return "\n".join(lines)


def permission_table() -> str:
    """SPEC §3 as a table: allowed / state after / password reset, from `PERMISSIONS`."""
    states = list(AccountState)
    head = "| action | " + " | ".join(f"{s.name} ({s.label})" for s in states) + " |"
    rows = [head, "|---" * (len(states) + 1) + "|"]
    for action in Action:
        cells = []
        for state in states:
            cell = PERMISSIONS[action, state]
            if not cell.allowed:
                cells.append("non")
            else:
                after = cell.state_after.name if cell.state_after else "?"
                cells.append(
                    f"oui → {after}"
                    + (", mot de passe réinitialisé" if cell.resets_password else "")
                )
        rows.append(f"| `{action.name}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def letter_table() -> str:
    """Annex A1.1: the letter sent per state, channel and reset choice, from `LETTERS`."""
    combos = [
        (Channel.PAPER, False),
        (Channel.EMAIL, False),
        (Channel.PAPER, True),
        (Channel.EMAIL, True),
    ]
    head = (
        "| état du compte | papier | courriel | papier + réinitialisation"
        " | courriel + réinitialisation |"
    )
    rows = [head, "|---|---|---|---|---|"]
    for state in AccountState:
        kinds = [LETTERS[state, channel, reset].name for channel, reset in combos]
        rows.append(f"| {state.label} | " + " | ".join(kinds) + " |")
    return "\n".join(rows)


SECTIONS = {"states": state_diagram, "permissions": permission_table, "letters": letter_table}


def _escape(replacement: str) -> str:
    return replacement.replace("\\", "\\\\")


def render(text: str) -> str:
    """`text` with every generated section replaced by its fresh content."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- end:{name} -->)", re.DOTALL)
        text = pattern.sub(rf"\g<1>{_escape(make())}\n\g<2>", text)
    return text


def main() -> int:
    """Rewrite docs/concepts.md's generated sections."""
    path = DOCS / "concepts.md"
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"regenerated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
