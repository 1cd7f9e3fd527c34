"""The AAF1D reader: a folder of `ficAlimMENESR` files → `DirectorySnapshot` + rejections.

Mapping (FORMAT.md, as edificeio/entcore reads AAF1D):

- EtabEducNat → `School(ENTStructureUAI, ENTStructureNomCourant)`; ``$`` in the name shown as ``-``.
- Eleve → `Student`: surname `ENTPersonNom` (else `ENTPersonNomPatro`), `ENTPersonPrenom`,
  `ENTPersonDateNaissance` (dd/mm/yyyy, required), `ENTEleveINE` (may be empty: ineligible),
  `ENTPersonClasses` (``schoolId$typeCode$typeLabel$classId$className``; the first class of an
  imported school gives the `SchoolClass` and the pupil's school), `ENTEleveNiveau` (``code$label``,
  unknown labels kept and reported), `ENTEleveAutoriteParentale` (guardian ids, text before the
  first ``$``) → `GuardianLink(legal=True)`.
- PersRelEleve → `Responsable`: surname `ENTPersonNom` (else `ENTPersonNomPatro`),
  `ENTPersonPrenom`, `ENTPersonMail`, `ENTPersRelEleveTelMobile` (else `ENTPersonTelPerso` when it
  is a mobile number, 06/07).

A record with an invalid required field is rejected alone (a `Rejection` naming the file, the
record, the attribute and the reason); a pupil whose record (or one of whose guardians' records)
is rejected is *protected*: the integration keeps it as stored instead of taking it as gone.
Unknown attributes and optional fields that do not parse are warnings. Any unreadable file stops
the whole run with a `FeedError` before anything is returned.
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any, Final, NamedTuple

import attrs

from educonnect_aaf.files import AafRun, find_run
from educonnect_aaf.reading import FeedReading, FeedWarning
from educonnect_aaf.records import AafRecord, iter_records
from educonnect_aaf.vocabulary import KNOWN_ATTRIBUTES
from educonnect_core.domain.directory import (
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Student,
)
from educonnect_core.domain.values import LEVELS, Email, Ine, Level, Mobile, Uai
from educonnect_core.errors import InvalidField
from educonnect_core.services.integration import Rejection

__all__ = ["read_aaf1d", "read_run"]

_DATE: Final = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_MOBILE_PREFIX: Final = re.compile(r"^(?:0[67]|\+33[67]|0033[67])")
_CLASS_PARTS: Final = 5

#: The core's field names (InvalidField.field) → the AAF attribute they come from.
_PUPIL_FIELDS: Final = {
    "id": "identifier",
    "nom": "ENTPersonNom",
    "prénom": "ENTPersonPrenom",
    "classe": "ENTPersonClasses",
    "niveau": "ENTEleveNiveau",
    "ine": "ENTEleveINE",
    "uai": "ENTStructureUAI",
}
_GUARDIAN_FIELDS: Final = {"id": "identifier", "nom": "ENTPersonNom", "prénom": "ENTPersonPrenom"}


class _Refused(Exception):
    """A record left out: carries the attribute and the reason (internal control flow)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@functools.lru_cache(maxsize=1 << 14)
def _birth_date(raw: str) -> date:
    """The date of a ``jj/mm/aaaa`` value (memoised: a run's pupils share a few thousand)."""
    match = _DATE.fullmatch(raw)
    if match is None:
        raise _Refused("ENTPersonDateNaissance", "date jj/mm/aaaa attendue")
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError as error:
        raise _Refused("ENTPersonDateNaissance", "date inexistante") from error


_ClassKey = tuple[tuple[str, ...], tuple[str, ...]]
_ClassFound = tuple[Uai | None, SchoolClass | None]
#: How many distinct values a builder's memo holds before it starts again (memory stays
#: bounded, whatever a feed sends).
_MEMO_SIZE: Final = 1 << 16


def _remember(memo: dict[Any, Any], key: object, found: object) -> None:
    """Store `found` under `key`, emptying `memo` first when it is full."""
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = found


def _again(error: Exception) -> Exception:
    """A fresh copy of a remembered refusal (raising one object again would chain tracebacks)."""
    if isinstance(error, _Refused):
        return _Refused(error.field, error.reason)
    if isinstance(error, InvalidField):
        return InvalidField(error.record, error.field, error.reason)
    return error


def _surname(record: AafRecord) -> str:
    return record.first("ENTPersonNom") or record.first("ENTPersonNomPatro")


class _Pupil(NamedTuple):
    """A pupil record as read, before the cross-checks with the guardians (a tuple: one is
    made per record).
    """

    student: Student
    school_class: SchoolClass | None
    guardians: frozenset[str]
    source: str


@attrs.define
class _Builder:
    """Accumulates the records of a run, then resolves duplicates and cross-references."""

    complete: bool
    schools: dict[str, list[tuple[School, str]]] = attrs.Factory(lambda: defaultdict(list))
    rejected_schools: set[str] = attrs.Factory(set)
    pupils: dict[str, list[_Pupil]] = attrs.Factory(lambda: defaultdict(list))
    guardians: dict[str, list[tuple[Responsable, str]]] = attrs.Factory(lambda: defaultdict(list))
    rejected_guardians: set[str] = attrs.Factory(set)
    rejections: list[Rejection] = attrs.Factory(list)
    notes: Counter[tuple[str, str, str, str]] = attrs.Factory(Counter)
    school_uais: dict[str, Uai] = attrs.Factory(dict)
    #: What `_class` found for each (ENTPersonClasses, ENTPersonStructRattach) values seen: a
    #: class is shared by ~25 pupils (cleared by `resolve_schools`, and when it grows too big).
    classes_read: dict[_ClassKey, _ClassFound | Exception] = attrs.Factory(dict)
    #: What `_level` found for each ENTEleveNiveau value seen.
    levels_read: dict[str, tuple[Level, bool] | Exception] = attrs.Factory(dict)

    # -- helpers ---------------------------------------------------------------------------------

    def warn(self, source: str, record: str, field: str, reason: str) -> None:
        self.notes[source, record, field, reason] += 1

    def reject(
        self, source: str, record: str, field: str, reason: str, protects: str | None = None
    ) -> None:
        self.rejections.append(Rejection(record, field, reason, source, protects))

    def check_record(self, record: AafRecord, kind: str, source: str, label: str) -> bool:
        """Report unknown attributes; refuse records that are not plain additions."""
        known = KNOWN_ATTRIBUTES[kind]
        if not known.issuperset(record.attributes):
            for name in record.attributes:
                if name not in known:
                    self.warn(source, "*", name, "attribut inconnu, ignoré")
        if not record.record_id:
            self.reject(source, f"{label} (sans identifiant)", "identifier", "identifiant absent")
            return False
        if record.operation != "addRequest":
            protects = record.record_id if kind == "Eleve" else None
            reason = f"opération {record.operation} non prise en charge"
            self.reject(source, f"{label} {record.record_id}", "operation", reason, protects)
            if kind == "PersRelEleve":
                self.rejected_guardians.add(record.record_id)
            if kind == "EtabEducNat":
                self.rejected_schools.add(record.record_id)
            return False
        return True

    # -- schools ---------------------------------------------------------------------------------

    def school(self, record: AafRecord, source: str) -> None:
        """Read one EtabEducNat record."""
        if not self.check_record(record, "EtabEducNat", source, "école"):
            return
        rid = record.record_id
        try:
            uai = Uai.parse(record.first("ENTStructureUAI"), record=f"école {rid}")
        except InvalidField as error:
            self.rejected_schools.add(rid)
            self.reject(source, f"école {rid}", "ENTStructureUAI", error.reason)
            return
        name = "-".join(p.strip() for p in record.first("ENTStructureNomCourant").split("$"))
        try:
            school = School.create(uai, name.strip("-"))
        except InvalidField as error:
            self.rejected_schools.add(rid)
            self.reject(source, f"école {rid}", "ENTStructureNomCourant", error.reason)
            return
        self.schools[rid].append((school, source))

    def resolve_schools(self) -> list[School]:
        """Accepted schools; conflicting duplicates of one id are all rejected."""
        self.classes_read.clear()
        by_uai: dict[Uai, set[School]] = defaultdict(set)
        for rid, found in self.schools.items():
            if len({school for school, _ in found}) > 1 or rid in self.rejected_schools:
                self.rejected_schools.add(rid)
                for _, source in found:
                    self.reject(source, f"école {rid}", "identifier", "école en double, différente")
                continue
            school = found[0][0]
            self.school_uais[rid] = school.uai
            by_uai[school.uai].add(school)
        chosen = []
        for uai, named in by_uai.items():
            best = min(named, key=lambda s: s.name)
            if len(named) > 1:
                self.warn(
                    "",
                    f"école {uai}",
                    "ENTStructureNomCourant",
                    "noms différents, le premier retenu",
                )
            chosen.append(best)
        return sorted(chosen, key=lambda s: s.uai)

    # -- pupils ----------------------------------------------------------------------------------

    def pupil(self, record: AafRecord, source: str) -> None:
        """Read one Eleve record."""
        if not self.check_record(record, "Eleve", source, "élève"):
            return
        rid = record.record_id
        try:
            pupil = self._pupil(record, source)
        except _Refused as refused:
            self.reject(source, f"élève {rid}", refused.field, refused.reason, protects=rid)
        except InvalidField as error:
            field = _PUPIL_FIELDS.get(error.field, error.field)
            self.reject(source, f"élève {rid}", field, error.reason, protects=rid)
        else:
            self.keep_pupil(rid, pupil)

    def keep_pupil(self, rid: str, pupil: _Pupil) -> None:
        """Keep a pupil record that reads well (a staging builder stores it elsewhere)."""
        self.pupils[rid].append(pupil)

    def _class(self, record: AafRecord) -> _ClassFound:
        """The pupil's school (and class, when it has one of an imported school), read once
        per distinct value (`classes_read`): the same answer, or the same refusal, each time.
        """
        key = (
            record.attributes.get("ENTPersonClasses", ()),
            record.attributes.get("ENTPersonStructRattach", ()),
        )
        found = self.classes_read.get(key)
        if found is None:
            try:
                found = self._class_of(record)
            except (_Refused, InvalidField) as error:
                found = error.with_traceback(None)  # no cycle through this frame
            _remember(self.classes_read, key, found)
        if isinstance(found, Exception):
            raise _again(found)
        return found

    def _class_of(self, record: AafRecord) -> _ClassFound:
        found: list[SchoolClass] = []
        for value in record.values("ENTPersonClasses"):
            parts = [p.strip() for p in value.split("$")]
            if len(parts) != _CLASS_PARTS or not (parts[0] and parts[3] and parts[4]):
                raise _Refused(
                    "ENTPersonClasses", "valeur composée mal formée (5 parties attendues)"
                )
            if parts[0] in self.rejected_schools:
                raise _Refused("ENTPersonClasses", f"école {parts[0]} rejetée")
            uai = self.school_uais.get(parts[0])
            if uai is not None:
                found.append(SchoolClass.create(parts[3], uai, parts[4]))
        if found:
            return found[0].uai, found[0]
        for school_id in record.values("ENTPersonStructRattach"):
            if school_id in self.rejected_schools:
                raise _Refused("ENTPersonStructRattach", f"école {school_id} rejetée")
            if school_id in self.school_uais:
                return self.school_uais[school_id], None
        return None, None

    def _level(self, niveau: str, rid: str) -> tuple[Level, bool]:
        """The level of an ENTEleveNiveau value and whether it is one of the nine known ones,
        read once per distinct value (`levels_read`).
        """
        found = self.levels_read.get(niveau)
        if found is None:
            code, dollar, label = niveau.partition("$")
            try:
                if not dollar or not (code.strip() or label.strip()):
                    raise _Refused("ENTEleveNiveau", "valeur composée mal formée (code$libellé)")
                level = Level.parse(label.strip() or code.strip(), record=f"élève {rid}")
                found = (level, level.code in LEVELS)
            except (_Refused, InvalidField) as error:
                found = error.with_traceback(None)
            _remember(self.levels_read, niveau, found)
        if isinstance(found, Exception):
            raise _again(found)
        return found

    def _pupil(self, record: AafRecord, source: str) -> _Pupil:
        rid = record.record_id
        birth = _birth_date(record.first("ENTPersonDateNaissance"))
        uai, school_class = self._class(record)
        if uai is None:
            raise _Refused("ENTPersonStructRattach", "aucune école de l’extraction")
        level: Level | None = None
        if niveau := record.first("ENTEleveNiveau"):
            level, known = self._level(niveau, rid)
            if not known:
                self.warn(source, "*", "ENTEleveNiveau", f"niveau {level.code} conservé tel quel")
        ine = record.first("ENTEleveINE")
        student = Student.create(
            rid,
            surname=_surname(record),
            first_name=record.first("ENTPersonPrenom"),
            birth_date=birth,
            uai=uai,
            class_id=None if school_class is None else school_class.class_id,
            level=level,
            ine=Ine.parse(ine, record=f"élève {rid}") if ine else None,
        )
        # The id before the first « $ » of each value (« R1$mère » → « R1 »), empty ones left out.
        named = record.attributes.get("ENTEleveAutoriteParentale", ())
        guardians = frozenset([g for v in named if (g := v.split("$", 1)[0].strip())])
        return _Pupil(student, school_class, guardians, source)

    # -- guardians -------------------------------------------------------------------------------

    def guardian(self, record: AafRecord, source: str) -> None:
        """Read one PersRelEleve record."""
        if not self.check_record(record, "PersRelEleve", source, "responsable"):
            return
        rid = record.record_id
        label = f"responsable {rid}"
        # The optional fields first, so that the guardian is built once; their warnings only
        # count when the record itself is kept.
        dropped: list[tuple[str, str]] = []
        email: Email | None = None
        if raw := record.first("ENTPersonMail"):
            try:
                email = Email.parse(raw, record=label)
            except InvalidField as error:
                dropped.append(("ENTPersonMail", f"{error.reason}, ignorée"))
        mobile: Mobile | None = None
        home = record.first("ENTPersonTelPerso")
        raw = record.first("ENTPersRelEleveTelMobile") or (
            home if _MOBILE_PREFIX.match(home) else ""
        )
        if raw:
            try:
                mobile = Mobile.parse(raw, record=label)
            except InvalidField as error:
                dropped.append(("ENTPersRelEleveTelMobile", f"{error.reason}, ignoré"))
        try:
            responsable = Responsable.create(
                rid,
                surname=_surname(record),
                first_name=record.first("ENTPersonPrenom"),
                email=email,
                mobile=mobile,
            )
        except InvalidField as error:
            self.rejected_guardians.add(rid)
            self.reject(source, label, _GUARDIAN_FIELDS.get(error.field, error.field), error.reason)
            return
        for field, reason in dropped:
            self.warn(source, label, field, reason)
        self.keep_guardian(rid, responsable, source)

    def keep_guardian(self, rid: str, responsable: Responsable, source: str) -> None:
        """Keep a guardian record that reads well (a staging builder stores it elsewhere)."""
        self.guardians[rid].append((responsable, source))

    # -- the snapshot ----------------------------------------------------------------------------

    def finish(self, schools: list[School]) -> FeedReading:
        """Resolve duplicates and links, and build the reading."""
        responsables: dict[str, Responsable] = {}
        for rid, found in self.guardians.items():
            if len({r for r, _ in found}) > 1:
                self.rejected_guardians.add(rid)
                for _, source in found:
                    self.reject(
                        source,
                        f"responsable {rid}",
                        "identifier",
                        "responsable en double, différent",
                    )
            elif rid not in self.rejected_guardians:
                responsables[rid] = found[0][0]
        students: list[Student] = []
        classes: dict[str, set[SchoolClass]] = defaultdict(set)
        links: list[GuardianLink] = []
        for sid, versions in self.pupils.items():
            if len({(p.student, p.school_class, p.guardians) for p in versions}) > 1:
                for pupil in versions:
                    self.reject(
                        pupil.source,
                        f"élève {sid}",
                        "identifier",
                        "élève en double, différent",
                        sid,
                    )
                continue
            pupil = versions[0]
            kept = self._links(pupil, responsables)
            if kept is None:
                continue
            students.append(pupil.student)
            links.extend(kept)
            if pupil.school_class is not None:
                classes[pupil.school_class.class_id].add(pupil.school_class)
        chosen_classes: list[SchoolClass] = []
        for cid, named in classes.items():
            if len(named) > 1:
                self.warn(
                    "", f"classe {cid}", "ENTPersonClasses", "noms différents, le premier retenu"
                )
            chosen_classes.append(min(named, key=lambda c: (c.uai.value, c.name)))
        snapshot = DirectorySnapshot(
            schools=schools,
            classes=sorted(chosen_classes, key=lambda c: c.class_id),
            students=sorted(students, key=lambda s: s.student_id),
            responsables=sorted(responsables.values(), key=lambda r: r.responsable_id),
            links=sorted(links, key=lambda link: (link.student_id, link.responsable_id)),
            complete=self.complete,
        )
        warnings = tuple(
            FeedWarning(source, record, field, reason, count)
            for (source, record, field, reason), count in sorted(self.notes.items())
        )
        return FeedReading(snapshot, tuple(self.rejections), warnings)

    def _links(
        self, pupil: _Pupil, responsables: dict[str, Responsable]
    ) -> list[GuardianLink] | None:
        """The pupil's legal links, or None when one of its guardians is unusable (the pupil is
        then protected: kept as stored rather than losing a link).
        """
        sid = pupil.student.student_id
        bad = sorted(g for g in pupil.guardians if g not in responsables)
        for gid in bad:
            why = "rejeté" if gid in self.rejected_guardians else "absent de l’extraction"
            self.reject(
                pupil.source,
                f"élève {sid}",
                "ENTEleveAutoriteParentale",
                f"responsable {gid} {why}",
                sid,
            )
        if bad:
            return None
        return [GuardianLink(gid, sid, legal=True) for gid in sorted(pupil.guardians)]


def read_records(builder: _Builder, run: AafRun) -> list[School]:
    """Read every file of `run` into `builder` (schools first, then pupils, then guardians);
    returns the accepted schools, sorted by UAI.
    """
    for path in run.schools:
        source = path.name
        for record in iter_records(path):
            builder.school(record, source)
    schools = builder.resolve_schools()
    for path in run.pupils:
        source = path.name
        for record in iter_records(path):
            builder.pupil(record, source)
    for path in run.guardians:
        source = path.name
        for record in iter_records(path):
            builder.guardian(record, source)
    return schools


def read_run(run: AafRun) -> FeedReading:
    """Read every file of `run` (schools first, then pupils, then guardians)."""
    builder = _Builder(run.complete)
    return builder.finish(read_records(builder, run))


def read_aaf1d(folder: Path | str) -> FeedReading:
    """Read the AAF1D run in `folder` into a snapshot, its rejections and warnings.

    Raises `FeedNotFound` (no run, mixed runs, missing chunk), `UnreadableFile` or `HostileXml`
    when any file of the run cannot be read: then nothing is returned, nothing is integrated.
    """
    return read_run(find_run(Path(folder)))
