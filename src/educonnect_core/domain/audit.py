"""The audit trail's hash chain: what makes the trail tamper-evident.

Each entry is stored with a digest that covers the entry and the digest of the entry before it
(SHA-256 over `canonical_bytes`, an unambiguous encoding of every field), like an append-only
log: changing, inserting or deleting an entry breaks the chain at that entry, and hiding it
means rewriting every digest after it. The storages compute the digest when they record an entry
(`chain_digest`), in recording order; `first_broken` finds where a stored chain stops matching.

What a chain cannot tell on its own: that its most recent entries were cut off (the last
remaining entry still verifies). An operator who keeps the head digest elsewhere (`head`) can
check that too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC
from typing import Final

import attrs

from educonnect_core.domain.records import AuditEntry

__all__ = [
    "GENESIS",
    "ChainedEntry",
    "canonical_bytes",
    "chain_digest",
    "first_broken",
    "head",
]

#: The « previous digest » of the first entry.
GENESIS: Final = "0" * 64


@attrs.frozen
class ChainedEntry:
    """An audit entry as stored: its position in the trail (1 for the first) and its digest."""

    position: int
    entry: AuditEntry
    digest: str


def canonical_bytes(entry: AuditEntry) -> bytes:
    """The entry's fields as a JSON array (UTC instant in ISO 8601 with microseconds, then the
    texts; None stays null): one byte string per entry, and never the same for two different
    entries.
    """
    fields = [
        entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        entry.actor,
        entry.action,
        entry.outcome,
        entry.account_id,
        entry.uai,
        entry.detail,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chain_digest(previous: str, entry: AuditEntry) -> str:
    """The digest of `entry` recorded after an entry of digest `previous` (`GENESIS` for the
    first): hex SHA-256 of `previous`, a newline, and `canonical_bytes(entry)`.
    """
    import hashlib  # noqa: PLC0415 - on first use: `import educonnect_core` stays light (issue 14)

    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical_bytes(entry)).hexdigest()


def first_broken(chain: Iterable[ChainedEntry]) -> ChainedEntry | None:
    """The first stored entry whose digest is not the one its content and its predecessor's
    stored digest give (an edited, inserted or deleted entry, or a rewritten digest); None when
    the whole chain holds.
    """
    previous = GENESIS
    for chained in chain:
        if chained.digest != chain_digest(previous, chained.entry):
            return chained
        previous = chained.digest
    return None


def head(chain: Iterable[ChainedEntry]) -> str:
    """The digest of the last entry (`GENESIS` for an empty trail): keep it elsewhere to detect
    a trail cut short later.
    """
    last = GENESIS
    for chained in chain:
        last = chained.digest
    return last
