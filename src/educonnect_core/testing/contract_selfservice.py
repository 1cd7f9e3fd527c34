"""The storage contract of the guardian's self-service paths (issue 13): subclass
`SelfServiceContract` beside `StorageContract`.

What it proves: SMS code records round-trip, are spent once (a second spend of the same digest
conflicts), count wrong codes atomically; a FranceConnect `sub` is stored and found; a merged
account is gone (by id and by login) and its id, with every id merged into it before, names the
survivor in `aliases`; nothing is kept of a unit of work that does not commit.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from educonnect_core.domain.account import ActivationLink, FailureCounter
from educonnect_core.domain.lifecycle import AccountState
from educonnect_core.domain.policy import Throttle
from educonnect_core.domain.sms import OneTimeCode, SmsPurpose
from educonnect_core.domain.values import Email
from educonnect_core.errors import ConcurrentChange
from educonnect_core.ports import Storage
from educonnect_core.testing.contract_base import T0, _Base, account

__all__ = ["SelfServiceContract"]

LINE = "+33655443322"
THROTTLE = Throttle(free=2, first_wait=timedelta(minutes=1))


def _code(digest: str = "d1") -> OneTimeCode:
    return OneTimeCode(LINE, SmsPurpose.SIGN_UP, digest, T0, T0 + timedelta(minutes=10))


class SelfServiceContract(_Base):
    """One-time codes, FranceConnect identities and merged accounts in storage."""

    def test_a_code_round_trips(self, storage: Storage) -> None:
        """A stored code reads back equal; an uncommitted one is not kept."""
        with storage.unit_of_work() as uow:
            uow.codes.put(attrs.evolve(_code(), failures=FailureCounter(1)))
        with storage.unit_of_work() as uow:
            assert uow.codes.get(LINE) is None
            uow.codes.put(attrs.evolve(_code(), failures=FailureCounter(1)))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.codes.get(LINE) == attrs.evolve(_code(), failures=FailureCounter(1))

    def test_a_code_is_spent_once(self, storage: Storage) -> None:
        """Spending a digest that is no longer the record's conflicts and changes nothing."""
        with storage.unit_of_work() as uow:
            uow.codes.put(_code())
            uow.commit()
        spent = attrs.evolve(_code(), digest=None)
        with storage.unit_of_work() as uow:
            uow.codes.spend(LINE, "d1", spent)
            uow.commit()
        with storage.unit_of_work() as uow:

            def again() -> None:
                uow.codes.spend(LINE, "d1", _code("d2"))
                uow.commit()

            with pytest.raises(ConcurrentChange):
                again()
        with storage.unit_of_work() as uow:
            assert uow.codes.get(LINE) == spent

    def test_two_interleaved_spends_of_one_code_let_one_through(self, storage: Storage) -> None:
        """Two units of work read the same code; the first spends it and commits; the second's
        spend conflicts and the record stays as the first left it.
        """
        with storage.unit_of_work() as uow:
            uow.codes.put(_code())
            uow.commit()
        first_proof = attrs.evolve(_code("p1"), proven=True)
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            assert first.codes.get(LINE) == second.codes.get(LINE) == _code()
            first.codes.spend(LINE, "d1", first_proof)
            first.commit()

            def late() -> None:
                second.codes.spend(LINE, "d1", attrs.evolve(_code("p2"), proven=True))
                second.commit()

            with pytest.raises(ConcurrentChange):
                late()
        with storage.unit_of_work() as uow:
            assert uow.codes.get(LINE) == first_proof

    def test_wrong_codes_are_counted_by_the_storage(self, storage: Storage) -> None:
        """Each failure adds one, in separate units of work, with the throttle's lock."""
        with storage.unit_of_work() as uow:
            uow.codes.put(_code())
            uow.commit()
        for expected in (FailureCounter(1), FailureCounter(2, T0 + timedelta(minutes=1))):
            with storage.unit_of_work() as uow:
                assert uow.codes.record_failure(LINE, T0, THROTTLE) == expected
                uow.commit()
        with storage.unit_of_work() as uow:
            found = uow.codes.get(LINE)
            assert uow.codes.record_failure("+33600000000", T0, THROTTLE) == FailureCounter()
        assert found is not None
        assert found.failures == FailureCounter(2, T0 + timedelta(minutes=1))

    def test_a_franceconnect_sub_is_stored_and_found(self, storage: Storage) -> None:
        """The `sub` bound to an account reads back and finds it."""
        original = account("R1", "j.dupont", state=AccountState.ACTIVATED)
        original.bind_franceconnect("sub-123")
        self.put(storage, original)
        with storage.unit_of_work() as uow:
            found = uow.accounts.by_franceconnect_sub("sub-123")
            assert uow.accounts.by_franceconnect_sub("sub-999") is None
        assert found is not None
        assert (found.account_id, found.franceconnect_sub) == ("R1", "sub-123")

    def test_a_merged_account_is_gone_and_aliased(self, storage: Storage) -> None:
        """After two merges (R1 into R2, R2 into R3), R1 and R2 are gone and both name R3."""
        for rid, login in (("R1", "a.b"), ("R2", "a.b2"), ("R3", "a.b3")):
            self.put(storage, account(rid, login, state=AccountState.ACTIVATED))
        for gone, into in (("R1", "R2"), ("R2", "R3")):
            with storage.unit_of_work() as uow:
                found = uow.accounts.get(gone)
                assert found is not None
                uow.accounts.merge_into(found, into)
                uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("R1") is None
            assert uow.accounts.by_login("a.b2") is None
            assert set(uow.accounts.get_many(["R1", "R2", "R3"])) == {"R3"}
            assert uow.accounts.aliases(["R1", "R2", "R3"]) == {"R1": "R3", "R2": "R3"}

    def test_a_merge_of_a_changed_account_conflicts(self, storage: Storage) -> None:
        """Merging an account another unit of work changed meanwhile keeps it."""
        self.put(storage, account("R1", "a.b", state=AccountState.ACTIVATED))
        self.put(storage, account("R2", "a.b2", state=AccountState.ACTIVATED))
        with storage.unit_of_work() as uow:
            stale = uow.accounts.get("R1")
        with storage.unit_of_work() as uow:
            fresh = uow.accounts.get("R1")
            assert fresh is not None
            uow.accounts.update(fresh)
            uow.commit()
        assert stale is not None
        with storage.unit_of_work() as uow:

            def merge() -> None:
                uow.accounts.merge_into(stale, "R2")
                uow.commit()

            with pytest.raises(ConcurrentChange):
                merge()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("R1") is not None
            assert uow.accounts.aliases(["R1"]) == {}

    def test_a_recovery_link_and_chosen_address_find_the_account(self, storage: Storage) -> None:
        """The pending recovery link reads back and is found by its digest; the chosen address
        finds the account.
        """
        original = account("R1", "j.dupont", state=AccountState.ACTIVATED)
        original.chosen_email = Email("jean@example.org")
        original.recovery = ActivationLink("dg", Email("jean@example.org"), T0)
        self.put(storage, original)
        with storage.unit_of_work() as uow:
            found = uow.accounts.by_recovery_digest("dg")
            assert uow.accounts.by_recovery_digest("other") is None
            by_email = uow.accounts.by_email(Email("jean@example.org"))
        assert found == attrs.evolve(original, version=1)
        assert [a.account_id for a in by_email] == ["R1"]
