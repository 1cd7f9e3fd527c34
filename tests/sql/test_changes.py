"""The canonical text `Directory.differing` compares on SQL: a field holding the separator or the
NULL mark cannot be told apart from other fields, so such a record always differs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from educonnect_core.domain.fingerprints import DirectoryRecords, RecordChanges, pupil_fields
from educonnect_core.testing.contract_base import fresh_uai, student
from educonnect_sql import SqlStorage
from educonnect_sql.changes import _canonical

PUPIL = ("E1", "0000001B", "MARTIN", "Léa", "2018-05-04", None, None, None, "CP", None, True)


def test_canonical_text_of_a_pupil() -> None:
    """Fields joined by the unit separator, NULL as the record separator, guardians sorted."""
    text = _canonical(PUPIL, {"R2", "R1"})
    empty = "\x1f".join(["\x1e"] * 3)
    expected = f"0000001B\x1fMARTIN\x1fLéa\x1f2018-05-04\x1f{empty}\x1fCP\x1f\x1e\x1f1\x1fR1\x1fR2"
    assert text == expected
    assert _canonical(PUPIL, set()) == text.replace("R1\x1fR2", "\x1e")
    assert (
        _canonical(("R1", "DUPONT", "Jean", None, "0601020304"))
        == "DUPONT\x1fJean\x1f\x1e\x1f0601020304"
    )


@pytest.mark.parametrize("bad", ["A\x1fB", "\x1e", "A\x1e"])
def test_a_field_holding_a_mark_has_no_text(bad: str) -> None:
    """Names, ids or guardian ids holding a mark: no text, so the record differs."""
    assert _canonical((*PUPIL[:2], bad, *PUPIL[3:]), set()) is None
    assert _canonical(PUPIL, {"R1", bad}) is None
    assert _canonical(("R1", bad, "Jean", None, None)) is None


def test_such_a_record_differs_even_when_stored_alike(tmp_path: Path) -> None:
    """A pupil stored with a mark in its name (only a direct write could) always differs."""
    storage = SqlStorage.open(f"sqlite:///{tmp_path / 'base.sqlite3'}", migrate=True)
    try:
        uai = fresh_uai()
        odd = student("E1", uai, surname="A\x1fB")
        with storage.unit_of_work() as uow:
            uow.directory.put_students([odd])
            uow.commit()
        records = DirectoryRecords(pupils=[pupil_fields(odd, None)])
        with storage.unit_of_work() as uow:
            assert uow.directory.differing(records, [uai]) == RecordChanges(frozenset({"E1"}))
    finally:
        storage.close()
