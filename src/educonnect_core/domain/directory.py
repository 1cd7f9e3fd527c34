"""What the directory feed (AAF / ONDE) says: schools, classes, pupils, guardians and their links.

These are values: the feed is their source of truth (SPEC §8), the library never edits them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

import attrs

from educonnect_core.domain.values import Email, Ine, Level, Mobile, Uai
from educonnect_core.errors import InvalidField

__all__ = [
    "DirectorySnapshot",
    "GuardianLink",
    "Responsable",
    "School",
    "SchoolClass",
    "Student",
    "full_name",
]

_MAX_NAME = 100


def _name(record: str, field: str, raw: str) -> str:
    text = " ".join(str(raw).split())
    if not text:
        raise InvalidField(record, field, "valeur vide")
    if len(text) > _MAX_NAME:
        raise InvalidField(record, field, f"plus de {_MAX_NAME} caractères")
    if not text.isprintable():
        raise InvalidField(record, field, "caractère non imprimable")
    return text


def _id(record: str, field: str, raw: str) -> str:
    text = str(raw).strip()
    # Once stripped, a space is inside: `split` cuts at exactly the characters `isspace` sees.
    if not text or len(text) > 64 or len(text.split(maxsplit=1)) > 1:
        raise InvalidField(record, field, "identifiant vide, trop long ou avec des espaces")
    return text


V = TypeVar("V")


def _optional(raw: str | V | None, kind: type[V], parse: Callable[[str], V]) -> V | None:
    """`raw` parsed, kept if already a `kind`, None if absent or empty."""
    if raw is None or isinstance(raw, kind):
        return raw
    return parse(str(raw)) if raw else None


def full_name(first_name: str, surname: str) -> str:
    """« Prénom NOM », as the letters address people (« Jean DUPONT »)."""
    return f"{first_name} {surname.upper()}"


@attrs.frozen
class School:
    """A school (« école »), known by its UAI."""

    uai: Uai
    name: str

    @classmethod
    def create(cls, uai: str | Uai, name: str) -> School:
        """Validate and build a school."""
        parsed = uai if isinstance(uai, Uai) else Uai.parse(uai)
        return cls(parsed, _name(parsed.value, "nom de l’école", name))


@attrs.frozen
class SchoolClass:
    """A class of a school; `class_id` is unique within the feed."""

    class_id: str
    uai: Uai
    name: str

    @classmethod
    def create(cls, class_id: str, uai: str | Uai, name: str) -> SchoolClass:
        """Validate and build a class."""
        cid = _id("classe", "id", class_id)
        parsed = uai if isinstance(uai, Uai) else Uai.parse(uai, record=f"classe {cid}")
        return cls(cid, parsed, _name(f"classe {cid}", "nom", name))


@attrs.frozen
class Student:
    """A pupil (« élève »). Eligible for guardian accounts only when definitively admitted, with an
    INE, and assigned to a class (guide §1.3.1).
    """

    student_id: str
    surname: str
    first_name: str
    birth_date: date
    uai: Uai
    class_id: str | None = None
    level: Level | None = None
    ine: Ine | None = None
    admitted: bool = True

    @classmethod
    def create(
        cls,
        student_id: str,
        *,
        surname: str,
        first_name: str,
        birth_date: date,
        uai: str | Uai,
        class_id: str | None = None,
        level: str | Level | None = None,
        ine: str | Ine | None = None,
        admitted: bool = True,
    ) -> Student:
        """Validate every field, naming the pupil and the field on refusal."""
        sid = _id("élève", "id", student_id)
        record = f"élève {sid}"
        if not isinstance(birth_date, date):
            raise InvalidField(record, "date de naissance", "date attendue")
        return cls(
            student_id=sid,
            surname=_name(record, "nom", surname),
            first_name=_name(record, "prénom", first_name),
            birth_date=birth_date,
            uai=uai if isinstance(uai, Uai) else Uai.parse(uai, record=record),
            class_id=None if class_id is None else _id(record, "classe", class_id),
            level=level if isinstance(level, Level) or level is None else Level.parse(level),
            ine=ine if isinstance(ine, Ine) else Ine.parse(ine, record=record) if ine else None,
            admitted=admitted,
        )

    @property
    def eligible(self) -> bool:
        """Whether this pupil's guardians may have an account (admitted, INE, class)."""
        return self.admitted and self.ine is not None and self.class_id is not None

    @property
    def name(self) -> str:
        """« Prénom NOM »."""
        return full_name(self.first_name, self.surname)


@attrs.frozen
class Responsable:
    """A guardian record of the directory (« responsable légal »). One record, one account."""

    responsable_id: str
    surname: str
    first_name: str
    email: Email | None = None
    mobile: Mobile | None = None

    @classmethod
    def create(
        cls,
        responsable_id: str,
        *,
        surname: str,
        first_name: str,
        email: str | Email | None = None,
        mobile: str | Mobile | None = None,
    ) -> Responsable:
        """Validate every field, naming the guardian and the field on refusal."""
        rid = _id("responsable", "id", responsable_id)
        record = f"responsable {rid}"
        return cls(
            responsable_id=rid,
            surname=_name(record, "nom", surname),
            first_name=_name(record, "prénom", first_name),
            email=_optional(email, Email, lambda raw: Email.parse(raw, record=record)),
            mobile=_optional(mobile, Mobile, lambda raw: Mobile.parse(raw, record=record)),
        )

    @property
    def name(self) -> str:
        """« Prénom NOM »."""
        return full_name(self.first_name, self.surname)


@attrs.frozen
class GuardianLink:
    """A guardian ↔ pupil link; only links with legal responsibility open an account."""

    responsable_id: str
    student_id: str
    legal: bool = True


def _schools(items: Iterable[School]) -> tuple[School, ...]:
    return tuple(items)


def _classes(items: Iterable[SchoolClass]) -> tuple[SchoolClass, ...]:
    return tuple(items)


def _students(items: Iterable[Student]) -> tuple[Student, ...]:
    return tuple(items)


def _responsables(items: Iterable[Responsable]) -> tuple[Responsable, ...]:
    return tuple(items)


def _links(items: Iterable[GuardianLink]) -> tuple[GuardianLink, ...]:
    return tuple(items)


@attrs.frozen
class DirectorySnapshot:
    """What one run of the directory feed says.

    When `complete` is true (AAF « Complet » files), the snapshot is the whole truth for the
    schools it contains: a pupil or a link of those schools that is absent has disappeared. A
    delta (`complete=False`) only adds and updates. Schools absent from the snapshot are never
    touched.
    """

    schools: tuple[School, ...] = attrs.field(default=(), converter=_schools)
    classes: tuple[SchoolClass, ...] = attrs.field(default=(), converter=_classes)
    students: tuple[Student, ...] = attrs.field(default=(), converter=_students)
    responsables: tuple[Responsable, ...] = attrs.field(default=(), converter=_responsables)
    links: tuple[GuardianLink, ...] = attrs.field(default=(), converter=_links)
    complete: bool = True
