"""Hostile feed limits (issue 9 item 14): a deep nest of elements is refused at once, as a typed
`HostileXml` naming the file and the line, before the parser builds a tree of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.feed.test_feed_aaf_rules import base_records, write

from educonnect_aaf import HostileXml, read_aaf1d, read_feed
from educonnect_aaf.records import MAX_DEPTH, iter_records


def nest_pupils(folder: Path, depth: int) -> tuple[Path, int]:
    """Write the base run in `folder` with `depth` nested elements put inside the second pupil
    record's attributes; gives the pupils file and the line where the nest starts.
    """
    write(folder, base_records())
    path = next(folder.glob("*_Eleve_0000.xml"))
    text = path.read_text(encoding="utf-8")
    second = text.index("<attributes>", text.index("<attributes>") + 1) + len("<attributes>")
    nest = "\n" + "<n>" * depth + "</n>" * depth + "\n"
    path.write_text(text[:second] + nest + text[second:], encoding="utf-8")
    return path, text[:second].count("\n") + 2


class TestDeepNestIsRefused:
    """Elements nested deeper than `MAX_DEPTH` make the file hostile, named with its line; the
    whole run is refused (nothing read from it is returned).
    """

    def test_one_level_too_deep(self, tmp_path: Path) -> None:
        # The nest starts at depth 4 (inside addRequest › attributes).
        path, line = nest_pupils(tmp_path, MAX_DEPTH - 2)
        with pytest.raises(HostileXml) as caught:
            read_aaf1d(tmp_path)
        assert (caught.value.source, caught.value.line) == (path.name, line)
        assert f"plus de {MAX_DEPTH} niveaux" in caught.value.french

    def test_just_deep_enough_is_read(self, tmp_path: Path) -> None:
        path, _ = nest_pupils(tmp_path, MAX_DEPTH - 3)
        assert len(list(iter_records(path))) == 3

    def test_a_million_levels(self, tmp_path: Path) -> None:
        """The ~7 MiB nest of the attack report: refused as hostile (not as too many elements
        once the whole nest is built), through the generic entry point too.
        """
        path, line = nest_pupils(tmp_path, 1_000_000)
        assert path.stat().st_size > 6 * 1024 * 1024
        with pytest.raises(HostileXml) as caught:
            read_feed(tmp_path)
        assert (caught.value.source, caught.value.line) == (path.name, line)
        assert "niveaux" in caught.value.reason
