"""The record reader without Python per XML element (issue 14 item 1): the records are taken from
the tree between two chunks, and the limits still hold whether the offending record is complete
in one chunk or still open across several — and a usual record costs no exact depth walk.
"""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import pytest

from educonnect_aaf import HostileXml, iter_records
from educonnect_aaf import records as reader
from educonnect_aaf.records import MAX_DEPTH, MAX_ELEMENTS_PER_RECORD, MAX_VALUE_LENGTH

USUAL = (
    '<addRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value>'
    "</attr></operationalAttributes><identifier><id>E{n}</id></identifier><attributes>"
    '<attr name="ENTPersonNom"><value>NOM</value></attr></attributes></addRequest>\n'
)


def feed_file(folder: Path, *records: str) -> Path:
    """An AAF file holding `records` between two usual ones."""
    path = folder / "f.xml"
    body = USUAL.format(n=0) + "".join(records) + USUAL.format(n=9)
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ficAlimMENESR>\n{body}</ficAlimMENESR>'
    )
    return path


def many_elements(count: int) -> str:
    return "<addRequest><attributes>" + "<x/>" * (count - 1) + "</attributes></addRequest>"


@pytest.mark.parametrize("chunk", [1 << 20, 4096])
class TestLimitsInOneChunkOrAcrossChunks:
    """A record read whole in one chunk, or open across many, meets the same limits."""

    def test_too_many_elements(self, tmp_path: Path, chunk: int) -> None:
        path = feed_file(tmp_path, many_elements(MAX_ELEMENTS_PER_RECORD + 1))
        with pytest.raises(HostileXml) as caught:
            list(iter_records(path, chunk_bytes=chunk))
        assert f"plus de {MAX_ELEMENTS_PER_RECORD} éléments" in caught.value.reason

    def test_just_enough_elements(self, tmp_path: Path, chunk: int) -> None:
        path = feed_file(tmp_path, many_elements(MAX_ELEMENTS_PER_RECORD))
        assert len(list(iter_records(path, chunk_bytes=chunk))) == 3

    def test_too_long_a_value(self, tmp_path: Path, chunk: int) -> None:
        long = "x" * (MAX_VALUE_LENGTH + 1)
        record = USUAL.format(n=1).replace("<value>NOM</value>", f"<value>{long}</value>")
        with pytest.raises(HostileXml) as caught:
            list(iter_records(feed_file(tmp_path, record), chunk_bytes=chunk))
        assert f"valeur de plus de {MAX_VALUE_LENGTH} caractères" in caught.value.reason

    def test_closed_deep_nest_beside_usual_parts(self, tmp_path: Path, chunk: int) -> None:
        """A nest closed before the record ends, not on the record's last path, is refused."""
        depth = MAX_DEPTH - 2  # under addRequest (depth 2): one level too deep
        nest = "<n>" * depth + "</n>" * depth
        record = USUAL.format(n=1).replace("<attributes>", f"<junk>{nest}</junk><attributes>")
        with pytest.raises(HostileXml) as caught:
            list(iter_records(feed_file(tmp_path, record), chunk_bytes=chunk))
        assert f"plus de {MAX_DEPTH} niveaux" in caught.value.reason
        assert caught.value.line == 4


def test_open_record_refused_before_its_end(tmp_path: Path) -> None:
    """A record still open is counted at every chunk: refused as hostile before the parser
    reaches the end of the file (here truncated, which would only make it unreadable).
    """
    path = tmp_path / "f.xml"
    path.write_text(
        "<ficAlimMENESR><addRequest><attributes>" + "<x/>" * MAX_ELEMENTS_PER_RECORD * 2
    )
    with pytest.raises(HostileXml) as caught:
        list(iter_records(path, chunk_bytes=4096))
    assert f"plus de {MAX_ELEMENTS_PER_RECORD} éléments" in caught.value.reason


class TestUsualRecordsAreNotWalkedTwice:
    """The exact depth walk runs only for a record that is not the usual three levels."""

    def test_no_exact_walk(self, tmp_path: Path) -> None:
        with patch.object(reader, "_too_deep", wraps=reader._too_deep) as walk:
            assert len(list(iter_records(feed_file(tmp_path, USUAL.format(n=1))))) == 3
        assert walk.call_count == 0

    def test_exact_walk_for_an_unusual_record(self, tmp_path: Path) -> None:
        record = USUAL.format(n=1).replace("<value>NOM</value>", "<value><b>NOM</b></value>")
        with patch.object(reader, "_too_deep", wraps=reader._too_deep) as walk:
            assert len(list(iter_records(feed_file(tmp_path, record)))) == 3
        assert walk.call_count == 1
