"""The relay's batches on a SQLite outbox, as the CLI runs them: several failures in one batch
are recorded in one unit of work (an executemany that once could not bind the statuses), and
retried after the wait; each message delivered once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.core.test_relay_batches import CountingStorage, LedgerMailer
from tests.sql.scenario import DIRECTOR, UAI, snapshot

from educonnect_core.domain.lifecycle import Channel
from educonnect_core.domain.selection import Selection
from educonnect_core.testing import in_memory_world
from educonnect_sql import SqlStorage


def test_two_failures_in_a_batch_on_sqlite(tmp_path: Path) -> None:
    inner = SqlStorage.open(f"sqlite:///{tmp_path / 'relay.db'}", migrate=True)
    try:
        storage = CountingStorage(inner)
        world = in_memory_world(seed=2, storage=storage, deliver_after_commit=False)
        world.app.integrate(snapshot(6))
        world.app.administration(DIRECTOR).notify(UAI, Selection(), Channel.EMAIL)
        ledger = LedgerMailer(storage, fail_at=[2, 5])
        world.app.relay.mailer = ledger
        storage.commits = 0
        first = world.app.deliver_pending()
        assert (len(first.sent), len(first.failed)) == (4, 2)
        assert storage.commits == 2
        (batch,) = ledger.batches
        assert [f[0] for f in first.failed] == [batch[1], batch[4]]
        world.clock.advance(minutes=1)
        second = world.app.deliver_pending()
        assert set(second.sent) == {batch[1], batch[4]}
        assert Counter(ledger.delivered) == dict.fromkeys(batch, 1)
        with inner.unit_of_work() as uow:
            assert set(uow.outbox.sent_ids()) == set(batch)
            assert uow.outbox.in_flight() == []
    finally:
        inner.close()
