"""AAF1D reading rules: one bad record is rejected alone, unknown attributes are warnings, and an
unreadable or hostile file refuses the whole run before anything is integrated.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from educonnect_aaf import (
    AafRecord,
    FeedError,
    FeedNotFound,
    HostileXml,
    UnreadableFile,
    read_aaf1d,
    read_feed,
)
from educonnect_aaf.writer import guardian_record, pupil_record, school_record, write_run
from educonnect_core import Responsable, School, SchoolClass, Student
from educonnect_core.testing import in_memory_world

UAI = "0999901Z"
PREFIX = "ENT1D_Complet_20250901"


def base_records() -> dict[str, list[AafRecord]]:
    school = School.create(UAI, "ECOLE DES TILLEULS")
    klass = SchoolClass.create("70001", UAI, "CP A")
    pupils = [
        pupil_record(
            Student.create(
                f"500000{i}",
                surname=f"ELEVE{i}",
                first_name="Lou",
                birth_date=date(2018, 1, i + 1),
                uai=UAI,
                class_id="70001",
                level="CP",
                ine=f"000000000{i}A",
            ),
            "9001",
            klass,
            [f"600000{i}"],
        )
        for i in range(1, 4)
    ]
    guardians = [
        guardian_record(Responsable.create(f"600000{i}", surname=f"PARENT{i}", first_name="Sam"))
        for i in range(1, 4)
    ]
    return {
        "EtabEducNat": [school_record("9001", school)],
        "Eleve": pupils,
        "PersRelEleve": guardians,
    }


def with_attribute(record: AafRecord, name: str, *values: str) -> AafRecord:
    return AafRecord(
        record.operation, record.category, record.record_id, {**record.attributes, name: values}
    )


def write(folder: Path, records: dict[str, list[AafRecord]], **kwargs: object) -> Path:
    write_run(folder, records, **kwargs)  # type: ignore[arg-type]
    return folder


class TestRecordRejectedAlone:
    """A record with an invalid required field is rejected alone, naming file, record, field."""

    @pytest.mark.parametrize(
        ("attribute", "value", "field"),
        [
            ("ENTPersonDateNaissance", "2018-01-02", "ENTPersonDateNaissance"),
            ("ENTPersonDateNaissance", "31/02/2018", "ENTPersonDateNaissance"),
            ("ENTPersonDateNaissance", "", "ENTPersonDateNaissance"),
            ("ENTPersonPrenom", "", "ENTPersonPrenom"),
            ("ENTPersonClasses", "9001$11$ORDINAIRE$70001", "ENTPersonClasses"),
            ("ENTEleveNiveau", "CP", "ENTEleveNiveau"),
            ("ENTEleveINE", "12", "ENTEleveINE"),
        ],
    )
    def test_pupil(self, tmp_path: Path, attribute: str, value: str, field: str) -> None:
        records = base_records()
        records["Eleve"][1] = with_attribute(records["Eleve"][1], attribute, value)
        if attribute == "ENTPersonPrenom":
            records["Eleve"][1] = with_attribute(records["Eleve"][1], "ENTPersonNom", "X")
        snapshot, rejections, _ = read_aaf1d(write(tmp_path, records))
        assert [(r.source, r.record, r.field, r.protects) for r in rejections] == [
            (f"{PREFIX}_Eleve_0000.xml", "élève 5000002", field, "5000002")
        ]
        assert {s.student_id for s in snapshot.students} == {"5000001", "5000003"}

    def test_school_with_a_wrong_check_letter(self, tmp_path: Path) -> None:
        records = base_records()
        records["EtabEducNat"][0] = with_attribute(
            records["EtabEducNat"][0], "ENTStructureUAI", "0999901A"
        )
        snapshot, rejections, _ = read_aaf1d(write(tmp_path, records))
        assert snapshot.schools == ()
        assert rejections[0].record == "école 9001"
        assert rejections[0].field == "ENTStructureUAI"
        # Its pupils cannot be placed: rejected and protected (kept as stored).
        assert {r.protects for r in rejections[1:]} == {"5000001", "5000002", "5000003"}

    def test_guardian_rejected_protects_the_pupil(self, tmp_path: Path) -> None:
        records = base_records()
        records["PersRelEleve"][0] = with_attribute(
            records["PersRelEleve"][0], "ENTPersonPrenom", ""
        )
        snapshot, rejections, _ = read_aaf1d(write(tmp_path, records))
        assert [(r.record, r.field, r.protects) for r in rejections] == [
            ("responsable 6000001", "ENTPersonPrenom", None),
            ("élève 5000001", "ENTEleveAutoriteParentale", "5000001"),
        ]
        assert "6000001" not in {r.responsable_id for r in snapshot.responsables}

    def test_rejection_keeps_the_stored_pupil(self, tmp_path: Path) -> None:
        world = in_memory_world()
        first = read_aaf1d(write(tmp_path / "a", base_records()))
        world.app.integrate(first.snapshot, first.rejections)
        records = base_records()
        records["Eleve"][0] = with_attribute(records["Eleve"][0], "ENTPersonDateNaissance", "bad")
        second = read_aaf1d(write(tmp_path / "b", records))
        report = world.app.integrate(second.snapshot, second.rejections)
        assert (report.pupils_removed, report.links_removed) == (0, 0)
        assert len(report.rejected) == 1

    def test_invalid_optional_email_is_a_warning(self, tmp_path: Path) -> None:
        records = base_records()
        records["PersRelEleve"][0] = with_attribute(
            records["PersRelEleve"][0], "ENTPersonMail", "not-an-email"
        )
        snapshot, rejections, warnings = read_aaf1d(write(tmp_path, records))
        assert rejections == ()
        assert [(w.record, w.field) for w in warnings] == [("responsable 6000001", "ENTPersonMail")]
        assert snapshot.responsables[0].email is None

    def test_duplicate_different_records_are_all_rejected(self, tmp_path: Path) -> None:
        records = base_records()
        other = with_attribute(records["Eleve"][0], "ENTPersonPrenom", "Autre")
        records["Eleve"].append(other)
        snapshot, rejections, _ = read_aaf1d(write(tmp_path, records))
        assert [r.protects for r in rejections] == ["5000001", "5000001"]
        assert "5000001" not in {s.student_id for s in snapshot.students}


class TestWarnings:
    """Unknown attributes and unknown level codes are reported once per file, never fatal."""

    def test_unknown_attribute(self, tmp_path: Path) -> None:
        records = base_records()
        records["Eleve"] = [with_attribute(r, "ENTEleveNouveau", "x") for r in records["Eleve"]]
        snapshot, rejections, warnings = read_aaf1d(write(tmp_path, records))
        assert len(snapshot.students) == 3
        assert rejections == ()
        assert [(w.field, w.count) for w in warnings] == [("ENTEleveNouveau", 3)]

    def test_unknown_level_is_kept(self, tmp_path: Path) -> None:
        records = base_records()
        records["Eleve"][0] = with_attribute(records["Eleve"][0], "ENTEleveNiveau", "9999$ULIS")
        snapshot, _, warnings = read_aaf1d(write(tmp_path, records))
        level = snapshot.students[0].level
        assert level is not None
        assert level.code == "ULIS"
        assert warnings[0].field == "ENTEleveNiveau"


class TestRunRefused:
    """An unreadable, hostile or incomplete run raises a typed error and integrates nothing."""

    def _assert_refused(self, folder: Path, error: type[FeedError]) -> None:
        world = in_memory_world()
        with pytest.raises(error) as caught:
            read_feed(folder)
        assert caught.value.french.startswith("Le fichier")
        with world.storage.unit_of_work() as uow:
            assert list(uow.directory.schools(None)) == []

    def _pupil_file(self, folder: Path) -> Path:
        write(folder, base_records())
        return folder / f"{PREFIX}_Eleve_0000.xml"

    def test_zero_byte_file(self, tmp_path: Path) -> None:
        self._pupil_file(tmp_path).write_bytes(b"")
        self._assert_refused(tmp_path, UnreadableFile)

    def test_truncated_file(self, tmp_path: Path) -> None:
        path = self._pupil_file(tmp_path)
        path.write_bytes(path.read_bytes()[:-300])
        self._assert_refused(tmp_path, UnreadableFile)

    def test_latin1_declared_as_utf8(self, tmp_path: Path) -> None:
        path = self._pupil_file(tmp_path)
        path.write_bytes(path.read_bytes().replace(b"Lou", "Loù".encode("latin-1")))
        self._assert_refused(tmp_path, UnreadableFile)

    def test_wrong_root(self, tmp_path: Path) -> None:
        self._pupil_file(tmp_path).write_text('<?xml version="1.0"?><html/>')
        self._assert_refused(tmp_path, UnreadableFile)

    def test_xml_bomb(self, tmp_path: Path) -> None:
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE ficAlimMENESR ['
            '<!ENTITY a "aaaaaaaaaa">'
            + "".join(
                f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
            )
            + "]><ficAlimMENESR><addRequest><identifier><id>&j;</id></identifier></addRequest>"
            "</ficAlimMENESR>"
        )
        self._pupil_file(tmp_path).write_text(bomb)
        self._assert_refused(tmp_path, HostileXml)

    def test_external_entity(self, tmp_path: Path) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP SECRET")
        xxe = (
            f'<?xml version="1.0"?><!DOCTYPE ficAlimMENESR [<!ENTITY x SYSTEM "file://{secret}">]>'
            "<ficAlimMENESR><addRequest><identifier><id>&x;</id></identifier></addRequest>"
            "</ficAlimMENESR>"
        )
        self._pupil_file(tmp_path).write_text(xxe)
        self._assert_refused(tmp_path, HostileXml)

    def test_external_parameter_entity(self, tmp_path: Path) -> None:
        text = (
            '<?xml version="1.0"?><!DOCTYPE ficAlimMENESR [<!ENTITY % p SYSTEM '
            '"http://127.0.0.1:9/x.dtd"> %p;]><ficAlimMENESR/>'
        )
        self._pupil_file(tmp_path).write_text(text)
        self._assert_refused(tmp_path, HostileXml)

    def test_oversized_record(self, tmp_path: Path) -> None:
        values = "<value>x</value>" * 25_000
        text = (
            '<?xml version="1.0"?><ficAlimMENESR><addRequest><identifier><id>1</id></identifier>'
            f'<attributes><attr name="ENTPersonPrenom">{values}</attr></attributes></addRequest>'
            "</ficAlimMENESR>"
        )
        self._pupil_file(tmp_path).write_text(text)
        self._assert_refused(tmp_path, HostileXml)

    def test_missing_chunk(self, tmp_path: Path) -> None:
        write(tmp_path, base_records(), per_file=1)
        (tmp_path / f"{PREFIX}_Eleve_0001.xml").unlink()
        self._assert_refused(tmp_path, FeedNotFound)

    def test_complete_run_without_guardians(self, tmp_path: Path) -> None:
        write(tmp_path, base_records())
        (tmp_path / f"{PREFIX}_PersRelEleve_0000.xml").unlink()
        self._assert_refused(tmp_path, FeedNotFound)

    def test_two_runs_mixed(self, tmp_path: Path) -> None:
        write(tmp_path, base_records())
        write(tmp_path, base_records(), prefix="ENT1D_Complet_20250902")
        self._assert_refused(tmp_path, FeedNotFound)


class TestRunLayout:
    """Chunks are read in order, staff files are ignored, « Delta » runs are not complete."""

    def test_chunks_and_staff(self, tmp_path: Path) -> None:
        write(tmp_path, base_records(), per_file=1)
        (tmp_path / f"{PREFIX}_PersEducNat_0000.xml").write_text("not even xml")
        snapshot, rejections, _ = read_feed(tmp_path)
        assert (len(snapshot.students), len(snapshot.responsables), rejections) == (3, 3, ())

    def test_delta(self, tmp_path: Path) -> None:
        write(tmp_path, base_records(), prefix="ENT1D_Delta_20250902")
        assert not read_feed(tmp_path).snapshot.complete

    def test_modify_request_is_rejected_and_protects(self, tmp_path: Path) -> None:
        records = base_records()
        first = records["Eleve"][0]
        records["Eleve"][0] = AafRecord(
            "modifyRequest", first.category, first.record_id, first.attributes
        )
        _, rejections, _ = read_aaf1d(write(tmp_path, records))
        assert [(r.field, r.protects) for r in rejections] == [("operation", "5000001")]
