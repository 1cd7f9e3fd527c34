"""Values many records share (a class, a level) are read once per run (issue 14 item 1): every
record still gets its own verdict, its own rejection naming it, and every warning its count.
"""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory
from unittest.mock import patch

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.feed.test_feed_aaf_rules import PREFIX, base_records, with_attribute, write

from educonnect_aaf import read_aaf1d
from educonnect_aaf.aaf1d import _Builder, _remember
from educonnect_aaf.files import find_run
from educonnect_aaf.staging import stage_run

PUPILS = ("5000001", "5000002", "5000003")


def every_pupil(tmp_path: Path, name: str, value: str) -> Path:
    records = base_records()
    records["Eleve"] = [with_attribute(r, name, value) for r in records["Eleve"]]
    return write(tmp_path, records)


class TestOneVerdictPerRecord:
    """A refused class or level shared by every pupil rejects each of them, naming each."""

    @pytest.mark.parametrize(
        ("name", "value", "field", "reason"),
        [
            ("ENTPersonClasses", "9001$11$X$70001", "ENTPersonClasses", "5 parties attendues"),
            ("ENTPersonClasses", "9001$11$X$7 1$CP A", "identifier", "avec des espaces"),
            ("ENTPersonClasses", "9001$11$X$70001$" + "N" * 101, "ENTPersonNom", "plus de 100"),
            ("ENTEleveNiveau", "$", "ENTEleveNiveau", "code$libellé"),
        ],
    )
    def test_each_pupil_rejected(
        self, tmp_path: Path, name: str, value: str, field: str, reason: str
    ) -> None:
        folder = every_pupil(tmp_path, name, value)
        snapshot, rejections, _ = read_aaf1d(folder)
        assert snapshot.students == ()
        assert [(r.source, r.record, r.field, r.protects) for r in rejections] == [
            (f"{PREFIX}_Eleve_0000.xml", f"élève {sid}", field, sid) for sid in PUPILS
        ]
        assert all(reason in r.reason for r in rejections)
        with stage_run(find_run(folder)) as staged:
            assert sorted(staged.rejections, key=str) == sorted(rejections, key=str)

    def test_unknown_level_counted_per_pupil(self, tmp_path: Path) -> None:
        folder = every_pupil(tmp_path, "ENTEleveNiveau", "9$ULIS")
        snapshot, _, warnings = read_aaf1d(folder)
        assert {s.level.code for s in snapshot.students if s.level} == {"ULIS"}
        assert [(w.field, w.reason, w.count) for w in warnings] == [
            ("ENTEleveNiveau", "niveau ULIS conservé tel quel", 3)
        ]

    def test_same_class_value_same_class(self, tmp_path: Path) -> None:
        snapshot, rejections, _ = read_aaf1d(write(tmp_path, base_records()))
        assert rejections == ()
        assert {s.class_id for s in snapshot.students} == {"70001"}
        assert [(c.class_id, c.name) for c in snapshot.classes] == [("70001", "CP A")]


class TestTheMemoKnowsWhatItDependsOn:
    """The school of a pupil depends on its classes *and* its school attachment, and on the
    schools read so far.
    """

    def test_same_classes_other_attachment(self, tmp_path: Path) -> None:
        records = base_records()
        pupils = [with_attribute(r, "ENTPersonClasses") for r in records["Eleve"]]
        pupils[1] = with_attribute(pupils[1], "ENTPersonStructRattach", "9999")
        records["Eleve"] = pupils
        snapshot, rejections, _ = read_aaf1d(write(tmp_path, records))
        assert {s.student_id for s in snapshot.students} == {"5000001", "5000003"}
        assert [(r.record, r.field, r.reason) for r in rejections] == [
            ("élève 5000002", "ENTPersonStructRattach", "aucune école de l’extraction")
        ]

    def test_schools_read_again(self) -> None:
        records = base_records()
        builder = _Builder(complete=True)
        builder.pupil(records["Eleve"][0], "e.xml")
        assert builder.rejections[-1].reason == "aucune école de l’extraction"
        builder.school(records["EtabEducNat"][0], "s.xml")
        builder.resolve_schools()
        builder.pupil(records["Eleve"][0], "e.xml")
        assert len(builder.rejections) == 1
        assert list(builder.pupils) == ["5000001"]


CLASSES = (
    "9001$11$X$70001$CP A",
    "9001$11$X$70001$CP B",
    "9001$11$X$70002$CE1",
    "9001$11$X$7 2$CE1",
    "9001$11$X$70003",
    "9999$11$X$70004$CM1",
    "",
)
LEVELS = ("0000$CP", "0000$ULIS", "$", "CP", "x$ ce1 ", "")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(CLASSES), st.sampled_from(LEVELS), st.sampled_from(("9001", "9999"))
        ),
        min_size=1,
        max_size=8,
    )
)
def test_same_reading_as_without_memo(values: list[tuple[str, str, str]]) -> None:
    """Whatever mix of shared, good and bad values, the reading is the one of a builder that
    reads every value afresh.
    """
    records = base_records()
    template = records["Eleve"][0]
    records["Eleve"] = [
        attrs.evolve(
            template,
            record_id=f"50{n}",
            attributes={
                **template.attributes,
                "ENTPersonClasses": (classes,),
                "ENTEleveNiveau": (level,),
                "ENTPersonStructRattach": (school,),
            },
        )
        for n, (classes, level, school) in enumerate(values)
    ]
    with TemporaryDirectory() as name:
        folder = write(Path(name), records)
        remembered = read_aaf1d(folder)
        with patch("educonnect_aaf.aaf1d._remember", lambda memo, key, found: None):
            afresh = read_aaf1d(folder)
    assert remembered == afresh


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A feed of all-distinct values cannot grow a memo past its size: it starts again."""
    monkeypatch.setattr("educonnect_aaf.aaf1d._MEMO_SIZE", 3)
    memo: dict[object, object] = {}
    for key in range(7):
        _remember(memo, key, key)
    assert memo == {6: 6}


@pytest.mark.parametrize(
    "named",
    [("6000001$mère",), (" 6000001 ",), ("6000001", "", " $x", "6000001$père")],
)
def test_guardian_ids_before_the_dollar(tmp_path: Path, named: tuple[str, ...]) -> None:
    """A pupil's guardians are the ids before each value's first « $ », trimmed; empty ids
    and repeats are dropped.
    """
    records = base_records()
    records["Eleve"][0] = with_attribute(records["Eleve"][0], "ENTEleveAutoriteParentale", *named)
    snapshot, rejections, _ = read_aaf1d(write(tmp_path, records))
    assert rejections == ()
    assert [k.responsable_id for k in snapshot.links if k.student_id == "5000001"] == ["6000001"]
