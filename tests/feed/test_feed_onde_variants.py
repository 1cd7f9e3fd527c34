"""ONDE extractions as schools really export them (issue 10 item 11): all fields quoted, guardian
rows that stop after their last non-empty child block, a column added (« Numéro de poste »).
Synthetic variants of the shared sample must give exactly the same accounts; a file whose rows
are really cut is still refused as a whole.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from educonnect_aaf import UnreadableFile, read_onde
from educonnect_aaf.onde import PUPILS_FILE, RESPONSABLES_FILE
from educonnect_aaf.reading import FeedReading
from educonnect_core import Director, Uai
from educonnect_core.testing import in_memory_world

UAI = "0610001V"
NAME = "Ecole primaire Emile Zola"
#: The first column of the child blocks in the sample's header (four columns per child).
FIRST_BLOCK = 12
BLOCK = 4

Table = list[list[str]]


@pytest.fixture
def sample(shared: Path) -> Path:
    return shared / "reference" / "aaf" / "onde-csv-sample"


def load(path: Path) -> Table:
    with path.open(encoding="iso-8859-1", newline="") as stream:
        return list(csv.reader(stream, delimiter=";"))


def save(folder: Path, sample: Path, table: Table, *, quoted: bool = False) -> Path:
    """An extraction folder: the sample's pupils file and `table` as the guardians file."""
    folder.mkdir()
    shutil.copy(sample / PUPILS_FILE, folder / PUPILS_FILE)
    buffer = io.StringIO(newline="")
    writer = (
        csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        if quoted
        else csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    )
    writer.writerows(table)
    (folder / RESPONSABLES_FILE).write_bytes(buffer.getvalue().encode("iso-8859-1"))
    return folder


def trimmed(row: list[str]) -> list[str]:
    """`row` stopped after its last non-empty child block, as ONDE writes some rows."""
    end = len(row)
    while end - BLOCK >= FIRST_BLOCK and not any(c.strip() for c in row[end - BLOCK : end]):
        end -= BLOCK
    return row[:end]


def with_extension(table: Table) -> Table:
    """« Numéro de poste » added after « Téléphone travail », filled on some rows."""
    at = table[0].index("Téléphone travail") + 1
    out = [[*table[0][:at], "Numéro de poste", *table[0][at:]]]
    for number, row in enumerate(table[1:]):
        out.append([*row[:at], str(200 + number) if number % 3 == 0 else "", *row[at:]])
    return out


def accounts(reading: FeedReading) -> list[tuple[str, str, str, str, str]]:
    world = in_memory_world(seed=11)
    world.app.integrate(reading.snapshot, reading.rejections)
    admin = world.app.administration(Director("d", {Uai.parse(UAI)}))
    return sorted(
        (row.account_id, row.login, row.student_id, row.surname, row.class_name)
        for row in admin.account_list(UAI).rows
    )


VARIANTS: dict[str, Callable[[Table], tuple[Table, bool]]] = {
    "quoted": lambda t: (t, True),
    "short rows": lambda t: ([t[0], *(trimmed(r) for r in t[1:])], False),
    "extra column": lambda t: (with_extension(t), False),
    "all three": lambda t: (
        [with_extension(t)[0], *(trimmed(r) for r in with_extension(t)[1:])],
        True,
    ),
}


class TestExportVariantsGiveTheSameAccounts:
    """Each variant of the sample reads into the same snapshot, rejections and accounts."""

    @pytest.mark.parametrize("variant", VARIANTS)
    def test_same_reading(self, sample: Path, tmp_path: Path, variant: str) -> None:
        original = read_onde(sample, uai=UAI, school_name=NAME)
        table, quoted = VARIANTS[variant](load(sample / RESPONSABLES_FILE))
        if variant in ("short rows", "all three"):
            assert sum(len(row) < len(table[0]) for row in table) > 100
        reading = read_onde(
            save(tmp_path / "v", sample, table, quoted=quoted), uai=UAI, school_name=NAME
        )
        assert reading.snapshot == original.snapshot
        assert reading.rejections == original.rejections
        assert accounts(reading) == accounts(original)


class TestTruncatedRowsAreStillRefused:
    """A row cut inside the guardian's own columns or inside a child block, or longer than the
    header, still refuses the whole file, naming its line.
    """

    @pytest.mark.parametrize(
        "cut", [5, FIRST_BLOCK - 1, FIRST_BLOCK + 2, FIRST_BLOCK + BLOCK + 1, 25]
    )
    def test_refused(self, sample: Path, tmp_path: Path, cut: int) -> None:
        table = load(sample / RESPONSABLES_FILE)
        table[7] = (table[7] + ["x"] * 5)[:cut]
        with pytest.raises(UnreadableFile) as caught:
            read_onde(save(tmp_path / "v", sample, table), uai=UAI, school_name=NAME)
        assert (caught.value.source, caught.value.line) == (RESPONSABLES_FILE, 8)
        assert "colonnes" in caught.value.reason
