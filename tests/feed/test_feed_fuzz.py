"""Fuzzing of both readers with hypothesis-built and mutated files: only the library's typed
errors, never a crash, and never a partial write (a run either integrates or leaves storage as
it was).

Each hypothesis example tries `PER_EXAMPLE` mutated inputs, so that the ``ci`` profile
(200 examples) runs 5 × 200 × 5 = 5,000 inputs per reader, 10,000 in all.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st

from educonnect_aaf import read_feed
from educonnect_aaf.writer import guardian_record, pupil_record, school_record, write_run
from educonnect_core import EduconnectError, Responsable, School, SchoolClass, Student
from educonnect_core.testing import World, in_memory_world

PER_EXAMPLE = 5
EXAMPLES = (settings.default.max_examples if settings.default else 100) * 5
UAI = "0999901Z"
PREFIX = "ENT1D_Complet_20250901"

SNIPPETS = (
    b'<!DOCTYPE ficAlimMENESR [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>',
    b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b"&b;",
    b"&x;",
    b"<value/>",
    b"$$$$",
    b"</attr>",
    b"<addRequest>",
    b"\xe9\xe8",
    b"\x00",
    b'"',
    b";",
    b"\r\n",
    b"31/02/2019",
    b"0999901A",
    "é".encode(),
)


def aaf_files(folder: Path) -> None:
    school = School.create(UAI, "ECOLE")
    klass = SchoolClass.create("70001", UAI, "CP A")
    pupils = [
        pupil_record(
            Student.create(
                f"E{i}",
                surname=f"NOM{i}",
                first_name="Léa",
                birth_date=date(2018, 1, 1 + i),
                uai=UAI,
                class_id="70001",
                level="CP",
                ine=f"{i:010d}A",
            ),
            "9001",
            klass,
            [f"R{i}", f"R{i + 1}"],
        )
        for i in range(4)
    ]
    guardians = [
        guardian_record(
            Responsable.create(f"R{i}", surname=f"PARENT{i}", first_name="Sam", email="a@b.fr")
        )
        for i in range(5)
    ]
    write_run(
        folder,
        {
            "EtabEducNat": [school_record("9001", school)],
            "Eleve": pupils,
            "PersRelEleve": guardians,
        },
    )


ONDE_PUPILS = (
    '"Nom Elève";"Nom d\'usage Elève";"Prénom Elève";"Date naissance";"Sexe";" Cycle";"Niveau";'
    '"Classe"\r\n'
    '"MARTIN";;"Léa";"2018-03-01";"F";"CYCLE II";"CP";"CP A"\r\n'
    '"DURAND";;"Noé";"2017-05-02";"H";"CYCLE II";"CE1";"CE1"\r\n'
    "ROBERT;;Zoé;2016-07-03;F;CYCLE III;CM1;CM1\r\n"
).encode("iso-8859-1")
ONDE_GUARDIANS = (
    "Civilité Responsable;Nom usage responsable;Nom responsable;Prénom responsable;"
    "Adresse responsable;CP responsable;Commune responsable;Pays;Courriel;Téléphone domicile;"
    "Téléphone travail;Téléphone portable;Nom d'usage enfant;Nom de famille enfant;Prénom enfant;"
    "Classes enfants;Nom d'usage enfant;Nom de famille enfant;Prénom enfant;Classes enfants\r\n"
    "Mme;;MARTIN;Anne;1 rue A;61000;Alençon;;anne@example.fr;;;0612345678;;MARTIN;Léa;CP A;;;;\r\n"
    '"M.";;"DURAND";"Paul";;;;;;;;;;"DURAND";"Noé";"CE1";;"ROBERT";"Zoé";"CM1"\r\n'
).encode("iso-8859-1")


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random edits: flips, cuts, insertions, duplications, hostile snippets."""
    for _ in range(rng.randint(1, 3)):
        n = len(data)
        at = rng.randint(0, n)
        kind = rng.randrange(7)
        if kind == 0 and n:
            pos = rng.randrange(n)
            data = data[:pos] + bytes([rng.randrange(256)]) + data[pos + 1 :]
        elif kind == 1:
            data = data[:at]
        elif kind == 2:
            data = data[:at] + rng.choice(SNIPPETS) + data[at:]
        elif kind == 3:
            end = rng.randint(at, n)
            data = data[:at] + data[at:end] * rng.randint(2, 4) + data[end:]
        elif kind == 4:
            end = rng.randint(at, n)
            data = data[:at] + data[end:]
        elif kind == 5:
            data = data[:at] + rng.randbytes(rng.randint(1, 16)) + data[at:]
        else:
            data = data.replace(b"$", b"", rng.randint(0, 3))
    return data


def dump(world: World) -> tuple[object, ...]:
    with world.storage.unit_of_work() as uow:
        schools = sorted(uow.directory.schools(None), key=lambda s: s.uai)
        students = sorted(
            uow.directory.students_in({s.uai for s in schools}), key=lambda s: s.student_id
        )
        links = sorted(
            uow.directory.links_of_students({s.student_id for s in students}),
            key=lambda k: (k.student_id, k.responsable_id),
        )
        accounts = uow.accounts.get_many({k.responsable_id for k in links})
        return (
            schools,
            students,
            links,
            sorted((a.account_id, a.version) for a in accounts.values()),
        )


def try_input(world: World, folder: Path, uai: str | None = None) -> None:
    """Read and integrate; an error must be one of ours and leave the storage untouched."""
    before = dump(world)
    try:
        snapshot, rejections, _ = read_feed(folder, uai=uai, school_name="ECOLE")
        world.app.integrate(snapshot, rejections)
    except EduconnectError:
        assert dump(world) == before


class TestAafFuzz:
    """Mutated AAF1D files only ever give a reading or a typed error, never a partial write."""

    @settings(max_examples=EXAMPLES)
    @given(
        st.sampled_from(["EtabEducNat", "Eleve", "PersRelEleve"]), st.randoms(use_true_random=False)
    )
    def test_mutated(self, kind: str, rng: random.Random) -> None:
        with TemporaryDirectory() as name:
            folder = Path(name)
            aaf_files(folder)
            world = in_memory_world()
            snapshot, rejections, _ = read_feed(folder)
            world.app.integrate(snapshot, rejections)
            target = folder / f"{PREFIX}_{kind}_0000.xml"
            original = target.read_bytes()
            for _ in range(PER_EXAMPLE):
                target.write_bytes(mutate(original, rng))
                try_input(world, folder)


class TestOndeFuzz:
    """Mutated ONDE extractions only ever give a reading or a typed error, never a partial write."""

    @settings(max_examples=EXAMPLES)
    @given(st.booleans(), st.randoms(use_true_random=False))
    def test_mutated(self, pupils_file: bool, rng: random.Random) -> None:
        with TemporaryDirectory() as name:
            folder = Path(name)
            (folder / "CSVExtraction-eleves.csv").write_bytes(ONDE_PUPILS)
            (folder / "CSVExtraction-responsables.csv").write_bytes(ONDE_GUARDIANS)
            world = in_memory_world()
            reading = read_feed(folder, uai=UAI, school_name="ECOLE")
            assert len(reading.snapshot.links) == 3
            world.app.integrate(reading.snapshot, reading.rejections)
            name_ = "CSVExtraction-eleves.csv" if pupils_file else "CSVExtraction-responsables.csv"
            original = ONDE_PUPILS if pupils_file else ONDE_GUARDIANS
            for _ in range(PER_EXAMPLE):
                (folder / name_).write_bytes(mutate(original, rng))
                try_input(world, folder, uai=UAI)

    @given(st.binary(max_size=400), st.booleans())
    def test_arbitrary_bytes(self, data: bytes, pupils_file: bool) -> None:
        with TemporaryDirectory() as name:
            folder = Path(name)
            (folder / "CSVExtraction-eleves.csv").write_bytes(data if pupils_file else ONDE_PUPILS)
            (folder / "CSVExtraction-responsables.csv").write_bytes(
                ONDE_GUARDIANS if pupils_file else data
            )
            try_input(in_memory_world(), folder, uai=UAI)
