"""The storage contract's concurrency part catches a lost update the older parts let through."""

from __future__ import annotations

import pytest
from tests.toolkit.doubles import LostUpdateStorage

from educonnect_core.ports import Storage
from educonnect_core.testing.contract import ConcurrencyContract, TransactionsContract


class TestLostUpdateStorageAgainstTheConcurrencyPart(ConcurrencyContract):
    """Placeholder so the part's methods can be called on the broken storage (not collected)."""

    __test__ = False

    def make_storage(self) -> Storage:
        return LostUpdateStorage()


PART = TestLostUpdateStorageAgainstTheConcurrencyPart()


@pytest.mark.parametrize(
    "check",
    [
        PART.test_later_commit_of_two_interleaved_writers_is_refused,
        PART.test_later_commit_is_refused_whoever_wrote_first,
    ],
)
def test_the_concurrency_part_fails_a_lost_update(check: object) -> None:
    """A storage that checks the version at `update` and stores anyway at commit fails each test
    of the concurrency part, with an error naming the lost update.
    """
    assert callable(check)
    with pytest.raises((AssertionError, pytest.fail.Exception)) as failed:
        check(LostUpdateStorage())
    assert "lost update" in str(failed.value)


def test_the_older_transactions_part_let_it_through() -> None:
    """The same storage passes the transactions part's stale-version test: without the
    concurrency part, the contract missed the lost update.
    """
    part = type("Part", (TransactionsContract,), {"make_storage": lambda self: LostUpdateStorage()})
    part().test_stale_version_is_refused(LostUpdateStorage())
