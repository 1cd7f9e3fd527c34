"""Sample documents for the docs: a notification sheet and an account list of a made-up school,
produced by the real use cases on the in-memory world.

    python -m educonnect_pdf.samples OUTPUT_FOLDER

writes ``notification-sheet.pdf`` and ``account-list.pdf`` there (``make pictures`` turns page 1
of each into a PNG in ``docs/images/``). The data are fixed, so the files are the same each time.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from educonnect_core import (
    Channel,
    Director,
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Selection,
    Student,
    Uai,
)
from educonnect_core.application import EduConnect
from educonnect_core.testing import (
    FakeClock,
    FastHasher,
    InMemoryStorage,
    RecordingMailer,
    SeededSecrets,
)
from educonnect_pdf.renderer import PdfRenderer

__all__ = ["main", "write_samples"]

UAI = "0999901Z"
_FAMILIES = (
    ("NGUYỄN", "Chloé", ("Sékou", "Lina")),
    ("D’ŒUVRAY", "Marc-André", ("Zoé",)),
    ("LEFÈVRE", "Françoise", ("Noël", "Maëlys", "Jérôme")),
    ("DIALLO", "Aïssata", ("Mamadou",)),
    ("MARTIN", "Ève", ("Léa",)),
)


def write_samples(folder: Path) -> list[Path]:
    """Write the sample PDFs into `folder` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    app = EduConnect(
        storage=InMemoryStorage(),
        mailer=RecordingMailer(),
        renderer=PdfRenderer(),
        clock=FakeClock(datetime(2025, 9, 4, 14, 30, tzinfo=UTC)),
        secrets=SeededSecrets(2025),
        hasher=FastHasher(),
        timezone=ZoneInfo("Europe/Paris"),
    )
    students, responsables, links = [], [], []
    for number, (surname, first_name, children) in enumerate(_FAMILIES):
        rid = f"60000{number}"
        responsables.append(Responsable.create(rid, surname=surname, first_name=first_name))
        for rank, child in enumerate(children):
            sid = f"5000{number}{rank}"
            students.append(
                Student.create(
                    sid,
                    surname=surname,
                    first_name=child,
                    birth_date=date(2016 + rank, 1 + number, 10 + rank),
                    uai=UAI,
                    class_id="70001" if rank % 2 == 0 else "70002",
                    level="CP" if rank % 2 == 0 else "CE2",
                    ine=f"00000{number}{rank}000A",
                )
            )
            links.append(GuardianLink(rid, sid))
    app.integrate(
        DirectorySnapshot(
            [School.create(UAI, "ÉCOLE ÉLÉMENTAIRE LES TILLEULS")],
            [
                SchoolClass.create("70001", UAI, "CP A – Mme Nguyễn"),
                SchoolClass.create("70002", UAI, "CE2 B – M. N’Diaye"),
            ],
            students,
            responsables,
            links,
        )
    )
    admin = app.administration(Director("sample", {Uai.parse(UAI)}))
    report = admin.notify(UAI, Selection(), Channel.PAPER)
    if report.document is None:  # pragma: no cover - a paper notification always has one.
        raise RuntimeError("no sheets were produced")
    sheets = folder / "notification-sheet.pdf"
    sheets.write_bytes(report.document.content)
    listing = folder / "account-list.pdf"
    listing.write_bytes(admin.export_pdf(UAI).content)
    return [sheets, listing]


def main(argv: list[str] | None = None) -> int:
    """Command line: write the samples into the folder given (default: the current one)."""
    args = sys.argv[1:] if argv is None else argv
    for path in write_samples(Path(args[0] if args else ".")):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
