"""Benchmarks of the document and mail adapters (issue 5), each against its baseline.

Both are measured in the same run:

- paper notification of 500 accounts into ONE PDF through the use case (`notify` with
  `PdfRenderer`, the accounts in a SQLite `SqlStorage` as the CLI keeps them) against raw
  reportlab drawing the same lines with the same embedded font (goal: at most 2x);
- e-mail notification of 1,000 accounts as the CLI delivers it (`outbox send`): the messages
  waiting, their letters sealed with a key, in the SQLite outbox (written by the notification,
  the database closed and opened again as the two commands do); the relay (batches of 200: one
  commit marks a batch in flight, one records it), `SmtpMailer` to a local aiosmtpd —
  against raw smtplib sending the same messages' bytes, serialised beforehand, on one
  connection (goal: at least 0.8x the throughput).

Each side is timed `RUNS` times (≥ 3) alternately with its baseline; the ratios are per round,
reported as median with min/max.

Run: ``.venv/bin/python bench/documents.py``: 500 and 1,000 accounts whatever the scale (a
scale below 0.05, for a quick look, takes a tenth).
"""

from __future__ import annotations

import io
import json
import os
import smtplib
import socket
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

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
from educonnect_core.ports import DocumentRenderer, Mailer, Storage
from educonnect_core.testing import (
    FakeClock,
    FastHasher,
    RecordingMailer,
    RecordingRenderer,
    SeededSecrets,
)
from educonnect_mail import Security, Sender, SmtpMailer, SmtpSettings
from educonnect_mail.message import outgoing_bytes
from educonnect_pdf import PdfRenderer
from educonnect_sql import SqlStorage
from educonnect_sql.keys import Key
from measure import RUNS, SCALE, interleaved, timed

UAI = "0999901Z"
SENDER = Sender("ne-pas-repondre@ac-exemple.fr")


def sqlite_url(folder: Path) -> str:
    """The URL of a new SQLite file in `folder` (not created yet)."""
    handle, name = tempfile.mkstemp(suffix=".sqlite3", dir=folder)
    os.close(handle)
    Path(name).unlink()
    return f"sqlite:///{name}"


def sqlite_storage(folder: Path, key: Key | None = None) -> SqlStorage:
    """A new SQLite `SqlStorage` in `folder`, as the CLI opens it (with `key`, the secrets
    sealed, as the CLI's key file does).
    """
    return SqlStorage.open(sqlite_url(folder), migrate=True, key=key)


def school(
    guardians: int, renderer: DocumentRenderer, mailer: Mailer, storage: Storage
) -> tuple[EduConnect, str]:
    """An EduConnect on `storage` with one school of `guardians` guardians (one child each)."""
    app = EduConnect(
        storage=storage,
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


def bench_paper(accounts: int, folder: Path) -> dict[str, Any]:
    """The paper notification on SQLite against raw reportlab, interleaved."""
    renderer = PdfRenderer()
    storage = sqlite_storage(folder)
    app, uai = school(accounts, renderer, RecordingMailer(), storage)
    admin = app.administration(Director("d1", {Uai.parse(uai)}))
    recorder = RecordingRenderer()
    twin_storage = sqlite_storage(folder)
    twin, _ = school(accounts, recorder, RecordingMailer(), twin_storage)
    twin.administration(Director("d1", {Uai.parse(uai)})).notify(uai, Selection(), Channel.PAPER)
    twin_storage.close()
    letters = recorder.sheets[0]
    sizes: list[int] = []

    def library() -> None:
        report = admin.notify(uai, Selection(), Channel.PAPER)
        if report.document is None:
            raise RuntimeError("no PDF")
        sizes.append(len(report.document.content))

    raw_size: list[int] = []
    try:
        figures = interleaved(
            lambda: timed(library, pause_gc=True),
            lambda: timed(
                lambda: raw_size.append(len(raw_reportlab(letters, renderer.fonts.regular))),
                pause_gc=True,
            ),
        )
    finally:
        storage.close()
    return {
        "paper_accounts": float(accounts),
        "paper_library_s": figures["library_s"],
        "paper_raw_reportlab_s": figures["baseline_s"],
        "paper_ratio": figures["ratio"],
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


def bench_mail(accounts: int, folder: Path) -> dict[str, Any]:
    """The CLI's delivery (SQLite outbox, relay, SmtpMailer) against raw smtplib sending the
    same messages' bytes built beforehand, interleaved; throughput ratio = raw time ÷ ours.
    """
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = SmtpSettings("127.0.0.1", controller.port, Security.NONE, timeout=30)
        recording = RecordingMailer()
        twin_storage = sqlite_storage(folder)
        twin, uai = school(accounts, RecordingRenderer(), recording, twin_storage)
        twin.administration(Director("d1", {Uai.parse(uai)})).notify(
            uai, Selection(), Channel.EMAIL
        )
        twin.deliver_pending()
        twin_storage.close()
        # The very bytes SmtpMailer writes for these messages, serialised before timing.
        built = [(m.to.value, outgoing_bytes(m, SENDER)) for m in recording.sent]
        if len(built) != accounts:
            raise RuntimeError(f"{len(built)} messages built for {accounts} accounts")

        relay_batch: list[int] = []

        def library() -> float:
            # Sealed letters, as the CLI keeps them (its key file). `educonnect notify` and
            # `educonnect outbox send` are two commands: the database is closed between them
            # (SQLite then checkpoints its WAL) and opened again to send.
            key, url = Key.generate(), sqlite_url(folder)
            storage = SqlStorage.open(url, migrate=True, key=key)
            try:
                app, _ = school(accounts, RecordingRenderer(), RecordingMailer(), storage)
                app.administration(Director("d1", {Uai.parse(uai)})).notify(
                    uai, Selection(), Channel.EMAIL
                )
            finally:
                storage.close()
            storage = SqlStorage.open(url, key=key)
            try:
                with SmtpMailer(settings, SENDER) as mailer:
                    sender = EduConnect(
                        storage=storage,
                        mailer=mailer,
                        renderer=RecordingRenderer(),
                        clock=FakeClock(),
                        secrets=SeededSecrets(5),
                        hasher=FastHasher(),
                        deliver_after_commit=False,
                    )
                    relay_batch[:] = [sender.relay.batch]
                    sent: list[int] = []
                    seconds = timed(
                        lambda: sent.append(len(sender.deliver_pending().sent)), pause_gc=True
                    )
            finally:
                storage.close()
            if sent != [accounts]:
                raise RuntimeError(f"not all sent: {sent}")
            return seconds

        figures = interleaved(
            library, lambda: timed(lambda: raw_smtplib(controller.port, built), pause_gc=True)
        )
    finally:
        controller.stop()
        controller.loop.close()
    # Throughput ratio per round: raw seconds ÷ library seconds.
    ratio = figures["ratio"]
    throughput = {
        "median": 1 / ratio["median"],
        "min": 1 / ratio["max"],
        "max": 1 / ratio["min"],
        "runs": ratio["runs"],
    }
    return {
        "mail_accounts": float(accounts),
        "mail_relay_batch": float(relay_batch[0]),
        "mail_library_s": figures["library_s"],
        "mail_raw_smtplib_prebuilt_s": figures["baseline_s"],
        "mail_library_per_s": accounts / figures["library_s"]["median"],
        "mail_raw_smtplib_prebuilt_per_s": accounts / figures["baseline_s"]["median"],
        "mail_throughput_ratio_vs_prebuilt": throughput,
        "mail_server_received": float(handler.count),
    }


def main() -> dict[str, Any]:
    """Run both benchmarks, print the figures and the ratios, return them."""
    with tempfile.TemporaryDirectory(prefix="educonnect-bench-docs-") as tmp:
        folder = Path(tmp)
        # Always the sizes (a few seconds): the scale is for the big benchmarks.
        figures = bench_paper(500 if SCALE >= 0.05 else 50, folder)
        figures |= bench_mail(1000 if SCALE >= 0.05 else 100, folder)
    paper, mail = figures["paper_ratio"], figures["mail_throughput_ratio_vs_prebuilt"]
    print(
        f"paper, {figures['paper_accounts']:.0f} accounts (SQLite): "
        f"{paper['median']:.2f}x raw reportlab [{paper['min']:.2f}-{paper['max']:.2f}] "
        f"(goal <= 2x, {RUNS} rounds)"
    )
    print(
        f"e-mail, {figures['mail_accounts']:.0f} accounts (SQLite outbox, relay, SmtpMailer): "
        f"{mail['median']:.2f}x raw smtplib's throughput [{mail['min']:.2f}-{mail['max']:.2f}] "
        f"(goal >= 0.8x, {RUNS} rounds)"
    )
    json.dump(figures, sys.stdout, indent=2)
    print()
    return figures


if __name__ == "__main__":
    main()
