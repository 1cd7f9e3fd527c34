"""The PDF list of accounts (guide §5.4) from the export use case, read back with pypdf."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
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

from educonnect_core import AccountList, AccountState, Channel, School, Selection
from educonnect_core.services.exports import CSV_HEADER
from educonnect_pdf import FOOTNOTE, GUIDE_HEADER, PdfRenderer


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
