"""A whole EduConnect in memory, wired with the fakes: the starting point of tests and demos."""

from __future__ import annotations

from datetime import datetime

import attrs

from educonnect_core.application import EduConnect
from educonnect_core.domain.account import Account
from educonnect_core.domain.letters import LetterContent, LetterKind
from educonnect_core.domain.policy import Policy
from educonnect_core.ports import PasswordHasher, Storage
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
    hasher: PasswordHasher

    def letters_to(self, login: str) -> list[LetterContent]:
        """Every letter e-mailed or printed for `login`, oldest first across both channels (an
        e-mail dated by its message's creation, a sheet by its printing; ties keep e-mails first).
        """
        dated = [
            (m.created_at, 0, i, m.letter)
            for i, m in enumerate(self.mailer.sent)
            if m.letter.login == login
        ]
        dated += [
            (at, 1, i, x)
            for i, (at, sheet) in enumerate(
                zip(self.renderer.printed_at, self.renderer.sheets, strict=True)
            )
            for x in sheet
            if x.login == login
        ]
        return [letter for *_, letter in sorted(dated, key=lambda d: d[:3])]

    def account_of(self, responsable_id: str) -> Account:
        """The account of directory record `responsable_id` (a guardian's id in the feed), as
        stored now; `LookupError` if the feed never brought that guardian.
        """
        with self.storage.unit_of_work() as uow:
            found = uow.accounts.get(responsable_id)
        if found is None:
            raise LookupError(f"no account for directory record {responsable_id}")
        return found

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
    mailer: RecordingMailer | None = None,
    renderer: RecordingRenderer | None = None,
    hasher: PasswordHasher | None = None,
    deliver_after_commit: bool = True,
) -> World:
    """A fresh world: in-memory storage (or `storage`), a fake clock at `start`, seeded secrets,
    a recording mailer and renderer, and the fast test hasher — or the `mailer`, `renderer`
    (recording ones, e.g. a `RecordingMailer(refuse=…)`) and `hasher` given. Whatever is given
    is what the app uses AND what the world shows: there is no second, silent copy.
    """
    clock = FakeClock(start)
    secrets = SeededSecrets(seed)
    mailer = mailer if mailer is not None else RecordingMailer()
    renderer = renderer if renderer is not None else RecordingRenderer()
    hasher = hasher if hasher is not None else FastHasher()
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
