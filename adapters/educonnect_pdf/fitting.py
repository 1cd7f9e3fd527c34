"""Fitting any accepted value into a fixed width, without ever cutting inside a word.

A name, a class or a level read from the directory can be as long as the feed allows (a name up to
100 characters, a level label of thousands). The documents must print every one of them, and a
reader must be able to copy a name, a login or a password as printed: a line may only break after
a space or a hyphen (« Marc- / André »), never inside a word (« BOUZEHOU / ANE »).

`fit_text` tries, in turn: the text at its size, wrapped between words; the text set smaller
(down to a floor) until its widest word fits; and at last, at the floor, a word still too wide
cut with an ellipsis and the lines beyond the maximum replaced by an ellipsis — what a person
needs to recognise a value of absurd length, without the page overflowing. `fit_whole` is for
logins and passwords, which are never cut: set smaller until they fit, broken only after their
own dots and hyphens when that is not enough.
"""

from __future__ import annotations

import functools
import re
from typing import Final

import attrs
from reportlab.pdfbase.pdfmetrics import stringWidth

__all__ = ["ELLIPSIS", "Fitted", "ellipsize", "fit_text", "fit_whole", "word_pieces"]

ELLIPSIS: Final = "…"
#: Where a line of ordinary text may break: after a space or a hyphen.
_TEXT_BREAKS: Final = re.compile(r"(?<=[ \-‐])")
#: Where a line of running text (a letter) breaks: after a space only, as a book sets it.
_SPACE_BREAKS: Final = re.compile(r"(?<= )")
#: Where a login may break, when even the smallest size is too wide: after a dot or a hyphen.
_LOGIN_BREAKS: Final = re.compile(r"(?<=[.\-])")
#: Step by which a size is lowered while looking for one that fits.
_STEP: Final = 0.25


@attrs.frozen
class Fitted:
    """A value laid out for its box: the lines to print, in order, and the font size."""

    lines: tuple[str, ...]
    size: float


def word_pieces(text: str, breaks: re.Pattern[str] = _TEXT_BREAKS) -> list[str]:
    """`text` cut after each break point (the space or hyphen stays at the end of its piece)."""
    return [piece for piece in breaks.split(text) if piece]


@functools.lru_cache(maxsize=8192)
def _width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


def _wrap(pieces: list[str], font: str, size: float, width: float) -> list[str] | None:
    """Greedy lines of whole pieces at `size`; None when one piece alone is wider than `width`."""
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if _width(piece.rstrip(), font, size) > width:
            return None
        candidate = current + piece
        if current and _width(candidate.rstrip(), font, size) > width:
            lines.append(current.rstrip())
            current = piece
        else:
            current = candidate
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def ellipsize(text: str, font: str, size: float, width: float) -> str:
    """`text` if it fits in `width`, else its longest beginning that fits followed by « … »."""
    if _width(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _width(text[:middle].rstrip() + ELLIPSIS, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def _sizes(size: float, floor: float) -> list[float]:
    steps = int((size - floor) / _STEP)
    return [size - _STEP * n for n in range(steps + 1)]


@functools.lru_cache(maxsize=8192)
def fit_text(
    text: str,
    font: str,
    size: float,
    width: float,
    *,
    floor: float,
    max_lines: int,
    hyphens: bool = True,
) -> Fitted:
    """`text` in at most `max_lines` lines of at most `width` points, broken only after spaces
    and (unless `hyphens` is false) hyphens, set at `size` or smaller (not under `floor`). A
    value that fits in no way is cut with an ellipsis (a word too wide at `floor`, lines beyond
    `max_lines`). Cached: a list repeats its classes, levels and family names on many rows.
    """
    text = " ".join(text.split())
    pieces = word_pieces(text, _TEXT_BREAKS if hyphens else _SPACE_BREAKS)
    for candidate in _sizes(size, floor):
        lines = _wrap(pieces, font, candidate, width)
        if lines is not None and len(lines) <= max_lines:
            return Fitted(tuple(lines), candidate)
    # At the floor: every word too wide is cut, then the lines beyond the last one are dropped.
    cut = [
        piece
        if _width(piece.rstrip(), font, floor) <= width
        else ellipsize(piece.rstrip(), font, floor, width) + " "
        for piece in pieces
    ]
    lines = _wrap(cut, font, floor, width) or [ELLIPSIS]
    if len(lines) > max_lines:
        last = ellipsize(lines[max_lines - 1] + " " + ELLIPSIS, font, floor, width)
        lines = [*lines[: max_lines - 1], last]
    return Fitted(tuple(lines), floor)


@functools.lru_cache(maxsize=8192)
def fit_whole(text: str, font: str, size: float, width: float, *, floor: float) -> Fitted:
    """A login or a password, never cut: on one line set smaller down to `floor`; then broken
    after its dots and hyphens; and if a part is still too wide, on one line set as small as it
    takes.
    """
    for candidate in _sizes(size, floor):
        if _width(text, font, candidate) <= width:
            return Fitted((text,), candidate)
    lines = _wrap(word_pieces(text, _LOGIN_BREAKS), font, floor, width)
    if lines is not None:
        return Fitted(tuple(lines), floor)
    natural = _width(text, font, floor) or 1.0
    return Fitted((text,), floor * width / natural)
