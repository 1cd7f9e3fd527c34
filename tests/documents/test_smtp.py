"""E-mail notification through the outbox relay and `SmtpMailer`, received by a real SMTP server
(aiosmtpd on 127.0.0.1, started by the test).
"""

from __future__ import annotations

import contextlib
import email
import shutil
import socket
import ssl
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from typing import Any

import attrs
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from tests.documents.support import (
    UAI,
    RecordingHandler,
    bring_to,
    client_context,
    free_port,
    school_world,
    smtp_server,
)

from educonnect_core import (
    AccountState,
    Channel,
    DeliveryReport,
    Email,
    LetterKind,
    OutboxMessage,
    compose,
)
from educonnect_core.errors import EduconnectError
from educonnect_mail import (
    AuthenticationRefused,
    MessageRefused,
    RecipientRefused,
    Security,
    Sender,
    ServerUnavailable,
    SmtpMailer,
    SmtpSettings,
)
from educonnect_mail.message import outgoing_bytes

SENDER = Sender("ne-pas-repondre@ac-exemple.fr")


def plain(port: int, **extra: Any) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", port, Security.NONE, timeout=5.0, **extra)


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content()).replace("\r\n", "\n")


class TestEmailsReachTheServer:
    """An e-mail notification of a whole school arrives at the SMTP server, one message per
    guardian, with the annex's subject and sender name and the UTF-8 letter, over ONE connection.
    """

    def test_notification_by_email(self) -> None:
        handler = RecordingHandler()
        with smtp_server(handler) as server:
            mailer = SmtpMailer(plain(server.port), SENDER)
            world = school_world(6, mailer=mailer)
            report = world.app.administration(world.admin.director).notify(
                UAI, [g.login for g in world.guardians], Channel.EMAIL
            )
            mailer.close()
        assert len(report.done) == 6
        assert mailer.connections_opened == 1
        assert handler.sessions == 1
        assert len(handler.received) == 6
        for guardian in world.guardians:
            assert guardian.email is not None
            (got,) = handler.to(guardian.email)
            assert got.mail_from == "ne-pas-repondre@ac-exemple.fr"
            message = parse(got.content)
            assert message["Subject"] == (
                "Mise à disposition de services en ligne pour suivre la scolarité de votre enfant"
            )
            sender = message["From"].addresses[0]
            assert sender.display_name == "Administrateur des services en ligne"
            text = body(message)
            password = world.admin.account(UAI, guardian.login).password
            assert f"Identifiant : {guardian.login}\nMot de passe * : {password}\n" in text
            for child in guardian.children:
                assert child in text
            plain_part = message.get_body(("plain",))
            assert plain_part is not None
            assert plain_part.get_content_charset() == "utf-8"

    def test_activation_email_carries_the_configured_link(self) -> None:
        handler = RecordingHandler()
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            world = school_world(1, mailer=mailer)
            before = len(handler.received)
            bring_to(world, world.guardians[0], AccountState.ACTIVATING)
            assert len(handler.received) == before + 1
            c07 = parse(handler.received[-1].content)
        assert c07["Subject"] == "Services en ligne de l'éducation nationale - activation du compte"
        links = [line for line in body(c07).splitlines() if "jeton=" in line]
        assert len(links) == 1
        assert links[0].startswith("https://educonnect.education.gouv.fr/activation?jeton=")
        token = links[0].split("jeton=", 1)[1]
        assert world.app.portal().confirm_email(token) == world.guardians[0].login


class TestFailuresAreReportedPerAccount:
    """A refused recipient or a dropped connection fails that account's message only: it is
    reported, kept in the outbox and retried later; every other message arrives exactly once.
    """

    def test_refused_recipient(self) -> None:
        handler = RecordingHandler(refuse={"parent2@example.org"})
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            world = school_world(5, mailer=mailer)
            admin = world.admin
            admin.notify(UAI, [g.login for g in world.guardians], Channel.EMAIL)
            refused = world.guardians[2]
            # The relay ran after commit; once the retry is due, its report names the account.
            world.clock.advance(minutes=1, seconds=1)
            report = world.app.deliver_pending()
        assert [f[1] for f in report.failed] == [refused.responsable_id]
        assert "RecipientRefused" in report.failed[0][2]
        assert "550" in report.failed[0][2]
        assert mailer.connections_opened == 1
        delivered = {r.rcpt_tos[0] for r in handler.received}
        assert delivered == {g.email for g in world.guardians} - {refused.email}
        assert len(handler.received) == 4

    def test_dropped_connection_during_transfer(self) -> None:
        victim = "parent1@example.org"
        handler = RecordingHandler(drop_at_data={victim})
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            world = school_world(4, mailer=mailer)
            world.admin.notify(UAI, [g.login for g in world.guardians], Channel.EMAIL)
            assert handler.dropped == [victim]
            assert sorted(r.rcpt_tos[0] for r in handler.received) == sorted(
                str(g.email) for g in world.guardians if g.email != victim
            )
            assert world.app.deliver_pending().sent == ()
            world.clock.advance(minutes=1, seconds=1)
            retry = world.app.deliver_pending()
        assert len(retry.sent) == 1
        assert retry.failed == ()
        assert mailer.connections_opened == 2
        assert sorted(r.rcpt_tos[0] for r in handler.received) == sorted(
            str(g.email) for g in world.guardians
        )

    def test_server_closing_an_idle_connection_is_transparent(self) -> None:
        victim = "parent0@example.org"
        handler = RecordingHandler(drop_at_rcpt={victim})
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            world = school_world(3, mailer=mailer)
            world.admin.notify(UAI, [g.login for g in world.guardians], Channel.EMAIL)
        assert handler.dropped == [victim]
        assert mailer.connections_opened == 2
        assert sorted(r.rcpt_tos[0] for r in handler.received) == sorted(
            str(g.email) for g in world.guardians
        )

    def test_server_down_then_back(self) -> None:
        port = free_port()
        with SmtpMailer(plain(port), SENDER) as mailer:
            world = school_world(3, mailer=mailer)
            world.admin.notify(UAI, [g.login for g in world.guardians], Channel.EMAIL)
            world.clock.advance(minutes=1, seconds=1)
            down = world.app.deliver_pending()
            assert len(down.failed) == 3
            assert all("ServerUnavailable" in reason for _, _, reason in down.failed)
            handler = RecordingHandler()
            with smtp_server(handler, port=port):
                world.clock.advance(minutes=2, seconds=1)
                back = world.app.deliver_pending()
                assert len(back.sent) == 3
                world.clock.advance(hours=7)
                assert world.app.deliver_pending().sent == ()
        assert sorted(r.rcpt_tos[0] for r in handler.received) == sorted(
            str(g.email) for g in world.guardians
        )


def letter_message(message_id: str, to: str) -> OutboxMessage:
    letter = compose(
        LetterKind.C04,
        recipient="Zoé NOËL",
        school_name="École",
        children=("Ève NOËL",),
        login="z.noel",
        password=None,
    )
    return OutboxMessage(
        message_id, "6000009", Email.parse(to), letter, datetime(2025, 9, 1, tzinfo=UTC)
    )


class TestMailerDirectly:
    """`SmtpMailer` on its own: typed errors naming message and recipient, no double sending,
    timeouts.
    """

    def test_typed_refusal(self) -> None:
        handler = RecordingHandler(refuse={"nobody@example.org"})
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            with pytest.raises(RecipientRefused) as caught:
                mailer.send(letter_message("m1", "nobody@example.org"))
            mailer.send(letter_message("m2", "somebody@example.org"))
        assert caught.value.message_id == "m1"
        assert caught.value.recipient == "nobody@example.org"
        assert caught.value.code == 550
        assert caught.value.permanent
        assert "nobody@example.org" in caught.value.french
        assert [r.rcpt_tos for r in handler.received] == [["somebody@example.org"]]

    def test_same_message_is_not_sent_twice(self) -> None:
        handler = RecordingHandler()
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            message = letter_message("m1", "somebody@example.org")
            mailer.send(message)
            mailer.send(message)
        assert len(handler.received) == 1

    def test_silent_server_times_out(self) -> None:
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(1)
            port = silent.getsockname()[1]
            settings = SmtpSettings("127.0.0.1", port, Security.NONE, timeout=0.3)
            with SmtpMailer(settings, SENDER) as mailer, pytest.raises(ServerUnavailable) as caught:
                mailer.send(letter_message("m1", "somebody@example.org"))
        assert caught.value.message_id == "m1"
        assert not caught.value.permanent

    def test_password_never_in_repr(self) -> None:
        settings = SmtpSettings("smtp.example.org", username="u", password="s3cr3t-pw")  # noqa: S106
        assert "s3cr3t-pw" not in repr(settings)
        assert "s3cr3t-pw" not in repr(SmtpMailer(settings, SENDER))


# -- TLS ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments, the openssl found on PATH.
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def server_context(certificate: tuple[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"dir", b"pw-ok")
    return AuthResult(success=ok, handled=False)


class TestSecureConnections:
    """STARTTLS with authentication and implicit TLS both deliver; bad credentials are a typed
    error.
    """

    def test_starttls_and_login(self, certificate: tuple[str, str]) -> None:
        handler = RecordingHandler()
        options: dict[str, Any] = {
            "tls_context": server_context(certificate),
            "require_starttls": True,
            "auth_required": True,
            "authenticator": authenticator,
        }
        base = SmtpSettings(
            "127.0.0.1",
            0,
            Security.STARTTLS,
            username="dir",
            password="pw-ok",  # noqa: S106 - the test server's.
            timeout=5.0,
            ssl_context=client_context(certificate[0]),
        )
        with smtp_server(handler, **options) as server:
            good = attrs.evolve(base, port=server.port)
            with SmtpMailer(good, SENDER) as mailer:
                mailer.send(letter_message("m1", "somebody@example.org"))
            bad = attrs.evolve(good, password="wrong")  # noqa: S106 - a wrong one.
            with SmtpMailer(bad, SENDER) as mailer, pytest.raises(AuthenticationRefused):
                mailer.send(letter_message("m2", "somebody@example.org"))
        assert len(handler.received) == 1

    def test_implicit_tls(self, certificate: tuple[str, str]) -> None:
        handler = RecordingHandler()
        with smtp_server(handler, ssl_context=server_context(certificate)) as server:
            settings = SmtpSettings(
                "127.0.0.1",
                server.port,
                Security.SSL,
                timeout=5.0,
                ssl_context=client_context(certificate[0]),
            )
            with SmtpMailer(settings, SENDER) as mailer:
                mailer.send(letter_message("m1", "somebody@example.org"))
        assert len(handler.received) == 1

    def test_untrusted_certificate_is_refused(self, certificate: tuple[str, str]) -> None:
        handler = RecordingHandler()
        with smtp_server(handler, ssl_context=server_context(certificate)) as server:
            settings = SmtpSettings("127.0.0.1", server.port, Security.SSL, timeout=5.0)
            with SmtpMailer(settings, SENDER) as mailer, pytest.raises(ServerUnavailable):
                mailer.send(letter_message("m1", "somebody@example.org"))
        assert handler.received == []


def _to(address: str, message_id: str = "M-envelope") -> OutboxMessage:
    letter = compose(
        LetterKind.C02,
        recipient="Jean DUPONT",
        school_name="ECOLE DU LAC",
        children=("Léa MARTIN",),
        login="j.dupont",
        password="ABCD2345",  # noqa: S106 - a test letter's provisional password.
    )
    return OutboxMessage(message_id, "R1", Email(address), letter, datetime(2025, 9, 1, tzinfo=UTC))


class TestEnvelopeIsTheStoredAddress:
    """The SMTP envelope recipient is exactly the stored address, never a re-parsed form of it;
    an address that would change the envelope or a header is refused before anything is sent.
    """

    @pytest.mark.parametrize("address", ["jean+ent@a.fr", "o'brien@a.fr", "a.b-c_d@x.a.fr"])
    def test_envelope_equals_stored_address(self, address: str) -> None:
        """The server receives ``MAIL FROM`` and ``RCPT TO`` with exactly the stored addresses."""
        handler = RecordingHandler()
        with smtp_server(handler) as server, SmtpMailer(plain(server.port), SENDER) as mailer:
            mailer.send(_to(address))
        assert [(r.mail_from, r.rcpt_tos) for r in handler.received] == [
            (SENDER.address, [address])
        ]

    @pytest.mark.parametrize("address", ["x;y@a.fr", "a:b@a.fr", "a,b@a.fr"])
    def test_reparsable_address_never_reaches_another_mailbox(self, address: str) -> None:
        """Smtplib's `rcpt` re-parsed these into ``<x>``, ``<b@a.fr>`` and ``<a>`` and the
        letter went there; now the server sees the address itself (and refuses it).
        """
        handler = RecordingHandler()
        with (
            smtp_server(handler) as server,
            SmtpMailer(plain(server.port), SENDER) as mailer,
            contextlib.suppress(RecipientRefused),
        ):
            mailer.send(_to(address))
        assert all(r.rcpt_tos == [address] for r in handler.received)

    @pytest.mark.parametrize(
        "address",
        ["<postmaster>x@evil.com", "a>b@c.fr", "a\r\nRCPT TO:<x@evil.com>@a.fr", "a\x00b@a.fr",
         "a\x1b[31m@a.fr", "a b@a.fr"],
    )  # fmt: skip
    def test_hostile_address_is_refused_and_nothing_sent(self, address: str) -> None:
        """Angle brackets, blanks, CR/LF, NUL or ESC in the address: refused, no delivery."""
        handler = RecordingHandler()
        with (
            smtp_server(handler) as server,
            SmtpMailer(plain(server.port), SENDER) as mailer,
            pytest.raises(RecipientRefused),
        ):
            mailer.send(_to(address))
        assert handler.received == []

    @pytest.mark.parametrize("message_id", ["M1\r\nBcc: x@evil.com", "M1\x00", "M1\x1b[2J"])
    def test_control_character_in_a_header_value_is_refused(self, message_id: str) -> None:
        """A message id (written as it is in Message-ID) with CR, LF, NUL or ESC is refused."""
        with pytest.raises(MessageRefused):
            outgoing_bytes(_to("jean@a.fr", message_id), SENDER)


class _Crash(BaseException):
    """The process dying (not an error the relay handles)."""


@attrs.define
class _DiesAfterAcceptance:
    """Hands the message to the SMTP server, then « dies » before the relay records it."""

    inner: SmtpMailer

    def send(self, message: OutboxMessage) -> None:
        self.inner.send(message)
        raise _Crash

    def send_many(self, messages: Sequence[OutboxMessage]) -> list[EduconnectError | None]:
        self.inner.send_many(messages)
        raise _Crash


class TestCrashAfterTheServerAccepted:
    """A crash between the server's 250 and `mark_sent` leaves the message in flight; the next
    relay run sends it again with the same Message-ID and reports it as possibly duplicated.
    """

    def test_resent_with_the_same_message_id_and_reported(self) -> None:
        handler = RecordingHandler()
        with smtp_server(handler) as server:
            dying = _DiesAfterAcceptance(SmtpMailer(plain(server.port), SENDER))
            world = school_world(1, mailer=dying)
            login = world.guardians[0].login
            with pytest.raises(_Crash):
                world.app.administration(world.admin.director).notify(UAI, [login], Channel.EMAIL)
            dying.inner.close()
            storage = world.app.runtime.storage
            with storage.unit_of_work() as uow:
                (flying,) = uow.outbox.in_flight()
                assert uow.outbox.pending(world.clock.now()) == []
            with SmtpMailer(plain(server.port), SENDER) as restarted:  # a new process
                world.app.relay.mailer = restarted
                report = world.app.deliver_pending()
                assert world.app.deliver_pending() == DeliveryReport()
        assert report.sent == report.possibly_duplicated == (flying.message_id,)
        ids = [parse(r.content)["Message-ID"] for r in handler.received]
        assert len(ids) == 2
        assert ids[0] == ids[1] == f"<{flying.message_id}@{SENDER.domain}>"
        with storage.unit_of_work() as uow:
            assert uow.outbox.in_flight() == []
            relay = [e for e in uow.audit.entries() if e.actor == "relay"]
        assert [(e.action, e.outcome, e.detail) for e in relay] == [
            ("SEND_EMAIL", "done", "C02 possibly_duplicated")
        ]
