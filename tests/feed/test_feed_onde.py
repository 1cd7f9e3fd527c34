"""ONDE CSV extraction rules: matching by names and class, reporting every unmatched row, and
refusing unreadable files as a whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from educonnect_aaf import FeedNotFound, UnreadableFile, is_synthetic_ine, read_feed, read_onde

UAI = "0999901Z"
PUPILS = (
    '"Nom Elève";"Nom d\'usage Elève";"Prénom Elève";"Date naissance";" Cycle";"Niveau";"Classe"',
    '"MARTIN";;"Léa";"2018-03-01";"CYCLE II";"CP";"CP A"',
    '"DURAND";"DUPONT";"Noé";"2017-05-02";"CYCLE II";"CE1";"CE1"',
    "ROBERT;;Zoé;2016-07-03;CYCLE III;ULIS;ULIS",
)
GUARDIANS = (
    "Civilité Responsable;Nom usage responsable;Nom responsable;Prénom responsable;"
    "Adresse responsable;Courriel;Téléphone portable;Nom d'usage enfant;Nom de famille enfant;"
    "Prénom enfant;Classes enfants;Nom d'usage enfant;Nom de famille enfant;Prénom enfant;"
    "Classes enfants",
    "Mme;;MARTIN;Anne;1 rue A;anne@example.fr;06 12 34 56 78;;MARTIN;Lea;cp a;;;;",
    "M.;;DURAND;Paul;;pas-un-mail;;DUPONT;;Noé;CE1;;ROBERT;Zoé;CM2",
    "M.;;INCONNU;Jean;;;;;FANTOME;Casper;CP A;;;;",
)


def extraction(
    folder: Path, pupils: tuple[str, ...] = PUPILS, guardians: tuple[str, ...] = GUARDIANS
) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "CSVExtraction-eleves.csv").write_bytes("\r\n".join(pupils).encode("iso-8859-1"))
    (folder / "CSVExtraction-responsables.csv").write_bytes(
        "\n".join(guardians).encode("iso-8859-1")
    )
    return folder


class TestMatching:
    """Guardians are matched to pupils by names and class, accent- and case-insensitive."""

    def test_links_and_report(self, tmp_path: Path) -> None:
        snapshot, rejections, warnings = read_onde(
            extraction(tmp_path), uai=UAI, school_name="ECOLE"
        )
        pupils = {s.first_name: s for s in snapshot.students}
        guardians = {r.first_name: r for r in snapshot.responsables}
        links = {(g.responsable_id, g.student_id) for g in snapshot.links}
        assert (guardians["Anne"].responsable_id, pupils["Léa"].student_id) in links
        # Matched through the usage name, block 1; Zoé matched in another class (warning).
        assert (guardians["Paul"].responsable_id, pupils["Noé"].student_id) in links
        assert (guardians["Paul"].responsable_id, pupils["Zoé"].student_id) in links
        assert len(links) == 3
        assert [(r.record, r.field) for r in rejections] == [
            ("responsable ligne 4 (INCONNU Jean)", "enfant 1")
        ]
        assert str(guardians["Anne"].mobile) == "0612345678"
        assert guardians["Paul"].email is None
        fields = {w.field for w in warnings}
        assert {"Courriel", "INE", "Niveau", "enfant 2"} <= fields
        assert pupils["Noé"].surname == "DUPONT"
        assert all(s.ine is not None and is_synthetic_ine(s.ine) for s in snapshot.students)

    def test_bad_birth_date_rejects_the_row_and_protects_it(self, tmp_path: Path) -> None:
        rows = (*PUPILS[:1], '"MARTIN";;"Léa";"01/03/2018";"CYCLE II";"CP";"CP A"', *PUPILS[2:])
        snapshot, rejections, _ = read_onde(extraction(tmp_path, rows), uai=UAI, school_name="E")
        first = read_onde(extraction(tmp_path / "ok"), uai=UAI, school_name="E").snapshot
        lea = next(s.student_id for s in first.students if s.first_name == "Léa")
        assert (rejections[0].field, rejections[0].protects) == ("Date naissance", lea)
        assert lea not in {s.student_id for s in snapshot.students}

    def test_homonyms_get_distinct_ids(self, tmp_path: Path) -> None:
        rows = (*PUPILS, '"MARTIN";;"Léa";"2016-01-01";"CYCLE III";"CM1";"CM1"')
        snapshot, _, warnings = read_onde(extraction(tmp_path, rows), uai=UAI, school_name="E")
        assert len({s.student_id for s in snapshot.students}) == 4
        assert any("homonymes" in w.reason for w in warnings)


class TestRefused:
    """Missing, empty, binary, truncated or foreign files refuse the whole extraction."""

    def test_missing_file(self, tmp_path: Path) -> None:
        extraction(tmp_path)
        (tmp_path / "CSVExtraction-responsables.csv").unlink()
        with pytest.raises(FeedNotFound):
            read_onde(tmp_path, uai=UAI, school_name="E")

    def test_uai_is_required(self, tmp_path: Path) -> None:
        with pytest.raises(FeedNotFound):
            read_feed(extraction(tmp_path))

    @pytest.mark.parametrize(
        "content",
        [
            b"",
            b"\x00\x01\x02binary",
            b'"Nom";"Prenom"\r\nA;B',
            '"Nom Elève";"Pré'.encode("latin-1"),
        ],
    )
    def test_unreadable_pupils(self, tmp_path: Path, content: bytes) -> None:
        extraction(tmp_path)
        (tmp_path / "CSVExtraction-eleves.csv").write_bytes(content)
        with pytest.raises(UnreadableFile):
            read_onde(tmp_path, uai=UAI, school_name="E")

    def test_truncated_row(self, tmp_path: Path) -> None:
        extraction(tmp_path, (*PUPILS, '"PETIT";;"Tom";"2018'))
        with pytest.raises(UnreadableFile) as caught:
            read_onde(tmp_path, uai=UAI, school_name="E")
        assert caught.value.line == 5

    def test_utf8_file_is_read_with_a_warning(self, tmp_path: Path) -> None:
        extraction(tmp_path)
        (tmp_path / "CSVExtraction-eleves.csv").write_bytes("\r\n".join(PUPILS).encode())
        snapshot, _, warnings = read_onde(tmp_path, uai=UAI, school_name="E")
        assert "Léa" in {s.first_name for s in snapshot.students}
        assert warnings[0].field == "encodage"
