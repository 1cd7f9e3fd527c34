"""The storage contract for the guardian's activity (`Accounts.record_login_failure` and
`Accounts.record_login_success`): subclass `ActivityContract` beside `StorageContract`.

What it proves: failures are counted by the storage without version check nor bump, parallel
units of work each count theirs, a versioned `update` never erases them (nor conflicts with
them), failures counted under older credentials no longer count, and nothing is kept of a unit
of work that does not commit.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from educonnect_core.domain.account import FailureCounter, NoPassword
from educonnect_core.domain.lifecycle import AccountState
from educonnect_core.domain.policy import Throttle
from educonnect_core.ports import Storage
from educonnect_core.testing.contract_base import T0, _Base, account

__all__ = ["ActivityContract"]

THROTTLE = Throttle(free=2, first_wait=timedelta(minutes=1))


class ActivityContract(_Base):
    """The guardian's activity is kept apart from the account's versioned state."""

    @staticmethod
    def fail(storage: Storage, account_id: str = "R1", *, cap: int | None = None) -> FailureCounter:
        """One committed failure."""
        with storage.unit_of_work() as uow:
            counter = uow.accounts.record_login_failure(account_id, T0, THROTTLE, cap)
            uow.commit()
        return counter

    def stored_counter(self, storage: Storage) -> FailureCounter:
        """The failures as a fresh unit of work reads them."""
        with storage.unit_of_work() as uow:
            found = uow.accounts.get("R1")
        assert found is not None
        return found.login_failures

    def test_failures_are_counted_without_a_new_version(self, storage: Storage) -> None:
        """Each failure adds one, locks by the throttle, blocks at the cap; version unchanged."""
        self.put(storage, account("R1", "j.dupont", state=AccountState.NOTIFIED))
        assert self.fail(storage, cap=3) == FailureCounter(1)
        assert self.fail(storage, cap=3) == FailureCounter(2, T0 + timedelta(minutes=1))
        third = self.fail(storage, cap=3)
        assert third == FailureCounter(3, T0 + timedelta(minutes=2), blocked=True)
        assert self.stored_counter(storage) == third
        with storage.unit_of_work() as uow:
            found = uow.accounts.get("R1")
        assert found is not None
        assert (found.version, found.blocked) == (1, True)

    def test_round_trip_of_credentials_cap_and_no_password(self, storage: Storage) -> None:
        """`credentials`, a blocked counter and `NoPassword` are stored and read back as added."""
        original = account("R1", "j.dupont", state=AccountState.ACTIVATED)
        original.password = NoPassword()
        original.credentials = 4
        original.login_failures = FailureCounter(100, T0, blocked=True)
        expected = attrs.evolve(original, version=1)
        self.put(storage, original)
        with storage.unit_of_work() as uow:
            found = uow.accounts.get("R1")
        assert found == expected
        assert found is not None
        assert found.blocked

    def test_two_units_of_work_each_count(self, storage: Storage) -> None:
        """Two units of work that read the same account both count their failure."""
        self.put(storage, account("R1", "j.dupont", state=AccountState.NOTIFIED))
        with storage.unit_of_work() as first:
            first.accounts.record_login_failure("R1", T0, THROTTLE, None)
            first.commit()
        with storage.unit_of_work() as second:
            assert second.accounts.get("R1") is not None
            second.accounts.record_login_failure("R1", T0, THROTTLE, None)
            second.commit()
        assert self.stored_counter(storage).failures == 2

    def test_update_neither_conflicts_with_nor_erases_activity(self, storage: Storage) -> None:
        """A unit of work that read the account before a failure was committed updates it
        without `ConcurrentChange`, and the failure stays counted.
        """
        self.put(storage, account("R1", "j.dupont", state=AccountState.NOTIFIED))
        with storage.unit_of_work() as director:
            mine = director.accounts.get("R1")
            assert mine is not None
            self.fail(storage)
            mine.surname = "DIRECTOR"
            director.accounts.update(mine)
            director.commit()
        with storage.unit_of_work() as uow:
            found = uow.accounts.get("R1")
        assert found is not None
        assert (found.surname, found.login_failures.failures, found.version) == (
            "DIRECTOR",
            1,
            2,
        )

    def test_new_credentials_forget_older_failures(self, storage: Storage) -> None:
        """Once `credentials` grows (a reset), earlier failures no longer count; new ones
        count from one.
        """
        self.put(storage, account("R1", "j.dupont", state=AccountState.NOTIFIED))
        self.fail(storage, cap=2)
        self.fail(storage, cap=2)
        assert self.stored_counter(storage).blocked
        with storage.unit_of_work() as uow:
            found = uow.accounts.get("R1")
            assert found is not None
            found.credentials += 1
            uow.accounts.update(found)
            uow.commit()
        assert self.stored_counter(storage) == FailureCounter()
        assert self.fail(storage, cap=2) == FailureCounter(1)

    def test_success_clears_and_dates_only_connections(self, storage: Storage) -> None:
        """A success clears the failures; only a connection that went through dates it."""
        self.put(storage, account("R1", "j.dupont", state=AccountState.NOTIFIED))
        self.fail(storage)
        with storage.unit_of_work() as uow:
            uow.accounts.record_login_success("R1", T0, connected=False)
            uow.commit()
        with storage.unit_of_work() as uow:
            found = uow.accounts.get("R1")
        assert found is not None
        assert (found.login_failures, found.last_login_at) == (FailureCounter(), None)
        later = T0 + timedelta(hours=1, microseconds=3)
        with storage.unit_of_work() as uow:
            uow.accounts.record_login_success("R1", later, connected=True)
            uow.commit()
        with storage.unit_of_work() as uow:
            found = uow.accounts.get("R1")
        assert found is not None
        assert (found.last_login_at, found.version) == (later, 1)

    def test_nothing_kept_without_commit(self, storage: Storage) -> None:
        """Activity recorded in a unit of work that ends uncommitted is forgotten."""
        self.put(storage, account("R1", "j.dupont", state=AccountState.NOTIFIED))
        with storage.unit_of_work() as uow:
            uow.accounts.record_login_failure("R1", T0, THROTTLE, None)
            uow.accounts.record_login_success("R1", T0, connected=True)
        with storage.unit_of_work() as uow:
            found = uow.accounts.get("R1")
        assert found is not None
        assert (found.login_failures, found.last_login_at) == (FailureCounter(), None)

    @pytest.mark.parametrize("connected", [False, True])
    def test_unknown_account(self, storage: Storage, connected: bool) -> None:
        """Recording for an unknown id changes nothing and gives an empty counter."""
        with storage.unit_of_work() as uow:
            assert uow.accounts.record_login_failure("R9", T0, THROTTLE, 1) == FailureCounter()
            uow.accounts.record_login_success("R9", T0, connected=connected)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("R9") is None
