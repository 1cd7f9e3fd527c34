"""The notification sheets (courriers C01, C03, C05): one A4 page per letter, drawn straight on a
reportlab canvas (no flowables: a sheet is one page by definition, and this is what keeps 500
sheets fast).

The text is the core's `LetterContent.lines`, never re-typed here: an empty line is a paragraph
break, a line starting with ``- `` a list item. The addressee and the letter's heading are in bold,
the credentials are set apart in a frame, the password in a monospaced face so that 0/O and 1/l
cannot be mixed up. When a letter would not fit (many children), the text is set smaller until it
does: a sheet is always exactly one page.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Final

import attrs
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from educonnect_core.domain.letters import LetterContent
from educonnect_pdf.fitting import fit_text
from educonnect_pdf.fonts import FontSet

__all__ = ["CREDENTIAL_PREFIXES", "SheetLine", "draw_sheet", "layout_sheet"]

MARGIN: Final = 20 * mm
HEADER_HEIGHT: Final = 24 * mm
FOOTER_HEIGHT: Final = 12 * mm
#: Text sizes tried in turn until the letter fits on its page.
SIZES: Final = (11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0, 7.5, 7.0, 6.5, 6.0)
LEADING: Final = 1.32
#: The most lines one paragraph of a letter takes (a real one takes three); beyond, « … ».
MAX_LINES_PER_PARAGRAPH: Final = 12
BULLET_INDENT: Final = 8 * mm
CREDENTIALS_INDENT: Final = 14 * mm
#: The lines of a letter that show the login and the password.
CREDENTIAL_PREFIXES: Final = ("Identifiant :", "Rappel de votre identifiant :", "Mot de passe * :")
PASSWORD_PREFIX: Final = "Mot de passe * : "  # noqa: S105 - a label, not a password.
BLUE: Final = HexColor("#1F4E9A")
GREY: Final = HexColor("#5A5A5A")
FRAME: Final = HexColor("#EEF2F8")
BLACK: Final = Color(0, 0, 0)


@attrs.frozen
class SheetLine:
    """One line of text placed on the sheet: its font, size, left offset, and how it is drawn.

    `style` is ``text``, ``link`` (a URL, blue and clickable), ``bullet`` (first line of a list
    item), ``credential`` (inside the credentials frame) or ``password`` (prefix in the text face,
    the password in the monospaced one). `gap` is extra space above, in points.
    """

    text: str
    font: str
    size: float
    indent: float
    style: str = "text"
    gap: float = 0.0
    secret: str = ""


@functools.lru_cache(maxsize=4096)
def _wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """`text` cut into lines of at most `width` points, only after a space; a word
    wider than the whole line (a name of absurd length) is cut with an ellipsis rather than run
    off the page. Cached: most lines of a letter are the same for every guardian, and measuring
    text is what costs most.
    """
    return fit_text(
        text, font, size, width, floor=size, max_lines=MAX_LINES_PER_PARAGRAPH, hyphens=False
    ).lines


def layout_sheet(
    letter: LetterContent, fonts: FontSet, width: float, size: float
) -> list[SheetLine]:
    """The lines of `letter` at text size `size`, wrapped to `width` points."""
    placed: list[SheetLine] = []
    gap = 0.0
    heading = 2 if letter.lines and letter.lines[0].startswith("A l") else 0
    for index, raw in enumerate(letter.lines):
        if not raw:
            gap += size * 0.75
            continue
        font, indent, style, secret = fonts.regular, 0.0, "text", ""
        text = raw
        if index < heading:
            font = fonts.bold
        elif raw.startswith("- "):
            indent, style, text = BULLET_INDENT, "bullet", raw[2:]
        elif raw.startswith(CREDENTIAL_PREFIXES):
            font, indent, style = fonts.bold, CREDENTIALS_INDENT, "credential"
            if raw.startswith(PASSWORD_PREFIX) and letter.password is not None:
                style, text, secret = "password", PASSWORD_PREFIX, letter.password
        elif raw.startswith("* Mot de passe provisoire"):
            indent, style = CREDENTIALS_INDENT, "credential"
        elif raw.startswith(("https://", "http://")):
            style = "link"
        # A password is never cut; a link stays whole so that it stays one clickable address.
        whole = style in ("password", "link")
        pieces = [text] if whole else _wrap(text, font, size, width - indent - 4 * mm)
        for number, piece in enumerate(pieces):
            placed.append(
                SheetLine(
                    text=piece,
                    font=font,
                    size=size,
                    indent=indent,
                    style=style if number == 0 or style != "bullet" else "text",
                    gap=gap if number == 0 else 0.0,
                    secret=secret,
                )
            )
        gap = 0.0
    return placed


def _height(lines: Sequence[SheetLine]) -> float:
    return sum(line.size * LEADING + line.gap for line in lines)


def _fitting(letter: LetterContent, fonts: FontSet, width: float, room: float) -> list[SheetLine]:
    lines: list[SheetLine] = []
    for size in SIZES:
        lines = layout_sheet(letter, fonts, width, size)
        if _height(lines) <= room:
            return lines
    return lines


def _header(
    canvas: Canvas,
    fonts: FontSet,
    letter: LetterContent,
    created_at: datetime,
    page_size: tuple[float, float],
) -> float:
    page_w, page_h = page_size
    top = page_h - MARGIN
    canvas.setFillColor(BLUE)
    canvas.setFont(fonts.bold, 13)
    canvas.drawString(MARGIN, top - 12, "EduConnect")
    canvas.setFont(fonts.regular, 8.5)
    canvas.setFillColor(GREY)
    canvas.drawString(MARGIN, top - 24, "Services en ligne de l’éducation nationale")
    canvas.setFillColor(BLACK)
    canvas.setFont(fonts.bold, 9.5)
    right = page_w - MARGIN
    school = fit_text(
        letter.school_name, fonts.bold, 9.5, page_w / 2 - MARGIN, floor=9.5, max_lines=2
    ).lines
    for number, piece in enumerate(school):
        canvas.drawRightString(right, top - 12 - number * 12, piece)
    canvas.setFont(fonts.regular, 8.5)
    canvas.drawRightString(right, top - 12 - len(school) * 12, f"Le {created_at:%d/%m/%Y}")
    canvas.setStrokeColor(BLUE)
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, top - HEADER_HEIGHT + 4 * mm, page_w - MARGIN, top - HEADER_HEIGHT + 4 * mm)
    return top - HEADER_HEIGHT


def _footer(
    canvas: Canvas, fonts: FontSet, letter: LetterContent, page: str, page_w: float
) -> None:
    canvas.setFont(fonts.regular, 7)
    canvas.setFillColor(GREY)
    canvas.drawString(MARGIN, MARGIN / 2, f"{letter.kind.name} – {letter.kind.title}")
    canvas.drawRightString(page_w - MARGIN, MARGIN / 2, page)
    canvas.setFillColor(BLACK)


def _frame(canvas: Canvas, lines: Sequence[SheetLine], top: float, width: float) -> None:
    """A light frame behind each run of credential lines starting at `top`."""
    y = top
    start: float | None = None
    for line in lines:
        step = line.size * LEADING + line.gap
        boxed = line.style in ("credential", "password")
        if boxed and start is None:
            start = y - line.gap
        if not boxed and start is not None:
            canvas.setFillColor(FRAME)
            canvas.rect(CREDENTIALS_INDENT - 3 * mm, y, width - CREDENTIALS_INDENT, start - y, 0, 1)
            start = None
        y -= step
    if start is not None:
        canvas.setFillColor(FRAME)
        canvas.rect(CREDENTIALS_INDENT - 3 * mm, y, width - CREDENTIALS_INDENT, start - y, 0, 1)
    canvas.setFillColor(BLACK)


def draw_sheet(
    canvas: Canvas,
    fonts: FontSet,
    letter: LetterContent,
    *,
    created_at: datetime,
    page: str,
    page_size: tuple[float, float],
) -> None:
    """Draw `letter` on the canvas's current page of `page_size` and close the page
    (`showPage`); `page` is the page number shown in the footer.
    """
    page_w = page_size[0]
    width = page_w - 2 * MARGIN
    top = _header(canvas, fonts, letter, created_at, page_size)
    lines = _fitting(letter, fonts, width, top - MARGIN - FOOTER_HEIGHT)
    canvas.saveState()
    canvas.translate(MARGIN, 0)
    _frame(canvas, lines, top, width)
    # One text object for the whole body: far cheaper than a drawString per line.
    text = canvas.beginText()
    y = top
    for line in lines:
        y -= line.gap + line.size * LEADING
        baseline = y + line.size * (LEADING - 1.0)
        x = line.indent
        if line.style == "bullet":
            text.setTextOrigin(x - 4 * mm, baseline)
            text.setFont(line.font, line.size)
            text.textOut("•")
        text.setTextOrigin(x, baseline)
        text.setFont(line.font, line.size)
        if line.style == "link":
            text.setFillColor(BLUE)
            text.textOut(line.text)
            text.setFillColor(BLACK)
            end = x + stringWidth(line.text, line.font, line.size)
            canvas.linkURL(line.text, (x, baseline - 2, end, baseline + line.size), relative=1)
        else:
            text.textOut(line.text)
        if line.style == "password":
            text.setFont(fonts.mono, line.size * 1.15)
            text.textOut(line.secret)
    canvas.drawText(text)
    canvas.restoreState()
    _footer(canvas, fonts, letter, page, page_w)
    canvas.showPage()
