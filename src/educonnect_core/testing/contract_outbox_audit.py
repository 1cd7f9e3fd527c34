"""The storage contract's rules for messages in flight and the audit trail's hash chain.

A part of the contract like those of `educonnect_core.testing.contract` (same `make_storage()`
and `dispose()`); subclass `OutboxAuditContract` beside `StorageContract`::

    class TestMyStorage(StorageContract, OutboxAuditContract):
        def make_storage(self) -> Storage:
            return MyStorage.connect(...)
"""

from __future__ import annotations

from datetime import timedelta

from educonnect_core.domain.audit import GENESIS, chain_digest, first_broken
from educonnect_core.domain.records import AuditEntry
from educonnect_core.ports import Storage
from educonnect_core.testing.contract_base import T0, _Base, message

__all__ = ["AuditChainContract", "OutboxAuditContract", "OutboxInFlightContract"]


class OutboxInFlightContract(_Base):
    """A message marked in flight leaves `pending` for `in_flight` until sent or failed."""

    def test_in_flight_until_sent_or_failed(self, storage: Storage) -> None:
        """Committed marks only; sent forgets it; failed makes it pending again, counted."""
        with storage.unit_of_work() as uow:
            for number in range(3):
                uow.outbox.add(message(f"M{number}", "R1", T0 + timedelta(seconds=number)))
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.outbox.mark_in_flight("M0", T0)
            uow.outbox.mark_in_flight("M1", T0)
            assert uow.outbox.in_flight() == []
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [m.message_id for m in uow.outbox.in_flight()] == ["M0", "M1"]
            assert uow.outbox.in_flight()[0] == message("M0", "R1", T0)
            assert [m.message_id for m in uow.outbox.pending(T0 + timedelta(days=1))] == ["M2"]
            uow.outbox.mark_sent("M0", T0)
            later = T0 + timedelta(minutes=5)
            uow.outbox.mark_failed("M1", T0, "ServerUnavailable: down", later)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.outbox.in_flight() == []
            assert set(uow.outbox.sent_ids()) == {"M0"}
            assert uow.outbox.attempts("M1") == 1
            assert [m.message_id for m in uow.outbox.pending(later - timedelta(seconds=1))] == [
                "M2"
            ]
            assert [m.message_id for m in uow.outbox.pending(later)] == ["M1", "M2"]

    def test_rolled_back_mark_changes_nothing(self, storage: Storage) -> None:
        """A mark in flight that is not committed leaves the message pending."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(message("M0", "R1", T0))
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.outbox.mark_in_flight("M0", T0)
        with storage.unit_of_work() as uow:
            assert uow.outbox.in_flight() == []
            assert [m.message_id for m in uow.outbox.pending(T0)] == ["M0"]

    def test_a_relay_batch_in_one_unit(self, storage: Storage) -> None:
        """Marks of many messages in one unit (more than an adapter may bind in one statement)
        all take effect at commit, at their own instants, and touch no other message.
        """
        ids = [f"B{number:04d}" for number in range(1_203)]
        with storage.unit_of_work() as uow:
            for number, message_id in enumerate(ids):
                uow.outbox.add(message(message_id, "R1", T0 + timedelta(microseconds=number)))
            uow.commit()
        flying, later, untouched = ids[:1_100], ids[1_100:1_200], ids[1_200:]
        with storage.unit_of_work() as uow:
            for message_id in flying:
                uow.outbox.mark_in_flight(message_id, T0)
            for message_id in later:
                uow.outbox.mark_in_flight(message_id, T0 + timedelta(seconds=1))
            uow.commit()
        far = T0 + timedelta(days=1)
        with storage.unit_of_work() as uow:
            assert [m.message_id for m in uow.outbox.in_flight()] == flying + later
            assert [m.message_id for m in uow.outbox.pending(far, 10)] == untouched
            retry = T0 + timedelta(minutes=5)
            for message_id in flying[:1_050]:
                uow.outbox.mark_sent(message_id, T0)
            for message_id in later:
                uow.outbox.mark_sent(message_id, T0 + timedelta(seconds=2))
            for message_id in flying[1_050:]:
                uow.outbox.mark_failed(message_id, T0, "ServerUnavailable: lost", retry)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.outbox.in_flight() == []
            assert set(uow.outbox.sent_ids()) == set(flying[:1_050] + later)
            assert [m.message_id for m in uow.outbox.pending(far, 100)] == (
                flying[1_050:] + untouched
            )
            assert [m.message_id for m in uow.outbox.pending(retry - timedelta(seconds=1))] == (
                untouched
            )
            assert {uow.outbox.attempts(i) for i in flying[1_050:]} == {1}
            assert uow.outbox.attempts(untouched[0]) == 0


class AuditChainContract(_Base):
    """Committed entries carry the hash chain, in recording order, across units of work."""

    def test_chain_of_committed_entries(self, storage: Storage) -> None:
        """Each digest chains the entry to the previous one, from `GENESIS`; uncommitted
        entries are not in it.
        """
        entries = [
            AuditEntry(T0 + timedelta(minutes=i), "director:d1", f"A{i}", "done", f"R{i}", None, "")
            for i in range(3)
        ] + [AuditEntry(T0, "guardian:é.ü", "LOGIN", "refused", None, "0750001A", "ÿ\n\"'")]
        with storage.unit_of_work() as uow:
            uow.audit.record(entries[0])
            uow.audit.record(entries[1])
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.audit.record(AuditEntry(T0, "relay", "LOST", "done"))
        with storage.unit_of_work() as uow:
            uow.audit.record(entries[2])
            uow.audit.record(entries[3])
            assert len(uow.audit.chain()) == 2
            uow.commit()
        with storage.unit_of_work() as uow:
            chain = list(uow.audit.chain())
        assert [(c.position, c.entry) for c in chain] == list(enumerate(entries, start=1))
        previous = GENESIS
        for chained in chain:
            previous = chain_digest(previous, chained.entry)
            assert chained.digest == previous
        assert first_broken(chain) is None

    def test_empty_trail(self, storage: Storage) -> None:
        """A storage without entries has an empty chain."""
        with storage.unit_of_work() as uow:
            assert list(uow.audit.chain()) == []


class OutboxAuditContract(OutboxInFlightContract, AuditChainContract):
    """Every rule of this part; subclass it beside `StorageContract`."""
