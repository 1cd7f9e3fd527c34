"""The paper notification: real PDFs from the use case, read back with pypdf."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from tests.documents.support import (
    SCHOOL_NAME,
    UAI,
    SchoolWorld,
    bring_to,
    folded,
    pdf_pages,
    school_world,
)

from educonnect_core import AccountState, Channel, LetterKind, compose
from educonnect_pdf import FontNotFound, PdfRenderer, sheets_filename
from educonnect_pdf import fonts as font_module
from educonnect_pdf.sheets import MARGIN, layout_sheet

#: SPEC §4, restated here as the oracle: (state when asked, with reset) → paper letter.
EXPECTED = {
    (AccountState.NOT_NOTIFIED, False): "C01",
    (AccountState.NOT_NOTIFIED, True): "C01",
    (AccountState.NOTIFIED, False): "C01",
    (AccountState.NOTIFIED, True): "C01",
    (AccountState.ACTIVATING, False): "C03",
    (AccountState.ACTIVATING, True): "C05",
    (AccountState.ACTIVATED, False): "C03",
    (AccountState.ACTIVATED, True): "C05",
}
#: A sentence found in one letter only (annex A1).
MARKERS = {
    "C01": "met à la disposition des parents d’élèves",
    "C03": "est toujours valide",
    "C05": "nouveau mot de passe provisoire",
}


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    return PdfRenderer()


def notify_on_paper(
    world: SchoolWorld, states: list[AccountState], reset: bool
) -> tuple[list[str], list[str]]:
    """Bring guardian i to states[i], notify them all at once; the pages and the passwords."""
    for guardian, state in zip(world.guardians, states, strict=True):
        bring_to(world, guardian, state)
    logins = [g.login for g in world.guardians]
    report = world.admin.notify(UAI, logins, Channel.PAPER, reset=reset)
    assert report.document is not None
    passwords = [world.admin.account(UAI, login).password for login in logins]
    return pdf_pages(report.document.content), passwords


def check_page(page: str, world: SchoolWorld, index: int, kind: str, password: str) -> None:
    guardian = world.guardians[index]
    assert f"A l’attention de {guardian.name}." in page
    for child in guardian.children:
        assert child in page
    for other, marker in MARKERS.items():
        assert (marker in page) is (other == kind), (kind, other)
    assert f"{kind} –" in page
    label = "Rappel de votre identifiant" if kind == "C03" else "Identifiant"
    assert f"{label} : {guardian.login}" in page
    if password and password != "******":  # noqa: S105 - the hidden mark.
        assert f"Mot de passe * : {password}" in page
        assert "Votre mot de passe est inchangé." not in page
    else:
        assert "Votre mot de passe est inchangé." in page
        assert "Mot de passe * :" not in page


class TestSheetsFollowTheLetterTable:
    """Each page of the paper notification is the letter of SPEC §4 for its account's state and
    the reset choice, with that guardian's name, children, login and password.
    """

    @pytest.mark.parametrize("reset", [False, True])
    def test_one_page_per_account_in_every_state(self, renderer: PdfRenderer, reset: bool) -> None:
        states = list(AccountState)
        world = school_world(len(states), renderer=renderer)
        pages, passwords = notify_on_paper(world, states, reset)
        assert len(pages) == len(states)
        for index, state in enumerate(states):
            check_page(pages[index], world, index, EXPECTED[state, reset], passwords[index])

    @settings(max_examples=25)
    @given(
        states=st.lists(st.sampled_from(list(AccountState)), min_size=1, max_size=5),
        reset=st.booleans(),
    )
    def test_for_any_mix_of_states(
        self, renderer: PdfRenderer, states: list[AccountState], reset: bool
    ) -> None:
        world = school_world(len(states), renderer=renderer)
        pages, passwords = notify_on_paper(world, states, reset)
        assert len(pages) == len(states)
        for index, state in enumerate(states):
            check_page(pages[index], world, index, EXPECTED[state, reset], passwords[index])

    def test_a_guardian_with_several_children_lists_them_all(self, renderer: PdfRenderer) -> None:
        world = school_world(2, renderer=renderer, children=4)
        pages, passwords = notify_on_paper(world, [AccountState.NOT_NOTIFIED] * 2, False)
        assert len(pages) == 2
        for index in range(2):
            assert len(world.guardians[index].children) == 4
            check_page(pages[index], world, index, "C01", passwords[index])


class TestEveryCharacterPrints:
    """French typography and names from elsewhere come back from the PDF exactly, because DejaVu
    is embedded (no viewer substitution).
    """

    def test_names_and_typography_round_trip(self, renderer: PdfRenderer) -> None:
        world = school_world(8, renderer=renderer)
        report = world.admin.notify(UAI, [g.login for g in world.guardians], Channel.PAPER)
        assert report.document is not None
        pages = pdf_pages(report.document.content)
        text = " ".join(pages)
        needles = ("NGUYỄN", "D’ŒUVRAY", "Sékou", "Maëlys", "Œnone", "FRANÇOISE-ÀLVAREZ", "Ève")
        for needle in needles:
            assert needle in text
        assert folded(SCHOOL_NAME) in text
        assert "l’identifiant et le mot de passe" in text
        assert "vous devrez saisir le mot de passe provisoire ci-dessus" in text

    def test_only_embedded_truetype_fonts_are_used(self, renderer: PdfRenderer) -> None:
        world = school_world(2, renderer=renderer)
        report = world.admin.notify(UAI, [g.login for g in world.guardians], Channel.PAPER)
        assert report.document is not None
        reader = PdfReader(io.BytesIO(report.document.content))
        names = set()
        for page in reader.pages:
            resources: Any = page["/Resources"]
            fonts = resources["/Font"]
            for ref in fonts.values():
                font = ref.get_object()
                names.add(str(font["/BaseFont"]))
                descendant = (
                    font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
                )
                assert "/FontFile2" in descendant["/FontDescriptor"]
        assert names
        assert all("DejaVu" in name for name in names), names


class TestSheetsAreDeterministic:
    """The same letters at the same instant give the same bytes; the PDF's creation date is the
    notification's instant.
    """

    def test_same_input_same_bytes(self, renderer: PdfRenderer) -> None:
        letters = [
            compose(
                LetterKind.C01,
                recipient="Chloé NGUYỄN",
                school_name=SCHOOL_NAME,
                children=("Sékou NGUYỄN",),
                login="c.nguyen",
                password="BUNZ57DM",  # noqa: S106 - the guide's sample.
            )
        ]
        at = datetime(2025, 9, 1, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
        first = renderer.notification_sheets(letters, at)
        second = PdfRenderer().notification_sheets(letters, at)
        assert first.content == second.content
        assert first.filename == "Educonnect-Courriers-20250901103000.pdf" == sheets_filename(at)
        reader = PdfReader(io.BytesIO(first.content))
        assert reader.metadata is not None
        assert str(reader.metadata["/CreationDate"]) == "D:20250901103000+02'00'"
        later = renderer.notification_sheets(letters, at.replace(minute=31))
        assert later.content != first.content

    def test_file_name_uses_the_users_time_zone(self, renderer: PdfRenderer) -> None:
        world = school_world(1, renderer=renderer, timezone=ZoneInfo("Europe/Paris"))
        report = world.admin.notify(UAI, [world.guardians[0].login], Channel.PAPER)
        assert report.document is not None
        local = report.at.astimezone(ZoneInfo("Europe/Paris"))
        assert report.document.filename == f"Educonnect-Courriers-{local:%Y%m%d%H%M%S}.pdf"
        assert local.hour != report.at.astimezone(UTC).hour


class TestOneLetterOnePage:
    """However many children and however long the names, a letter is exactly one page."""

    @settings(max_examples=30)
    @given(
        children=st.lists(
            st.text(alphabet="abcdeéèçœ’ễ ABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1, max_size=60),
            min_size=1,
            max_size=25,
        ),
        kind=st.sampled_from([LetterKind.C01, LetterKind.C03, LetterKind.C05]),
        password=st.none()
        | st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=8, max_size=8),
        letters=st.integers(min_value=1, max_value=3),
    )
    def test_page_count_is_letter_count(
        self,
        renderer: PdfRenderer,
        children: list[str],
        kind: LetterKind,
        password: str | None,
        letters: int,
    ) -> None:
        letter = compose(
            kind,
            recipient="Jean-Christophe DE LA FONTAINE-SAINT-ÉMILION " * 2,
            school_name=SCHOOL_NAME * 2,
            children=tuple(children),
            login="jean-christophe.delafontaine",
            password=password,
        )
        document = renderer.notification_sheets(
            [letter] * letters, datetime(2025, 9, 1, tzinfo=UTC)
        )
        pages = pdf_pages(document.content)
        assert len(pages) == letters
        assert "jean-christophe.delafontaine" in pages[-1]
        if password is not None:
            assert password in pages[-1]

    def test_no_letter_no_document(self, renderer: PdfRenderer) -> None:
        with pytest.raises(ValueError, match="at least one letter"):
            renderer.notification_sheets([], datetime(2025, 9, 1, tzinfo=UTC))


class TestFontIsFoundOrNamed:
    """The renderer finds DejaVu where it is told, and says clearly where it looked otherwise."""

    def test_missing_font_is_a_clear_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(font_module, "SYSTEM_FOLDERS", ())
        monkeypatch.setattr(font_module, "_matplotlib_folder", list)
        monkeypatch.delenv("EDUCONNECT_FONT_DIR", raising=False)
        with pytest.raises(FontNotFound) as caught:
            PdfRenderer(font_dir=tmp_path)
        assert "DejaVuSans.ttf" in caught.value.missing
        assert str(tmp_path) in caught.value.searched
        assert "fonts-dejavu-core" in str(caught.value)
        assert "police" in caught.value.french

    def test_a_font_folder_of_ones_own(
        self, renderer: PdfRenderer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
            source = next(
                Path(folder) / name
                for folder in font_module.font_folders()
                if (Path(folder) / name).is_file()
            )
            shutil.copy(source, tmp_path / name)
        monkeypatch.setattr(font_module, "SYSTEM_FOLDERS", ())
        monkeypatch.setattr(font_module, "_matplotlib_folder", list)
        monkeypatch.setenv("EDUCONNECT_FONT_DIR", str(tmp_path))
        own = PdfRenderer()
        assert own.fonts != renderer.fonts
        letter = compose(
            LetterKind.C03,
            recipient="Ève NOËL",
            school_name="École",
            children=("Zoé NOËL",),
            login="e.noel",
            password=None,
        )
        pages = pdf_pages(
            own.notification_sheets([letter], datetime(2025, 9, 1, tzinfo=UTC)).content
        )
        assert "Ève NOËL" in pages[0]
        assert "Votre mot de passe est inchangé." in pages[0]


class TestLongValuesStayOnTheSheet:
    """A name or a school name of absurd length (one 100-letter word) stays within the page:
    every line of the sheet fits its width, the word cut with an ellipsis, and the sheet is still
    one page (issue 9 item 14).
    """

    def test_every_line_fits(self, renderer: PdfRenderer) -> None:
        word = "W" * 100
        letter = compose(
            LetterKind.C01,
            recipient=f"Hubert {word}",
            school_name=word,
            children=(f"Lou {word}",) * 12,
            login="h.w",
            password="k7PxW2mQ",  # noqa: S106 - a made-up provisional password.
        )
        width = A4[0] - 2 * MARGIN
        for line in layout_sheet(letter, renderer.fonts, width, 11.0):
            assert line.indent + stringWidth(line.text, line.font, line.size) <= width, line
        assert any(
            line.text.endswith("W…") for line in layout_sheet(letter, renderer.fonts, width, 11.0)
        )
        pages = pdf_pages(
            renderer.notification_sheets([letter], datetime(2025, 9, 1, tzinfo=UTC)).content
        )
        assert len(pages) == 1
        assert "k7PxW2mQ" in pages[0]
