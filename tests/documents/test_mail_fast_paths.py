"""The relay's per-message shortcuts in the e-mail builder change nothing in the e-mails.

`html_body` escapes a letter in one pass and finds the links in the escaped text; `_qp` turns
line ends into CR LF with string replacements; `_header_text` remembers its encodings. Each is
checked against the plain, line-by-line way it replaced (written out here as the reference).
"""

from __future__ import annotations

import binascii
import html
import re
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.documents.test_mail_message import SENDER, outbox_message

from educonnect_core import LetterKind
from educonnect_mail.message import _header_text, _qp, _qp_lines, html_body, outgoing_bytes

_URL = re.compile(r"https?://\S+")
_CREDENTIALS = ("Identifiant :", "Rappel de votre identifiant :", "Mot de passe * :")


def reference_inline(line: str) -> str:
    """Each piece escaped on its own, each URL linked: the former `_inline`."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(line):
        out.append(html.escape(line[last : match.start()]))
        url = match.group(0)
        out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>')
        last = match.end()
    out.append(html.escape(line[last:]))
    text = "".join(out)
    return f"<strong>{text}</strong>" if line.startswith(_CREDENTIALS) else text


def reference_html(lines: Sequence[str], title: str) -> str:
    """The former `html_body`, one line at a time."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    for line in [*lines, ""]:
        listed = line.startswith("- ")
        if paragraph and (listed or not line):
            blocks.append("<p>" + "<br>\n".join(paragraph) + "</p>")
            paragraph.clear()
        if items and not listed:
            blocks.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()
        if listed:
            items.append(reference_inline(line[2:]))
        elif line:
            paragraph.append(reference_inline(line))
    body = "\n".join(blocks)
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        '<body style="font-family: Arial, Helvetica, sans-serif; font-size: 15px; '
        'line-height: 1.45; color: #1a1a1a;">\n'
        f"{body}\n</body>\n</html>\n"
    )


#: Pieces that make the cases: URLs, characters HTML escapes, line ends, list and credential
#: prefixes, entity look-alikes.
_PIECES = st.sampled_from(
    [
        "https://ent.example.org/activer?jeton=ab&c=<1>",
        "http://x.fr/\"q'",
        "https://",
        "&amp;",
        "&",
        "<",
        ">",
        '"',
        "'",
        " ",
        "\n",
        "\r",
        "- ",
        "Mot de passe * : ",
        "Identifiant : ",
        "é",
        "http",
        "://",
    ]
)
_LINE = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=8).map("".join)


class TestHtmlBodyIsTheLineByLineOne:
    """Escaping the whole letter at once gives, for any lines, the HTML the line-by-line
    escaping gave: same text, same links, same bold lines.
    """

    @settings(max_examples=300)
    @given(lines=st.lists(_LINE, max_size=12), title=st.text(max_size=20))
    def test_same_html(self, lines: list[str], title: str) -> None:
        assert html_body(lines, title) == reference_html(lines, title)

    def test_link_with_escaped_characters(self) -> None:
        lines = ["Activez : https://e.fr/a?x=1&y=<2> ici", "- Mot de passe * : a<b"]
        assert html_body(lines, "t") == reference_html(lines, "t")
        assert '<a href="https://e.fr/a?x=1&amp;y=&lt;2&gt;">' in html_body(lines, "t")

    def test_line_holding_a_line_feed(self) -> None:
        lines = ["un\ndeux", "- trois", "http://a.fr/\n<b>"]
        assert html_body(lines, "t") == reference_html(lines, "t")


class TestQuotedPrintableLineEnds:
    """`_qp` makes every line end CR LF, as the expression it replaced did."""

    @settings(max_examples=300)
    @given(text=st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=12).map("".join))
    def test_same_bytes(self, text: str) -> None:
        crlf = re.sub(r"\r\n|\r|\n", "\r\n", text)
        assert _qp(text) == binascii.b2a_qp(crlf.encode("utf-8"), istext=True)


class TestBatchOfEncodedLines:
    """Encoding line by line through a batch's memo gives the bytes of the whole text."""

    @settings(max_examples=300)
    @given(lines=st.lists(_LINE, max_size=12))
    def test_same_bytes(self, lines: list[str]) -> None:
        text = "\n".join(lines) + "\n"
        encoded: dict[str, bytes] = {}
        assert _qp_lines(text, encoded) == _qp(text)
        assert _qp_lines(text, encoded) == _qp(text)  # from the memo this time
        assert _qp_lines(text.rstrip("\n"), encoded) == _qp(text.rstrip("\n"))

    def test_a_batch_of_letters(self) -> None:
        messages = [
            outbox_message(kind, recipient=f"Zoé NOËL{n}")
            for n, kind in enumerate([LetterKind.C02, LetterKind.C04, LetterKind.C02] * 3)
        ]
        encoded: dict[str, bytes] = {}
        batch = [outgoing_bytes(m, SENDER, encoded=encoded) for m in messages]
        assert batch == [outgoing_bytes(m, SENDER) for m in messages]
        assert encoded  # the memo was used


class TestRememberedSubject:
    """A remembered encoding is the encoding of that text, whatever came before."""

    def test_each_text_its_own_encoding(self) -> None:
        first = _header_text("Mise à disposition")
        second = _header_text("Mise à jour")
        assert first != second
        assert _header_text("Mise à disposition") == first
        assert _header_text("ASCII only") == "ASCII only"
