"""Conversions between the domain's values and the rows of the tables.

Accounts are flattened into columns (so that the database can filter, sort and index them);
letters, a nested value only ever read back whole, travel as JSON through cattrs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import cattrs

from educonnect_core.domain.account import (
    Account,
    ActivationLink,
    Chosen,
    FailureCounter,
    Password,
    Provisional,
)
from educonnect_core.domain.directory import SchoolClass, Student
from educonnect_core.domain.letters import LetterContent
from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.values import Email, Ine, Level, Login, Mobile, Uai, search_key

__all__ = [
    "PROVISIONAL",
    "account_from_row",
    "account_row",
    "class_row",
    "letter_from_json",
    "letter_json",
    "mobile_line",
    "student_from_row",
    "student_row",
]

PROVISIONAL: Final = "provisional"
CHOSEN: Final = "chosen"

_LETTERS: Final = cattrs.Converter()


def letter_json(letter: LetterContent) -> str:
    """The letter as JSON text."""
    return json.dumps(_LETTERS.unstructure(letter), ensure_ascii=False)


def letter_from_json(text: str) -> LetterContent:
    """The letter stored by `letter_json`."""
    return _LETTERS.structure(json.loads(text), LetterContent)


def mobile_line(mobile: Mobile | None) -> str | None:
    """The national form of a mobile: two numbers reach the same line iff these are equal."""
    if mobile is None:
        return None
    value = mobile.value
    return "0" + value[3:] if value.startswith("+33") else value


def _email(value: str | None) -> Email | None:
    return None if value is None else Email(value)


def account_row(account: Account, version: int) -> dict[str, Any]:
    """The row of `account`, stored at `version`."""
    password = account.password
    provisional = isinstance(password, Provisional)
    activation = account.activation
    return {
        "account_id": account.account_id,
        "login": account.login.value,
        "login_base": account.login.value.rstrip("0123456789"),
        "surname": account.surname,
        "first_name": account.first_name,
        "surname_key": search_key(account.surname),
        "first_name_key": search_key(account.first_name),
        "password_kind": PROVISIONAL if provisional else CHOSEN,
        "provisional_secret": password.secret if isinstance(password, Provisional) else None,
        "provisional_carried_at": (
            password.carried_at if isinstance(password, Provisional) else None
        ),
        "password_hash": password.hash if isinstance(password, Chosen) else None,
        "created_at": account.created_at,
        "state": account.state.name,
        "origin": account.origin.name,
        "directory_email": None
        if account.directory_email is None
        else account.directory_email.value,
        "chosen_email": None if account.chosen_email is None else account.chosen_email.value,
        "mobile": None if account.mobile is None else account.mobile.value,
        "mobile_line": mobile_line(account.mobile),
        "distributed_at": account.distributed_at,
        "last_login_at": account.last_login_at,
        "activated_at": account.activated_at,
        "login_failures": account.login_failures.failures,
        "login_locked_until": account.login_failures.locked_until,
        "birth_date_failures": account.birth_date_failures.failures,
        "birth_date_locked_until": account.birth_date_failures.locked_until,
        "activation_digest": None if activation is None else activation.digest,
        "activation_email": None if activation is None else activation.email.value,
        "activation_expires_at": None if activation is None else activation.expires_at,
        "version": version,
    }


def account_from_row(row: Mapping[Any, Any]) -> Account:
    """The account stored in `row`."""
    password: Password
    if row["password_kind"] == PROVISIONAL:
        password = Provisional(row["provisional_secret"], row["provisional_carried_at"])
    else:
        password = Chosen(row["password_hash"])
    digest = row["activation_digest"]
    activation = (
        None
        if digest is None
        else ActivationLink(digest, Email(row["activation_email"]), row["activation_expires_at"])
    )
    mobile = row["mobile"]
    return Account(
        account_id=row["account_id"],
        login=Login(row["login"]),
        surname=row["surname"],
        first_name=row["first_name"],
        password=password,
        created_at=row["created_at"],
        state=AccountState[row["state"]],
        origin=Origin[row["origin"]],
        directory_email=_email(row["directory_email"]),
        chosen_email=_email(row["chosen_email"]),
        mobile=None if mobile is None else Mobile(mobile),
        distributed_at=row["distributed_at"],
        last_login_at=row["last_login_at"],
        activated_at=row["activated_at"],
        login_failures=FailureCounter(row["login_failures"], row["login_locked_until"]),
        birth_date_failures=FailureCounter(
            row["birth_date_failures"], row["birth_date_locked_until"]
        ),
        activation=activation,
        version=row["version"],
    )


def class_row(school_class: SchoolClass) -> dict[str, Any]:
    """The row of a class."""
    return {
        "class_id": school_class.class_id,
        "uai": school_class.uai.value,
        "name": school_class.name,
        "name_key": search_key(school_class.name),
    }


def student_row(student: Student) -> dict[str, Any]:
    """The row of a pupil."""
    return {
        "student_id": student.student_id,
        "uai": student.uai.value,
        "surname": student.surname,
        "first_name": student.first_name,
        "surname_key": search_key(student.surname),
        "first_name_key": search_key(student.first_name),
        "birth_date": student.birth_date,
        "class_id": student.class_id,
        "class_key": search_key(student.class_id or ""),
        "level": None if student.level is None else student.level.code,
        "ine": None if student.ine is None else student.ine.value,
        "admitted": student.admitted,
    }


def student_from_row(row: Mapping[Any, Any]) -> Student:
    """The pupil stored in `row`."""
    level, ine = row["level"], row["ine"]
    return Student(
        student_id=row["student_id"],
        surname=row["surname"],
        first_name=row["first_name"],
        birth_date=row["birth_date"],
        uai=Uai(row["uai"]),
        class_id=row["class_id"],
        level=None if level is None else Level(level),
        ine=None if ine is None else Ine(ine),
        admitted=bool(row["admitted"]),
    )
