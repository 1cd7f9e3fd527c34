"""Document adapter: the guide's letters and the account list as PDF (reportlab).

>>> from educonnect_pdf import PdfRenderer
>>> renderer = PdfRenderer()  # finds and embeds DejaVu Sans
"""

from educonnect_pdf.account_list import FOOTNOTE, GUIDE_HEADER, account_list_pdf
from educonnect_pdf.errors import FontNotFound
from educonnect_pdf.fonts import FontSet, font_folders, register_fonts
from educonnect_pdf.renderer import PDF, PdfRenderer, sheets_filename

__all__ = [
    "FOOTNOTE",
    "GUIDE_HEADER",
    "PDF",
    "FontNotFound",
    "FontSet",
    "PdfRenderer",
    "account_list_pdf",
    "font_folders",
    "register_fonts",
    "sheets_filename",
]
