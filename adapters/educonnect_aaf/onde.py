"""The ONDE CSV reader: the « extraction CSV » a director exports from ONDE, for one school.

`CSVExtraction-eleves.csv` and `CSVExtraction-responsables.csv` (ISO-8859-1, ``;``, CRLF or LF,
quoted or not) carry no ids and no INE. Columns are found by their header's name (accents, case
and spaces ignored), so added columns (« Numéro de poste ») are ignored; a guardian row may stop
after its last non-empty child block, as ONDE writes them; any other row whose length differs
from the header's refuses the file (truncated). The reader:

- derives stable ids: a pupil is ``onde-e-`` + a hash of (UAI, family name, first name), so a class
  change or a corrected birth date keeps the same pupil (two pupils with the same names get the
  birth date in their hash, with a warning); a class is ``onde-c-`` + a hash of (UAI, class name);
  a guardian is ``onde-r-`` + a hash of (UAI, civility, family name, first name) — the rows of one
  guardian (one per group of siblings) are merged into one account, with a warning when their
  addresses differ;
- matches each child block of a guardian row to a pupil by (family or usage name, first name,
  class), case- and accent-insensitive; a child whose class differs but whose names match one pupil
  only is matched with a warning; every block it cannot match is a `Rejection` naming the line;
- treats every guardian of the extraction as a legal guardian (the extraction lists the
  « responsables légaux » only) and every pupil as definitively admitted (ONDE exports admitted
  pupils);
- **INE**: the extraction has none. With ``assume_ine=True`` (the default) every pupil gets a
  *marker* INE, ``ONDE`` + 6 characters + a letter (real INEs start with digits, so
  `is_synthetic_ine` tells it apart), so that its guardians get accounts, and the reading carries
  one warning saying how many pupils got one. With ``assume_ine=False`` the pupils have no INE and
  are ineligible (no account is created), as the core's rule says.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Final

import attrs

from educonnect_aaf.errors import FeedNotFound, UnreadableFile
from educonnect_aaf.reading import FeedReading, FeedWarning
from educonnect_core.domain.directory import (
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Student,
)
from educonnect_core.domain.values import LEVELS, Email, Ine, Mobile, Uai, search_key
from educonnect_core.errors import InvalidField
from educonnect_core.services.integration import Rejection

__all__ = [
    "PUPILS_FILE",
    "RESPONSABLES_FILE",
    "SYNTHETIC_INE_PREFIX",
    "is_synthetic_ine",
    "read_onde",
]

PUPILS_FILE: Final = "CSVExtraction-eleves.csv"
RESPONSABLES_FILE: Final = "CSVExtraction-responsables.csv"
SYNTHETIC_INE_PREFIX: Final = "ONDE"
_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_BYTES: Final = 50_000_000
_BLOCK: Final = ("nom d'usage enfant", "nom de famille enfant", "prenom enfant", "classes enfants")


def is_synthetic_ine(ine: Ine | str) -> bool:
    """Whether `ine` is a marker given by the ONDE reader rather than a real INE."""
    return str(ine).startswith(SYNTHETIC_INE_PREFIX)


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _synthetic_ine(student_id: str) -> Ine:
    number = int(_digest("ine", student_id), 16)
    chars = []
    for _ in range(6):
        number, rest = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[rest])
    return Ine(SYNTHETIC_INE_PREFIX + "".join(chars) + _ALPHABET[10 + number % 26])


def _decode(path: Path, warnings: list[FeedWarning]) -> str:
    """The text of `path`: ISO-8859-1 as ONDE writes it; UTF-8 accepted with a warning."""
    try:
        size = path.stat().st_size
        if size > _MAX_BYTES:
            raise UnreadableFile(path.name, f"fichier de plus de {_MAX_BYTES} octets")
        raw = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(
            path.name, f"lecture impossible ({error.strerror or error})"
        ) from error
    if not raw.strip():
        raise UnreadableFile(path.name, "fichier vide")
    if raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8", errors="strict") if _utf8(raw[3:]) else None
        if text is None:
            raise UnreadableFile(path.name, "marque UTF-8 mais contenu mal encodé")
        warnings.append(FeedWarning(path.name, "*", "encodage", "UTF-8 au lieu d’ISO-8859-1"))
    elif not raw.isascii() and _utf8(raw):
        text = raw.decode("utf-8")
        warnings.append(FeedWarning(path.name, "*", "encodage", "UTF-8 au lieu d’ISO-8859-1"))
    else:
        text = raw.decode("iso-8859-1")
    if match := _CONTROL.search(text):
        line = text.count("\n", 0, match.start()) + 1
        raise UnreadableFile(
            path.name, "caractère de contrôle : fichier binaire ou mal encodé", line
        )
    return text


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _rows(
    path: Path, text: str, *, blocks: Callable[[list[str]], list[int]] | None = None
) -> tuple[dict[str, int], list[str], list[tuple[int, list[str]]]]:
    """(column index by folded header name, raw header, numbered rows); structure checked.

    Every row has as many cells as the header, except, when `blocks` finds the child blocks of
    the header, a row that stops at the end of a child block (or before the first) with only
    child blocks after it: it is padded with empty cells. Any other length is a truncated or
    malformed file.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise UnreadableFile(path.name, "fichier vide")
        lengths = _row_lengths(header, [] if blocks is None else blocks(header))
        rows: list[tuple[int, list[str]]] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) not in lengths:
                raise UnreadableFile(
                    path.name,
                    f"{len(row)} colonnes au lieu de {len(header)} (fichier tronqué ou mal formé)",
                    reader.line_num,
                )
            missing = len(header) - len(row)
            rows.append((reader.line_num, row + [""] * missing if missing else row))
    except csv.Error as error:
        raise UnreadableFile(path.name, f"CSV mal formé ({error})", reader.line_num) from error
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(search_key(name), index)
    return columns, header, rows


def _child_blocks(header: list[str]) -> list[int]:
    """The first column of each child block (« Nom d'usage enfant » … « Classes enfants »)."""
    folded = [search_key(h) for h in header]
    return [i for i in range(len(folded)) if tuple(folded[i : i + len(_BLOCK)]) == _BLOCK]


def _row_lengths(header: list[str], blocks: list[int]) -> frozenset[int]:
    """The lengths a row may have: the header's, or a child block boundary after which the
    header holds nothing but child blocks (ONDE stops a row after its last non-empty child).
    """
    in_blocks = {i for start in blocks for i in range(start, start + len(_BLOCK))}
    ends = [*blocks, *(start + len(_BLOCK) for start in blocks)]
    return frozenset(
        [len(header)]
        + [end for end in ends if all(i in in_blocks for i in range(end, len(header)))]
    )


def _require(path: Path, columns: dict[str, int], *names: str) -> None:
    absent = [n for n in names if n not in columns]
    if absent:
        raise UnreadableFile(path.name, f"en-tête inattendu, colonne(s) absente(s) : {absent}")


def _birth(raw: str) -> date | None:
    match = _DATE.fullmatch(raw.strip())
    if match is None:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


@attrs.frozen
class _PupilRow:
    line: int
    family: str
    usage: str
    first: str
    birth_raw: str
    class_name: str
    level: str

    @property
    def key(self) -> tuple[str, str]:
        return search_key(self.family), search_key(self.first)


@attrs.define
class _Reader:
    uai: Uai
    assume_ine: bool
    pupils_source: str
    guardians_source: str
    rejections: list[Rejection] = attrs.Factory(list)
    warnings: list[FeedWarning] = attrs.Factory(list)
    notes: Counter[tuple[str, str, str, str]] = attrs.Factory(Counter)

    def pupil_id(self, row: _PupilRow, with_birth: bool) -> str:
        family, first = row.key
        parts = (self.uai.value, family, first, *((row.birth_raw.strip(),) if with_birth else ()))
        return "onde-e-" + _digest(*parts)[:16]

    def class_of(self, name: str) -> SchoolClass:
        return SchoolClass.create(
            "onde-c-" + _digest(self.uai.value, search_key(name))[:12], self.uai, name
        )

    def pupils(
        self, columns: dict[str, int], rows: list[tuple[int, list[str]]]
    ) -> tuple[list[Student], dict[str, SchoolClass], dict[tuple[str, str], list[Student]]]:
        """Students, their classes, and the pupils by folded (name, first name)."""

        def cell(row: list[str], name: str) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None else ""

        parsed = [
            _PupilRow(
                line,
                cell(row, "nom eleve"),
                cell(row, "nom d'usage eleve"),
                cell(row, "prenom eleve"),
                cell(row, "date naissance"),
                cell(row, "classe"),
                cell(row, "niveau"),
            )
            for line, row in rows
        ]
        homonyms = Counter(p.key for p in parsed)
        students: dict[str, Student] = {}
        classes: dict[str, SchoolClass] = {}
        by_name: dict[tuple[str, str], list[Student]] = defaultdict(list)
        seen: dict[str, _PupilRow] = {}
        for p in parsed:
            with_birth = homonyms[p.key] > 1
            sid = self.pupil_id(p, with_birth)
            record = f"élève ligne {p.line} ({p.family} {p.first})"
            if with_birth:
                self.note("*", "Nom Elève", "élèves homonymes : date de naissance ajoutée à l’id")
            if sid in seen:
                if attrs.evolve(seen[sid], line=p.line) != p:
                    self.reject(self.pupils_source, record, "Nom Elève", "élève en double", sid)
                    students.pop(sid, None)
                continue
            seen[sid] = p
            birth = _birth(p.birth_raw)
            if birth is None:
                self.reject(
                    self.pupils_source, record, "Date naissance", "date aaaa-mm-jj attendue", sid
                )
                continue
            try:
                school_class = self.class_of(p.class_name) if p.class_name else None
                student = Student.create(
                    sid,
                    surname=p.usage or p.family,
                    first_name=p.first,
                    birth_date=birth,
                    uai=self.uai,
                    class_id=None if school_class is None else school_class.class_id,
                    level=p.level or None,
                    ine=_synthetic_ine(sid) if self.assume_ine else None,
                )
            except InvalidField as error:
                self.reject(self.pupils_source, record, error.field, error.reason, sid)
                continue
            if p.level and student.level is not None and student.level.code not in LEVELS:
                self.note("*", "Niveau", f"niveau {student.level.code} conservé tel quel")
            students[sid] = student
            if school_class is not None:
                classes[school_class.class_id] = school_class
        for student in students.values():
            p = seen[student.student_id]
            by_name[p.key].append(student)
            if p.usage:
                by_name[search_key(p.usage), search_key(p.first)].append(student)
        return list(students.values()), classes, by_name

    def note(self, record: str, field: str, reason: str, source: str | None = None) -> None:
        self.notes[source or self.pupils_source, record, field, reason] += 1

    def reject(
        self, source: str, record: str, field: str, reason: str, protects: str | None = None
    ) -> None:
        self.rejections.append(Rejection(record, field, reason, source, protects))

    def guardians(
        self,
        path: Path,
        *,
        columns: dict[str, int],
        header: list[str],
        rows: list[tuple[int, list[str]]],
        by_name: dict[tuple[str, str], list[Student]],
        classes: dict[str, SchoolClass],
    ) -> tuple[list[Responsable], list[GuardianLink]]:
        """Guardians (rows of one person merged) and their links to matched pupils."""
        _require(path, columns, "nom responsable", "prenom responsable")
        blocks = _child_blocks(header)
        if not blocks:
            raise UnreadableFile(path.name, "en-tête inattendu : aucun bloc « enfant »")
        source = path.name

        def cell(row: list[str], name: str) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None else ""

        people: dict[str, Responsable] = {}
        addresses: dict[str, set[str]] = defaultdict(set)
        links: set[GuardianLink] = set()
        for line, row in rows:
            family, first = cell(row, "nom responsable"), cell(row, "prenom responsable")
            civility = cell(row, "civilite responsable")
            record = f"responsable ligne {line} ({family} {first})"
            gid = (
                "onde-r-"
                + _digest(
                    self.uai.value, search_key(civility), search_key(family), search_key(first)
                )[:16]
            )
            try:
                person = Responsable.create(
                    gid, surname=cell(row, "nom usage responsable") or family, first_name=first
                )
            except InvalidField as error:
                self.reject(source, record, error.field, error.reason)
                continue
            email = self._email(cell(row, "courriel"), record, source)
            mobile = self._mobile(cell(row, "telephone portable"), record, source)
            known = people.get(gid)
            if known is not None:
                self.note(
                    "*", "Nom responsable", "responsable sur plusieurs lignes : fusionnées", source
                )
                email = known.email or email
                mobile = known.mobile or mobile
            people[gid] = attrs.evolve(person, email=email, mobile=mobile)
            addresses[gid].add(search_key(cell(row, "adresse responsable")))
            for number, start in enumerate(blocks, 1):
                usage, child_family, child_first, class_name = (
                    c.strip() for c in row[start : start + 4]
                )
                if not (usage or child_family or child_first or class_name):
                    continue
                student = self._match(
                    usage=usage,
                    family=child_family,
                    first=child_first,
                    class_name=class_name,
                    by_name=by_name,
                    classes=classes,
                    record=record,
                    number=number,
                    source=source,
                )
                if student is not None:
                    links.add(GuardianLink(gid, student.student_id, legal=True))
        for gid, seen in addresses.items():
            if len(seen) > 1:
                self.note(
                    people[gid].name,
                    "Adresse responsable",
                    "lignes fusionnées avec des adresses différentes",
                    source,
                )
        return list(people.values()), sorted(links, key=lambda k: (k.student_id, k.responsable_id))

    def _email(self, raw: str, record: str, source: str) -> Email | None:
        if not raw:
            return None
        try:
            return Email.parse(raw, record=record)
        except InvalidField as error:
            self.note("*", "Courriel", f"{error.reason}, ignorée", source)
            return None

    def _mobile(self, raw: str, record: str, source: str) -> Mobile | None:
        if not raw:
            return None
        try:
            return Mobile.parse(raw, record=record)
        except InvalidField as error:
            self.note("*", "Téléphone portable", f"{error.reason}, ignoré", source)
            return None

    def _match(
        self,
        *,
        usage: str,
        family: str,
        first: str,
        class_name: str,
        by_name: dict[tuple[str, str], list[Student]],
        classes: dict[str, SchoolClass],
        record: str,
        number: int,
        source: str,
    ) -> Student | None:
        field = f"enfant {number}"
        candidates: list[Student] = []
        for name in (family, usage):
            if name:
                candidates.extend(by_name.get((search_key(name), search_key(first)), ()))
        candidates = list({s.student_id: s for s in candidates}.values())
        wanted = search_key(class_name)
        in_class = [
            s
            for s in candidates
            if s.class_id is not None and search_key(classes[s.class_id].name) == wanted
        ]
        label = f"« {family or usage} {first} » en classe « {class_name} »"
        if len(in_class) == 1:
            return in_class[0]
        if len(in_class) > 1:
            self.reject(source, record, field, f"plusieurs élèves {label}")
            return None
        if len(candidates) == 1:
            self.note("*", field, "enfant trouvé dans une autre classe que celle indiquée", source)
            return candidates[0]
        reason = f"plusieurs élèves {label}" if candidates else f"aucun élève {label}"
        self.reject(source, record, field, reason)
        return None


def _files(path: Path) -> tuple[Path, Path]:
    if path.is_dir():
        pupils, guardians = path / PUPILS_FILE, path / RESPONSABLES_FILE
    elif path.name == RESPONSABLES_FILE:
        pupils, guardians = path.with_name(PUPILS_FILE), path
    else:
        pupils, guardians = path, path.with_name(RESPONSABLES_FILE)
    for needed in (pupils, guardians):
        if not needed.is_file():
            raise FeedNotFound(str(needed), "fichier de l’extraction ONDE introuvable")
    return pupils, guardians


def read_onde(
    path: Path | str,
    *,
    uai: str | Uai,
    school_name: str,
    assume_ine: bool = True,
    responsables: Path | str | None = None,
) -> FeedReading:
    """Read the ONDE extraction of the school `uai` / `school_name` into a complete snapshot of
    that school. `path` is the extraction folder, or one of its two files (the other is looked
    for beside it, or given as `responsables`). See the module docstring for the rules applied.

    Raises `FeedNotFound` (a file is missing) or `UnreadableFile` (empty, binary, truncated,
    malformed CSV, unexpected header) before anything is returned.
    """
    school = School.create(uai, school_name)
    if responsables is None:
        pupils_path, guardians_path = _files(Path(path))
    else:
        pupils_path, guardians_path = Path(path), Path(responsables)
        for needed in (pupils_path, guardians_path):
            if not needed.is_file():
                raise FeedNotFound(str(needed), "fichier de l’extraction ONDE introuvable")
    reader = _Reader(school.uai, assume_ine, pupils_path.name, guardians_path.name)
    pupil_columns, _, pupil_rows = _rows(pupils_path, _decode(pupils_path, reader.warnings))
    _require(pupils_path, pupil_columns, "nom eleve", "prenom eleve", "date naissance", "classe")
    guardian_text = _decode(guardians_path, reader.warnings)
    guardian_columns, header, guardian_rows = _rows(
        guardians_path, guardian_text, blocks=_child_blocks
    )
    students, classes, by_name = reader.pupils(pupil_columns, pupil_rows)
    people, links = reader.guardians(
        guardians_path,
        columns=guardian_columns,
        header=header,
        rows=guardian_rows,
        by_name=by_name,
        classes=classes,
    )
    if assume_ine and students:
        reader.note(
            "*",
            "INE",
            f"pas d’INE dans l’extraction ONDE : marqueur {SYNTHETIC_INE_PREFIX}… attribué "
            f"à {len(students)} élève(s) (assume_ine=False pour les laisser sans compte)",
        )
    snapshot = DirectorySnapshot(
        schools=[school],
        classes=sorted(classes.values(), key=lambda c: c.class_id),
        students=sorted(students, key=lambda s: s.student_id),
        responsables=sorted(people, key=lambda r: r.responsable_id),
        links=links,
        complete=True,
    )
    warnings = [
        *reader.warnings,
        *(
            FeedWarning(source, record, field, reason, count)
            for (source, record, field, reason), count in sorted(reader.notes.items())
        ),
    ]
    return FeedReading(snapshot, tuple(reader.rejections), tuple(warnings))
