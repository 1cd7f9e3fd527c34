"""The e-mails built from outbox messages: headers, UTF-8 text, HTML alternative."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from educonnect_core import Email, LetterKind, LetterSettings, OutboxMessage, compose
from educonnect_mail import (
    RecipientRefused,
    Sender,
    build_message,
    message_bytes,
    text_body,
    wire_bytes,
)

SENDER = Sender("ne-pas-repondre@ac-exemple.fr")
AT = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
SETTINGS = LetterSettings(activation_url="https://ent.example.org/activer?jeton=")


def outbox_message(
    kind: LetterKind, *, recipient: str = "Chloé NGUYỄN", **extra: str
) -> OutboxMessage:
    letter = compose(
        kind,
        recipient=recipient,
        school_name=extra.get("school", "ÉCOLE « Les Tilleuls »"),
        children=(extra.get("child", "Sékou NGUYỄN"), "Zoé NGUYỄN"),
        login="c.nguyen",
        password=None if kind in (LetterKind.C04, LetterKind.C07) else "BUNZ57DM",
        activation_token="0123abcd" if kind is LetterKind.C07 else None,
        settings=SETTINGS,
    )
    return OutboxMessage("m0001", "6000001", Email.parse("chloe@example.org"), letter, AT)


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str | None]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(text, EmailMessage)
    # Read from the wire, line ends are CRLF; compare texts with plain newlines.
    return (
        str(text.get_content()).replace("\r\n", "\n"),
        None if not isinstance(html, EmailMessage) else str(html.get_content()),
    )


class TestMessagesCarryTheLetter:
    """Each e-mail letter has the annex's subject and sender name, the configured address, and
    the letter's lines as UTF-8 text and as HTML.
    """

    @pytest.mark.parametrize(
        "kind", [LetterKind.C02, LetterKind.C04, LetterKind.C06, LetterKind.C07]
    )
    def test_headers_and_bodies(self, kind: LetterKind) -> None:
        outgoing = outbox_message(kind)
        data = message_bytes(build_message(outgoing, SENDER))
        assert data.isascii()
        assert b"\r\n" in data
        assert b"\n" not in data.replace(b"\r\n", b"")
        received = parse(data)
        assert received["Subject"] == outgoing.letter.subject
        assert received["From"].addresses[0].display_name == "Administrateur des services en ligne"
        assert received["From"].addresses[0].addr_spec == "ne-pas-repondre@ac-exemple.fr"
        assert received["To"].addresses[0].addr_spec == "chloe@example.org"
        assert received["To"].addresses[0].display_name == "Chloé NGUYỄN"
        assert received["Message-ID"] == "<m0001@ac-exemple.fr>"
        assert received["Auto-Submitted"] == "auto-generated"
        assert received.get_content_type() == "multipart/alternative"
        text, html = parts(received)
        plain = received.get_body(("plain",))
        assert plain is not None
        assert plain.get_content_charset() == "utf-8"
        assert plain["Content-Transfer-Encoding"] == "quoted-printable"
        assert text == "\n".join(outgoing.letter.lines) + "\n"
        assert html is not None
        if kind is not LetterKind.C07:
            assert "<li>Sékou NGUYỄN</li>" in html
            assert "Zoé NGUYỄN" in html
        assert '<a href="https://educonnect.education.gouv.fr/educt-aide/contacts/">' in html

    def test_activation_link_from_the_configured_base(self) -> None:
        received = parse(message_bytes(build_message(outbox_message(LetterKind.C07), SENDER)))
        text, html = parts(received)
        assert "https://ent.example.org/activer?jeton=0123abcd\n" in text
        assert html is not None
        assert '<a href="https://ent.example.org/activer?jeton=0123abcd">' in html

    def test_text_only_on_request(self) -> None:
        received = parse(
            message_bytes(build_message(outbox_message(LetterKind.C02), SENDER, html=False))
        )
        assert received.get_content_type() == "text/plain"
        assert parts(received)[1] is None

    def test_configured_sender_name_wins(self) -> None:
        sender = Sender("dir.0999901z@ac-exemple.fr", "École « Les Tilleuls »")
        received = parse(message_bytes(build_message(outbox_message(LetterKind.C02), sender)))
        assert received["From"].addresses[0].display_name == "École « Les Tilleuls »"


class TestNothingInjects:
    """Names from the directory cannot add headers or markup to an e-mail."""

    def test_header_injection_is_neutralised(self) -> None:
        outgoing = outbox_message(LetterKind.C02, recipient="Eve\r\nBcc: spy@evil.example")
        received = parse(message_bytes(build_message(outgoing, SENDER)))
        assert received["Bcc"] is None
        assert received["To"].addresses[0].addr_spec == "chloe@example.org"

    def test_markup_is_escaped(self) -> None:
        outgoing = outbox_message(LetterKind.C02, school="<script>alert(1)</script> & Cie")
        _, html = parts(parse(message_bytes(build_message(outgoing, SENDER))))
        assert html is not None
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cie" in html

    @settings(max_examples=60)
    @given(
        recipient=st.text(min_size=1, max_size=60).filter(lambda s: s.strip()),
        child=st.text(min_size=1, max_size=60).filter(lambda s: s.strip()),
        school=st.text(min_size=1, max_size=80),
    )
    def test_any_text_round_trips(self, recipient: str, child: str, school: str) -> None:
        outgoing = outbox_message(LetterKind.C02, recipient=recipient, child=child, school=school)
        received = parse(message_bytes(build_message(outgoing, SENDER)))
        text, _ = parts(received)
        expected = text_body(outgoing.letter.lines).replace("\r\n", "\n").replace("\r", "\n")
        assert text == expected
        assert received["To"].addresses[0].addr_spec == "chloe@example.org"
        assert set(received.keys()) == {
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "Auto-Submitted",
            "Content-Language",
            "Content-Type",
            "MIME-Version",
        }


class TestBadAddresses:
    """An address that cannot be written in a header is refused for that message only."""

    def test_unwritable_recipient(self) -> None:
        outgoing = outbox_message(LetterKind.C02)
        bad = OutboxMessage("m2", "6000002", Email('"odd"@@example.org'), outgoing.letter, AT)
        with pytest.raises(RecipientRefused) as caught:
            build_message(bad, SENDER)
        assert caught.value.message_id == "m2"
        assert caught.value.recipient == '"odd"@@example.org'

    def test_sender_address_is_validated(self) -> None:
        with pytest.raises(ValueError, match="adresse"):
            Sender("not an address")


def readable(data: bytes) -> tuple[dict[str, str], str, str | None]:
    message = parse(data)
    headers = {key: str(message[key]) for key in message if key != "Content-Type"}
    text, html = parts(message)
    return headers, text, html


class TestFastWireFormIsTheSameEmail:
    """For all names, `wire_bytes` (what the mailers send) reads back exactly like the message
    the `email` package builds: same headers, same text, same HTML, CRLF only, lines < 998.
    """

    @settings(max_examples=60)
    @given(
        recipient=st.text(min_size=1, max_size=120).filter(lambda s: s.strip()),
        child=st.text(min_size=1, max_size=60).filter(lambda s: s.strip()),
        school=st.text(min_size=1, max_size=80),
        kind=st.sampled_from([LetterKind.C02, LetterKind.C04, LetterKind.C06, LetterKind.C07]),
        html=st.booleans(),
    )
    def test_same_email(
        self, recipient: str, child: str, school: str, kind: LetterKind, html: bool
    ) -> None:
        outgoing = outbox_message(kind, recipient=recipient, child=child, school=school)
        fast = wire_bytes(outgoing, SENDER, html=html)
        slow = message_bytes(build_message(outgoing, SENDER, html=html))
        assert fast.isascii()
        assert b"\n" not in fast.replace(b"\r\n", b"")
        assert max(len(line) for line in fast.split(b"\r\n")) < 998
        fast_headers, fast_text, fast_html = readable(fast)
        slow_headers, slow_text, slow_html = readable(slow)
        assert (fast_text, fast_html) == (slow_text, slow_html)
        to = parse(fast)["To"].addresses[0]
        shown = re.sub(r"[\x00-\x1f\x7f]", " ", recipient)
        assert " ".join(to.display_name.split()) == " ".join(shown.split())
        assert to.addr_spec == "chloe@example.org"
        assert parse(fast)["Subject"] == outgoing.letter.subject
        # The email package's own folding may add a space between encoded words: compare
        # those two headers without spaces, the others exactly.
        for name in ("To", "Subject"):
            assert fast_headers.pop(name).replace(" ", "") == slow_headers.pop(name).replace(
                " ", ""
            )
        assert fast_headers == slow_headers
        assert parse(fast).get_content_type() == parse(slow).get_content_type()
        assert (parse(fast).get_body(("html",)) is None) is (not html)
