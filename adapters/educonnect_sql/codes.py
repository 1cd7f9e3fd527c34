"""`educonnect_core.ports.OneTimeCodes` on SQL: one row per line, digests only.

A code or proof is spent by a conditional ``UPDATE … WHERE digest = :digest``: of two parallel
requests with the same code, the second finds no row and gets `ConcurrentChange`. Wrong codes are
counted by the database (``failures = failures + 1 … RETURNING``), so that parallel guesses each
count.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from educonnect_core.domain.account import FailureCounter
from educonnect_core.domain.policy import Throttle
from educonnect_core.domain.sms import OneTimeCode, SmsPurpose
from educonnect_core.errors import ConcurrentChange
from educonnect_sql.schema import ONE_TIME_CODES

if TYPE_CHECKING:
    from educonnect_sql.work import Work as SqlUnitOfWork

__all__ = ["SqlCodes"]


def _row(code: OneTimeCode) -> dict[str, Any]:
    return {
        "line": code.line,
        "purpose": code.purpose.value,
        "digest": code.digest,
        "proven": code.proven,
        "sent_at": code.sent_at,
        "expires_at": code.expires_at,
        "failures": code.failures.failures,
        "locked_until": code.failures.locked_until,
    }


class SqlCodes:
    """The SMS one-time codes on the unit of work's transaction."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def get(self, line: str) -> OneTimeCode | None:
        """The record of `line`, if any."""
        uow = self._uow
        with uow.guard():
            row = (
                uow.connection.execute(select(ONE_TIME_CODES).where(ONE_TIME_CODES.c.line == line))
                .mappings()
                .first()
            )
        if row is None:
            return None
        failures = row["failures"]
        locked = row["locked_until"]
        return OneTimeCode(
            row["line"],
            SmsPurpose(row["purpose"]),
            row["digest"],
            row["sent_at"],
            row["expires_at"],
            bool(row["proven"]),
            FailureCounter(failures, locked) if failures or locked else FailureCounter(),
        )

    def put(self, code: OneTimeCode) -> None:
        """Replace `code.line`'s record."""
        uow = self._uow
        with uow.guard():
            connection = uow.writer()
            connection.execute(delete(ONE_TIME_CODES).where(ONE_TIME_CODES.c.line == code.line))
            connection.execute(insert(ONE_TIME_CODES).values(_row(code)))

    def spend(self, line: str, digest: str, then: OneTimeCode) -> None:
        """Replace the record if its digest is still `digest`, else `ConcurrentChange`."""
        c = ONE_TIME_CODES.c
        uow = self._uow
        with uow.guard():
            done = (
                uow.writer()
                .execute(
                    update(ONE_TIME_CODES)
                    .where(c.line == line, c.digest == digest)
                    .values(_row(then))
                )
                .rowcount
            )
            if done != 1:
                raise ConcurrentChange(f"sms:{line}", 0, None)

    def record_failure(self, line: str, now: datetime, throttle: Throttle) -> FailureCounter:
        """One more wrong code, counted by the database."""
        c = ONE_TIME_CODES.c
        uow = self._uow
        with uow.guard():
            connection = uow.writer()
            failures = connection.execute(
                update(ONE_TIME_CODES)
                .where(c.line == line)
                .values(failures=c.failures + 1)
                .returning(c.failures)
            ).scalar_one_or_none()
            if failures is None:
                return FailureCounter()
            counter = FailureCounter.after(int(failures), now, throttle)
            connection.execute(
                update(ONE_TIME_CODES)
                .where(c.line == line)
                .values(locked_until=counter.locked_until)
            )
        return counter
