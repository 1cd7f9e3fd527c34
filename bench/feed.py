"""Benchmark of the directory feed (issue 4): a synthetic AAF1D run read and integrated.

At full scale (``EDUCONNECT_BENCH_SCALE=1``) the generator writes 1,000,000 guardians, 600,000
pupils and 25,000 classes (5 classes per school). Each phase runs in its own child process so
that its peak RSS is its own:

- ``baseline``: raw ``xml.etree`` iterparse of the same files into row tuples, plus a raw
  ``sqlite3`` ``executemany`` of the same rows (pupils, guardians, links) into a file database;
- ``parse``: `educonnect_aaf.read_aaf1d` (hardened, validated) only;
- ``memory``: parse + `EduConnect.integrate` on the in-memory world;
- ``stream``: `stage_run` (the whole run staged in a temporary SQLite file) and every group's
  snapshot built, nothing integrated: the feed adapter's own time and memory on the streaming
  path (its peak RSS must not grow with the number of schools);
- ``grouped``: `integrate_feed(app, folder)` on the in-memory world (groups of 100 schools;
  the in-memory storage itself grows with the run, the feed side does not);
- ``sqlite``: parse + integrate on `educonnect_sql.SqlStorage` (SQLite file), when available
  (``EDUCONNECT_BENCH_SQL=0`` skips it).

Run: ``.venv/bin/python bench/feed.py`` (``--json`` prints the figures as JSON at the end).
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

SCALE = float(os.environ.get("EDUCONNECT_BENCH_SCALE", "1"))
PREFIX = "ENT1D_Complet_20250901"
PER_FILE = 100_000
BATCH_SCHOOLS = 100
HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n<ficAlimMENESR>\n'
)


def uai_of(n: int) -> str:
    digits = f"{n:07d}"
    return digits + "ABCDEFGHJKLMNPRSTUVWXYZ"[n % 23]


def _attr(name: str, *values: str) -> str:
    inner = "".join(f"<value>{v}</value>" if v else "<value/>" for v in values)
    return f'<attr name="{name}">{inner}</attr>'


def _record(kind: str, category: str, rid: str, attrs: list[str]) -> str:
    return (
        f'<addRequest><operationalAttributes><attr name="{category}"><value>{kind}</value>'
        f"</attr></operationalAttributes><identifier><id>{rid}</id></identifier><attributes>"
        + "".join(attrs)
        + "</attributes></addRequest>\n"
    )


def _write(folder: Path, kind: str, texts: Iterable[str]) -> None:
    chunk: list[str] = []
    number = 0

    def flush() -> None:
        nonlocal number, chunk
        path = folder / f"{PREFIX}_{kind}_{number:04d}.xml"
        path.write_text(HEADER + "".join(chunk) + "</ficAlimMENESR>\n", encoding="utf-8")
        number += 1
        chunk = []

    for text in texts:
        chunk.append(text)
        if len(chunk) >= PER_FILE:
            flush()
    if chunk or number == 0:
        flush()


def sizes() -> tuple[int, int, int, int]:
    """(guardians, pupils, classes, schools) at the current scale."""
    classes = max(5, int(25_000 * SCALE))
    return max(2, int(1_000_000 * SCALE)), max(1, int(600_000 * SCALE)), classes, classes // 5


def generate(folder: Path) -> None:
    """Write the synthetic run: pupil i in class i mod C, guardians 2i and 2i+1 mod G."""
    guardians, pupils, classes, schools = sizes()
    _write(
        folder,
        "EtabEducNat",
        (
            _record(
                "EtabEducNat",
                "categorieStructure",
                f"S{s}",
                [
                    _attr("ENTStructureUAI", uai_of(1_000_000 + s)),
                    _attr("ENTStructureNomCourant", f"ECOLE PUBLIQUE${s}"),
                ],
            )
            for s in range(schools)
        ),
    )
    levels = ("0001$CP", "0002$CE1", "1123$CE2", "0004$CM1", "0005$CM2")
    _write(
        folder,
        "Eleve",
        (
            _record(
                "Eleve",
                "categoriePersonne",
                f"E{i}",
                [
                    _attr("ENTEleveINE", "" if i % 50 == 0 else f"{i:010d}A"),
                    _attr("ENTPersonNom", f"NOM{i % 9973}"),
                    _attr("ENTPersonPrenom", f"Prenom{i % 211}"),
                    _attr("ENTPersonDateNaissance", f"{1 + i % 28:02d}/{1 + i % 12:02d}/2017"),
                    _attr("ENTPersonStructRattach", f"S{(i % classes) // 5}"),
                    _attr(
                        "ENTPersonClasses",
                        f"S{(i % classes) // 5}$11$ORDINAIRE$C{i % classes}$CLASSE {i % classes}",
                    ),
                    _attr("ENTEleveNiveau", levels[i % 5]),
                    _attr(
                        "ENTEleveAutoriteParentale",
                        f"R{(2 * i) % guardians}",
                        f"R{(2 * i + 1) % guardians}",
                    ),
                ],
            )
            for i in range(pupils)
        ),
    )
    _write(
        folder,
        "PersRelEleve",
        (
            _record(
                "PersRelEleve",
                "categoriePersonne",
                f"R{g}",
                [
                    _attr("ENTPersonNom", f"PARENT{g % 9973}"),
                    _attr("ENTPersonPrenom", f"Prenom{g % 307}"),
                    _attr("ENTPersonMail", f"p{g}@example.org" if g % 2 else ""),
                    _attr("ENTPersRelEleveTelMobile", f"06{g:08d}"),
                ],
            )
            for g in range(guardians)
        ),
    )


def peak_rss_mb() -> float:
    """The peak resident set size of this process, in MB: ``VmHWM`` of /proc (reset at exec,
    unlike ``ru_maxrss`` which a child inherits from its parent), else getrusage.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline(folder: Path) -> dict[str, float]:
    start = time.perf_counter()
    rows: dict[str, list[tuple[str, ...]]] = {"Eleve": [], "PersRelEleve": [], "links": []}
    for path in sorted(folder.glob("*.xml")):
        kind = (
            "Eleve" if "_Eleve_" in path.name else "PersRelEleve" if "PersRel" in path.name else ""
        )
        # The baseline the issue names: raw iterparse of our own generated files.
        context = ET.iterparse(path, events=("start", "end"))  # noqa: S314
        _, root = next(context)
        for event, element in context:
            if event != "end" or element.tag != "addRequest":
                continue
            rid = element.findtext("identifier/id") or ""
            values = {
                a.get("name", ""): [v.text or "" for v in a.iterfind("value")]
                for a in element.iterfind("attributes/attr")
            }
            root.clear()
            if kind == "Eleve":
                rows["Eleve"].append(
                    (
                        rid,
                        values["ENTPersonNom"][0],
                        values["ENTPersonPrenom"][0],
                        values["ENTPersonDateNaissance"][0],
                        values["ENTPersonClasses"][0],
                    )
                )
                rows["links"].extend((g, rid) for g in values["ENTEleveAutoriteParentale"])
            elif kind:
                rows["PersRelEleve"].append(
                    (
                        rid,
                        values["ENTPersonNom"][0],
                        values["ENTPersonPrenom"][0],
                        values["ENTPersonMail"][0],
                    )
                )
    parsed = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "baseline.db")
        db.execute("CREATE TABLE s (id TEXT PRIMARY KEY, n TEXT, p TEXT, b TEXT, c TEXT)")
        db.execute("CREATE TABLE r (id TEXT PRIMARY KEY, n TEXT, p TEXT, m TEXT)")
        db.execute("CREATE TABLE l (r TEXT, s TEXT, PRIMARY KEY (r, s))")
        with db:
            db.executemany("INSERT INTO s VALUES (?, ?, ?, ?, ?)", rows["Eleve"])
            db.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", rows["PersRelEleve"])
            db.executemany("INSERT INTO l VALUES (?, ?)", rows["links"])
        db.close()
    done = time.perf_counter()
    return {"parse_s": parsed - start, "total_s": done - start, "rss_mb": peak_rss_mb()}


def _library(folder: Path, storage: str) -> dict[str, float]:
    from educonnect_aaf import read_aaf1d  # noqa: PLC0415 (each phase imports only what it uses)
    from educonnect_core.testing import in_memory_world  # noqa: PLC0415

    start = time.perf_counter()
    snapshot, rejections, _ = read_aaf1d(folder)
    parsed = time.perf_counter()
    figures = {"parse_s": parsed - start, "records": float(len(snapshot.students))}
    if storage == "none":
        return figures | {"total_s": parsed - start, "rss_mb": peak_rss_mb()}
    with tempfile.TemporaryDirectory() as tmp:
        if storage == "sqlite":
            from educonnect_sql import SqlStorage  # noqa: PLC0415

            world = in_memory_world(
                storage=SqlStorage.open(f"sqlite:///{tmp}/feed.db", migrate=True)
            )
        else:
            world = in_memory_world()
        before = time.perf_counter()
        report = world.app.integrate(snapshot, rejections)
        done = time.perf_counter()
    figures["integrate_s"] = done - before
    figures["accounts_created"] = float(report.accounts_created)
    return figures | {"total_s": done - start, "rss_mb": peak_rss_mb()}


def _stream(folder: Path) -> dict[str, float]:
    """Stage the run and build every group's snapshot, integrating nothing."""
    from educonnect_aaf import find_run  # noqa: PLC0415
    from educonnect_aaf.staging import stage_run  # noqa: PLC0415

    start = time.perf_counter()
    students = groups = 0
    with stage_run(find_run(folder), batch_schools=BATCH_SCHOOLS) as staged:
        staged_at = time.perf_counter()
        for group in staged.groups():
            students += len(group.snapshot.students)
            groups += 1
    done = time.perf_counter()
    return {
        "stage_s": staged_at - start,
        "groups_s": done - staged_at,
        "total_s": done - start,
        "records": float(students),
        "groups": float(groups),
        "rss_mb": peak_rss_mb(),
    }


def _grouped(folder: Path) -> dict[str, float]:
    """`integrate_feed` on the in-memory world."""
    from educonnect_aaf.integration import integrate_feed  # noqa: PLC0415
    from educonnect_core.testing import in_memory_world  # noqa: PLC0415

    world = in_memory_world()
    start = time.perf_counter()
    result = integrate_feed(world.app, folder, batch_schools=BATCH_SCHOOLS)
    done = time.perf_counter()
    return {
        "total_s": done - start,
        "groups": float(result.groups),
        "accounts_created": float(result.report.accounts_created),
        "rss_mb": peak_rss_mb(),
    }


def _phase(name: str, folder: Path) -> dict[str, float]:
    """Run one phase in a child process; its figures come back as JSON on stdout."""
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, __file__, "--phase", name, str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _sql_available() -> bool:
    try:
        import educonnect_sql  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def main() -> dict[str, float]:
    guardians, pupils, classes, _schools = sizes()
    results: dict[str, float] = {
        "scale": SCALE,
        "guardians": guardians,
        "pupils": pupils,
        "classes": classes,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        generate(folder)
        results["generate_s"] = time.perf_counter() - start
        results["feed_mb"] = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        with_sql = _sql_available() and os.environ.get("EDUCONNECT_BENCH_SQL", "1") != "0"
        phases = ["baseline", "parse", "memory", "stream", "grouped"]
        phases += ["sqlite"] if with_sql else []
        for phase in phases:
            try:
                figures = _phase(phase, folder)
            except subprocess.CalledProcessError as error:
                print(f"phase {phase} failed: {error.stderr[-2000:]}", file=sys.stderr)
                continue
            results |= {f"{phase}_{key}": value for key, value in figures.items()}
    base = results["baseline_total_s"]
    results["parse_vs_raw_iterparse"] = results["parse_parse_s"] / results["baseline_parse_s"]
    for phase in ("memory", "grouped", "sqlite"):
        if f"{phase}_total_s" in results:
            results[f"{phase}_vs_baseline"] = results[f"{phase}_total_s"] / base
    for key, value in results.items():
        print(f"{key:36} {value:14.3f}")
    return results


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--phase":
        phase, where = sys.argv[2], Path(sys.argv[3])
        if phase in {"baseline", "stream", "grouped"}:
            runner = {"baseline": _baseline, "stream": _stream, "grouped": _grouped}[phase]
            print(json.dumps(runner(where)))
        else:
            print(json.dumps(_library(where, {"parse": "none"}.get(phase, phase))))
        raise SystemExit(0)
    figures = main()
    if "--json" in sys.argv:
        print(json.dumps(figures))
