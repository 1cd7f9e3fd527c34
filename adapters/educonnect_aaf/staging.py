"""A big AAF1D run staged on disk, then handed over one group of schools at a time.

`stage_run` reads every file of the run once, streaming, with the same record rules as
`read_aaf1d`, but keeps the pupils and guardians it accepts in a temporary SQLite file (standard
library `sqlite3`, in a temporary folder deleted afterwards) instead of in memory. The cross-record
rules (conflicting duplicates, pupils naming a rejected or absent guardian, classes named twice)
are then resolved in SQL, so every rejection and warning of the run is known — and every file has
been read — before the first group is handed over.

`StagedRun.groups()` then yields one `FeedGroup` per `batch_schools` schools (in UAI order): a
*complete* `DirectorySnapshot` of those schools, holding their pupils, classes and links, and
every guardian those pupils name. A guardian with children in several groups is in each of them
(`FeedGroup.repeated` lists the ones an earlier group already gave). Guardians no pupil names
come last, in groups of `batch_guardians` with no school. Memory is one group, whatever the
size of the run.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Final

import attrs

from educonnect_aaf.aaf1d import _Builder, _Pupil, read_records
from educonnect_aaf.files import AafRun
from educonnect_aaf.reading import FeedWarning
from educonnect_core.domain.directory import (
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Student,
)
from educonnect_core.domain.fingerprints import DirectoryRecords, PupilFields
from educonnect_core.domain.values import Email, Ine, Level, Mobile, Uai
from educonnect_core.services.integration import Rejection

__all__ = [
    "DEFAULT_BATCH_GUARDIANS",
    "DEFAULT_BATCH_SCHOOLS",
    "FeedGroup",
    "StagedGroup",
    "StagedRun",
    "stage_run",
]

DEFAULT_BATCH_SCHOOLS: Final = 100
DEFAULT_BATCH_GUARDIANS: Final = 20_000
#: Rows buffered before they are written: few enough that they die young (a bigger buffer
#: survives into the collector's old generation and costs full collections: 10,000 rows made
#: staging 8 % slower).
_FLUSH_ROWS: Final = 1_000
_SEP: Final = "\x00"  # cannot occur in XML text: joins the fields of a record version

_SCHEMA: Final = """
CREATE TABLE pupil (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, version TEXT NOT NULL, source TEXT NOT NULL,
    uai TEXT NOT NULL, surname TEXT NOT NULL, first_name TEXT NOT NULL, birth_date TEXT NOT NULL,
    class_id TEXT, class_uai TEXT, class_name TEXT, level TEXT, ine TEXT, admitted INTEGER NOT NULL
);
CREATE TABLE pupil_guardian (seq INTEGER NOT NULL, guardian TEXT NOT NULL);
CREATE TABLE guardian (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, version TEXT NOT NULL, source TEXT NOT NULL,
    surname TEXT NOT NULL, first_name TEXT NOT NULL, email TEXT, mobile TEXT
);
CREATE TABLE rejected_guardian (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE school_group (uai TEXT PRIMARY KEY, grp INTEGER NOT NULL) WITHOUT ROWID;
"""

_RESOLVE: Final = """
CREATE INDEX pupil_by_id ON pupil (id);
CREATE INDEX pupil_guardian_by_seq ON pupil_guardian (seq);
CREATE INDEX guardian_by_id ON guardian (id);
CREATE TABLE accepted (id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE candidate (seq INTEGER PRIMARY KEY);
CREATE TABLE unlinked (seq INTEGER PRIMARY KEY);
CREATE TABLE kept (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, grp INTEGER NOT NULL);
CREATE TABLE chosen_class (
    class_id TEXT PRIMARY KEY, uai TEXT NOT NULL, name TEXT NOT NULL
) WITHOUT ROWID;
"""


@attrs.frozen
class FeedGroup:
    """One group of a staged run: `snapshot` is complete for its schools (when the run is).

    `repeated` names the guardians of this snapshot that an earlier group already held (they
    have children in several groups); `index` counts from 0.
    """

    index: int
    snapshot: DirectorySnapshot
    repeated: tuple[str, ...] = ()


@attrs.frozen
class StagedGroup:
    """One group of a staged run as rows, before any domain object is built: its schools, the
    fingerprints of its records (`records`: every pupil of its schools, their links, every
    guardian they name), and `repeated` as in `FeedGroup`. `StagedRun.snapshot` builds the
    `DirectorySnapshot` of all or part of it.
    """

    index: int
    schools: tuple[School, ...]
    records: DirectoryRecords
    repeated: tuple[str, ...] = ()


@attrs.define
class _StagingBuilder(_Builder):
    """The reader's builder, keeping accepted pupils and guardians in SQLite, not in memory."""

    db: sqlite3.Connection = attrs.field(kw_only=True)
    seq: int = 0
    pupil_rows: list[tuple[object, ...]] = attrs.Factory(list)
    link_rows: list[tuple[int, str]] = attrs.Factory(list)
    guardian_rows: list[tuple[object, ...]] = attrs.Factory(list)

    def keep_pupil(self, rid: str, pupil: _Pupil) -> None:
        """Stage one pupil record version."""
        self.seq = seq = self.seq + 1
        s, c = pupil.student, pupil.school_class
        guardians = sorted(pupil.guardians)
        level = None if s.level is None else s.level.code
        ine = None if s.ine is None else s.ine.value
        class_uai, class_name = (None, None) if c is None else (c.uai.value, c.name)
        birth = s.birth_date.isoformat()
        admitted = int(s.admitted)
        # Everything `_Builder.finish` compares (student, class, guardians) in one string: the
        # fields in table order, None as "", then the guardians in order.
        version = _SEP.join(
            [
                s.uai.value,
                s.surname,
                s.first_name,
                birth,
                s.class_id or "",
                class_uai or "",
                class_name or "",
                level or "",
                ine or "",
                str(admitted),
                *guardians,
            ]
        )
        row = (seq, rid, version, pupil.source, s.uai.value, s.surname, s.first_name, birth)
        self.pupil_rows.append((*row, s.class_id, class_uai, class_name, level, ine, admitted))
        self.link_rows += [(seq, g) for g in guardians]
        if len(self.pupil_rows) >= _FLUSH_ROWS:
            self.flush()

    def keep_guardian(self, rid: str, responsable: Responsable, source: str) -> None:
        """Stage one guardian record version."""
        self.seq = seq = self.seq + 1
        email = None if responsable.email is None else responsable.email.value
        mobile = None if responsable.mobile is None else responsable.mobile.value
        surname, first_name = responsable.surname, responsable.first_name
        version = _SEP.join([surname, first_name, email or "", mobile or ""])
        self.guardian_rows.append((seq, rid, version, source, surname, first_name, email, mobile))
        if len(self.guardian_rows) >= _FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows."""
        with self.db:
            self.db.executemany(
                "INSERT INTO pupil VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.pupil_rows,
            )
            self.db.executemany("INSERT INTO pupil_guardian VALUES (?, ?)", self.link_rows)
            self.db.executemany(
                "INSERT INTO guardian VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self.guardian_rows
            )
        self.pupil_rows.clear()
        self.link_rows.clear()
        self.guardian_rows.clear()


def _pupil(row: Sequence[object]) -> PupilFields:
    """A row of `_PUPILS_OF_GROUP` as the pupil's fingerprint (already validated when staged)."""
    sid, uai, surname, first_name, birth, class_id, class_uai, class_name, level, ine, admitted = (
        row
    )
    return (
        str(sid),
        str(uai),
        str(surname),
        str(first_name),
        str(birth),
        None if class_id is None else str(class_id),
        None if class_uai is None else str(class_uai),
        None if class_name is None else str(class_name),
        None if level is None else str(level),
        None if ine is None else str(ine),
        bool(admitted),
    )


def _student(fields: PupilFields) -> Student:
    """The pupil of a fingerprint (`_pupil`)."""
    sid, uai, surname, first_name, birth, class_id, _, _, level, ine, admitted = fields
    return Student(
        student_id=sid,
        surname=surname,
        first_name=first_name,
        birth_date=date.fromisoformat(birth),
        uai=Uai(uai),
        class_id=class_id,
        level=None if level is None else Level(level),
        ine=None if ine is None else Ine(ine),
        admitted=admitted,
    )


def _responsable(row: Sequence[object]) -> Responsable:
    rid, surname, first_name, email, mobile = row
    return Responsable(
        responsable_id=str(rid),
        surname=str(surname),
        first_name=str(first_name),
        email=None if email is None else Email(str(email)),
        mobile=None if mobile is None else Mobile(str(mobile)),
    )


_PUPILS_OF_GROUP: Final = """
SELECT p.id, p.uai, p.surname, p.first_name, p.birth_date, p.class_id, c.uai, c.name, p.level,
p.ine, p.admitted
FROM kept k JOIN pupil p ON p.seq = k.seq LEFT JOIN chosen_class c ON c.class_id = p.class_id
WHERE k.grp = ? ORDER BY p.id
"""
_LINKS_OF_GROUP: Final = """
SELECT k.id, pg.guardian FROM kept k JOIN pupil_guardian pg ON pg.seq = k.seq
WHERE k.grp = ? ORDER BY k.id, pg.guardian
"""
_GUARDIANS_OF_GROUP: Final = """
SELECT g.id, g.surname, g.first_name, g.email, g.mobile
FROM appear a JOIN accepted ac ON ac.id = a.guardian JOIN guardian g ON g.seq = ac.seq
WHERE a.grp = ? ORDER BY g.id
"""
_REPEATED_IN_GROUP: Final = """
SELECT a.guardian FROM appear a JOIN first_group f ON f.guardian = a.guardian
WHERE a.grp = ? AND f.grp < ? ORDER BY a.guardian
"""
_ORPHANS: Final = """
SELECT g.id, g.surname, g.first_name, g.email, g.mobile
FROM accepted ac JOIN guardian g ON g.seq = ac.seq
WHERE ac.id NOT IN (SELECT guardian FROM first_group) ORDER BY ac.id
"""


class StagedRun:
    """A run read in full and staged in SQLite: its rejections and warnings, and its groups.

    Only valid inside the `stage_run` block that made it (the file is deleted at its end).
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        *,
        complete: bool,
        schools: Sequence[School],
        rejections: tuple[Rejection, ...],
        warnings: tuple[FeedWarning, ...],
        batch_schools: int,
        batch_guardians: int,
    ) -> None:
        self._db = db
        self.complete = complete
        self.schools = tuple(schools)
        #: Every record the reader left out (the same as `read_aaf1d` would give, in any order).
        self.rejections = rejections
        #: The warnings of the run (the same as `read_aaf1d` would give).
        self.warnings = warnings
        self._batch_schools = batch_schools
        self._batch_guardians = batch_guardians

    def __repr__(self) -> str:
        return f"<StagedRun {len(self.schools)} schools, {len(self.rejections)} rejections>"

    @property
    def school_groups(self) -> int:
        """How many groups of schools `groups()` yields (before the guardian-only groups)."""
        return -(-len(self.schools) // self._batch_schools)

    def groups(self) -> Iterator[FeedGroup]:
        """The groups of schools, in UAI order, then the guardians no pupil names."""
        for group in self.staged_groups():
            yield FeedGroup(group.index, self.snapshot(group), group.repeated)

    def staged_groups(self) -> Iterator[StagedGroup]:
        """The groups of `groups()`, as rows (`StagedGroup`): nothing built yet. Only the caller
        holds the group it was given (a group's rows are freed once it lets them go).
        """
        for index in range(self.school_groups):
            yield self._staged_group(index)
        index = self.school_groups
        cursor = self._db.execute(_ORPHANS)
        while batch := cursor.fetchmany(self._batch_guardians):
            yield StagedGroup(index, (), DirectoryRecords(guardians=batch))
            index += 1

    def _staged_group(self, index: int) -> StagedGroup:
        db = self._db
        start = index * self._batch_schools
        records = DirectoryRecords(
            pupils=[_pupil(row) for row in db.execute(_PUPILS_OF_GROUP, (index,))],
            links=db.execute(_LINKS_OF_GROUP, (index,)).fetchall(),
            guardians=db.execute(_GUARDIANS_OF_GROUP, (index,)).fetchall(),
        )
        repeated = tuple(g for (g,) in db.execute(_REPEATED_IN_GROUP, (index, index)))
        schools = self.schools[start : start + self._batch_schools]
        return StagedGroup(index, schools, records, repeated)

    def snapshot(
        self,
        group: StagedGroup,
        pupils: Collection[str] | None = None,
        guardians: Collection[str] | None = None,
    ) -> DirectorySnapshot:
        """The complete (when the run is) snapshot of `group`'s schools, holding all its records,
        or only the `pupils` (their classes and links) and `guardians` given.
        """
        records = group.records
        students: list[Student] = []
        classes: dict[str, SchoolClass] = {}
        for fields in records.pupils:
            if pupils is None or fields[0] in pupils:
                students.append(_student(fields))
                class_id, class_uai, class_name = fields[5:8]
                if class_id is not None and class_uai is not None and class_name is not None:
                    classes[class_id] = SchoolClass(class_id, Uai(class_uai), class_name)
        return DirectorySnapshot(
            schools=group.schools,
            classes=[classes[c] for c in sorted(classes)],
            students=students,
            responsables=[
                _responsable(row)
                for row in records.guardians
                if guardians is None or row[0] in guardians
            ],
            links=[
                GuardianLink(rid, sid, legal=True)
                for sid, rid in records.links
                if pupils is None or sid in pupils
            ],
            complete=self.complete,
        )

    def pupils_in_run(self, student_ids: Collection[str]) -> set[str]:
        """Those of `student_ids` that some group's snapshot holds."""
        found: set[str] = set()
        ids = list(student_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT id FROM kept WHERE id IN ({marks})"  # noqa: S608 (placeholders only)
            found.update(sid for (sid,) in self._db.execute(query, chunk))
        return found


def _resolve(
    db: sqlite3.Connection, builder: _StagingBuilder, schools: Sequence[School], batch: int
) -> None:
    """Apply the cross-record rules of `_Builder.finish` in SQL, then assign the groups."""
    db.executescript(_RESOLVE)
    reject = builder.reject
    with db:
        db.executemany(
            "INSERT OR IGNORE INTO rejected_guardian VALUES (?)",
            ((rid,) for rid in builder.rejected_guardians),
        )
    # Guardians: versions of one id that differ are all rejected.
    duplicates = db.execute(
        "SELECT id, source FROM guardian WHERE id IN "
        "(SELECT id FROM guardian GROUP BY id HAVING COUNT(DISTINCT version) > 1) ORDER BY id, seq"
    ).fetchall()
    for rid, source in duplicates:
        reject(source, f"responsable {rid}", "identifier", "responsable en double, différent")
    with db:
        db.executemany(
            "INSERT OR IGNORE INTO rejected_guardian VALUES (?)", ((r,) for r, _ in duplicates)
        )
        db.execute(
            "INSERT INTO accepted SELECT id, MIN(seq) FROM guardian "
            "WHERE id NOT IN (SELECT id FROM rejected_guardian) GROUP BY id"
        )
    # Pupils: conflicting duplicates all rejected (and protected).
    for sid, source in db.execute(
        "SELECT id, source FROM pupil WHERE id IN "
        "(SELECT id FROM pupil GROUP BY id HAVING COUNT(DISTINCT version) > 1) ORDER BY id, seq"
    ):
        reject(source, f"élève {sid}", "identifier", "élève en double, différent", sid)
    with db:
        db.execute(
            "INSERT INTO candidate SELECT MIN(seq) FROM pupil GROUP BY id "
            "HAVING COUNT(DISTINCT version) = 1"
        )
    # A pupil naming a guardian that is rejected or absent is protected, not kept.
    for sid, source, gid, rejected in db.execute(
        "SELECT p.id, p.source, pg.guardian, pg.guardian IN (SELECT id FROM rejected_guardian) "
        "FROM candidate c JOIN pupil p ON p.seq = c.seq JOIN pupil_guardian pg ON pg.seq = c.seq "
        "WHERE pg.guardian NOT IN (SELECT id FROM accepted) ORDER BY p.id, pg.guardian"
    ).fetchall():
        why = "rejeté" if rejected else "absent de l’extraction"
        reject(
            source,
            f"élève {sid}",
            "ENTEleveAutoriteParentale",
            f"responsable {gid} {why}",
            sid,
        )
    with db:
        db.executemany(
            "INSERT INTO school_group VALUES (?, ?)",
            ((s.uai.value, i // batch) for i, s in enumerate(schools)),
        )
        db.execute(
            "INSERT INTO unlinked SELECT DISTINCT pg.seq FROM candidate c "
            "JOIN pupil_guardian pg ON pg.seq = c.seq "
            "WHERE pg.guardian NOT IN (SELECT id FROM accepted)"
        )
        db.execute(
            "INSERT INTO kept SELECT c.seq, p.id, g.grp FROM candidate c "
            "JOIN pupil p ON p.seq = c.seq JOIN school_group g ON g.uai = p.uai "
            "WHERE c.seq NOT IN (SELECT seq FROM unlinked)"
        )
        db.execute("CREATE INDEX kept_by_group ON kept (grp)")
        db.execute("CREATE INDEX kept_by_id ON kept (id)")
        # One class per id: the smallest (UAI, name), as `_Builder.finish` chooses (joined by the
        # unit separator char(31): SQLite's instr/substr stop at a NUL, which lost every name).
        db.execute(
            "INSERT INTO chosen_class SELECT class_id, substr(m, 1, instr(m, char(31)) - 1), "
            "substr(m, instr(m, char(31)) + 1) FROM (SELECT p.class_id AS class_id, "
            "MIN(p.class_uai || char(31) || p.class_name) AS m FROM kept k "
            "JOIN pupil p ON p.seq = k.seq WHERE p.class_id IS NOT NULL GROUP BY p.class_id)"
        )
        db.execute(
            "CREATE TABLE appear AS SELECT DISTINCT pg.guardian AS guardian, k.grp AS grp "
            "FROM kept k JOIN pupil_guardian pg ON pg.seq = k.seq"
        )
        db.execute("CREATE INDEX appear_by_group ON appear (grp)")
        db.execute(
            "CREATE TABLE first_group AS SELECT guardian, MIN(grp) AS grp FROM appear "
            "GROUP BY guardian"
        )
        db.execute("CREATE UNIQUE INDEX first_group_by_guardian ON first_group (guardian)")
    for (cid,) in db.execute(
        "SELECT p.class_id FROM kept k JOIN pupil p ON p.seq = k.seq "
        "WHERE p.class_id IS NOT NULL GROUP BY p.class_id "
        "HAVING COUNT(DISTINCT p.class_uai || char(31) || p.class_name) > 1"
    ):
        builder.warn("", f"classe {cid}", "ENTPersonClasses", "noms différents, le premier retenu")


@contextmanager
def stage_run(
    run: AafRun,
    *,
    batch_schools: int = DEFAULT_BATCH_SCHOOLS,
    batch_guardians: int = DEFAULT_BATCH_GUARDIANS,
    folder: Path | str | None = None,
) -> Iterator[StagedRun]:
    """Read every file of `run` into a temporary SQLite file (in `folder`, else the system's
    temporary folder) and yield the `StagedRun`; the file is deleted when the block ends.

    Raises `FeedError` (`UnreadableFile`, `HostileXml`) before yielding when any file of the run
    cannot be read: the caller has applied nothing yet.
    """
    if batch_schools < 1 or batch_guardians < 1:
        raise ValueError("batch sizes must be at least 1")
    with tempfile.TemporaryDirectory(prefix="educonnect-feed-", dir=folder) as tmp:
        db = sqlite3.connect(Path(tmp) / "staging.db")
        try:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            db.execute("PRAGMA cache_size = -16000")  # 16 MB of page cache, whatever the run
            db.executescript(_SCHEMA)
            builder = _StagingBuilder(run.complete, db=db)
            schools = read_records(builder, run)
            builder.flush()
            _resolve(db, builder, schools, batch_schools)
            warnings = tuple(
                FeedWarning(source, record, field, reason, count)
                for (source, record, field, reason), count in sorted(builder.notes.items())
            )
            yield StagedRun(
                db,
                complete=run.complete,
                schools=schools,
                rejections=tuple(builder.rejections),
                warnings=warnings,
                batch_schools=batch_schools,
                batch_guardians=batch_guardians,
            )
        finally:
            db.close()
