"""Building the e-mail of an `OutboxMessage` with the standard `email` package: the letter's
lines as UTF-8 text (quoted-printable, readable by every client and safe over any relay), and an
HTML alternative with clickable links; the annex's sender name with a configured address.

The wording is the core's (`LetterContent.lines`, `subject`, `sender`): nothing is re-typed
here. The activation link is already in the C07 lines, made by the core from the configured
`LetterSettings.activation_url` and a token, never from request data.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import html
import re
from collections.abc import Sequence
from datetime import datetime
from email import policy as email_policy
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Final

import attrs

from educonnect_core.domain.records import OutboxMessage
from educonnect_core.domain.values import Email
from educonnect_mail.errors import MessageRefused, RecipientRefused

__all__ = [
    "Sender",
    "build_message",
    "check_header_values",
    "html_body",
    "message_bytes",
    "outgoing_bytes",
    "text_body",
    "wire_bytes",
]

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]+")
#: What a header value taken as it is (address, message id) must never hold: it would end
#: the header, or the message, or drive a terminal.
_HEADER_BREAKER: Final = re.compile(r"[\r\n\x00\x1b]")
_BARE_LF: Final = re.compile(r"(?<!\r)\n")
_URL: Final = re.compile(r"https?://\S+")
#: Lines of the letters that show the login and the password (set in bold in HTML).
_CREDENTIALS: Final = ("Identifiant :", "Rappel de votre identifiant :", "Mot de passe * :")


def _address(raw: str) -> str:
    return Email.parse(raw, record="expéditeur", field="adresse").value


@attrs.frozen
class Sender:
    """Who the e-mails come from: an address of the host's domain, and a display name (by
    default the letter's own, « Administrateur des services en ligne »).
    """

    address: str = attrs.field(converter=_address)
    name: str | None = None

    @property
    def domain(self) -> str:
        """The domain of the address, used in the Message-ID."""
        return self.address.rpartition("@")[2]


def _display(name: str) -> str:
    return _CONTROL.sub(" ", name).strip()


def text_body(lines: Sequence[str]) -> str:
    """The plain-text body: the letter's lines as they are, one per line."""
    return "\n".join(lines) + "\n"


def _link(match: re.Match[str]) -> str:
    url = match.group(0)  # already escaped: the href and the text are the same
    return f'<a href="{url}">{url}</a>'


def _inline(line: str, escaped: str) -> str:
    """`line` as HTML, given `escaped` (its `html.escape`): URLs as links, the login and
    password lines in bold. Escaping never makes or unmakes a URL (it changes no blank, and
    ``&amp;``, ``&lt;``, ``&quot;``… hold no ``://``), so the links are found in `escaped`.
    """
    text = _URL.sub(_link, escaped) if "http" in escaped else escaped
    return f"<strong>{text}</strong>" if line.startswith(_CREDENTIALS) else text


def _escaped_lines(lines: Sequence[str]) -> Sequence[str]:
    """`html.escape` of each line, in one pass over the letter (a line holding a line feed,
    which would break the split, is escaped on its own).
    """
    escaped = html.escape("\n".join(lines)).split("\n")
    if len(escaped) != len(lines):
        return [html.escape(line) for line in lines]
    return escaped


def html_body(lines: Sequence[str], title: str) -> str:
    """The HTML alternative: paragraphs at the empty lines, ``- `` lines as a list, URLs as
    links; every piece of text escaped.
    """
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush_items() -> None:
        if items:
            blocks.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
            items.clear()

    def flush_paragraph() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>\n".join(paragraph) + "</p>")
            paragraph.clear()

    for line, escaped in zip(lines, _escaped_lines(lines), strict=True):
        if not line:
            flush_items()
            flush_paragraph()
        elif line.startswith("- "):
            flush_paragraph()
            items.append(_inline(line[2:], escaped[2:]))
        else:
            flush_items()
            paragraph.append(_inline(line, escaped))
    flush_items()
    flush_paragraph()
    body = "\n".join(blocks)
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        '<body style="font-family: Arial, Helvetica, sans-serif; font-size: 15px; '
        'line-height: 1.45; color: #1a1a1a;">\n'
        f"{body}\n</body>\n</html>\n"
    )


def check_header_values(message: OutboxMessage, sender: Sender) -> None:
    """Refuse a message whose recipient, sender address or id holds CR, LF, NUL or ESC (they
    are written into headers as they are; names and subjects are cleaned by `_display`):
    `RecipientRefused` or `MessageRefused`.
    """
    to = message.to.value
    if _HEADER_BREAKER.search(to):
        raise RecipientRefused(message.message_id, to, "control character in the address")
    if _HEADER_BREAKER.search(sender.address):
        raise MessageRefused(message.message_id, to, "control character in the sender address")
    if _HEADER_BREAKER.search(message.message_id):
        raise MessageRefused(message.message_id, to, "control character in the message id")


def build_message(message: OutboxMessage, sender: Sender, *, html: bool = True) -> EmailMessage:
    """The e-mail of `message`: From (sender name and address), To (the guardian), Subject,
    Date, a Message-ID made from the outbox id (so a copy delivered twice is recognisable),
    ``Auto-Submitted: auto-generated``, the text body and, if `html`, the HTML alternative.

    Raises `RecipientRefused` when the recipient's address cannot be written in a header.
    """
    check_header_values(message, sender)
    letter = message.letter
    subject = letter.subject or letter.kind.title
    mail = EmailMessage(policy=email_policy.SMTP)
    name = _display(sender.name or letter.sender or "")
    try:
        mail["From"] = Address(display_name=name, addr_spec=sender.address)
    except (ValueError, HeaderParseError, IndexError) as error:
        raise MessageRefused(
            message.message_id, message.to.value, f"bad sender: {error}"
        ) from error
    try:
        mail["To"] = Address(display_name=_display(letter.recipient), addr_spec=message.to.value)
    except (ValueError, HeaderParseError, IndexError) as error:
        raise RecipientRefused(
            message.message_id, message.to.value, f"address not writable in a header: {error}"
        ) from error
    mail["Subject"] = _display(subject)
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = f"<{message.message_id}@{sender.domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(
        text_body(letter.lines), subtype="plain", charset="utf-8", cte="quoted-printable"
    )
    if html:
        mail.add_alternative(
            html_body(letter.lines, subject),
            subtype="html",
            charset="utf-8",
            cte="quoted-printable",
        )
    # After the body: `set_content` drops every Content-* header already there.
    mail["Content-Language"] = "fr"
    return mail


@functools.lru_cache(maxsize=256)
def _header_text(text: str) -> str:
    """`text` as a header value: ASCII as it is, anything else RFC 2047-encoded and folded.

    Remembered: the `email` package's encoder takes most of a millisecond for a subject, and a
    batch of letters has a few subjects (one per kind) for thousands of messages.
    """
    if text.isascii():
        return text
    return Header(text, "utf-8").encode(linesep="\r\n")


def _mailbox(name: str, address: str) -> str:
    if not name:
        return address
    # formataddr folds long encoded names with bare LF: the wire wants CRLF.
    return _BARE_LF.sub("\r\n", formataddr((name, address), charset="utf-8"))


@functools.lru_cache(maxsize=64)
def _date(instant: datetime) -> str:
    """The Date header's value: a notification's messages share their instant, so remembered."""
    return format_datetime(instant)


@functools.lru_cache(maxsize=64)
def _sender_mailbox(name: str, address: str) -> str:
    """The From header's value: the same for every message of a relay, so remembered."""
    return _mailbox(name, address)


def _qp(text: str) -> bytes:
    """`text` in quoted-printable with CRLF line ends (binascii, in C): every line end (CR LF,
    a lone CR or a lone LF) becomes CR LF.
    """
    crlf = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return binascii.b2a_qp(crlf.encode("utf-8"), istext=True)


def _qp_lines(text: str, encoded: dict[str, bytes] | None) -> bytes:
    """`_qp(text)`, line by line through `encoded` when given (and `text` ends with a line
    feed): the quoted-printable form of such a text is its lines', each with its line end, one
    after the other, and the letters of a batch share most of their lines.
    """
    if encoded is None or not text.endswith("\n"):
        return _qp(text)
    parts: list[bytes] = []
    for line in text[:-1].split("\n"):
        part = encoded.get(line)
        if part is None:
            part = encoded[line] = _qp(line + "\n")
        parts.append(part)
    return b"".join(parts)


def wire_bytes(
    message: OutboxMessage,
    sender: Sender,
    *,
    html: bool = True,
    encoded: dict[str, bytes] | None = None,
) -> bytes:
    """The same e-mail as `message_bytes(build_message(...))`, serialised directly.

    The `email` package takes about 3 ms to build and serialise one message, more than sending
    it; the relay sends thousands. This writes the identical structure (same headers, same
    UTF-8 quoted-printable parts) with `formataddr`, `Header` and `binascii`, in a tenth of the
    time; the tests check that both read back the same. Addresses must be ASCII (the SMTPUTF8
    case goes through `build_message`).

    `encoded`, a dict shared by the messages of ONE batch, keeps each line's quoted-printable
    form, so that the lines the letters share are encoded once per batch (the bytes are the
    same with or without it). It holds the letters' lines, passwords included: make a new one
    per batch and drop it with the batch.
    """
    check_header_values(message, sender)
    letter = message.letter
    subject = _display(letter.subject or letter.kind.title)
    name = _display(sender.name or letter.sender or "")
    to = message.to.value
    if not (to.isascii() and sender.address.isascii()):
        raise ValueError("wire_bytes needs ASCII addresses")
    try:
        recipient = _mailbox(_display(letter.recipient), to)
    except (ValueError, HeaderParseError) as error:  # pragma: no cover - formataddr is lenient
        raise RecipientRefused(message.message_id, to, str(error)) from error
    head = [
        f"From: {_sender_mailbox(name, sender.address)}",
        f"To: {recipient}",
        f"Subject: {_header_text(subject)}",
        f"Date: {_date(message.created_at)}",
        f"Message-ID: <{message.message_id}@{sender.domain}>",
        "Auto-Submitted: auto-generated",
        "MIME-Version: 1.0",
    ]
    text_part = (
        b'Content-Type: text/plain; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + _qp_lines(text_body(letter.lines), encoded)
    )
    if not html:
        lines = "\r\n".join([*head, "Content-Language: fr"]).encode("ascii")
        return lines + b"\r\n" + text_part
    # "=" never occurs in quoted-printable text, so this boundary cannot appear in a part.
    digest = hashlib.sha256(message.message_id.encode("utf-8")).hexdigest()[:32]
    boundary = f"=_educonnect_{digest}".encode("ascii")
    html_part = (
        b'Content-Type: text/html; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + _qp_lines(html_body(letter.lines, subject), encoded)
    )
    head += [
        f'Content-Type: multipart/alternative; boundary="{boundary.decode()}"',
        "Content-Language: fr",
    ]
    return b"".join(
        [
            "\r\n".join(head).encode("ascii"),
            b"\r\n\r\n--" + boundary + b"\r\n",
            text_part,
            b"\r\n--" + boundary + b"\r\n",
            html_part,
            b"\r\n--" + boundary + b"--\r\n",
        ]
    )


def outgoing_bytes(
    message: OutboxMessage,
    sender: Sender,
    *,
    html: bool = True,
    encoded: dict[str, bytes] | None = None,
) -> bytes:
    """What the mailers write: `wire_bytes` for ASCII addresses (with `encoded`, a batch's
    memo of encoded lines), otherwise the `email` package with the SMTPUTF8 policy.
    """
    if message.to.value.isascii() and sender.address.isascii():
        return wire_bytes(message, sender, html=html, encoded=encoded)
    return message_bytes(build_message(message, sender, html=html), smtputf8=True)


def message_bytes(mail: EmailMessage, *, smtputf8: bool = False) -> bytes:
    """The message as sent on the wire (CRLF line ends; UTF-8 headers only with SMTPUTF8)."""
    return mail.as_bytes(policy=email_policy.SMTPUTF8 if smtputf8 else email_policy.SMTP)
