"""Writing AAF1D files: the inverse of the reader, for tests, fixtures and benchmarks.

`records_of` turns directory values into `AafRecord`s the way ONDE/AAF writes them, and
`write_run` writes records of one type into numbered chunk files of a « Complet » (or « Delta »)
run. Reading the written folder back gives the same snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from educonnect_aaf.records import AafRecord
from educonnect_core.domain.directory import Responsable, School, SchoolClass, Student

__all__ = [
    "guardian_record",
    "pupil_record",
    "render_record",
    "school_record",
    "write_chunks",
    "write_run",
]

HEADER: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
    "<ficAlimMENESR>\n"
)
FOOTER: Final = "</ficAlimMENESR>\n"
_CATEGORY: Final = {
    "EtabEducNat": "categorieStructure",
    "Eleve": "categoriePersonne",
    "PersRelEleve": "categoriePersonne",
}


def school_record(school_id: str, school: School) -> AafRecord:
    """The EtabEducNat record of `school` under the record id `school_id`."""
    return AafRecord(
        "addRequest",
        "EtabEducNat",
        school_id,
        {
            "ENTStructureJointure": (school_id,),
            "ENTStructureUAI": (school.uai.value,),
            "ENTStructureNomCourant": (school.name,),
        },
    )


def pupil_record(
    student: Student,
    school_id: str,
    school_class: SchoolClass | None,
    guardians: Sequence[str],
    *,
    level_code: str = "0000",
) -> AafRecord:
    """The Eleve record of `student` (in `school_class`, of the school record `school_id`)."""
    attributes: dict[str, tuple[str, ...]] = {
        "ENTPersonJointure": (student.student_id,),
        "ENTEleveINE": (student.ine.value if student.ine else "",),
        "ENTPersonNom": (student.surname,),
        "ENTPersonPrenom": (student.first_name,),
        "ENTPersonDateNaissance": (student.birth_date.strftime("%d/%m/%Y"),),
        "ENTPersonStructRattach": (school_id,),
        "ENTEleveAutoriteParentale": tuple(guardians),
    }
    if school_class is not None:
        attributes["ENTPersonClasses"] = (
            f"{school_id}$11$ORDINAIRE${school_class.class_id}${school_class.name}",
        )
    if student.level is not None:
        attributes["ENTEleveNiveau"] = (f"{level_code}${student.level.code}",)
    return AafRecord("addRequest", "Eleve", student.student_id, attributes)


def guardian_record(responsable: Responsable) -> AafRecord:
    """The PersRelEleve record of `responsable`."""
    attributes: dict[str, tuple[str, ...]] = {
        "ENTPersonJointure": (responsable.responsable_id,),
        "ENTPersonNom": (responsable.surname,),
        "ENTPersonPrenom": (responsable.first_name,),
    }
    if responsable.email is not None:
        attributes["ENTPersonMail"] = (responsable.email.value,)
    if responsable.mobile is not None:
        attributes["ENTPersRelEleveTelMobile"] = (responsable.mobile.value,)
    return AafRecord("addRequest", "PersRelEleve", responsable.responsable_id, attributes)


def _values(values: Iterable[str]) -> str:
    return "".join(f"<value>{escape(v)}</value>" if v else "<value/>" for v in values)


def render_record(record: AafRecord, kind: str) -> str:
    """The XML text of one record of a file of type `kind`."""
    attrs_xml = "".join(
        f"<attr name={quoteattr(name)}>{_values(values or ('',))}</attr>\n"
        for name, values in record.attributes.items()
    )
    return (
        f"<{record.operation}>\n<operationalAttributes><attr name="
        f'"{_CATEGORY.get(kind, "categoriePersonne")}"><value>{escape(kind)}</value></attr>'
        f"</operationalAttributes>\n<identifier><id>{escape(record.record_id)}</id></identifier>\n"
        f"<attributes>\n{attrs_xml}</attributes>\n</{record.operation}>\n"
    )


def write_chunks(
    folder: Path, prefix: str, kind: str, texts: Iterable[str], *, per_file: int = 10_000
) -> list[Path]:
    """Write already rendered records into ``{prefix}_{kind}_{nnnn}.xml`` files of at most
    `per_file` records each (at least one file, possibly empty of records).
    """
    paths: list[Path] = []
    iterator: Iterator[str] = iter(texts)
    number = 0
    while True:
        path = folder / f"{prefix}_{kind}_{number:04d}.xml"
        count = 0
        with path.open("w", encoding="utf-8", newline="\n") as out:
            out.write(HEADER)
            for text in iterator:
                out.write(text)
                count += 1
                if count >= per_file:
                    break
            out.write(FOOTER)
        paths.append(path)
        number += 1
        if count < per_file:
            return paths


def write_run(
    folder: Path,
    records: Mapping[str, Iterable[AafRecord]],
    *,
    prefix: str = "ENT1D_Complet_20250901",
    per_file: int = 10_000,
) -> list[Path]:
    """Write the records of each type (``"EtabEducNat"``, ``"Eleve"``, ``"PersRelEleve"``) into
    chunk files of `folder`; returns the paths written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind, found in records.items():
        texts = (render_record(record, kind) for record in found)
        written += write_chunks(folder, prefix, kind, texts, per_file=per_file)
    return written
