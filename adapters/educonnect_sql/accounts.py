"""The accounts of a unit of work: reads answer from the identity map first, then the database."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Dialect, Select, case, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from educonnect_core.domain.account import Account, FailureCounter
from educonnect_core.domain.policy import Throttle
from educonnect_core.domain.values import Email, Mobile
from educonnect_core.errors import ConcurrentChange
from educonnect_sql.bulk import binder, ids_parameter, in_ids, loader
from educonnect_sql.codec import (
    ACCOUNT_COLUMNS,
    ACCOUNT_READ,
    account_from_row,
    account_from_values,
    account_row,
    account_values,
    mobile_line,
)
from educonnect_sql.copy import COPY_MIN, Batch
from educonnect_sql.schema import ACCOUNT_ALIASES, ACCOUNTS
from educonnect_sql.sealing import Sealer

if TYPE_CHECKING:
    from educonnect_sql.work import Work as SqlUnitOfWork

__all__ = ["SqlAccounts", "account_statements", "chunks", "insert_accounts"]

T = TypeVar("T")

_DIGITS = "0123456789"


def chunks(items: Collection[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of at most `size`."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def account_statements(
    adds: Mapping[str, Account], dialect: Dialect, sealer: Sealer, *, least: int = COPY_MIN
) -> Batch:
    """The batch inserting new accounts at version + 1 (``ON CONFLICT DO NOTHING``), their
    provisional passwords sealed by `sealer` (on PostgreSQL through ``COPY`` from `least`
    accounts).
    """
    instant = binder(ACCOUNTS.c.created_at, dialect)
    secret = sealer.account_secret()
    rows = [account_values(a, a.version + 1, instant, secret) for a in adds.values()]
    return Batch(ACCOUNTS, ACCOUNT_COLUMNS, rows, dialect, "nothing", least=least)


def insert_accounts(
    connection: Connection,
    adds: Mapping[str, Account],
    statements: Batch,
    chunk: int,
    sealer: Sealer,
) -> None:
    """Insert new accounts (`statements`: their `account_statements`); `ConcurrentChange` if an id
    or a login is taken.

    Multi-row ``INSERT … ON CONFLICT DO NOTHING`` statements on SQLite, ``COPY`` into a staging
    table then ``INSERT … SELECT … ON CONFLICT DO NOTHING`` on PostgreSQL (no ``RETURNING``),
    inside a savepoint; the count of inserted rows tells whether one was refused. Only then is
    the savepoint rolled back and the batch replayed with ``RETURNING`` to name it. Safe to run
    in the unit of work's `Lane`: it touches nothing but `connection`.
    """
    connection.exec_driver_sql("SAVEPOINT educonnect_adds")
    if statements.write(connection) == len(adds):
        connection.exec_driver_sql("RELEASE SAVEPOINT educonnect_adds")
        return
    connection.exec_driver_sql("ROLLBACK TO SAVEPOINT educonnect_adds")
    raise _refused(connection, adds, chunk, sealer)


def _refused(
    connection: Connection, adds: Mapping[str, Account], chunk: int, sealer: Sealer
) -> ConcurrentChange:
    """The conflict of the first account (by id) that `INSERT … RETURNING` does not insert."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ACCOUNTS).on_conflict_do_nothing().returning(ACCOUNTS.c.account_id)
    secret = sealer.account_secret()
    rows = [account_row(account, account.version + 1, secret) for account in adds.values()]
    inserted: set[str] = set()
    for batch in chunks(rows, chunk * 20):
        inserted.update(connection.execute(statement, batch).scalars())
    missing = sorted(set(adds) - inserted)[0]
    found = connection.execute(
        select(ACCOUNTS.c.version).where(ACCOUNTS.c.account_id == missing)
    ).scalar()
    return ConcurrentChange(missing, 0, found)


class SqlAccounts:
    """`educonnect_core.ports.Accounts` on the unit of work's transaction."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _rows(self, query: Select[Any]) -> list[Account]:
        uow = self._uow
        uow.flush()
        with uow.guard():
            rows = uow.connection.execute(query).mappings().all()
        opened = uow.storage.sealer.account_opener()
        found = []
        for row in rows:
            staged = uow.staged.get(row["account_id"])
            found.append(staged if staged is not None else account_from_row(row, opened))
        return found

    def get(self, account_id: str) -> Account | None:
        """The account, as this unit of work sees it."""
        staged = self._uow.staged.get(account_id)
        if staged is not None:
            return staged
        found = self._rows(select(ACCOUNTS).where(ACCOUNTS.c.account_id == account_id))
        return found[0] if found else None

    def get_many(self, account_ids: Collection[str]) -> Mapping[str, Account]:
        """The accounts among `account_ids` that exist, by id, in the order asked (one query
        for all of them).
        """
        uow = self._uow
        staged = uow.staged
        rest = {i for i in account_ids if i not in staged}
        found: dict[str, Account] = {}
        if rest:
            uow.flush()
            with uow.guard():
                connection = uow.connection
                dialect = connection.dialect
                query = (
                    f"SELECT {', '.join(ACCOUNT_READ)} FROM accounts "  # noqa: S608 - fixed names
                    f"WHERE {in_ids('account_id', dialect)}"
                )
                parameter = ids_parameter(rest, dialect)
                rows = connection.exec_driver_sql(query, (parameter,)).fetchall()
            instant = loader(ACCOUNTS.c.created_at, dialect)
            # Only ids not staged were asked: no row stands for an object already handed out.
            opened = uow.storage.sealer.account_opener()
            found = {row[0]: account_from_values(row, instant, opened) for row in rows}
        if not staged:
            return {i: found[i] for i in account_ids if i in found}
        out: dict[str, Account] = {}
        for account_id in account_ids:
            account = staged.get(account_id) or found.get(account_id)
            if account is not None:
                out[account_id] = account
        return out

    def by_login(self, login: str) -> Account | None:
        """The account with this login, if any."""
        for account in self._uow.staged.values():
            if account.login.value == login:
                return account
        found = self._rows(select(ACCOUNTS).where(ACCOUNTS.c.login == login))
        return found[0] if found else None

    def by_activation_digest(self, digest: str) -> Account | None:
        """The account whose pending link has this digest, if any."""
        found = self._rows(
            select(ACCOUNTS)
            .where(ACCOUNTS.c.activation_digest == digest)
            .order_by(ACCOUNTS.c.account_id)
        )
        return found[0] if found else None

    def by_mobile(self, mobile: Mobile) -> Sequence[Account]:
        """The accounts whose mobile reaches the same line."""
        return self._rows(
            select(ACCOUNTS)
            .where(ACCOUNTS.c.mobile_line == mobile_line(mobile))
            .order_by(ACCOUNTS.c.account_id)
        )

    def by_franceconnect_sub(self, sub: str) -> Account | None:
        """The account bound to FranceConnect identity `sub`, if any."""
        found = self._rows(select(ACCOUNTS).where(ACCOUNTS.c.franceconnect_sub == sub))
        return found[0] if found else None

    def by_recovery_digest(self, digest: str) -> Account | None:
        """The account whose pending recovery link has this digest, if any."""
        found = self._rows(select(ACCOUNTS).where(ACCOUNTS.c.recovery_digest == digest))
        return found[0] if found else None

    def by_email(self, email: Email) -> Sequence[Account]:
        """The accounts whose own (chosen) address is `email`, by login."""
        return self._rows(
            select(ACCOUNTS)
            .where(ACCOUNTS.c.chosen_email == email.value)
            .order_by(ACCOUNTS.c.login)
        )

    def merge_into(self, account: Account, survivor_id: str) -> None:
        """Delete `account`'s row now (if its version is still the one read, else
        `ConcurrentChange`) and make it, and every id merged into it, an alias of `survivor_id`.
        """
        account_id = account.account_id
        if account_id == survivor_id:
            raise ValueError("an account cannot be merged into itself")
        uow = self._uow
        uow.flush()
        expected = uow.written.get(account_id, uow.original.get(account_id, account.version))
        uow.staged.pop(account_id, None)
        uow.pending_updates.pop(account_id, None)
        aliases = ACCOUNT_ALIASES.c
        with uow.guard():
            connection = uow.writer()
            gone = connection.execute(
                delete(ACCOUNTS).where(
                    ACCOUNTS.c.account_id == account_id, ACCOUNTS.c.version == expected
                )
            ).rowcount
            if gone != 1:
                raise ConcurrentChange(account_id, expected, None)
            connection.execute(
                update(ACCOUNT_ALIASES)
                .where(aliases.account_id == account_id)
                .values(account_id=survivor_id)
            )
            connection.execute(delete(ACCOUNT_ALIASES).where(aliases.responsable_id == account_id))
            connection.execute(
                insert(ACCOUNT_ALIASES).values(responsable_id=account_id, account_id=survivor_id)
            )

    def aliases(self, responsable_ids: Collection[str]) -> Mapping[str, str]:
        """The surviving account of each merged id among `responsable_ids` (one query: the ids
        travel as one parameter, `bulk.in_ids`).
        """
        wanted = set(responsable_ids)
        if not wanted:
            return {}
        uow = self._uow
        with uow.guard():
            connection = uow.connection
            dialect = connection.dialect
            query = (
                "SELECT responsable_id, account_id FROM account_aliases "  # noqa: S608 - fixed
                f"WHERE {in_ids('responsable_id', dialect)}"
            )
            rows = connection.exec_driver_sql(query, (ids_parameter(wanted, dialect),))
            return {str(rid): str(account_id) for rid, account_id in rows}

    def logins_taken(self, bases: Collection[str]) -> set[str]:
        """Every login equal to one of `bases` or to one followed by digits."""
        uow = self._uow
        wanted = set(bases)
        # `login_base` is the login without its trailing digits: a base may end with digits
        # itself (« p.parent1002 »), so ask for the bases' stems and keep base + digits.
        stems = {base.rstrip(_DIGITS) for base in wanted}

        def homonym(login: str) -> bool:
            cut = len(login.rstrip(_DIGITS))
            return any(login[:end] in wanted for end in range(cut, len(login) + 1))

        taken = {a.login.value for a in uow.pending_adds.values() if homonym(a.login.value)}
        if not wanted:
            return taken
        uow.flush()
        with uow.guard():
            dialect = uow.connection.dialect
            query = (
                "SELECT login, login_base FROM accounts "  # noqa: S608 - fixed names
                f"WHERE {in_ids('login_base', dialect)}"
            )
            found = uow.connection.exec_driver_sql(query, (ids_parameter(stems, dialect),))
            # A login whose base is asked is taken (the common case: no per-row prefix search).
            taken.update(login for login, base in found if base in wanted or homonym(login))
        return taken

    def add(self, account: Account) -> None:
        """Stage a new account. An id or login taken in this unit of work raises
        `ConcurrentChange` now; one taken in the database raises it when the account is
        inserted (before the next read of accounts, or on commit).
        """
        self._uow.stage_add(account)

    def update(self, account: Account) -> None:
        """Stage a changed account; its version is checked when it is written. The activity
        columns (`ACCOUNT_ACTIVITY`) are left as they are.
        """
        self._uow.stage_update(account)

    def record_login_failure(
        self, account_id: str, now: datetime, throttle: Throttle, block_after: int | None
    ) -> FailureCounter:
        """One more failure, counted by the database itself (``SET login_failures =
        login_failures + 1 … RETURNING``): parallel failures each count, the row's version is
        neither checked nor bumped. The lock and the cap follow in the same transaction, which
        holds the row's write lock since the increment.
        """
        a = ACCOUNTS.c
        same = a.login_failures_for == a.credentials
        uow = self._uow
        with uow.guard():
            connection = uow.writer()
            failures = connection.execute(
                update(ACCOUNTS)
                .where(a.account_id == account_id)
                .values(
                    login_failures=case((same, a.login_failures + 1), else_=1),
                    login_failures_for=a.credentials,
                )
                .returning(a.login_failures)
            ).scalar_one_or_none()
            if failures is None:
                return FailureCounter()
            counter = FailureCounter.after(int(failures), now, throttle, block_after)
            connection.execute(
                update(ACCOUNTS)
                .where(a.account_id == account_id)
                .values(login_locked_until=counter.locked_until, login_blocked=counter.blocked)
            )
        return counter

    def record_login_success(self, account_id: str, now: datetime, *, connected: bool) -> None:
        """Failures back to zero (and the last login set when `connected`), without touching
        the row's version.
        """
        a = ACCOUNTS.c
        values: dict[str, Any] = {
            "login_failures": 0,
            "login_locked_until": None,
            "login_blocked": False,
            "login_failures_for": a.credentials,
        }
        if connected:
            values["last_login_at"] = now
        uow = self._uow
        with uow.guard():
            uow.writer().execute(update(ACCOUNTS).where(a.account_id == account_id).values(values))
