"""Broken storages: each breaks one rule of the storage ports, to prove the toolkit catches it."""

from __future__ import annotations

from educonnect_core.domain.account import Account
from educonnect_core.domain.letters import LetterKind
from educonnect_core.domain.records import OutboxMessage
from educonnect_core.errors import ConcurrentChange
from educonnect_core.testing import InMemoryStorage, InMemoryUnitOfWork


class LosingOutboxStorage(InMemoryStorage):
    """Loses the e-mails of `lost` kinds it is given (all by default), as a commit that forgets
    to write the outbox would; every other rule is kept.
    """

    def __init__(self, lost: frozenset[LetterKind] = frozenset(LetterKind)) -> None:
        super().__init__()
        self.lost = lost

    def unit_of_work(self) -> InMemoryUnitOfWork:
        uow = super().unit_of_work()
        add = uow.outbox.add

        def lossy_add(message: OutboxMessage) -> None:
            if message.letter.kind not in self.lost:
                add(message)

        uow.outbox.add = lossy_add  # type: ignore[method-assign]
        return uow


class _CheckedTooEarly(InMemoryUnitOfWork):
    """Checks an account's version when `update` is called, and not again when committing."""

    def _check_versions(self) -> None:
        updated, self._updated = self._updated, {}
        try:
            super()._check_versions()  # new accounts and the directory are still checked
        finally:
            self._updated = updated


class LostUpdateStorage(InMemoryStorage):
    """Checks the version when an account is written, then stores it at commit without looking
    again: of two interleaved writers, the second silently overwrites the first (lost update).
    """

    def unit_of_work(self) -> InMemoryUnitOfWork:
        uow = _CheckedTooEarly(self)
        update = uow.accounts.update

        def checked_update(account: Account) -> None:
            current = self._world.accounts.get(account.account_id)
            if current is not None and current.version != account.version:
                raise ConcurrentChange(account.account_id, account.version, current.version)
            update(account)

        uow.accounts.update = checked_update  # type: ignore[method-assign]
        return uow
