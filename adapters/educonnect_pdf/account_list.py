"""The list of accounts of guide §5.4 as a PDF: « Date de création », « Ecole : UAI - nom », the
table of responsables with its header row repeated on every page, and the footnote saying that
only provisional passwords are shown. Filtered on one class, it is the teacher's class list.

By default the table has the eight columns of the guide's own sample (the UAI and the school's
name, identical on every row, are printed once above it); `all_columns=True` prints the ten
columns of the CSV export, on a landscape page.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from educonnect_core.domain.records import AccountList
from educonnect_core.domain.selection import ResponsableRow
from educonnect_core.services.exports import CSV_HEADER, export_values
from educonnect_pdf.fitting import ellipsize, fit_text, fit_whole
from educonnect_pdf.fonts import FontSet

__all__ = ["FOOTNOTE", "GUIDE_HEADER", "account_list_pdf", "list_table_rows"]

#: The column headers of the guide's sample list (§5.4).
GUIDE_HEADER: Final = (
    "Nom élève",
    "Prénom élève",
    "Niveau",
    "Classe",
    "Nom",
    "Prénom",
    "Identifiant",
    "Mot de passe *",
)
#: The footnote under the table (guide §5.4).
FOOTNOTE: Final = (
    "* Seuls les mots de passe provisoires sont affichés, le mot de passe choisi par le "
    "responsable lors de l’activation de son compte est masqué."
)
MARGIN: Final = 15 * mm
HEAD_BLUE: Final = HexColor("#1F7BC1")
GRID: Final = HexColor("#404040")
PADDING: Final = 3
#: The smallest size a cell is set in before a line breaks (logins, passwords) or a value of
#: absurd length is cut with an ellipsis (other cells).
MIN_SIZE: Final = 5.5
#: The most lines a cell other than a login or a password takes; beyond, « … ».
MAX_CELL_LINES: Final = 4
#: The level column holds the short code (CE1), so that the class gets the room.
GUIDE_WIDTHS: Final = (0.13, 0.11, 0.08, 0.15, 0.13, 0.11, 0.17, 0.12)
ALL_WIDTHS: Final = (0.07, 0.12, 0.10, 0.09, 0.11, 0.11, 0.10, 0.09, 0.11, 0.10)


def list_table_rows(listing: AccountList, *, all_columns: bool) -> list[tuple[str, ...]]:
    """The table's text, header first: the guide's eight columns, or the CSV's ten."""
    if all_columns:
        header = (*CSV_HEADER[:-1], CSV_HEADER[-1] + " *")
        return [header] + [export_values(listing.school.name, row) for row in listing.rows]
    return [GUIDE_HEADER] + [_guide_values(row) for row in listing.rows]


def _guide_values(row: ResponsableRow) -> tuple[str, ...]:
    return (
        row.student_surname,
        row.student_first_name,
        "" if row.level is None else row.level.code,
        row.class_name,
        row.surname,
        row.first_name,
        row.login,
        row.password,
    )


def _styles(fonts: FontSet) -> dict[str, ParagraphStyle]:
    return {
        "text": ParagraphStyle("text", fontName=fonts.regular, fontSize=10.5, leading=14),
        "cell": ParagraphStyle(
            "cell", fontName=fonts.regular, fontSize=8, leading=9.6, splitLongWords=0
        ),
        "head": ParagraphStyle(
            "head",
            fontName=fonts.bold,
            fontSize=8.5,
            leading=10,
            textColor=white,
            splitLongWords=0,
        ),
        "note": ParagraphStyle("note", fontName=fonts.regular, fontSize=8.5, leading=11),
    }


def _canvas_maker(stamp: str) -> Callable[..., Canvas]:
    def make(*args: Any, **kwargs: Any) -> Canvas:
        canvas = Canvas(*args, **kwargs)
        canvas.setDateFormatter(lambda *_: stamp)
        return canvas

    return make


def pdf_date(moment: datetime) -> str:
    """`moment` as a PDF date string (``D:AAAAMMJJHHMMSS+HH'MM'``)."""
    offset = moment.utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{hours:02d}'{rest:02d}'"


def account_list_pdf(listing: AccountList, fonts: FontSet, *, all_columns: bool = False) -> bytes:
    """The PDF bytes of the list; the same `listing` always gives the same bytes."""
    styles = _styles(fonts)
    page_size = landscape(A4) if all_columns else A4
    buffer = io.BytesIO()
    school = f"Ecole : {listing.school.uai} - {listing.school.name}"
    document = SimpleDocTemplate(
        buffer,
        pagesize=page_size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN + 4 * mm,
        title="EduConnect – Liste des responsables",
        author="EduConnect",
        subject=school,
        creator="educonnect-core",
        invariant=1,
        initialFontName=fonts.regular,
    )
    title = (
        "Liste des responsables :"
        if listing.class_name is None
        else f"Liste des responsables de la classe {listing.class_name} :"
    )
    story: list[Any] = [
        Paragraph(escape(f"Date de création : {listing.created_at:%d/%m/%Y}"), styles["text"]),
        Spacer(0, 4 * mm),
        Paragraph(escape(school), styles["text"]),
        Spacer(0, 4 * mm),
        Paragraph(escape(title), styles["text"]),
        Spacer(0, 6 * mm),
        _table(listing, styles, document.width, all_columns=all_columns),
        Spacer(0, 2 * mm),
        Paragraph(escape(FOOTNOTE), styles["note"]),
    ]

    def later(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts.regular, 7.5)
        running = ellipsize(school, fonts.regular, 7.5, page_size[0] - 2 * MARGIN)
        canvas.drawString(MARGIN, page_size[1] - MARGIN, running)
        canvas.restoreState()
        first(canvas, doc)

    def first(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts.regular, 7.5)
        canvas.drawRightString(page_size[0] - MARGIN, MARGIN, f"Page {doc.page}")
        canvas.restoreState()

    document.build(
        story,
        onFirstPage=first,
        onLaterPages=later,
        canvasmaker=_canvas_maker(pdf_date(listing.created_at)),
    )
    return buffer.getvalue()


def _cell(text: str, style: ParagraphStyle, width: float, *, whole: bool) -> Paragraph:
    """One cell's value laid out by `fit_text` (or `fit_whole` for a login or a password): its
    lines are set as given, so that reportlab never breaks a word.
    """
    if whole:
        fitted = fit_whole(text, style.fontName, style.fontSize, width, floor=MIN_SIZE)
    else:
        fitted = fit_text(
            text,
            style.fontName,
            style.fontSize,
            width,
            floor=MIN_SIZE,
            max_lines=MAX_CELL_LINES,
        )
    cell_style = _sized(style, fitted.size)
    return Paragraph("<br/>".join(escape(line) for line in fitted.lines), cell_style)


def _sized(style: ParagraphStyle, size: float) -> ParagraphStyle:
    """`style` at `size` (leading in proportion), never breaking a word by itself."""
    if size == style.fontSize:
        return style
    return ParagraphStyle(
        f"{style.name}-{size:.2f}",
        parent=style,
        fontSize=size,
        leading=style.leading * size / style.fontSize,
    )


def _table(
    listing: AccountList, styles: dict[str, ParagraphStyle], width: float, *, all_columns: bool
) -> Table:
    rows = list_table_rows(listing, all_columns=all_columns)
    widths = [width * share for share in (ALL_WIDTHS if all_columns else GUIDE_WIDTHS)]
    # A hair narrower than the cell, so that reportlab's own measure never finds a line too wide.
    room = [w - 2 * PADDING - 0.5 for w in widths]
    cells: list[list[Paragraph]] = [
        [
            _cell(text, styles["head"], room[column], whole=False)
            for column, text in enumerate(rows[0])
        ]
    ]
    whole = {len(widths) - 2, len(widths) - 1}
    cells += [
        [
            _cell(text, styles["cell"], room[column], whole=column in whole)
            for column, text in enumerate(row)
        ]
        for row in rows[1:]
    ]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BLUE),
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table
