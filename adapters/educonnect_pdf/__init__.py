"""Document adapter: the guide's letters and the account list as PDF (reportlab).

>>> from educonnect_pdf import PdfRenderer
>>> renderer = PdfRenderer()  # finds and embeds DejaVu Sans
"""

try:  # The « pdf » extra's libraries: say which extra to install, not just what is missing.
    import reportlab as _reportlab  # noqa: F401
except ModuleNotFoundError as _missing:
    raise ModuleNotFoundError(
        f"educonnect_pdf needs {_missing.name}, which the « pdf » extra installs: "
        'pip install "educonnect-core[pdf]"',
        name=_missing.name,
    ) from _missing

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
