"""Conversions between the domain's values and the rows of the tables.

Accounts are flattened into columns (so that the database can filter, sort and index them);
letters, a nested value only ever read back whole, travel as JSON through cattrs.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

import cattrs

from educonnect_core.domain.account import (
    Account,
    ActivationLink,
    Chosen,
    FailureCounter,
    NoPassword,
    Password,
    Provisional,
)
from educonnect_core.domain.directory import SchoolClass, Student
from educonnect_core.domain.letters import LetterContent, LetterKind
from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.sms import line_key
from educonnect_core.domain.values import Email, Ine, Level, Login, Mobile, Uai, search_key

__all__ = [
    "ACCOUNT_ACTIVITY",
    "ACCOUNT_COLUMNS",
    "ACCOUNT_READ",
    "ACCOUNT_UPDATED",
    "PROVISIONAL",
    "STUDENT_COLUMNS",
    "STUDENT_READ",
    "account_from_row",
    "account_from_values",
    "account_row",
    "account_update_values",
    "account_values",
    "class_row",
    "letter_from_json",
    "letter_json",
    "mobile_line",
    "student_from_row",
    "student_from_values",
    "student_row",
    "student_values",
]

PROVISIONAL: Final = "provisional"
CHOSEN: Final = "chosen"
#: `NoPassword`: erased by a FranceConnect activation.
NO_PASSWORD: Final = "none"  # noqa: S105 - a kind of password, not one

_LETTERS: Final = cattrs.Converter()
_STATES: Final = {s.name: s for s in AccountState}
_ORIGINS: Final = {o.name: o for o in Origin}


def letter_json(letter: LetterContent) -> str:
    """The letter as JSON text."""
    return json.dumps(_LETTERS.unstructure(letter), ensure_ascii=False)


def letter_from_json(text: str) -> LetterContent:
    """The letter stored by `letter_json`.

    Written out rather than through cattrs, which took three times as long (the relay reads
    thousands of letters); a field added to `LetterContent` and not here fails loudly.
    """
    data = json.loads(text)
    return LetterContent(
        kind=LetterKind(data["kind"]),
        recipient=str(data["recipient"]),
        school_name=str(data["school_name"]),
        children=tuple(map(str, data["children"])),
        login=str(data["login"]),
        password=_text_or_none(data["password"]),
        subject=_text_or_none(data["subject"]),
        sender=_text_or_none(data["sender"]),
        lines=tuple(map(str, data["lines"])),
    )


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def mobile_line(mobile: Mobile | None) -> str | None:
    """The E.164 form of a mobile (`line_key`): two numbers reach the same line iff these are
    equal.
    """
    return None if mobile is None else line_key(mobile)


#: The columns of the accounts table, in the order of `account_values`.
ACCOUNT_COLUMNS: Final = (
    "account_id",
    "login",
    "login_base",
    "surname",
    "first_name",
    "surname_key",
    "first_name_key",
    "password_kind",
    "provisional_secret",
    "provisional_carried_at",
    "password_hash",
    "created_at",
    "state",
    "origin",
    "directory_email",
    "chosen_email",
    "mobile",
    "mobile_line",
    "distributed_at",
    "last_login_at",
    "activated_at",
    "login_failures",
    "login_locked_until",
    "birth_date_failures",
    "birth_date_locked_until",
    "activation_digest",
    "activation_email",
    "activation_expires_at",
    "credentials",
    "login_blocked",
    "login_failures_for",
    "franceconnect_sub",
    "recovery_digest",
    "recovery_email",
    "recovery_expires_at",
    "version",
)

#: The guardian's activity: written at insert and by the activity statements, never by an update.
ACCOUNT_ACTIVITY: Final = (
    "last_login_at",
    "login_failures",
    "login_locked_until",
    "login_blocked",
    "login_failures_for",
)

#: The columns a versioned update writes (every column but the id and the activity), in order.
ACCOUNT_UPDATED: Final = tuple(c for c in ACCOUNT_COLUMNS[1:] if c not in ACCOUNT_ACTIVITY)
_UPDATED_AT: Final = tuple(ACCOUNT_COLUMNS.index(c) for c in ACCOUNT_UPDATED)

#: The columns an `Account` is read back from, in the order of `account_from_values`.
ACCOUNT_READ: Final = tuple(
    c
    for c in ACCOUNT_COLUMNS
    if c not in ("login_base", "surname_key", "first_name_key", "mobile_line")
)


def _same(value: Any) -> Any:
    return value


def _clear(_account_id: str, text: str) -> str:
    return text


def account_values(
    account: Account,
    version: int,
    instant: Callable[[datetime], Any] = _same,
    secret: Callable[[str, str], str] = _clear,
) -> tuple[Any, ...]:
    """The row of `account`, stored at `version`, as values in `ACCOUNT_COLUMNS` order; the
    instants that are not None go through `instant` (the driver's form, see `bulk.binder`), the
    provisional password through `secret(account id, password)` (`Sealer.account_secret`).
    """
    password = account.password
    activation = account.activation
    recovery = account.recovery
    login = account.login.value
    mobile = account.mobile
    directory_email = account.directory_email
    chosen_email = account.chosen_email
    login_failures = account.login_failures
    birth_date_failures = account.birth_date_failures
    carried_at = password.carried_at if isinstance(password, Provisional) else None
    distributed_at = account.distributed_at
    last_login_at = account.last_login_at
    activated_at = account.activated_at
    login_locked = login_failures.locked_until
    birth_date_locked = birth_date_failures.locked_until
    return (
        account.account_id,
        login,
        login.rstrip("0123456789"),
        account.surname,
        account.first_name,
        search_key(account.surname),
        search_key(account.first_name),
        _kind(password),
        secret(account.account_id, password.secret) if isinstance(password, Provisional) else None,
        None if carried_at is None else instant(carried_at),
        password.hash if isinstance(password, Chosen) else None,
        instant(account.created_at),
        account.state.name,
        account.origin.name,
        None if directory_email is None else directory_email.value,
        None if chosen_email is None else chosen_email.value,
        None if mobile is None else mobile.value,
        mobile_line(mobile),
        None if distributed_at is None else instant(distributed_at),
        None if last_login_at is None else instant(last_login_at),
        None if activated_at is None else instant(activated_at),
        login_failures.failures,
        None if login_locked is None else instant(login_locked),
        birth_date_failures.failures,
        None if birth_date_locked is None else instant(birth_date_locked),
        None if activation is None else activation.digest,
        None if activation is None else activation.email.value,
        None if activation is None else instant(activation.expires_at),
        account.credentials,
        login_failures.blocked,
        account.credentials,
        account.franceconnect_sub,
        None if recovery is None else recovery.digest,
        None if recovery is None else recovery.email.value,
        None if recovery is None else instant(recovery.expires_at),
        version,
    )


def _kind(password: Password) -> str:
    if isinstance(password, Provisional):
        return PROVISIONAL
    return NO_PASSWORD if isinstance(password, NoPassword) else CHOSEN


def account_update_values(
    account: Account,
    version: int,
    instant: Callable[[datetime], Any] = _same,
    secret: Callable[[str, str], str] = _clear,
) -> tuple[Any, ...]:
    """The values of `ACCOUNT_UPDATED` for `account` stored at `version` (no activity)."""
    values = account_values(account, version, instant, secret)
    return tuple(values[i] for i in _UPDATED_AT)


def account_row(
    account: Account, version: int, secret: Callable[[str, str], str] = _clear
) -> dict[str, Any]:
    """The row of `account`, stored at `version` (provisional password through `secret`)."""
    values = account_values(account, version, secret=secret)
    return dict(zip(ACCOUNT_COLUMNS, values, strict=True))


_NO_FAILURE: Final = FailureCounter()


def _counter(failures: int, locked_until: datetime | None, blocked: bool = False) -> FailureCounter:
    if failures == 0 and locked_until is None and not blocked:
        return _NO_FAILURE
    return FailureCounter(failures, locked_until, blocked)


def account_from_values(
    values: Sequence[Any],
    instant: Callable[[Any], datetime] = _same,
    secret: Callable[[str, str], str] = _clear,
) -> Account:
    """The account stored in `values` (the columns of `ACCOUNT_READ`, in that order); the
    instants that are not None go through `instant` (from the driver's form, see `bulk.loader`),
    the stored provisional password through `secret(account id, stored)`
    (`Sealer.account_opener`).
    """
    (
        account_id,
        login,
        surname,
        first_name,
        password_kind,
        provisional_secret,
        provisional_carried_at,
        password_hash,
        created_at,
        state,
        origin,
        directory_email,
        chosen_email,
        mobile,
        distributed_at,
        last_login_at,
        activated_at,
        login_failures,
        login_locked_until,
        birth_date_failures,
        birth_date_locked_until,
        activation_digest,
        activation_email,
        activation_expires_at,
        credentials,
        login_blocked,
        login_failures_for,
        franceconnect_sub,
        recovery_digest,
        recovery_email,
        recovery_expires_at,
        version,
    ) = values
    password: Password
    if password_kind == PROVISIONAL:
        password = Provisional(
            secret(account_id, provisional_secret), instant(provisional_carried_at)
        )
    elif password_kind == NO_PASSWORD:
        password = NoPassword()
    else:
        password = Chosen(password_hash)
    activation = (
        None
        if activation_digest is None
        else ActivationLink(
            activation_digest, Email(activation_email), instant(activation_expires_at)
        )
    )
    return Account(  # positional, in the order of Account's fields: faster for a million
        account_id,
        Login(login),
        surname,
        first_name,
        password,
        instant(created_at),
        _STATES[state],
        _ORIGINS[origin],
        None if directory_email is None else Email(directory_email),
        None if chosen_email is None else Email(chosen_email),
        None if mobile is None else Mobile(mobile),
        None if distributed_at is None else instant(distributed_at),
        None if last_login_at is None else instant(last_login_at),
        None if activated_at is None else instant(activated_at),
        _counter(
            login_failures,
            None if login_locked_until is None else instant(login_locked_until),
            bool(login_blocked),
        )
        if login_failures_for == credentials
        else _NO_FAILURE,
        _counter(
            birth_date_failures,
            None if birth_date_locked_until is None else instant(birth_date_locked_until),
        ),
        activation,
        franceconnect_sub,
        None
        if recovery_digest is None
        else ActivationLink(recovery_digest, Email(recovery_email), instant(recovery_expires_at)),
        credentials,
        version,
    )


def account_from_row(row: Mapping[Any, Any], secret: Callable[[str, str], str] = _clear) -> Account:
    """The account stored in `row` (stored provisional password through `secret`)."""
    return account_from_values([row[c] for c in ACCOUNT_READ], secret=secret)


def class_row(school_class: SchoolClass) -> dict[str, Any]:
    """The row of a class."""
    return {
        "class_id": school_class.class_id,
        "uai": school_class.uai.value,
        "name": school_class.name,
        "name_key": search_key(school_class.name),
    }


#: The columns of the students table, in the order of `student_values`.
STUDENT_COLUMNS: Final = (
    "student_id",
    "uai",
    "surname",
    "first_name",
    "surname_key",
    "first_name_key",
    "birth_date",
    "class_id",
    "class_key",
    "level",
    "ine",
    "admitted",
)

#: The columns a `Student` is read back from, in the order of `student_from_values`.
STUDENT_READ: Final = (
    "student_id",
    "uai",
    "surname",
    "first_name",
    "birth_date",
    "class_id",
    "level",
    "ine",
    "admitted",
)


def student_values(
    student: Student,
    day: Callable[[date], Any] = _same,
    flag: Callable[[bool], Any] = _same,
) -> tuple[Any, ...]:
    """The row of a pupil, as values in `STUDENT_COLUMNS` order; the birth date goes through
    `day` and `admitted` through `flag` (the driver's forms, see `bulk.binder`).
    """
    level, ine = student.level, student.ine
    return (
        student.student_id,
        student.uai.value,
        student.surname,
        student.first_name,
        search_key(student.surname),
        search_key(student.first_name),
        day(student.birth_date),
        student.class_id,
        search_key(student.class_id or ""),
        None if level is None else level.code,
        None if ine is None else ine.value,
        flag(student.admitted),
    )


def student_row(student: Student) -> dict[str, Any]:
    """The row of a pupil."""
    return dict(zip(STUDENT_COLUMNS, student_values(student), strict=True))


@functools.lru_cache(maxsize=1 << 14)
def _uai(value: str) -> Uai:
    return Uai(value)


@functools.lru_cache(maxsize=64)
def _level(value: str) -> Level:
    return Level(value)


def student_from_values(values: Sequence[Any], day: Callable[[Any], date] = _same) -> Student:
    """The pupil stored in `values` (the columns of `STUDENT_READ`, in that order); the birth
    date goes through `day` (from the driver's form, see `bulk.loader`).
    """
    student_id, uai, surname, first_name, birth_date, class_id, level, ine, admitted = values
    return Student(  # positional, in the order of Student's fields
        student_id,
        surname,
        first_name,
        day(birth_date),
        _uai(uai),
        class_id,
        None if level is None else _level(level),
        None if ine is None else Ine(ine),
        bool(admitted),
    )


def student_from_row(row: Mapping[Any, Any]) -> Student:
    """The pupil stored in `row`."""
    return student_from_values([row[c] for c in STUDENT_READ])
