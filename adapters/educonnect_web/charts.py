"""The Statistiques tab's chart, drawn on the server as SVG (no JavaScript library): one bar per
class, split by account state in the states' colours, with the share of activated accounts
written beside it — colour and words together.
"""

from __future__ import annotations

from html import escape
from typing import Final

from markupsafe import Markup

from educonnect_core import AccountState, SchoolStatistics

__all__ = ["FILLS", "activation_by_class"]

#: Fill colours of the states (dark enough for the white text-free bars to stand out).
FILLS: Final = {
    AccountState.NOT_NOTIFIED: "#c9191e",
    AccountState.NOTIFIED: "#d35400",
    AccountState.ACTIVATING: "#b7950b",
    AccountState.ACTIVATED: "#18753c",
}

_LABEL_WIDTH, _BAR_WIDTH, _ROW, _TOP = 150, 360, 28, 34


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def activation_by_class(stats: SchoolStatistics) -> Markup:
    """An SVG bar chart of the accounts of each class by state (the « Total » row left out)."""
    lines = [line for line in stats.by_class if line.label != "Total"]
    height = _TOP + _ROW * max(1, len(lines)) + 10
    width = _LABEL_WIDTH + _BAR_WIDTH + 140
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphique" role="img" '
        f'aria-labelledby="graphique-titre" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        '<title id="graphique-titre">Comptes par état et part des comptes activés, '
        "par classe</title>",
    ]
    x = _LABEL_WIDTH
    for state in AccountState:
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{FILLS[state]}"/>'
            f'<text x="{x + 16}" y="15" font-size="11">{escape(state.label)}</text>'
        )
        x += 16 + 7 * len(state.label) + 12
    for row, line in enumerate(lines):
        y = _TOP + row * _ROW
        parts.append(
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + 15}" font-size="12" '
            f'text-anchor="end">{escape(line.label)}</text>'
        )
        offset = 0.0
        for state, count in line.by_state.items():
            if not line.accounts or not count:
                continue
            size = _BAR_WIDTH * count / line.accounts
            parts.append(
                f'<rect x="{_LABEL_WIDTH + offset:.1f}" y="{y + 2}" width="{size:.1f}" '
                f'height="{_ROW - 8}" fill="{FILLS[state]}">'
                f"<title>{escape(line.label)} : {count} {escape(state.label)}</title></rect>"
            )
            offset += size
        parts.append(
            f'<text x="{_LABEL_WIDTH + _BAR_WIDTH + 8}" y="{y + 15}" font-size="12">'
            f"{_number(line.percent_activated)} % activés</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()
