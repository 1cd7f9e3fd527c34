"""The CSV export (guide §5.4, SPEC §6): exact bytes, BOM, separator, formula neutralisation,
round trip through `csv`.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from tests.documents.support import UAI, bring_to, school_world

from educonnect_core import (
    AccountList,
    AccountState,
    Level,
    Origin,
    ResponsableRow,
    School,
)
from educonnect_core.services.exports import csv_bytes

#: SPEC §6, byte for byte.
HEADER = (
    "RNE;Ecole;Nom de l'élève;Prénom de l'élève;Niveau de l'élève;Classe de l'élève;"
    "Nom du responsable;Prénom du responsable;Identifiant;Mot de passe\r\n"
)
BOM = b"\xef\xbb\xbf"
SCHOOL = School.create(UAI, "ECOLE LES TILLEULS")


def row(**values: str) -> ResponsableRow:
    return ResponsableRow(
        uai=UAI,
        student_id="5000001",
        student_surname=values.get("student_surname", "LEBRUN"),
        student_first_name=values.get("student_first_name", "Lina"),
        student_birth_date=date(2019, 3, 14),
        class_id="70001",
        class_name=values.get("class_name", "CP-CE1 A"),
        level=Level.parse("CP"),
        account_id="6000001",
        login=values.get("login", "c.lebrun"),
        surname=values.get("surname", "LEBRUN"),
        first_name=values.get("first_name", "Claire"),
        has_email=True,
        origin=Origin.SCHOOL,
        state=AccountState.NOTIFIED,
        distributed_at=None,
        last_login_at=None,
        password=values.get("password", "BUNZ57DM"),
    )


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def inert(cell: str) -> str:
    """What a cell must become: an apostrophe before anything a spreadsheet would evaluate."""
    return "'" + cell if cell and cell[0] in "=+-@\t\r" else cell


class TestCsvBytes:
    """The file starts with the UTF-8 BOM and the exact header, uses ``;`` and CRLF, and writes
    levels in full.
    """

    def test_exact_header_and_row(self) -> None:
        data = csv_bytes(AccountList(SCHOOL, datetime(2025, 9, 1, tzinfo=UTC), (row(),)))
        assert data.startswith(BOM + HEADER.encode("utf-8"))
        assert data[len(BOM) :].decode("utf-8") == HEADER + (
            f"{UAI};ECOLE LES TILLEULS;LEBRUN;Lina;Cours préparatoire;CP-CE1 A;LEBRUN;Claire;"
            "c.lebrun;BUNZ57DM\r\n"
        )

    def test_empty_list_is_the_header_alone(self) -> None:
        data = csv_bytes(AccountList(SCHOOL, datetime(2025, 9, 1, tzinfo=UTC), ()))
        assert data == BOM + HEADER.encode("utf-8")

    def test_a_separator_inside_a_cell_is_quoted(self) -> None:
        data = csv_bytes(
            AccountList(SCHOOL, datetime(2025, 9, 1, tzinfo=UTC), (row(class_name="CP; CE1"),))
        )
        assert ';"CP; CE1";' in data.decode("utf-8-sig")


class TestFormulasAreNeutralised:
    """For all cell texts, the CSV read back gives each cell as written, made inert when it
    starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return.
    """

    @given(
        cells=st.lists(
            st.text(
                alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
                max_size=30,
            )
            | st.sampled_from(["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\r=cmd", "=HYPERLINK()"]),
            min_size=6,
            max_size=6,
        )
    )
    def test_round_trip(self, cells: list[str]) -> None:
        student_surname, student_first_name, class_name, surname, first_name, login = cells
        written = row(
            student_surname=student_surname,
            student_first_name=student_first_name,
            class_name=class_name,
            surname=surname,
            first_name=first_name,
            login=login,
        )
        data = csv_bytes(AccountList(SCHOOL, datetime(2025, 9, 1, tzinfo=UTC), (written,)))
        header, back = read_back(data)
        assert ";".join(header) + "\r\n" == HEADER
        assert back == [
            UAI,
            "ECOLE LES TILLEULS",
            inert(student_surname),
            inert(student_first_name),
            "Cours préparatoire",
            inert(class_name),
            inert(surname),
            inert(first_name),
            inert(login),
            "BUNZ57DM",
        ]


class TestCsvFromTheUseCase:
    """The export of a school has one line per (pupil, guardian), the password in clear only while
    provisional, ``******`` once chosen, nothing before notification; its name is
    ``Educonnect-ListeResponsables-AAAAMMJJHHMMSS.csv`` in the users' time.
    """

    def test_password_column_and_name(self) -> None:
        world = school_world(3, timezone=ZoneInfo("Europe/Paris"))
        states = [AccountState.NOT_NOTIFIED, AccountState.NOTIFIED, AccountState.ACTIVATED]
        for guardian, state in zip(world.guardians, states, strict=True):
            bring_to(world, guardian, state)
        document = world.admin.export_csv(UAI)
        assert document.filename == "Educonnect-ListeResponsables-20250901100000.csv"
        assert document.content.startswith(BOM)
        lines = read_back(document.content)[1:]
        by_login = {line[8]: line for line in lines}
        assert len(lines) == 3
        passwords = [by_login[g.login][9] for g in world.guardians]
        provisional = world.admin.account(UAI, world.guardians[1].login).password
        assert passwords == ["", provisional, "******"]
        assert provisional
        for guardian in world.guardians:
            line = by_login[guardian.login]
            assert line[0] == UAI
            assert f"{line[7]} {line[6].upper()}" == guardian.name
