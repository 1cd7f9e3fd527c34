"""``educonnect demo``: a simulated school year on the real adapters, written to a folder.

The synthetic feed goes through AAF1D files and the feed reader, the accounts live in SQLite, the
sheets and lists are PDF, the e-mails ``.eml`` files; `timeline.md` tells the year day by day.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from educonnect_aaf import read_feed
from educonnect_aaf.writer import guardian_record, pupil_record, school_record, write_run
from educonnect_cli.context import DEFAULT_SENDER, PARIS, database_url
from educonnect_cli.output import MARKER, FolderNotOurs, prepare_out, record_written, write_new
from educonnect_cli.render import statistics_json
from educonnect_cli.serve import demo_lines
from educonnect_core import (
    DirectorySnapshot,
    EduConnect,
    IntegrationReport,
    ScryptHasher,
    Uai,
)
from educonnect_core.domain.statistics import format_percent
from educonnect_core.testing import FakeClock, SeededSecrets
from educonnect_core.testing.simulation import RENTREE, MailTap, SchoolYear, synthetic_feed
from educonnect_mail import FileOutbox
from educonnect_pdf import PdfRenderer
from educonnect_sql import SqlStorage
from educonnect_sql.keys import default_key

__all__ = ["run_demo", "write_feed"]


def write_feed(snapshot: DirectorySnapshot, folder: Path, prefix: str) -> list[Path]:
    """Write `snapshot` as a « Complet » AAF1D run (EtabEducNat, Eleve, PersRelEleve files)."""
    school_ids = {school.uai: f"{9000 + n}" for n, school in enumerate(snapshot.schools)}
    classes = {c.class_id: c for c in snapshot.classes}
    guardians: dict[str, list[str]] = defaultdict(list)
    for link in snapshot.links:
        guardians[link.student_id].append(link.responsable_id)
    return write_run(
        folder,
        {
            "EtabEducNat": [school_record(school_ids[s.uai], s) for s in snapshot.schools],
            "Eleve": [
                pupil_record(
                    s, school_ids[s.uai], classes.get(s.class_id or ""), guardians[s.student_id]
                )
                for s in snapshot.students
            ],
            "PersRelEleve": [guardian_record(r) for r in snapshot.responsables],
        },
        prefix=prefix,
    )


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {MARKER}


def run_demo(out: Path, *, seed: int, pupils: int, console: Console) -> None:
    """Run the simulated year into `out`, print a summary, then how to open the web console
    on its database (`demo_lines`: the ``serve`` command, a director's and a guardian's
    credentials).

        `out` must be absent, empty, or a previous demo output: then only the files the demo wrote
        there (listed in its marker file) are removed first; any other file is never touched, and
        any other non-empty folder is refused (`FolderNotOurs`).
    """
    prepare_out(out, clear=True)
    before = _files(out)
    if before & {"educonnect.sqlite3", "timeline.md"}:
        raise FolderNotOurs(out)
    documents, feeds, outbox_dir = out / "documents", out / "feed", out / "outbox"
    for folder in (documents, feeds, outbox_dir):
        folder.mkdir(parents=True, exist_ok=True)
    try:
        _year(out, seed=seed, pupils=pupils, console=console)
        # How to open the web console on the demo's data (a director's password, a guardian's
        # fresh provisional password): printed last, after the year's summary.
        console_lines = demo_lines(out)
    finally:
        record_written(out, _files(out) - before)
    for line in console_lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _year(out: Path, *, seed: int, pupils: int, console: Console) -> None:
    documents, feeds, outbox_dir = out / "documents", out / "feed", out / "outbox"
    feed = synthetic_feed(seed, pupils=pupils)
    (out / "educonnect-directors.json").write_text(
        json.dumps(
            [
                {"id": d.director_id, "name": d.name, "uais": sorted(u.value for u in d.uais)}
                for d in feed.directors
            ],
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    clock = FakeClock(RENTREE)
    tap = MailTap(FileOutbox(outbox_dir, DEFAULT_SENDER))
    demo_url = database_url(str(out / "educonnect.sqlite3"))
    storage = SqlStorage.open(demo_url, migrate=True, key=default_key(demo_url))
    runs = 0

    def integrate_through_files(snapshot: DirectorySnapshot) -> IntegrationReport:
        nonlocal runs
        runs += 1
        day = clock.now().astimezone(PARIS)
        folder = feeds / f"{day:%Y%m%d}-{runs:02d}"
        write_feed(snapshot, folder, f"ENT1D_Complet_{day:%Y%m%d}")
        read, rejections, _warnings = read_feed(folder)
        return app.integrate(read, rejections)

    try:
        app = EduConnect(
            storage=storage,
            mailer=tap,
            renderer=PdfRenderer(),
            clock=clock,
            secrets=SeededSecrets(seed),
            hasher=ScryptHasher(log2_n=12),
            timezone=PARIS,
        )
        with console.status("Une année scolaire simulée…"):
            result = SchoolYear(
                app, clock, tap, feed, seed=seed, integrate=integrate_through_files
            ).run()
        for place, document in result.documents:
            write_new(documents / place / document.filename, document.content)
        write_new(out / "timeline.md", result.markdown(PARIS).encode("utf-8"))
        write_new(
            out / "stats.json",
            json.dumps(
                [statistics_json(s) for s in result.statistics], ensure_ascii=False, indent=2
            ).encode("utf-8"),
        )
        table = Table(title=Text(f"Année simulée (graine {seed}) — {out}"))
        for header in (
            "École",
            "Comptes",
            "Non notifié",
            "Notifié",
            "En cours",
            "Activé",
            "% activés",
            "% élèves",
        ):
            table.add_column(header)
        names = {school.uai: school.name for school in feed.snapshot.schools}
        # The night after the year: the stored statistics `educonnect stats` shows (guide §6.1).
        stored = {Uai.parse(s.uai): s for s in app.compute_all_statistics()}
        for director in feed.directors:
            for uai in sorted(director.uais):
                s = stored[uai].summary
                cells = (
                    f"{uai} {names[uai]}",
                    str(s.accounts),
                    str(s.not_notified),
                    str(s.notified),
                    str(s.activating),
                    str(s.activated),
                    format_percent(s.percent_activated),
                    format_percent(s.percent_pupils_with_activated_guardian),
                )
                table.add_row(*(Text(cell) for cell in cells))
        console.print(table)
        console.print(
            f"{len(tap.messages)} courriels (.eml), {len(result.documents)} documents, "
            f"{len(result.timeline)} événements — voir {out / 'timeline.md'}.",
            markup=False,
            highlight=False,
        )
    finally:
        storage.close()
