"""`PdfRenderer`: the `DocumentRenderer` port with reportlab — notification sheets and the account
list as PDF, with DejaVu embedded, byte-for-byte the same for the same input.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from educonnect_core.domain.letters import LetterContent
from educonnect_core.domain.records import AccountList, Document
from educonnect_core.services.exports import export_filename
from educonnect_pdf.account_list import account_list_pdf, pdf_date
from educonnect_pdf.fonts import FontSet, register_fonts
from educonnect_pdf.sheets import draw_sheet

__all__ = ["PDF", "PdfRenderer", "sheets_filename"]

PDF: Final = "application/pdf"


def sheets_filename(created_at: datetime) -> str:
    """``Educonnect-Courriers-AAAAMMJJHHMMSS.pdf``: the sheets of one notification."""
    return f"Educonnect-Courriers-{created_at:%Y%m%d%H%M%S}.pdf"


class PdfRenderer:
    """Renders the guide's documents as PDF (implements `DocumentRenderer`).

    `font_dir` is where DejaVuSans.ttf and DejaVuSans-Bold.ttf are, when not in a usual place
    (see `educonnect_pdf.fonts`); the fonts are found and registered when the renderer is built,
    so a missing font fails at start-up (`FontNotFound`), not at the first notification.
    `all_columns` prints the list with the CSV's ten columns instead of the guide's eight.
    Dates printed and file names use the time zone of the datetimes given (the application
    passes the users' local time).
    """

    def __init__(
        self, *, font_dir: str | os.PathLike[str] | None = None, all_columns: bool = False
    ) -> None:
        self.fonts: FontSet = register_fonts(font_dir)
        self.all_columns = all_columns

    def __repr__(self) -> str:
        return f"<PdfRenderer font={self.fonts.regular}>"

    def notification_sheets(
        self, letters: Sequence[LetterContent], created_at: datetime
    ) -> Document:
        """ONE PDF with one A4 page per letter, in the given order (guide §5.3.1).

        Raises `ValueError` when `letters` is empty: a PDF cannot have zero pages.
        """
        if not letters:
            raise ValueError("notification_sheets needs at least one letter")
        buffer = io.BytesIO()
        canvas = Canvas(
            buffer,
            pagesize=A4,
            invariant=1,
            pageCompression=1,
            # types-reportlab types this as a size; reportlab takes the font's name.
            initialFontName=self.fonts.regular,  # type: ignore[arg-type]
        )
        stamp = pdf_date(created_at)
        canvas.setDateFormatter(lambda *_: stamp)
        canvas.setTitle("EduConnect – Notification des comptes responsables")
        canvas.setAuthor("EduConnect")
        canvas.setCreator("educonnect-core")
        total = len(letters)
        for number, letter in enumerate(letters, start=1):
            draw_sheet(
                canvas,
                self.fonts,
                letter,
                created_at=created_at,
                page=f"{number}/{total}",
                page_size=A4,
            )
        canvas.save()
        return Document(sheets_filename(created_at), PDF, buffer.getvalue())

    def account_list(self, listing: AccountList) -> Document:
        """The list of guide §5.4 as ``Educonnect-ListeResponsables-AAAAMMJJHHMMSS.pdf``."""
        content = account_list_pdf(listing, self.fonts, all_columns=self.all_columns)
        return Document(export_filename(listing.created_at, "pdf"), PDF, content)
