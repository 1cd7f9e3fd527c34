"""`SmtpMailer.send_many` and the relay's batches against a real SMTP server (aiosmtpd).

A refused recipient fails its message only, the batch going on down the same connection; a
connection lost in the middle of a batch fails that message and, untried, the rest, which the
relay sends after the wait: every message arrives exactly once. The DATA transfer stuffs dots
as smtplib does.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

from aiosmtpd.smtp import SMTP, Envelope, Session
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.documents.support import UAI, RecordingHandler, school_world, smtp_server

from educonnect_core import Channel, Email, LetterContent, LetterKind, OutboxMessage, compose
from educonnect_mail import (
    RecipientRefused,
    Security,
    Sender,
    ServerUnavailable,
    SmtpMailer,
    SmtpSettings,
)
from educonnect_mail.message import outgoing_bytes
from educonnect_mail.smtp import dot_stuffed

SENDER = Sender("ne-pas-repondre@ac-exemple.fr")
AT = datetime(2025, 9, 1, tzinfo=UTC)


def plain(port: int) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", port, Security.NONE, timeout=5.0)


def batch(size: int) -> list[OutboxMessage]:
    letter = compose(
        LetterKind.C02,
        recipient="Zoé NOËL",
        school_name="École",
        children=("Ève NOËL",),
        login="z.noel",
        password="ABCD2345",  # noqa: S106 - a test letter's provisional password.
    )
    return [
        OutboxMessage(f"m{n}", f"R{n}", Email(f"p{n}@example.org"), letter, AT)
        for n in range(1, size + 1)
    ]


class DropsTheNth(RecordingHandler):
    """Closes the connection instead of accepting the `nth` message it is given (counted over
    the server's life), once.
    """

    def __init__(self, nth: int) -> None:
        super().__init__()
        self.nth = nth
        self.seen = 0

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name.
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.seen += 1
        if self.seen == self.nth:
            assert server.transport is not None
            server.transport.close()
            return "421 4.3.0 closing"
        return await super().handle_DATA(server, session, envelope)


class TestSendMany:
    """One connection per batch; a message's refusal is its own, a lost connection fails the
    rest of the batch untried.
    """

    def test_refused_third_of_five(self) -> None:
        handler = RecordingHandler(refuse={"p3@example.org"})
        messages = batch(5)
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            results = mailer.send_many(messages)
        assert [type(r).__name__ for r in results] == [
            "NoneType", "NoneType", "RecipientRefused", "NoneType", "NoneType",
        ]  # fmt: skip
        refused = results[2]
        assert isinstance(refused, RecipientRefused)
        assert (refused.message_id, refused.code) == ("m3", 550)
        assert [r.rcpt_tos[0] for r in handler.received] == [
            f"p{n}@example.org" for n in (1, 2, 4, 5)
        ]
        assert mailer.connections_opened == 1

    def test_connection_lost_at_the_third_fails_the_rest_untried(self) -> None:
        handler = DropsTheNth(3)
        messages = batch(5)
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            results = mailer.send_many(messages)
            assert results[:2] == [None, None]
            lost = results[2:]
            assert all(isinstance(r, ServerUnavailable) for r in lost)
            assert [r.message_id for r in lost if isinstance(r, ServerUnavailable)] == [
                "m3",
                "m4",
                "m5",
            ]
            assert "not tried" in str(results[3])
            assert handler.seen == 3  # m4 and m5 never reached the server
            assert mailer.send_many(messages[2:]) == [None, None, None]
        assert Counter(r.rcpt_tos[0] for r in handler.received) == {
            f"p{n}@example.org": 1 for n in range(1, 6)
        }
        assert mailer.connections_opened == 2

    def test_server_unreachable_fails_the_batch_with_one_attempt(self) -> None:
        with smtp_server(RecordingHandler()) as server:
            port = server.port
        with SmtpMailer(plain(port), SENDER) as mailer:
            results = mailer.send_many(batch(4))
        assert [r.message_id for r in results if isinstance(r, ServerUnavailable)] == [
            "m1",
            "m2",
            "m3",
            "m4",
        ]
        assert "cannot connect" in str(results[0])
        assert "not tried" in str(results[1])


class TestRelayOverALostConnection:
    """Through the relay: the 3rd of 5 lost with the connection, the 4th and 5th untried: all
    three pending after the wait, then delivered; each guardian gets the letter once.
    """

    def test_nothing_lost_nothing_twice(self) -> None:
        handler = DropsTheNth(3)
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            world = school_world(5, mailer=mailer)
            first = world.app.administration(world.admin.director).notify(
                UAI, [g.login for g in world.guardians], Channel.EMAIL
            )
            assert len(first.done) == 5
            assert len(handler.received) == 2
            with world.app.runtime.storage.unit_of_work() as uow:
                assert uow.outbox.in_flight() == []
                assert uow.outbox.pending(world.clock.now()) == []  # not before the wait
                assert len(uow.outbox.pending(world.clock.now() + timedelta(minutes=1))) == 3
            world.clock.advance(minutes=1, seconds=1)
            retry = world.app.deliver_pending()
        assert len(retry.sent) == 3
        assert retry.failed == ()
        assert Counter(r.rcpt_tos[0] for r in handler.received) == {
            str(g.email): 1 for g in world.guardians
        }


class TestDotStuffing:
    """`dot_stuffed` sends what smtplib's `data` sent: a leading period doubled on every line,
    CR LF before the final period.
    """

    @settings(max_examples=300)
    @given(
        data=st.lists(
            st.sampled_from([b".", b"\r\n", b"\n", b"\r", b"..", b"a", b" ", b".\r\n"]),
            max_size=20,
        ).map(b"".join)
    )
    def test_same_as_smtplib(self, data: bytes) -> None:
        quoted = re.sub(rb"(?m)^\.", b"..", data)
        if quoted[-2:] != b"\r\n":
            quoted += b"\r\n"
        assert dot_stuffed(data) == quoted + b".\r\n"

    def test_lines_starting_with_a_period_arrive_intact(self) -> None:
        (message,) = batch(1)
        letter = message.letter
        dotted = LetterContent(
            kind=letter.kind,
            recipient=letter.recipient,
            school_name=letter.school_name,
            children=letter.children,
            login=letter.login,
            password=letter.password,
            subject=letter.subject,
            sender=letter.sender,
            lines=(".", "..", ".début", "fin."),
        )
        message = OutboxMessage("m1", "R1", message.to, dotted, AT)
        handler = RecordingHandler()
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            assert mailer.send_many([message]) == [None]
        (received,) = handler.received
        assert received.content.rstrip(b"\r\n") == outgoing_bytes(message, SENDER).rstrip(b"\r\n")
