"""A whole EduConnect in memory, wired with the fakes: the starting point of tests and demos."""

from __future__ import annotations

from datetime import datetime

import attrs

from educonnect_core.application import EduConnect
from educonnect_core.domain.letters import LetterContent, LetterKind
from educonnect_core.domain.policy import Policy
from educonnect_core.ports import Storage
from educonnect_core.testing.fakes import (
    RENTREE,
    FakeClock,
    FastHasher,
    RecordingMailer,
    RecordingRenderer,
    SeededSecrets,
)
from educonnect_core.testing.memory import InMemoryStorage

__all__ = ["World", "in_memory_world"]


@attrs.define
class World:
    """An `EduConnect` and the fakes behind it, so a test can move the clock or read the mail."""

    app: EduConnect
    storage: Storage
    clock: FakeClock
    secrets: SeededSecrets
    mailer: RecordingMailer
    renderer: RecordingRenderer
    hasher: FastHasher

    def letters_to(self, login: str) -> list[LetterContent]:
        """Every letter e-mailed or printed for `login`, oldest first (e-mails, then sheets)."""
        mailed = [m.letter for m in self.mailer.sent if m.letter.login == login]
        printed = [x for sheet in self.renderer.sheets for x in sheet if x.login == login]
        return mailed + printed

    def activation_token(self, login: str) -> str:
        """The token of the last activation e-mail (C07) sent for `login`, as the guardian reads
        it in the link.
        """
        prefix = self.app.runtime.letters.activation_url
        for message in reversed(self.mailer.sent):
            if message.letter.login == login and message.letter.kind is LetterKind.C07:
                link = next(x for x in message.letter.lines if x.startswith(prefix))
                return link.removeprefix(prefix)
        raise LookupError(f"no activation e-mail was sent for {login}")


def in_memory_world(
    *,
    seed: int = 0,
    start: datetime = RENTREE,
    policy: Policy | None = None,
    storage: Storage | None = None,
    deliver_after_commit: bool = True,
) -> World:
    """A fresh world: in-memory storage (or `storage`), a fake clock at `start`, seeded secrets,
    a recording mailer and renderer, and the fast test hasher.
    """
    clock = FakeClock(start)
    secrets = SeededSecrets(seed)
    mailer = RecordingMailer()
    renderer = RecordingRenderer()
    hasher = FastHasher()
    store = storage if storage is not None else InMemoryStorage()
    app = EduConnect(
        storage=store,
        mailer=mailer,
        renderer=renderer,
        clock=clock,
        secrets=secrets,
        hasher=hasher,
        policy=policy,
        deliver_after_commit=deliver_after_commit,
    )
    return World(app, store, clock, secrets, mailer, renderer, hasher)
