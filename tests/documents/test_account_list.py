"""The PDF list of accounts (guide §5.4) from the export use case, read back with pypdf."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from tests.documents.support import (
    CLASSES,
    SCHOOL_NAME,
    UAI,
    bring_to,
    folded,
    pdf_pages,
    school_world,
)

from educonnect_aaf import read_onde
from educonnect_core import (
    AccountList,
    AccountState,
    Channel,
    Director,
    InvalidField,
    LetterKind,
    Level,
    Login,
    Responsable,
    School,
    SchoolClass,
    Selection,
    Student,
    Uai,
    compose,
)
from educonnect_core.domain.lifecycle import Origin
from educonnect_core.domain.selection import ResponsableRow
from educonnect_core.services.exports import CSV_HEADER
from educonnect_core.testing import in_memory_world
from educonnect_pdf import FOOTNOTE, GUIDE_HEADER, PdfRenderer, account_list_pdf


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    return PdfRenderer()


def header_in(page: str, header: tuple[str, ...]) -> bool:
    """Whether the table's header row is on the page (cells may wrap inside)."""
    return folded(" ".join(header)) in page


class TestListShowsTheGuidesLayout:
    """The list has the creation date, « Ecole : UAI - nom », the guide's columns, one row per
    (pupil, guardian) with the password rules of §5.4, and the footnote.
    """

    def test_layout_and_password_column(self, renderer: PdfRenderer) -> None:
        world = school_world(4, renderer=renderer, timezone=ZoneInfo("Europe/Paris"))
        states = [
            AccountState.NOT_NOTIFIED,
            AccountState.NOTIFIED,
            AccountState.ACTIVATING,
            AccountState.ACTIVATED,
        ]
        for guardian, state in zip(world.guardians, states, strict=True):
            bring_to(world, guardian, state)
        world.clock.set(datetime(2025, 9, 30, 22, 15, 7, tzinfo=UTC))
        document = world.admin.export_pdf(UAI)
        assert document.media_type == "application/pdf"
        assert document.filename == "Educonnect-ListeResponsables-20251001001507.pdf"
        csv = world.admin.export_csv(UAI)
        assert csv.filename.removesuffix(".csv") == document.filename.removesuffix(".pdf")
        pages = pdf_pages(document.content)
        text = " ".join(pages)
        assert "Date de création : 01/10/2025" in text
        assert f"Ecole : {UAI} - {folded(SCHOOL_NAME)}" in text
        assert "Liste des responsables :" in text
        assert header_in(pages[0], GUIDE_HEADER)
        assert folded(FOOTNOTE) in pages[-1]
        for guardian, state in zip(world.guardians, states, strict=True):
            password = world.admin.account(UAI, guardian.login).password
            assert guardian.login in text
            if state is AccountState.NOT_NOTIFIED:
                assert not password
            elif state is AccountState.NOTIFIED:
                assert password
                assert f"{guardian.login} {password}" in text
            else:
                assert f"{guardian.login} ******" in text

    def test_the_ten_csv_columns_on_request(self) -> None:
        world = school_world(2, renderer=PdfRenderer(all_columns=True))
        pages = pdf_pages(world.admin.export_pdf(UAI).content)
        reader_header = (*CSV_HEADER[:-1], CSV_HEADER[-1] + " *")
        assert header_in(pages[0], reader_header)
        assert f"{UAI} " in pages[0].split("Mot de passe *", 1)[1]


class TestLongListsRepeatTheirHeader:
    """A list longer than a page goes on over several pages, each starting with the table's
    header row, and no row is lost or repeated.
    """

    def test_every_page_has_the_header_and_every_row_is_there_once(
        self, renderer: PdfRenderer
    ) -> None:
        world = school_world(90, renderer=renderer, with_email=False)
        world.admin.notify(UAI, Selection(), Channel.PAPER)
        document = world.admin.export_pdf(UAI)
        pages = pdf_pages(document.content)
        assert len(pages) > 2
        for number, page in enumerate(pages, start=1):
            assert header_in(page, GUIDE_HEADER), number
            assert f"Page {number}" in page
        text = " ".join(pages)
        for guardian in world.guardians:
            password = world.admin.account(UAI, guardian.login).password
            assert text.count(f" {guardian.login} {password} ") == 1, guardian.login
        reader = PdfReader(io.BytesIO(document.content))
        assert reader.metadata is not None
        assert str(reader.metadata["/CreationDate"]) == "D:20250901080000+00'00'"


class TestTeachersClassList:
    """The export filtered on one class is that class's list, titled with its name."""

    def test_one_class(self, renderer: PdfRenderer) -> None:
        world = school_world(6, renderer=renderer)
        pages = pdf_pages(world.admin.export_pdf(UAI, Selection(class_ids={"70002"})).content)
        text = " ".join(pages)
        assert f"Liste des responsables de la classe {CLASSES['70002']} :" in text
        for index, guardian in enumerate(world.guardians):
            in_class = index % 2 == 1
            assert (f" {guardian.login} " in text) is in_class, guardian.login


class TestListIsDeterministic:
    """The same list gives the same bytes; an empty selection still gives a valid list."""

    def test_same_bytes(self, renderer: PdfRenderer) -> None:
        world = school_world(3, renderer=renderer)
        listing = world.admin.account_list(UAI)
        assert renderer.account_list(listing).content == PdfRenderer().account_list(listing).content

    def test_empty_list(self, renderer: PdfRenderer) -> None:
        listing = AccountList(
            School.create(UAI, "École & <Cie>"), datetime(2025, 9, 1, tzinfo=UTC), ()
        )
        pages = pdf_pages(renderer.account_list(listing).content)
        assert len(pages) == 1
        assert "Ecole : 0999901Z - École & <Cie>" in pages[0]
        assert header_in(pages[0], GUIDE_HEADER)


# -- Issue 10 item 10 and issue 9 item 14: whole words, and any accepted value fits -------------

ONDE_UAI = "0610001V"


def whole_pattern(value: str, breaks: str = "-") -> re.Pattern[str]:
    """A pattern finding `value` in extracted text as a whole: the text may only have broken it
    after a space or one of `breaks` (« Marc- André »), never inside a word.
    """
    parts = re.split(f"(?<=[ {re.escape(breaks)}])", " ".join(value.split()))
    body = ""
    for part in parts[:-1]:
        body += re.escape(part.rstrip(" ")) + (r"\s+" if part.endswith(" ") else r"\s?")
    body += re.escape(parts[-1])
    return re.compile(rf"(?<!\S){body}(?!\S)")


def assert_every_cell_whole(text: str, listing: AccountList) -> None:
    """Each name, login and password of the list is found whole in `text` at least as many
    times as there are cells holding it.
    """
    cells: Counter[tuple[str, str]] = Counter()
    for row in listing.rows:
        for value in (row.student_surname, row.student_first_name, row.surname, row.first_name):
            cells[value, "-"] += 1
        cells[row.login, ".-"] += 1
        if row.password:
            cells[row.password, ""] += 1
    for (value, breaks), count in cells.items():
        found = len(whole_pattern(value, breaks).findall(text))
        assert found >= count, (value, found, count)


def row_of(
    number: int,
    *,
    surname: str,
    first_name: str,
    pupil_surname: str | None = None,
    pupil_first_name: str = "Lou",
    level: str | None = "CE1",
    class_name: str = "CE1 A",
    login: str | None = None,
    password: str = "k7PxW2mQ",  # noqa: S107 - a made-up provisional password.
) -> ResponsableRow:
    """One list row built from values the domain accepts (each goes through its parser)."""
    student = Student.create(
        f"S{number}",
        surname=pupil_surname or surname,
        first_name=pupil_first_name,
        birth_date=date(2017, 1, 1),
        uai=UAI,
        class_id="C1",
        level=level,
    )
    guardian = Responsable.create(f"R{number}", surname=surname, first_name=first_name)
    return ResponsableRow(
        uai=UAI,
        student_id=student.student_id,
        student_surname=student.surname,
        student_first_name=student.first_name,
        student_birth_date=student.birth_date,
        class_id="C1",
        class_name=SchoolClass.create("C1", UAI, class_name).name,
        level=student.level,
        account_id=guardian.responsable_id,
        login=Login.parse(login or f"x.{number}").value,
        surname=guardian.surname,
        first_name=guardian.first_name,
        has_email=False,
        origin=Origin.NONE,
        state=AccountState.NOTIFIED,
        distributed_at=None,
        last_login_at=None,
        password=password,
    )


def listing_of(rows: list[ResponsableRow], school_name: str = "Ecole") -> AccountList:
    return AccountList(
        School.create(UAI, school_name), datetime(2025, 9, 1, tzinfo=UTC), tuple(rows)
    )


LONG_NAMES = [
    row_of(1, surname="BOUZEHOUANE", first_name="Marc-André", login="m.bouzehouane"),
    row_of(
        2,
        surname="DE LA TOUR D’AUVERGNE-LAURAGUAIS",
        first_name="Marie-Bénédicte-Françoise",
        pupil_first_name="Jean-Baptiste-Alexandre",
        login="m.de-la-tour-dauvergne-lauraguais",
        class_name="CP-CE1-CE2 classe unique – Mme Nguyễn-Bouzehouane",
    ),
    row_of(
        3,
        surname="NGUYỄN-VAN-THIỆU-BOUZEHOUANE",
        first_name="Maximilien",
        login="m.nguyen-van-thieu-bouzehouane2",
        level="CM2",
    ),
]
#: A 35-letter word: wider than the guide's name column even at the smallest size.
TOO_LONG = "WOLFESCHLEGELSTEINHAUSENBERGERDORFF"


class TestNoWordIsCutInTheList:
    """The account list breaks a cell only after a space or a hyphen (a login after a dot or a
    hyphen), never inside a word: every name, login and password of the shared ONDE sample and
    of long names reads whole; the level column holds the short code.
    """

    def test_long_names(self, renderer: PdfRenderer) -> None:
        listing = listing_of(LONG_NAMES)
        for all_columns in (False, True):
            content = account_list_pdf(listing, renderer.fonts, all_columns=all_columns)
            assert_every_cell_whole(" ".join(pdf_pages(content)), listing)

    def test_a_word_wider_than_its_column_is_cut_with_an_ellipsis(
        self, renderer: PdfRenderer
    ) -> None:
        listing = listing_of([row_of(4, surname=TOO_LONG, first_name="Hubert", login="h.w")])
        text = " ".join(pdf_pages(renderer.account_list(listing).content))
        cut = re.findall(r"(?<!\S)(WOLFE[A-Z]*)…(?!\S)", text)
        assert len(cut) == 2  # the pupil's and the guardian's surname
        assert all(TOO_LONG.startswith(prefix) for prefix in cut)
        assert "DORFF" not in text

    def test_level_is_the_short_code(self, renderer: PdfRenderer) -> None:
        pages = pdf_pages(renderer.account_list(listing_of(LONG_NAMES[:1])).content)
        assert " CE1 CE1 A " in pages[0]
        assert "Cours élémentaire" not in pages[0]

    def test_shared_onde_sample(self, shared: Path, renderer: PdfRenderer) -> None:
        folder = shared / "reference" / "aaf" / "onde-csv-sample"
        world = in_memory_world(seed=3)
        reading = read_onde(folder, uai=ONDE_UAI, school_name="Ecole primaire Emile Zola")
        world.app.integrate(reading.snapshot, reading.rejections)
        admin = world.app.administration(Director("d", {Uai.parse(ONDE_UAI)}))
        admin.notify(ONDE_UAI, Selection(), Channel.PAPER)
        listing = admin.account_list(ONDE_UAI)
        assert len(listing.rows) > 400
        assert any("BOUZEHOUANE" in row.surname for row in listing.rows)
        text = " ".join(pdf_pages(renderer.account_list(listing).content))
        assert_every_cell_whole(text, listing)


def accepted(parse: Callable[[str], object]) -> Callable[[str], bool]:
    def check(raw: str) -> bool:
        try:
            parse(raw)
        except InvalidField:
            return False
        return True

    return check


_ODD = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp", "Mn", "Me")
)
#: Names as the domain accepts them: up to 100 printable characters, long words included.
names = st.one_of(
    st.text(_ODD, min_size=1, max_size=100),
    st.builds(lambda n, c: c * n, st.integers(30, 100), st.sampled_from("WMÉ-")),
    st.lists(st.sampled_from(["BOUZEHOUANE", "Marc-André", "D’ŒUVRAY", "-", " "]), min_size=1).map(
        "".join
    ),
).filter(accepted(lambda raw: School.create(UAI, raw)))
#: Level codes: any non-empty code is kept, up to the feed's 10,000-character values.
levels = st.one_of(
    st.sampled_from(["CE1", "ULIS", "CP-CE1"]),
    st.text(_ODD, min_size=1, max_size=300),
    st.builds(lambda n: "X" * n, st.integers(1000, 9000)),
    st.builds(lambda n: "niveau " * n, st.integers(100, 1300)),
).filter(accepted(Level.parse))
logins = st.from_regex(r"[a-z0-9][a-z0-9.\-]{0,62}[a-z0-9]", fullmatch=True)


class TestAnyAcceptedValueRenders:
    """Whatever value the domain accepts (names and school names up to 100 characters, a level
    label of 9,000, a 64-character login), the account list (both layouts) and the notification
    sheets render and read back, on as many pages as their content needs.
    """

    @settings(max_examples=15, deadline=None)
    @given(
        school=names,
        class_name=names,
        surname=names,
        first_name=names,
        level=levels,
        login=logins,
    )
    def test_list_and_sheets(  # noqa: PLR0917 - one parameter per generated value.
        self, school: str, class_name: str, surname: str, first_name: str, level: str, login: str
    ) -> None:
        renderer = PdfRenderer()
        row = row_of(
            1,
            surname=surname,
            first_name=first_name,
            level=level,
            class_name=class_name,
            login=login,
        )
        listing = listing_of([row, row_of(2, surname="MARTIN", first_name="Léa")], school)
        for all_columns in (False, True):
            content = account_list_pdf(listing, renderer.fonts, all_columns=all_columns)
            assert "MARTIN" in " ".join(pdf_pages(content))
        letters = [
            compose(
                kind,
                recipient=f"{first_name} {surname}",
                school_name=school,
                children=(f"{first_name} {surname}",) * 3,
                login=row.login,
                password="k7PxW2mQ",  # noqa: S106 - a made-up provisional password.
            )
            for kind in (LetterKind.C01, LetterKind.C03, LetterKind.C05)
        ]
        sheets = renderer.notification_sheets(letters, datetime(2025, 9, 1, tzinfo=UTC))
        pages = pdf_pages(sheets.content)
        assert len(pages) == 3
        assert all("k7PxW2mQ" in page for page in pages)
        assert all(row.login in page.replace(" ", "") for page in pages)
