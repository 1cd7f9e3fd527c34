"""The CSV export of the account list (guide §5.4, SPEC §6): byte-exact header, `;`, UTF-8 with a
BOM so that a French spreadsheet shows the accents, and no cell a spreadsheet would run as a
formula.
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import Final

from educonnect_core.domain.records import AccountList, Document
from educonnect_core.domain.selection import ResponsableRow

__all__ = ["CSV_HEADER", "csv_bytes", "csv_document", "export_filename", "export_values"]

CSV_HEADER: Final = (
    "RNE",
    "Ecole",
    "Nom de l'élève",
    "Prénom de l'élève",
    "Niveau de l'élève",
    "Classe de l'élève",
    "Nom du responsable",
    "Prénom du responsable",
    "Identifiant",
    "Mot de passe",
)
#: A cell starting with one of these is prefixed with an apostrophe (OWASP « CSV injection »).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def export_filename(created_at: datetime, extension: str) -> str:
    """``Educonnect-ListeResponsables-AAAAMMJJHHMMSS.<extension>`` (guide §5.4)."""
    return f"Educonnect-ListeResponsables-{created_at:%Y%m%d%H%M%S}.{extension}"


def export_values(school_name: str, row: ResponsableRow) -> tuple[str, ...]:
    """The ten columns of one row, in header order, before any escaping."""
    return (
        row.uai,
        school_name,
        row.student_surname,
        row.student_first_name,
        "" if row.level is None else row.level.name,
        row.class_name,
        row.surname,
        row.first_name,
        row.login,
        row.password,
    )


def neutralise(cell: str) -> str:
    """`cell`, made inert if a spreadsheet would take it for a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


class _Sink:
    """Collects what `csv.writer` writes, without any file."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)


def csv_bytes(listing: AccountList) -> bytes:
    """The CSV file's bytes: BOM, header, one line per row, ``;``, CRLF, minimal quoting."""
    sink = _Sink()
    writer = csv.writer(sink, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_HEADER)
    for row in listing.rows:
        writer.writerow([neutralise(v) for v in export_values(listing.school.name, row)])
    return "".join(sink.parts).encode("utf-8-sig")


def csv_document(listing: AccountList, local_created_at: datetime) -> Document:
    """The CSV export as a named document (the name uses the users' local time)."""
    return Document(export_filename(local_created_at, "csv"), "text/csv", csv_bytes(listing))
