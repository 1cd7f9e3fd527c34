"""A unit of work that delegates everything to another one: subclass it to inject a fault or a
pause at commit (a race lined up between two writers, a commit that always loses) without
rewriting the five parts of the `UnitOfWork` port each time.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from educonnect_core.ports import (
    Accounts,
    AuditTrail,
    Directory,
    OneTimeCodes,
    Outbox,
    UnitOfWork,
)

__all__ = ["DelegatingUnitOfWork"]


class DelegatingUnitOfWork:
    """Every part, the transaction and `commit` / `rollback` are `inner`'s; override what the
    test needs (usually `commit`).
    """

    def __init__(self, inner: UnitOfWork) -> None:
        self.inner = inner

    @property
    def accounts(self) -> Accounts:
        """The inner unit's accounts."""
        return self.inner.accounts

    @property
    def directory(self) -> Directory:
        """The inner unit's directory."""
        return self.inner.directory

    @property
    def outbox(self) -> Outbox:
        """The inner unit's outbox."""
        return self.inner.outbox

    @property
    def audit(self) -> AuditTrail:
        """The inner unit's audit trail."""
        return self.inner.audit

    @property
    def codes(self) -> OneTimeCodes:
        """The inner unit's one-time codes."""
        return self.inner.codes

    def __enter__(self) -> Self:
        self.inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        """Commit the inner unit."""
        self.inner.commit()

    def rollback(self) -> None:
        """Roll the inner unit back."""
        self.inner.rollback()
