"""Verifying the audit trail's hash chain on any storage (`educonnect audit verify`)."""

from __future__ import annotations

from educonnect_core.domain.audit import ChainedEntry, first_broken
from educonnect_core.ports import Storage

__all__ = ["verify_audit"]


def verify_audit(storage: Storage) -> ChainedEntry | None:
    """The first committed entry of `storage`'s audit trail whose stored digest does not match
    its content and its predecessor's digest (edited, inserted or deleted entries), or None when
    the whole chain holds.
    """
    with storage.unit_of_work() as uow:
        return first_broken(uow.audit.chain())
