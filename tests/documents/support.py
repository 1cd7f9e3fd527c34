"""Builders shared by the document and mail tests: a school whose guardians are in chosen states,
an `EduConnect` wired on the real adapters, text read back from PDFs, a local SMTP server.
"""

from __future__ import annotations

import contextlib
import io
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, date, datetime, tzinfo
from typing import Any

import attrs
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pypdf import PdfReader

from educonnect_core import (
    AccountState,
    Channel,
    Director,
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Selection,
    Student,
    Uai,
)
from educonnect_core.application import EduConnect
from educonnect_core.ports import DocumentRenderer, Mailer
from educonnect_core.services.administration import Administration
from educonnect_core.testing import (
    RENTREE,
    FakeClock,
    FastHasher,
    InMemoryStorage,
    RecordingMailer,
    RecordingRenderer,
    SeededSecrets,
)

UAI = "0999901Z"
SCHOOL_NAME = "ÉCOLE ÉLÉMENTAIRE « Les Tilleuls » – Cœur de ville"
CLASSES = {"70001": "CP-CE1 A – Mme Nguyễn", "70002": "CM2 B – M. N’Diaye"}
#: Names that need more than Latin-1: DejaVu must be embedded for them to print.
SURNAMES = ("Nguyễn", "D’Œuvray", "Sékou-Traoré", "Lefèvre", "Françoise-Àlvarez", "Noël")
FIRST_NAMES = ("Sékou", "Chloé", "Maëlys", "Jérôme", "Zoé", "Anaïs", "Œnone", "Ève")
NEW_PASSWORD = "abc12345xyz"  # noqa: S105 - a test password.


@attrs.frozen
class Guardian:
    """One guardian of the test school: login, name as letters write it, children, address."""

    responsable_id: str
    login: str
    name: str
    children: tuple[str, ...]
    email: str | None


@attrs.define
class SchoolWorld:
    """An `EduConnect` on in-memory storage with the adapters under test, and its school."""

    app: EduConnect
    clock: FakeClock
    admin: Administration
    guardians: list[Guardian]
    secrets: SeededSecrets

    def login_of(self, responsable_id: str) -> str:
        """The login the integration gave to this guardian."""
        return next(g.login for g in self.guardians if g.responsable_id == responsable_id)


def build_app(
    *,
    renderer: DocumentRenderer | None = None,
    mailer: Mailer | None = None,
    timezone: tzinfo = UTC,
    start: datetime = RENTREE,
    seed: int = 0,
) -> tuple[EduConnect, FakeClock, SeededSecrets]:
    """An `EduConnect` built like `testing.world` does, with the given adapters."""
    clock = FakeClock(start)
    secrets = SeededSecrets(seed)
    app = EduConnect(
        storage=InMemoryStorage(),
        mailer=mailer or RecordingMailer(),
        renderer=renderer or RecordingRenderer(),
        clock=clock,
        secrets=secrets,
        hasher=FastHasher(),
        timezone=timezone,
    )
    return app, clock, secrets


def school_world(
    guardians: int,
    *,
    renderer: DocumentRenderer | None = None,
    mailer: Mailer | None = None,
    timezone: tzinfo = UTC,
    with_email: bool = True,
    children: int = 1,
    seed: int = 0,
) -> SchoolWorld:
    """A school with `guardians` guardians, each with `children` children of their own (so the
    first child is the one the first connection asks about), all NOT_NOTIFIED.
    """
    app, clock, secrets = build_app(renderer=renderer, mailer=mailer, timezone=timezone, seed=seed)
    school = School.create(UAI, SCHOOL_NAME)
    classes = [SchoolClass.create(cid, UAI, name) for cid, name in CLASSES.items()]
    students: list[Student] = []
    responsables: list[Responsable] = []
    links: list[GuardianLink] = []
    for g in range(guardians):
        surname = f"{SURNAMES[g % len(SURNAMES)]}{'' if g < len(SURNAMES) else g}"
        rid = f"6{g:06d}"
        responsables.append(
            Responsable.create(
                rid,
                surname=surname,
                first_name=FIRST_NAMES[g % len(FIRST_NAMES)],
                email=f"parent{g}@example.org" if with_email else None,
            )
        )
        for c in range(children):
            sid = f"5{g:04d}{c:02d}"
            students.append(
                Student.create(
                    sid,
                    surname=surname,
                    first_name=FIRST_NAMES[(g + c + 1) % len(FIRST_NAMES)],
                    birth_date=date(2017, 1 + c % 12, 1 + g % 28),
                    uai=UAI,
                    class_id="70001" if g % 2 == 0 else "70002",
                    level="CP" if g % 2 == 0 else "CM2",
                    ine=f"{g:05d}{c:05d}A",
                )
            )
            links.append(GuardianLink(rid, sid))
    app.integrate(DirectorySnapshot([school], classes, students, responsables, links))
    admin = app.administration(Director("d1", {Uai.parse(UAI)}))
    rows = admin.rows(UAI, Selection(page_size=0)).rows
    found: list[Guardian] = []
    for responsable in responsables:
        mine = sorted(
            (r for r in rows if r.account_id == responsable.responsable_id),
            key=lambda r: (r.student_surname, r.student_first_name, r.student_id),
        )
        found.append(
            Guardian(
                responsable_id=responsable.responsable_id,
                login=mine[0].login,
                name=f"{responsable.first_name} {responsable.surname.upper()}",
                children=tuple(f"{r.student_first_name} {r.student_surname.upper()}" for r in mine),
                email=None if responsable.email is None else responsable.email.value,
            )
        )
    return SchoolWorld(app, clock, admin, found, secrets)


def bring_to(world: SchoolWorld, guardian: Guardian, state: AccountState) -> None:
    """Move `guardian`'s account from NOT_NOTIFIED to `state` the way people do (paper notice,
    first connection, the link of the C07 e-mail).
    """
    if state is AccountState.NOT_NOTIFIED:
        return
    admin, portal = world.admin, world.app.portal()
    admin.notify(UAI, [guardian.login], Channel.PAPER)
    if state is AccountState.NOTIFIED:
        return
    password = admin.account(UAI, guardian.login).password
    assert password is not None
    child_birth = next(c.birth_date for c in admin.account(UAI, guardian.login).children_here)
    before = len(world.secrets.issued)
    portal.first_connection(
        guardian.login,
        password,
        new_password=NEW_PASSWORD,
        email=guardian.email or f"{guardian.responsable_id}@example.org",
        birth_date=child_birth,
    )
    if state is AccountState.ACTIVATING:
        return
    token = world.secrets.issued[before]
    portal.confirm_email(token)


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page of a PDF, whitespace folded to single spaces."""
    reader = PdfReader(io.BytesIO(content))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def folded(text: str) -> str:
    """`text` with whitespace folded to single spaces, as `pdf_pages` gives it."""
    return " ".join(text.split())


# -- a local SMTP server ------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@attrs.define
class Received:
    """One message the test server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@attrs.define
class RecordingHandler:
    """An aiosmtpd handler that keeps what it accepts, refuses the addresses in `refuse`, and
    drops the connection at RCPT or DATA for the addresses in `drop_at_rcpt` / `drop_at_data`
    (each address dropped `drops` times, then accepted).
    """

    received: list[Received] = attrs.Factory(list)
    refuse: set[str] = attrs.Factory(set)
    drop_at_rcpt: set[str] = attrs.Factory(set)
    drop_at_data: set[str] = attrs.Factory(set)
    drops: int = 1
    dropped: list[str] = attrs.Factory(list)
    sessions: int = 0

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name.
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    def _drop(self, server: SMTP, address: str) -> bool:
        if self.dropped.count(address) >= self.drops:
            return False
        self.dropped.append(address)
        assert server.transport is not None
        server.transport.close()
        return True

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name.
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        if address in self.drop_at_rcpt and self._drop(server, address):
            return "421 4.3.0 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name.
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        address = envelope.rcpt_tos[0]
        if address in self.drop_at_data and self._drop(server, address):
            return "421 4.3.0 closing"
        content = envelope.original_content or b""
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 2.0.0 Message accepted"

    def to(self, address: str) -> list[Received]:
        """The messages received for `address`."""
        return [r for r in self.received if address in r.rcpt_tos]


@contextlib.contextmanager
def smtp_server(
    handler: RecordingHandler, port: int | None = None, **options: Any
) -> Iterator[Controller]:
    """An aiosmtpd server on 127.0.0.1 for the duration of the block."""
    controller = Controller(
        handler, hostname="127.0.0.1", port=port or free_port(), ready_timeout=5.0, **options
    )
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
        loop = controller.loop
        if not loop.is_closed():
            loop.close()


def client_context(cert: str) -> ssl.SSLContext:
    """A client TLS context trusting only the test certificate."""
    return ssl.create_default_context(cafile=cert)
