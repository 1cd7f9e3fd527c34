"""The transactional outbox and the audit trail of a unit of work.

Their writes wait in the unit of work and go to the database with its commit, in the same
transaction as the account changes that caused them; their reads see committed rows only.
A letter waits sealed with the database's key (`Sealer`); a sent message keeps its row (id,
recipient, dates) but loses its letter, which holds a secret. A message handed to the mailer is
``inflight`` until marked sent or failed. Audit entries are stored with their hash-chain digest.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import attrs
from sqlalchemy import Connection, Select, bindparam, func, or_, select, update

from educonnect_core.domain.audit import GENESIS, ChainedEntry, chain_digest
from educonnect_core.domain.records import AuditEntry, OutboxMessage
from educonnect_core.domain.values import Email
from educonnect_sql.codec import letter_from_json, letter_json
from educonnect_sql.schema import AUDIT, OUTBOX
from educonnect_sql.sealing import Sealer

if TYPE_CHECKING:
    from educonnect_sql.work import Work as SqlUnitOfWork

__all__ = [
    "IN_FLIGHT",
    "PENDING",
    "SENT",
    "SqlAudit",
    "SqlOutbox",
    "WaitingMessage",
    "write_audit",
    "write_outbox",
]

PENDING = "pending"
IN_FLIGHT = "inflight"
SENT = "sent"
#: The PostgreSQL advisory lock that serialises appends to the audit chain ("educon").
_CHAIN_LOCK = 0x6564_7563_6F6E
#: Ids bound in one ``IN (…)`` list (SQLite's limit on bound values is 32,766; PostgreSQL's
#: 65,535).
_IDS_PER_STATEMENT = 500


def write_outbox(
    connection: Connection,
    sealer: Sealer,
    *,
    messages: Sequence[OutboxMessage],
    flying: dict[str, datetime],
    sent: dict[str, datetime],
    failed: dict[str, tuple[datetime, str, datetime]],
) -> None:
    """Store new messages (letters sealed by `sealer`), then in-flight marks, then failed
    attempts, then deliveries (the in-memory order). The marks of one instant (a relay's batch)
    are one set-based statement per `_IDS_PER_STATEMENT` ids.
    """
    if messages:
        connection.execute(
            OUTBOX.insert(),
            [
                {
                    "message_id": m.message_id,
                    "account_id": m.account_id,
                    "recipient": m.to.value,
                    "letter": sealer.seal(letter_json(m.letter), "outbox", "letter", m.message_id),
                    "created_at": m.created_at,
                    "status": PENDING,
                    "attempts": 0,
                    "due_at": None,
                    "last_error": "",
                    "sent_at": None,
                    "in_flight_at": None,
                }
                for m in messages
            ],
        )
    for at, ids in _by_instant(flying):
        connection.execute(
            update(OUTBOX)
            .where(OUTBOX.c.message_id.in_(ids), OUTBOX.c.status == PENDING)
            .values(status=IN_FLIGHT, in_flight_at=at)
        )
    if failed:
        connection.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.message_id == bindparam("b_id"),
                # Not `in_`: an expanding parameter cannot go with executemany (several
                # messages failed in one unit, as a relay's batch does).
                or_(OUTBOX.c.status == PENDING, OUTBOX.c.status == IN_FLIGHT),
            )
            .values(
                status=PENDING,
                in_flight_at=None,
                attempts=OUTBOX.c.attempts + 1,
                due_at=bindparam("b_retry", type_=OUTBOX.c.due_at.type),
                last_error=bindparam("b_error"),
            ),
            [
                {"b_id": i, "b_retry": retry_at, "b_error": error}
                for i, (_at, error, retry_at) in failed.items()
            ],
        )
    for at, ids in _by_instant(sent):
        connection.execute(
            update(OUTBOX)
            .where(OUTBOX.c.message_id.in_(ids))
            .values(status=SENT, letter=None, in_flight_at=None, sent_at=at)
        )


def _by_instant(marks: dict[str, datetime]) -> Iterator[tuple[datetime, list[str]]]:
    """The marked ids grouped by instant, at most `_IDS_PER_STATEMENT` a group: the relay marks
    a whole batch at one instant, so a batch is one set-based ``UPDATE … WHERE message_id IN``.
    """
    groups: dict[datetime, list[str]] = {}
    for message_id, at in marks.items():
        groups.setdefault(at, []).append(message_id)
    for at, ids in groups.items():
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            yield at, ids[start : start + _IDS_PER_STATEMENT]


def write_audit(connection: Connection, entries: Sequence[AuditEntry]) -> None:
    """Append audit entries, in order, each with its digest chained to the last committed one.

    The chain's head is read under the write lock (SQLite's single writer; on PostgreSQL a
    transaction-scoped advisory lock, held until commit), so that units of work committing at
    the same time append one after the other and the chain never forks.
    """
    if not entries:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(_CHAIN_LOCK)))
    last = connection.execute(select(AUDIT.c.digest).order_by(AUDIT.c.seq.desc()).limit(1)).first()
    previous = GENESIS if last is None or last[0] is None else str(last[0])
    rows = []
    for e in entries:
        previous = chain_digest(previous, e)
        rows.append(
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "outcome": e.outcome,
                "account_id": e.account_id,
                "uai": e.uai,
                "detail": e.detail,
                "digest": previous,
            }
        )
    connection.execute(AUDIT.insert(), rows)


#: What a message is read back from (the columns `_messages` unpacks, in order).
_MESSAGE_ROWS: Final = select(
    OUTBOX.c.message_id,
    OUTBOX.c.account_id,
    OUTBOX.c.recipient,
    OUTBOX.c.letter,
    OUTBOX.c.created_at,
)


class SqlOutbox:
    """`educonnect_core.ports.Outbox` on the unit of work's transaction."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, message: OutboxMessage) -> None:
        """Store `message` with the unit of work's commit."""
        self._uow.messages.append(message)

    def pending(self, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Committed, unsent messages due at `now`, oldest first (none in flight)."""
        return self._messages(
            _MESSAGE_ROWS.where(
                OUTBOX.c.status == PENDING,
                or_(OUTBOX.c.due_at.is_(None), OUTBOX.c.due_at <= now),
            )
            .order_by(OUTBOX.c.created_at, OUTBOX.c.message_id)
            .limit(limit)
        )

    def in_flight(self) -> Sequence[OutboxMessage]:
        """Committed messages in flight, oldest first."""
        return self._messages(
            _MESSAGE_ROWS.where(OUTBOX.c.status == IN_FLIGHT).order_by(
                OUTBOX.c.created_at, OUTBOX.c.message_id
            )
        )

    def _messages(self, query: Select[Any]) -> list[OutboxMessage]:
        with self._uow.guard():
            rows = self._uow.connection.execute(query).all()
        sealer = self._uow.storage.sealer
        return [
            OutboxMessage(
                message_id=message_id,
                account_id=account_id,
                to=Email(recipient),
                letter=letter_from_json(sealer.open(letter, "outbox", "letter", message_id)),
                created_at=created_at,
            )
            for message_id, account_id, recipient, letter, created_at in rows
        ]

    def mark_in_flight(self, message_id: str, at: datetime) -> None:
        """Record with the commit that the message is being handed to the mailer."""
        self._uow.flying[message_id] = at

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """Record delivery with the commit: never pending again, letter forgotten."""
        self._uow.sent[message_id] = at

    def mark_failed(self, message_id: str, at: datetime, error: str, retry_at: datetime) -> None:
        """Record a failed attempt with the commit; pending again, no earlier than `retry_at`."""
        self._uow.failed[message_id] = (at, error, retry_at)

    def attempts(self, message_id: str) -> int:
        """Failed attempts so far of an unsent message (0 once sent, as in memory)."""
        query = select(OUTBOX.c.attempts).where(
            OUTBOX.c.message_id == message_id, OUTBOX.c.status.in_((PENDING, IN_FLIGHT))
        )
        with self._uow.guard():
            found = self._uow.connection.execute(query).scalar()
        return 0 if found is None else int(found)

    def sent_ids(self) -> Collection[str]:
        """The ids of every message delivered so far."""
        query = select(OUTBOX.c.message_id).where(OUTBOX.c.status == SENT)
        with self._uow.guard():
            return set(self._uow.connection.execute(query).scalars())

    def waiting(self) -> Sequence[WaitingMessage]:
        """Every committed, unsent message (due or not), oldest first, with its attempts."""
        query = (
            select(
                OUTBOX.c.message_id,
                OUTBOX.c.account_id,
                OUTBOX.c.recipient,
                OUTBOX.c.created_at,
                OUTBOX.c.attempts,
                OUTBOX.c.due_at,
                OUTBOX.c.last_error,
            )
            .where(OUTBOX.c.status.in_((PENDING, IN_FLIGHT)))
            .order_by(OUTBOX.c.created_at, OUTBOX.c.message_id)
        )
        with self._uow.guard():
            rows = self._uow.connection.execute(query).all()
        return [WaitingMessage(*row) for row in rows]


@attrs.frozen
class WaitingMessage:
    """An unsent message as ``educonnect outbox status`` shows it (no letter: it holds a secret).

    `attempts` counts failed attempts; `due_at` is the next try (None: at once).
    """

    message_id: str
    account_id: str
    recipient: str
    created_at: datetime
    attempts: int
    due_at: datetime | None
    last_error: str


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        at=r["at"],
        actor=r["actor"],
        action=r["action"],
        outcome=r["outcome"],
        account_id=r["account_id"],
        uai=r["uai"],
        detail=r["detail"],
    )


class SqlAudit:
    """`educonnect_core.ports.AuditTrail` on the unit of work's transaction."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def record(self, entry: AuditEntry) -> None:
        """Append `entry` with the unit of work's commit."""
        self._uow.entries.append(entry)

    def entries(
        self, *, account_id: str | None = None, since: datetime | None = None
    ) -> Sequence[AuditEntry]:
        """Committed entries, oldest first, optionally for one account or from an instant."""
        query = select(AUDIT).order_by(AUDIT.c.seq)
        if account_id is not None:
            query = query.where(AUDIT.c.account_id == account_id)
        if since is not None:
            query = query.where(AUDIT.c.at >= since)
        with self._uow.guard():
            rows = self._uow.connection.execute(query).mappings().all()
        return [_entry(r) for r in rows]

    def chain(self) -> Sequence[ChainedEntry]:
        """Every committed entry with its position and stored digest, in `seq` order."""
        query = select(AUDIT).order_by(AUDIT.c.seq)
        with self._uow.guard():
            rows = self._uow.connection.execute(query).mappings().all()
        return [
            ChainedEntry(position, _entry(r), r["digest"] or "")
            for position, r in enumerate(rows, start=1)
        ]
