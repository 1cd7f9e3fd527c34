"""Records the use cases produce or keep: audit entries, outgoing e-mails, documents, directors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from educonnect_core.domain.directory import School
from educonnect_core.domain.letters import LetterContent
from educonnect_core.domain.selection import ResponsableRow
from educonnect_core.domain.values import Email, Uai

__all__ = ["AccountList", "AuditEntry", "Director", "Document", "OutboxMessage"]


def _uais(items: Iterable[Uai | str]) -> frozenset[Uai]:
    """UAIs as given, or parsed (and validated) from strings: « 0750654D » is a UAI too."""
    return frozenset(
        item if isinstance(item, Uai) else Uai.parse(item, record="directeur") for item in items
    )


@attrs.frozen
class Director:
    """A school director (« directeur d’école ») and the schools in their charge.

    `uais` takes `Uai`s or strings, which are validated: ``Director("d", uais=["bogus"])`` raises
    `InvalidField` (record « directeur », field « uai »).
    """

    director_id: str
    uais: frozenset[Uai] = attrs.field(converter=_uais)
    name: str = ""


@attrs.frozen
class AuditEntry:
    """Who did what, when (UTC), to which account, with what outcome. Never holds a secret."""

    at: datetime
    #: ``director:<id>``, ``guardian:<login>``, ``feed`` or ``relay``.
    actor: str
    action: str
    outcome: str
    account_id: str | None = None
    uai: str | None = None
    detail: str = ""


@attrs.frozen
class OutboxMessage:
    """An e-mail stored with the change that caused it, sent by the relay after commit.

    It carries a secret (a provisional password or an activation token) until it is sent; the
    outbox forgets the letter once it is marked sent.
    """

    message_id: str
    account_id: str
    to: Email
    letter: LetterContent
    created_at: datetime


@attrs.frozen
class Document:
    """A file the library hands back: a PDF of sheets, a list, a CSV export."""

    filename: str
    media_type: str
    content: bytes = attrs.field(repr=False)


@attrs.frozen
class AccountList:
    """The list of accounts of guide §5.4, ready to render (CSV or PDF)."""

    school: School
    created_at: datetime
    rows: tuple[ResponsableRow, ...]
    #: The class the list was filtered on (the teacher's class list), if one.
    class_name: str | None = None
