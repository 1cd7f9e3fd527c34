"""The tables, as SQLAlchemy Core metadata (the queries use them; Alembic migrations build them).

Nothing here creates anything: the schema is built and evolved only by the migrations shipped in
`educonnect_sql/migrations`, and a test proves the migrated schema equals this metadata.

Text that the director's list searches or sorts is stored twice: as given, and folded with the
core's `search_key` in a ``*_key`` column compared with binary collation, so that the database
orders rows exactly as Python orders strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.types import TypeEngine

__all__ = [
    "ACCOUNTS",
    "ACCOUNT_ALIASES",
    "AUDIT",
    "CLASSES",
    "LINKS",
    "LOAD_INDEXES",
    "META",
    "METADATA",
    "ONE_TIME_CODES",
    "OUTBOX",
    "SCHOOLS",
    "STATISTICS",
    "STUDENTS",
    "VERSION_TABLE",
    "BinaryText",
    "UtcDateTime",
]

#: Alembic's version table, named so it never clashes with a host application's own.
VERSION_TABLE: Final = "educonnect_alembic_version"


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant: ``timestamptz`` on PostgreSQL, fixed-width UTC text on SQLite
    (which sorts like the instants). Refuses naive datetimes; always returns UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """The instant in UTC (naive on SQLite, whose driver keeps no offset)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: the storage keeps UTC instants")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """The stored instant, in UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class BinaryText(TypeDecorator[str]):
    """Text compared byte by byte: collation « C » on PostgreSQL, BINARY (the default) on SQLite.
    On UTF-8 text, both order strings by code point, as Python does.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """`Text` with the « C » collation where the database needs one."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Text(collation="C"))
        return dialect.type_descriptor(Text())


METADATA: Final = MetaData()

#: One row: the version of the directory data, bumped by every unit of work that writes it.
META: Final = Table(
    "educonnect_meta",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("directory_version", Integer, nullable=False),
    #: A known text sealed with the key in use (`educonnect_sql.keys`): None while the secrets
    #: are not encrypted; opening with another key fails on it before anything is touched.
    Column("key_check", Text, nullable=True),
)

SCHOOLS: Final = Table(
    "schools",
    METADATA,
    Column("uai", String(8), primary_key=True),
    Column("name", Text, nullable=False),
)

CLASSES: Final = Table(
    "classes",
    METADATA,
    Column("class_id", String(64), primary_key=True),
    Column("uai", String(8), nullable=False),
    Column("name", BinaryText, nullable=False),
    Column("name_key", BinaryText, nullable=False),
    Index("ix_classes_uai", "uai"),
)

STUDENTS: Final = Table(
    "students",
    METADATA,
    Column("student_id", BinaryText, primary_key=True),
    Column("uai", String(8), nullable=False),
    Column("surname", Text, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("surname_key", BinaryText, nullable=False),
    Column("first_name_key", BinaryText, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("class_id", String(64), nullable=True),
    #: `search_key` of the class id: the class's sort key when the class itself is unknown.
    Column("class_key", BinaryText, nullable=False),
    Column("level", Text, nullable=True),
    Column("ine", String(11), nullable=True),
    Column("admitted", Boolean, nullable=False),
    Index("ix_students_uai", "uai", "student_id"),
)

LINKS: Final = Table(
    "guardian_links",
    METADATA,
    Column(
        "student_id",
        BinaryText,
        ForeignKey("students.student_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("responsable_id", BinaryText, primary_key=True),
    Index("ix_guardian_links_responsable", "responsable_id", "student_id"),
)

#: The guardian's activity columns of `ACCOUNTS` (``last_login_at``, ``login_*``) are written
#: only by `Accounts.record_login_failure` / `record_login_success`, never by a versioned update.
ACCOUNTS: Final = Table(
    "accounts",
    METADATA,
    Column("account_id", BinaryText, primary_key=True),
    Column("login", BinaryText, nullable=False, unique=True),
    #: The login without its trailing digits (`Accounts.logins_taken`).
    Column("login_base", BinaryText, nullable=False),
    Column("surname", Text, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("surname_key", BinaryText, nullable=False),
    Column("first_name_key", BinaryText, nullable=False),
    #: ``provisional`` (the secret is readable by the director) or ``chosen`` (a hash only).
    Column("password_kind", String(16), nullable=False),
    #: Sealed with the key (AES-GCM, bound to the account id) when there is one.
    Column("provisional_secret", Text, nullable=True),
    Column("provisional_carried_at", UtcDateTime, nullable=True),
    Column("password_hash", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("directory_email", Text, nullable=True),
    Column("chosen_email", Text, nullable=True),
    Column("mobile", String(16), nullable=True),
    #: The E.164 form of the mobile (``06…`` → ``+336…``, `line_key`) for `Accounts.by_mobile`.
    Column("mobile_line", String(16), nullable=True),
    Column("distributed_at", UtcDateTime, nullable=True),
    Column("last_login_at", UtcDateTime, nullable=True),
    Column("activated_at", UtcDateTime, nullable=True),
    Column("login_failures", Integer, nullable=False),
    Column("login_locked_until", UtcDateTime, nullable=True),
    Column("birth_date_failures", Integer, nullable=False),
    Column("birth_date_locked_until", UtcDateTime, nullable=True),
    Column("activation_digest", Text, nullable=True),
    Column("activation_email", Text, nullable=True),
    Column("activation_expires_at", UtcDateTime, nullable=True),
    #: `Account.credentials`: one more at every reset, password or e-mail change.
    Column("credentials", Integer, nullable=False, server_default="0"),
    #: The hard cap of login failures was reached (`Account.blocked`).
    Column("login_blocked", Boolean, nullable=False, server_default=false()),
    #: The `credentials` the login failures count against (older ones no longer count).
    Column("login_failures_for", Integer, nullable=False, server_default="0"),
    #: The FranceConnect identity bound at the first FranceConnect connection (`sub`).
    Column("franceconnect_sub", Text, nullable=True),
    #: The pending forgotten-password link (digest only), like the activation link.
    Column("recovery_digest", Text, nullable=True),
    Column("recovery_email", Text, nullable=True),
    Column("recovery_expires_at", UtcDateTime, nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_accounts_login_base", "login_base"),
    Index("ix_accounts_franceconnect_sub", "franceconnect_sub"),
    Index("ix_accounts_recovery_digest", "recovery_digest"),
    Index("ix_accounts_chosen_email", "chosen_email"),
    Index("ix_accounts_mobile_line", "mobile_line"),
    Index("ix_accounts_activation_digest", "activation_digest"),
)

#: The accounts' secondary indexes that new rows fill in random order (login bases, mobile
#: lines): a bulk load into an empty table on SQLite drops them and builds them after.
LOAD_INDEXES: Final = tuple(
    index
    for index in ACCOUNTS.indexes
    if index.name in ("ix_accounts_login_base", "ix_accounts_mobile_line")
)

OUTBOX: Final = Table(
    "outbox",
    METADATA,
    Column("message_id", String(64), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    #: The letter as JSON (cattrs), sealed with the key when there is one; NULL once sent,
    #: since it holds a secret.
    Column("letter", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    #: ``pending``, ``inflight`` (handed to the mailer, not yet marked sent) or ``sent``.
    Column("status", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("due_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    #: When the relay marked it in flight (None unless `status` is ``inflight``).
    Column("in_flight_at", UtcDateTime, nullable=True),
    Index("ix_outbox_status_created", "status", "created_at", "message_id"),
)

AUDIT: Final = Table(
    "audit_trail",
    METADATA,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("account_id", Text, nullable=True),
    Column("uai", String(8), nullable=True),
    Column("detail", Text, nullable=False),
    #: The hash chain (`educonnect_core.domain.audit.chain_digest`), hex SHA-256.
    Column("digest", String(64), nullable=True),
    Index("ix_audit_trail_account", "account_id", "seq"),
    Index("ix_audit_trail_at", "at"),
)

#: The last statistics computed for each school (guide §6.1: nightly and on demand), as JSON.
STATISTICS: Final = Table(
    "school_statistics",
    METADATA,
    Column("uai", String(8), primary_key=True),
    Column("computed_at", UtcDateTime, nullable=False),
    #: The `SchoolStatistics` as JSON (cattrs); it holds counts only, never a secret.
    Column("body", Text, nullable=False),
)

#: Accounts merged into another (« regroupement de comptes »): the merged account's row is gone,
#: its directory record now points to the survivor (the feed maps it there at every integration).
ACCOUNT_ALIASES: Final = Table(
    "account_aliases",
    METADATA,
    Column("responsable_id", BinaryText, primary_key=True),
    Column("account_id", BinaryText, nullable=False),
    Index("ix_account_aliases_account", "account_id"),
)

#: The SMS one-time codes, one row per line (E.164): digests only, never a code.
ONE_TIME_CODES: Final = Table(
    "one_time_codes",
    METADATA,
    Column("line", String(20), primary_key=True),
    Column("purpose", String(16), nullable=False),
    #: The code's digest, then the proof's once the code was right; NULL once spent.
    Column("digest", Text, nullable=True),
    Column("proven", Boolean, nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked_until", UtcDateTime, nullable=True),
)
