"""Benchmarks of the document and mail adapters (issue 5), each against its baseline.

Both are measured in the same run:

- paper notification of 500 accounts into ONE PDF through the use case (`notify` with
  `PdfRenderer`) against raw reportlab drawing the same lines with the same embedded font
  (goal: at most 2x);
- e-mail notification of 1,000 accounts delivered by the outbox relay and `SmtpMailer` to a local
  aiosmtpd, against raw smtplib sending the same messages on one connection (goal: at least
  0.8x the throughput).

Run: ``.venv/bin/python bench/documents.py``. Scale with ``EDUCONNECT_BENCH_SCALE`` (1.0 = full).
"""

from __future__ import annotations

import gc
import io
import json
import os
import smtplib
import socket
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from educonnect_core import (
    Channel,
    Director,
    DirectorySnapshot,
    GuardianLink,
    LetterContent,
    Responsable,
    School,
    SchoolClass,
    Selection,
    Student,
    Uai,
)
from educonnect_core.application import EduConnect
from educonnect_core.ports import DocumentRenderer, Mailer
from educonnect_core.testing import (
    FakeClock,
    FastHasher,
    InMemoryStorage,
    RecordingMailer,
    RecordingRenderer,
    SeededSecrets,
)
from educonnect_mail import Security, Sender, SmtpMailer, SmtpSettings
from educonnect_pdf import PdfRenderer

SCALE = float(os.environ.get("EDUCONNECT_BENCH_SCALE", "1"))
UAI = "0999901Z"
SENDER = Sender("ne-pas-repondre@ac-exemple.fr")


def school(guardians: int, renderer: DocumentRenderer, mailer: Mailer) -> tuple[EduConnect, str]:
    """An in-memory EduConnect with one school of `guardians` guardians (one child each)."""
    app = EduConnect(
        storage=InMemoryStorage(),
        mailer=mailer,
        renderer=renderer,
        clock=FakeClock(),
        secrets=SeededSecrets(5),
        hasher=FastHasher(),
        deliver_after_commit=False,
    )
    students, responsables, links = [], [], []
    for g in range(guardians):
        surname = f"NGUYỄN-LEFÈVRE{g}"
        students.append(
            Student.create(
                f"5{g:06d}",
                surname=surname,
                first_name="Sékou",
                birth_date=date(2017, 1, 1 + g % 28),
                uai=UAI,
                class_id="70001",
                level="CP",
                ine=f"{g:010d}A",
            )
        )
        responsables.append(
            Responsable.create(
                f"6{g:06d}", surname=surname, first_name="Chloé", email=f"p{g}@example.org"
            )
        )
        links.append(GuardianLink(f"6{g:06d}", f"5{g:06d}"))
    app.integrate(
        DirectorySnapshot(
            [School.create(UAI, "ÉCOLE ÉLÉMENTAIRE LES TILLEULS")],
            [SchoolClass.create("70001", UAI, "CP A")],
            students,
            responsables,
            links,
        )
    )
    return app, UAI


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of `runs` timings of `work`, in seconds, with the garbage collector paused
    as `timeit` does (both paths alike: a collection landing in one run only is noise).
    """
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


# -- paper ----------------------------------------------------------------------------------------


def raw_reportlab(letters: Sequence[LetterContent], font: str) -> bytes:
    """The baseline: each letter's lines drawn one under the other, one page per letter."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    for letter in letters:
        y = A4[1] - 60
        canvas.setFont(font, 10.5)
        for line in letter.lines:
            canvas.drawString(50, y, line)
            y -= 14
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def bench_paper(accounts: int) -> dict[str, float]:
    renderer = PdfRenderer()
    app, uai = school(accounts, renderer, RecordingMailer())
    admin = app.administration(Director("d1", {Uai.parse(uai)}))
    recorder = RecordingRenderer()
    twin, _ = school(accounts, recorder, RecordingMailer())
    twin.administration(Director("d1", {Uai.parse(uai)})).notify(uai, Selection(), Channel.PAPER)
    letters = recorder.sheets[0]
    sizes: list[int] = []

    def library() -> None:
        report = admin.notify(uai, Selection(), Channel.PAPER)
        if report.document is None:
            raise RuntimeError("no PDF")
        sizes.append(len(report.document.content))

    raw_size: list[int] = []
    library_s = best_of(3, library)
    raw_s = best_of(3, lambda: raw_size.append(len(raw_reportlab(letters, renderer.fonts.regular))))
    return {
        "paper_accounts": float(accounts),
        "paper_library_s": library_s,
        "paper_raw_reportlab_s": raw_s,
        "paper_ratio": library_s / raw_s,
        "paper_pdf_kib": sizes[-1] / 1024,
        "paper_raw_pdf_kib": raw_size[-1] / 1024,
    }


# -- e-mail ---------------------------------------------------------------------------------------


class CountingHandler:
    """Accepts every message and counts them."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name.
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Count the message and accept it."""
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def raw_smtplib(port: int, messages: Sequence[tuple[str, bytes]]) -> None:
    """The baseline: ready-made messages sent with `sendmail` on one connection."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as connection:
        for to, data in messages:
            connection.sendmail(SENDER.address, [to], data)


def plain_message(letter: LetterContent, to: str) -> tuple[str, bytes]:
    mail = EmailMessage()
    mail["From"] = SENDER.address
    mail["To"] = to
    mail["Subject"] = letter.subject or ""
    mail.set_content("\n".join(letter.lines))
    return to, mail.as_bytes(policy=policy.SMTP)


def bench_mail(accounts: int) -> dict[str, float]:
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = SmtpSettings("127.0.0.1", controller.port, Security.NONE, timeout=30)
        recording = RecordingMailer()
        twin, uai = school(accounts, RecordingRenderer(), recording)
        twin.administration(Director("d1", {Uai.parse(uai)})).notify(
            uai, Selection(), Channel.EMAIL
        )
        twin.deliver_pending()
        built = [plain_message(m.letter, m.to.value) for m in recording.sent]

        library_s = float("inf")
        for _ in range(3):
            with SmtpMailer(settings, SENDER) as mailer:
                app, _ = school(accounts, RecordingRenderer(), mailer)
                app.administration(Director("d1", {Uai.parse(uai)})).notify(
                    uai, Selection(), Channel.EMAIL
                )
                gc.collect()
                gc.disable()
                try:
                    start = time.perf_counter()
                    report = app.deliver_pending()
                    library_s = min(library_s, time.perf_counter() - start)
                finally:
                    gc.enable()
                if len(report.sent) != accounts:
                    raise RuntimeError(f"not all sent: {report.failed[:3]}")

        raw_s = best_of(3, lambda: raw_smtplib(controller.port, built))
        raw_built_s = best_of(
            3,
            lambda: raw_smtplib(
                controller.port, [plain_message(m.letter, m.to.value) for m in recording.sent]
            ),
        )
    finally:
        controller.stop()
        controller.loop.close()
    return {
        "mail_accounts": float(accounts),
        "mail_library_s": library_s,
        "mail_library_per_s": accounts / library_s,
        "mail_raw_smtplib_prebuilt_per_s": accounts / raw_s,
        "mail_raw_smtplib_building_per_s": accounts / raw_built_s,
        "mail_throughput_ratio_vs_prebuilt": raw_s / library_s,
        "mail_throughput_ratio_vs_building": raw_built_s / library_s,
        "mail_server_received": float(handler.count),
    }


def main() -> dict[str, float]:
    """Run both benchmarks, print the figures and the ratios, return them."""
    figures = bench_paper(max(1, round(500 * SCALE)))
    print(
        f"paper, {figures['paper_accounts']:.0f} accounts: use case + PdfRenderer "
        f"{figures['paper_library_s']:.3f} s, raw reportlab "
        f"{figures['paper_raw_reportlab_s']:.3f} s -> {figures['paper_ratio']:.2f}x (goal <= 2x)"
    )
    figures |= bench_mail(max(1, round(1000 * SCALE)))
    print(
        f"e-mail, {figures['mail_accounts']:.0f} accounts: relay + SmtpMailer "
        f"{figures['mail_library_per_s']:.0f} msg/s, raw smtplib "
        f"{figures['mail_raw_smtplib_prebuilt_per_s']:.0f} msg/s (pre-built) / "
        f"{figures['mail_raw_smtplib_building_per_s']:.0f} msg/s (building) -> "
        f"{figures['mail_throughput_ratio_vs_prebuilt']:.2f}x / "
        f"{figures['mail_throughput_ratio_vs_building']:.2f}x (goal >= 0.8x)"
    )
    json.dump(figures, sys.stdout, indent=2)
    print()
    return figures


if __name__ == "__main__":
    main()
