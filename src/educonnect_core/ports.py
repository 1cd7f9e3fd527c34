"""The ports: what the core needs from the outside world, as `typing.Protocol`s.

An adapter implements one of these and is handed to `EduConnect`; the core never imports an
adapter. `educonnect_core.testing` has an in-memory or fake implementation of each, and an abstract
contract suite that a storage adapter subclasses to prove it behaves the same.

The docstrings below are the whole specification of the storage ports: every order, rule and
error they state is checked by `educonnect_core.testing.contract.StorageContract`, and nothing
else is. « By X » on a sequence means sorted by X ascending, comparing strings as Python does
(code points, a binary collation in a database).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from educonnect_core.domain.account import Account, FailureCounter
from educonnect_core.domain.audit import ChainedEntry
from educonnect_core.domain.directory import GuardianLink, School, SchoolClass, Student
from educonnect_core.domain.fingerprints import DirectoryRecords, RecordChanges
from educonnect_core.domain.letters import LetterContent
from educonnect_core.domain.policy import Throttle
from educonnect_core.domain.records import AccountList, AuditEntry, Document, OutboxMessage
from educonnect_core.domain.selection import Page, Selection
from educonnect_core.domain.sms import OneTimeCode
from educonnect_core.domain.statistics import SchoolStatistics
from educonnect_core.domain.values import Email, Mobile, Uai
from educonnect_core.errors import EduconnectError

__all__ = [
    "Accounts",
    "AuditTrail",
    "Clock",
    "Directory",
    "DocumentRenderer",
    "DocumentSink",
    "Mailer",
    "OneTimeCodes",
    "Outbox",
    "PasswordHasher",
    "SecretSource",
    "SmsSender",
    "StagedDocument",
    "Storage",
    "UnitOfWork",
]


class Clock(Protocol):
    """The time. Every deadline reads it, so tests move it instead of sleeping."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SecretSource(Protocol):
    """Randomness for secrets. Production implementations draw from the OS CSPRNG (`secrets`)."""

    def provisional_password(self, alphabet: str, length: int) -> str:
        """A uniformly random string of `length` symbols of `alphabet`."""
        ...

    def token(self, nbytes: int) -> str:
        """A URL-safe random token carrying at least `nbytes` bytes of randomness, never starting
        with « - » (a person may type it on a command line, where it would read as an option).
        """
        ...


class PasswordHasher(Protocol):
    """One-way hashing of chosen passwords (argon2id or scrypt). Called once per guardian action,
    never in a bulk loop.
    """

    def hash(self, password: str) -> str:
        """A self-describing, salted hash of `password` (algorithm and parameters included)."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether `password` matches `password_hash`, in time independent of where they differ.
        Returns False (never raises) for a malformed hash.
        """
        ...


class Mailer(Protocol):
    """Delivers e-mails. Called by the outbox relay after commit, never inside a transaction:
    the relay hands over a batch at a time (`send_many`), every message of it already committed
    as in flight.
    """

    def send(self, message: OutboxMessage) -> None:
        """Deliver `message` to `message.to`, or raise `EduconnectError` saying why not.

        Must be safe to call again with the same `message_id` after a failure: an implementation
        that can tell a message was already accepted should not send it twice.
        """
        ...

    def send_many(self, messages: Sequence[OutboxMessage]) -> Sequence[EduconnectError | None]:
        """Deliver `messages` in their order in one session (one SMTP connection, say); return
        one result per message, in the same order: None for a message accepted, else the
        `EduconnectError` saying why it was not (naming that message and its recipient).

        A failure of one message (a refused recipient) fails that message only; a failure that
        ends the session (the connection lost, the server unreachable) fails that message and
        every later one of the batch, without trying them, so that the relay retries them later
        with a wait. Raises nothing for a message's failure: a raised error leaves the whole
        batch to the relay's judgement (it counts it failed). Same rule as `send` for a message
        already accepted. `send_each` (in `educonnect_core.services.relay`) is this method for a
        mailer with no session to keep: `send` once per message.
        """
        ...


class SmsSender(Protocol):
    """Delivers one SMS (a one-time code). Called by the core after the code is committed, never
    inside a transaction; the text holds the code, so an implementation must not log it.
    """

    def send(self, line: str, text: str) -> None:
        """Send `text` to `line` (E.164, ``+33612345678``), or raise `EduconnectError` saying why
        not (the code stays valid: the guardian may ask again after the cooldown).
        """
        ...


class DocumentRenderer(Protocol):
    """Turns letters and lists into printable documents (PDF in production)."""

    def notification_sheets(
        self, letters: Sequence[LetterContent], created_at: datetime
    ) -> Document:
        """ONE document with one page per letter, in the given order (guide §5.3.1)."""
        ...

    def account_list(self, listing: AccountList) -> Document:
        """The list of accounts of guide §5.4: creation date, « Ecole : UAI - nom », the columns,
        the footnote on provisional passwords; paged with repeated headers.
        """
        ...


class StagedDocument(Protocol):
    """A document a `DocumentSink` holds safely but has not yet made visible (e.g. a complete
    temporary file beside its target, flushed to disk).
    """

    def publish(self) -> str:
        """Make the document visible where it belongs (e.g. rename it onto its final name) and
        return where it went (a path, a URL). Called once, after the operation committed; it
        must not fail for want of room, which `stage` already took.
        """
        ...

    def discard(self) -> None:
        """Forget the staged document (the operation did not commit); never raises for a
        document already gone.
        """
        ...


class DocumentSink(Protocol):
    """Where the documents of an operation go (paper notification sheets, exports), made part
    of the operation: the core stages the document BEFORE committing — if staging raises,
    nothing is committed (no password reset, no distribution date) — then publishes it after the
    commit, or discards it if the commit fails.
    """

    def stage(self, document: Document) -> StagedDocument:
        """Write `document` completely where it cannot be mistaken for a finished one, or raise
        `EduconnectError` (with a French sentence) saying why it cannot be written.
        """
        ...


class AuditTrail(Protocol):
    """The append-only, hash-chained record of every administrative action and guardian-side
    event (see `educonnect_core.domain.audit`).
    """

    def record(self, entry: AuditEntry) -> None:
        """Append `entry`; it becomes visible when the unit of work commits (not before, not even
        to the unit that recorded it), and is lost if it rolls back.

        At commit the storage gives each recorded entry, in recording order, the digest
        `chain_digest(previous, entry)` where `previous` is the digest of the entry committed
        just before it (`GENESIS` for the first), so that the committed trail is one chain even
        when units of work commit concurrently.
        """
        ...

    def chain(self) -> Sequence[ChainedEntry]:
        """Every committed entry with its position (1, 2, …) and the digest stored with it, in
        recording order: what `first_broken` verifies. Returns the stored digests as they are
        (never recomputed), so that tampering shows.
        """
        ...

    def entries(
        self, *, account_id: str | None = None, since: datetime | None = None
    ) -> Sequence[AuditEntry]:
        """Committed entries in the order they were committed (within a unit, recorded), i.e.
        oldest first; only those whose `account_id` equals `account_id` when given, and whose
        `at` is at or after `since` (inclusive) when given.
        """
        ...


class Outbox(Protocol):
    """E-mails stored in the same transaction as the change that causes them (transactional
    outbox); the relay hands committed ones to the `Mailer`.
    """

    def add(self, message: OutboxMessage) -> None:
        """Store `message`, whole (it must read back equal); it is pending once the unit of work
        commits, lost if it rolls back. Losing a committed message is the worst outbox bug: the
        guardian never gets the letter (the lifecycle test names such a lost message).
        """
        ...

    def pending(self, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Committed, unsent messages that are due, by (`created_at`, `message_id`), at most
        `limit` of them; never a message in flight.

        The due rule: a message never marked failed is due at once (whatever its `created_at`);
        one marked failed is due when its latest `retry_at` is at or before `now` (inclusive).
        Writes of the current unit (`add`, `mark_sent`, `mark_failed`) are NOT seen here before
        commit.
        """
        ...

    def mark_in_flight(self, message_id: str, at: datetime) -> None:
        """Record, before handing a pending message to the mailer, that it may be delivered
        from now on: until `mark_sent` or `mark_failed`, `pending` no longer returns it and
        `in_flight` does. Committed before the mailer is called, so that a crash while sending
        leaves the message in flight rather than pending. The relay marks a whole batch in one
        unit of work (with the previous batch's `mark_sent` / `mark_failed`): every mark of a
        unit takes effect at its commit, each at its own `at`.
        """
        ...

    def in_flight(self) -> Sequence[OutboxMessage]:
        """Committed messages marked in flight and neither sent nor failed since, oldest first:
        after a crash, those the mailer may or may not have delivered.
        """
        ...

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """Record delivery (of a pending or in-flight message), effective on commit: the message
        is never returned by `pending` or `in_flight` again, its id is in `sent_ids`, and its
        letter (which holds a secret) is forgotten.
        """
        ...

    def mark_failed(self, message_id: str, at: datetime, error: str, retry_at: datetime) -> None:
        """Record a failed attempt of a pending or in-flight message (`error` holds no secret),
        effective on commit: it is pending again, no longer in flight, `attempts` grows by one
        and it is not due again before `retry_at`.
        """
        ...

    def attempts(self, message_id: str) -> int:
        """How many committed `mark_failed` there were for `message_id` (0 for an unknown id)."""
        ...

    def sent_ids(self) -> Collection[str]:
        """The ids of every message whose `mark_sent` was committed (any collection; compared as
        a set).
        """
        ...


class Accounts(Protocol):
    """The accounts, read and written inside a unit of work."""

    def get(self, account_id: str) -> Account | None:
        """The account of guardian record `account_id`, if any, as this unit sees it (its own
        writes included), equal field by field to what was stored. The returned object is the
        unit's own: changing it changes nothing until `update`.
        """
        ...

    def get_many(self, account_ids: Collection[str]) -> Mapping[str, Account]:
        """The accounts among `account_ids` that exist (unknown ids are left out), keyed by id."""
        ...

    def by_login(self, login: str) -> Account | None:
        """The account with this login, if any."""
        ...

    def by_activation_digest(self, digest: str) -> Account | None:
        """The account whose pending activation link has this token digest, if any."""
        ...

    def by_mobile(self, mobile: Mobile) -> Sequence[Account]:
        """The accounts whose directory mobile reaches the same line as `mobile`
        (`Mobile.same_line`: ``+33 6…`` and ``06…`` are one line), in any order.
        """
        ...

    def by_franceconnect_sub(self, sub: str) -> Account | None:
        """The account bound to FranceConnect identity `sub`, if any."""
        ...

    def by_recovery_digest(self, digest: str) -> Account | None:
        """The account whose pending forgotten-password link has this token digest, if any."""
        ...

    def by_email(self, email: Email) -> Sequence[Account]:
        """The accounts whose own address (`Account.chosen_email`) is `email`, by login."""
        ...

    def merge_into(self, account: Account, survivor_id: str) -> None:
        """Delete `account`, merged into account `survivor_id` (« regroupement de comptes »): on
        commit its row is gone (version checked like `update`: `ConcurrentChange` if it changed),
        its login is free, and `account.account_id` — with every id already merged into it —
        becomes an alias of `survivor_id` (`aliases`). Links are the caller's to move.
        """
        ...

    def aliases(self, responsable_ids: Collection[str]) -> Mapping[str, str]:
        """The surviving account of each of `responsable_ids` that was merged into another, by
        id (ids never merged are absent): the directory feed maps their records onto it.
        """
        ...

    def logins_taken(self, bases: Collection[str]) -> set[str]:
        """Every login, committed or added by this unit, equal to one of `bases` or to one of
        them followed by digits only (``j.dupont``, ``j.dupont2``; not ``j.dupontel``).
        """
        ...

    def add(self, account: Account) -> None:
        """Store a new account. An id or a login already taken (committed, or added by this unit)
        raises `ConcurrentChange`, here or at the latest at commit, and nothing of the unit is
        kept. On commit the account is stored at version ``account.version + 1`` and
        `account.version` is set to it (a new account usually comes with version 0, so reads
        back at 1).
        """
        ...

    def update(self, account: Account) -> None:
        """Store a changed account: the version rule.

        The stored version must still be `account.version` WHEN THE UNIT COMMITS, else
        `ConcurrentChange` (raised here or by `commit()`) and nothing of the unit is written.
        Checking only here is not enough: two units that both read version 1 and both call
        `update` before either commits must not both commit (the contract's concurrency part
        interleaves them). Updating the same account several times in a unit is one write: on
        commit the stored version is exactly one more, and `account.version` is set to it.

        The guardian's activity (`login_failures`, `last_login_at`) is NOT written by `update`:
        only `record_login_failure` and `record_login_success` change it, so that a director's
        action and a guardian's login never conflict nor erase each other.
        """
        ...

    def record_login_failure(
        self, account_id: str, now: datetime, throttle: Throttle, block_after: int | None
    ) -> FailureCounter:
        """Count one more failed login of `account_id` at `now`, atomically (parallel failures
        are each counted) and without version check nor version bump; return the counter as it
        now stands (lock from `throttle`, blocked from `block_after`). Failures counted under
        older credentials (`Account.credentials`) are forgotten first. Committed with the unit
        of work; an unknown id changes nothing and gives an empty counter.
        """
        ...

    def record_login_success(self, account_id: str, now: datetime, *, connected: bool) -> None:
        """A right password for `account_id`: its failures go back to zero and, if the
        connection went through (`connected`), its `last_login_at` becomes `now`. No version
        check nor bump; committed with the unit of work.
        """
        ...


class Directory(Protocol):
    """The directory data (schools, classes, pupils, links) and the read models built on it."""

    def schools(self, uais: Collection[Uai] | None = None) -> Sequence[School]:
        """The schools among `uais` (all when None; unknown UAIs left out), by UAI."""
        ...

    def classes(self, uai: Uai) -> Sequence[SchoolClass]:
        """The classes of a school, by (name, class id)."""
        ...

    def students(self, student_ids: Collection[str]) -> Mapping[str, Student]:
        """The pupils among `student_ids` that exist (unknown ids left out), keyed by id."""
        ...

    def students_in(self, uais: Collection[Uai]) -> Sequence[Student]:
        """Every pupil of these schools: school by school in the order of `uais`, each school's
        pupils by student id.
        """
        ...

    def links_of_students(self, student_ids: Collection[str]) -> Sequence[GuardianLink]:
        """The guardian links of these pupils: pupil by pupil in the order of `student_ids`, each
        pupil's links by responsable id (so by (student, responsable) for sorted ids).
        """
        ...

    def children(self, account_ids: Collection[str]) -> Mapping[str, Sequence[Student]]:
        """The pupils each account is guardian of, keyed by account id, each list by student id
        (accounts without any pupil are absent; an account need not exist to have links).
        """
        ...

    def guardian_ids(self, uai: Uai) -> set[str]:
        """The responsable ids linked to a pupil of school `uai` (the director's scope there),
        whether or not an account exists for them yet.
        """
        ...

    def differing(self, records: DirectoryRecords, uais: Collection[Uai]) -> RecordChanges:
        """Which of `records` (a complete group of a feed: the schools `uais`, their pupils and
        links, the guardians they name; see `domain.fingerprints`) differ from what is stored.

        - a pupil is in `pupils` when no pupil with its id is stored, or when a field of its
          `PupilFields` differs from the stored pupil's (the class's UAI and name as the stored
          class with that id has them; None when it is not stored), or when its legal guardians
          (the ids paired with it in `records.links`) are not exactly the stored links' ids;
        - a guardian is in `guardians` when no account has its id (a merged record included), or
          when the account's surname, first name, directory e-mail or mobile differs;
        - `departures` lists, by id, the stored pupils of schools `uais` that `records` does not
          hold.

        Writes of this unit of work not yet committed count as stored. Nothing is written. The
        comparison is exact (equal strings): when in doubt, a record differs.
        """
        ...

    def put_schools(self, schools: Iterable[School]) -> None:
        """Insert or replace schools (by UAI).

        Directory writes are versioned as a whole: of two units that both write the directory,
        the later to commit gets `ConcurrentChange` and the earlier one's data stays.
        """
        ...

    def put_classes(self, classes: Iterable[SchoolClass]) -> None:
        """Insert or replace classes (by class id)."""
        ...

    def put_students(self, students: Iterable[Student]) -> None:
        """Insert or replace pupils (by student id; a pupil may move to another school)."""
        ...

    def remove_students(self, student_ids: Collection[str]) -> None:
        """Remove pupils and all their links (accounts are kept); unknown ids are ignored."""
        ...

    def add_links(self, links: Iterable[GuardianLink]) -> None:
        """Add guardian links (a link already there is left as it is)."""
        ...

    def remove_links(self, links: Iterable[GuardianLink]) -> None:
        """Remove guardian links; links that are not there are ignored."""
        ...

    def responsable_rows(self, uai: Uai, selection: Selection) -> Page:
        """The list of guide §5.1 for school `uai`: exactly `select_rows(pairs, selection)`,
        possibly computed by the database.

        The input rule: `pairs` holds one `ResponsableRow.pair(pupil, school_class, account)` for
        every link of a pupil of the school whose guardian HAS an account (links to guardians
        without one are left out); `school_class` is the pupil's class if it is stored, else
        None (a class id that names no stored class). Sorting, filtering and paging are
        `select_rows`' own (accent- and case-insensitive text, ties broken by its rules).
        """
        ...

    def statistics(self, uai: Uai, at: datetime) -> SchoolStatistics:
        """The statistics of school `uai` at `at`: exactly
        `compute_statistics(uai.value, at, enrolments)`.

        The input rule: one `Enrolment` per pupil of the school (in any order), with `class_id`
        the pupil's class id or ``""``, `class_name` the stored class's name, else the class id
        (or ``""``), the pupil's `level`, and `guardians` the sorted (responsable id, account
        state) of the pupil's linked guardians that have an account.
        """
        ...

    def store_statistics(self, statistics: SchoolStatistics) -> None:
        """Keep `statistics` as the last computation for its school (replacing the previous
        one) when the unit of work commits. Storing them changes no directory data.
        """
        ...

    def stored_statistics(self, uai: Uai) -> SchoolStatistics | None:
        """The last statistics stored for school `uai`, exactly as stored; None if never."""
        ...


class OneTimeCodes(Protocol):
    """The SMS one-time codes, one record per line (E.164), read and written in a unit of work."""

    def get(self, line: str) -> OneTimeCode | None:
        """The record of `line`, if any."""
        ...

    def put(self, code: OneTimeCode) -> None:
        """Store `code` as the record of `code.line` (a new code replacing the previous one) on
        commit; the failures stored are `code.failures`.
        """
        ...

    def spend(self, line: str, digest: str, then: OneTimeCode) -> None:
        """Replace `line`'s record by `then` on commit, provided its digest is still `digest`
        (else `ConcurrentChange`, at once or at commit, and nothing is written): a code or
        proof is spent once even by parallel requests.
        """
        ...

    def record_failure(self, line: str, now: datetime, throttle: Throttle) -> FailureCounter:
        """Count one more wrong code for `line` at `now`, atomically (parallel failures are each
        counted); return the counter as it now stands. Committed with the unit of work; a line
        without a record changes nothing and gives an empty counter.
        """
        ...


class UnitOfWork(Protocol):
    """One use case's transaction: everything read and written through it is committed together
    or not at all. Leaving the `with` block without `commit()` rolls back.
    """

    @property
    def codes(self) -> OneTimeCodes:
        """The SMS one-time codes."""
        ...

    @property
    def accounts(self) -> Accounts:
        """The accounts, as this transaction sees them."""
        ...

    @property
    def directory(self) -> Directory:
        """The directory data and read models, as this transaction sees them."""
        ...

    @property
    def outbox(self) -> Outbox:
        """The e-mail outbox."""
        ...

    @property
    def audit(self) -> AuditTrail:
        """The audit trail."""
        ...

    def __enter__(self) -> Self:
        """Begin the transaction. Reads see committed data plus this unit's own writes to
        accounts and the directory (outbox and audit writes are seen only once committed).
        """
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed, and release the transaction."""
        ...

    def commit(self) -> None:
        """Make every change durable at once, or raise (`ConcurrentChange`, `StorageError`,
        subclasses allowed, never a driver's exception) and keep none. The unit may go on: new
        writes after a commit or a rollback form the next transaction.
        """
        ...

    def rollback(self) -> None:
        """Forget every uncommitted change; the unit stays usable."""
        ...


class Storage(Protocol):
    """Where accounts and directory data live; hands out units of work."""

    def unit_of_work(self) -> UnitOfWork:
        """A new, not yet entered, unit of work."""
        ...
