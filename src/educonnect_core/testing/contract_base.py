"""What every part of the storage contract shares: the fresh storage per test (`_Base`), the
instant the examples start at, and builders of accounts, pupils and outbox messages.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from educonnect_core.domain.account import Account, Chosen, Provisional
from educonnect_core.domain.directory import Student
from educonnect_core.domain.letters import LetterKind, compose
from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.records import OutboxMessage
from educonnect_core.domain.values import Email, Ine, Level, Login, Mobile, Uai, uai_check_letter
from educonnect_core.errors import ConcurrentChange
from educonnect_core.ports import Storage, UnitOfWork

__all__ = ["T0", "account", "fresh_uai", "message", "student"]

T0 = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
_UAI_COUNTER = itertools.count(1)


def fresh_uai() -> Uai:
    """A valid UAI never handed out before in this process (examples never share a school)."""
    digits = f"{next(_UAI_COUNTER) % 10_000_000:07d}"
    return Uai(digits + uai_check_letter(digits))


def account(
    account_id: str,
    login: str,
    *,
    surname: str = "DUPONT",
    first_name: str = "Jean",
    state: AccountState = AccountState.NOT_NOTIFIED,
    origin: Origin = Origin.NONE,
    email: str | None = None,
    mobile: str | None = None,
    distributed_at: datetime | None = None,
    last_login_at: datetime | None = None,
    chosen: bool = False,
) -> Account:
    """An account built field by field (the storage does not care how it got its state)."""
    return Account(
        account_id=account_id,
        login=Login(login),
        surname=surname,
        first_name=first_name,
        password=Chosen("fast$0$" + "0" * 64) if chosen else Provisional("ABCD2345", T0),
        created_at=T0,
        state=state,
        origin=origin,
        directory_email=None if email is None else Email(email),
        mobile=None if mobile is None else Mobile(mobile),
        distributed_at=distributed_at,
        last_login_at=last_login_at,
    )


def student(student_id: str, uai: Uai, **fields: Any) -> Student:
    """A pupil with plausible defaults."""
    values: dict[str, Any] = {
        "surname": "MARTIN",
        "first_name": "Léa",
        "birth_date": date(2018, 5, 4),
        "class_id": None,
        "level": Level("CP"),
        "ine": Ine("0000000001A"),
        "admitted": True,
    }
    values.update(fields)
    return Student(student_id=student_id, uai=uai, **values)


def message(message_id: str, account_id: str, created_at: datetime) -> OutboxMessage:
    """An outbox message carrying a C02 letter with a provisional password."""
    letter = compose(
        LetterKind.C02,
        recipient="Jean DUPONT",
        school_name="ECOLE DU LAC",
        children=("Léa MARTIN",),
        login="j.dupont",
        password="ABCD2345",
    )
    return OutboxMessage(message_id, account_id, Email("jean@example.org"), letter, created_at)


class _Base(abc.ABC):
    """What every part of the contract needs: a fresh storage per test."""

    @abc.abstractmethod
    def make_storage(self) -> Storage:
        """A new, empty storage, ready for units of work."""

    def dispose(self, storage: Storage) -> None:  # noqa: B027 - an optional hook.
        """Release what `make_storage` took (connections, files); nothing by default."""

    @pytest.fixture
    def storage(self) -> Iterator[Storage]:
        """A fresh storage, disposed of after the test."""
        made = self.make_storage()
        try:
            yield made
        finally:
            self.dispose(made)

    @staticmethod
    def put(storage: Storage, *accounts: Account) -> None:
        """Store accounts in one committed unit of work."""
        with storage.unit_of_work() as uow:
            for item in accounts:
                uow.accounts.add(item)
            uow.commit()


def _commit_expecting_conflict(uow: UnitOfWork, action: Any) -> None:
    # The conflict may surface at the write or at the latest on commit: both are in the block.
    with pytest.raises(ConcurrentChange):  # noqa: PT012
        action()
        uow.commit()
