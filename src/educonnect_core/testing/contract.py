"""The storage contract: one abstract pytest suite that every storage adapter passes.

Subclass `StorageContract`, implement `make_storage()` (a fresh, empty storage) and, if needed,
`dispose()`; pytest then runs every rule below against your adapter::

    class TestMyStorage(StorageContract):
        def make_storage(self) -> Storage:
            return MyStorage.connect(...)

The rules are those the ports promise (`educonnect_core.ports`) and the in-memory reference
(`InMemoryStorage`) keeps: a unit of work reads committed data plus its own writes, commits all
or nothing, refuses a stale account version with `ConcurrentChange` (raised at the latest by
`commit()`), keeps outbox and audit writes invisible until commit; and the director's list and
the statistics equal the core's reference functions on generated schools. Requires pytest and
hypothesis (the ``testing`` extra and a test runner).
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from educonnect_core.domain.account import Account, ActivationLink, Chosen
from educonnect_core.domain.directory import GuardianLink, School, SchoolClass, Student
from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.records import AuditEntry
from educonnect_core.domain.selection import ResponsableRow, Selection, SortColumn, select_rows
from educonnect_core.domain.statistics import Enrolment, compute_statistics
from educonnect_core.domain.values import Email, Level, Login, Mobile, Uai
from educonnect_core.errors import ConcurrentChange
from educonnect_core.ports import Storage
from educonnect_core.testing.contract_activity import ActivityContract
from educonnect_core.testing.contract_base import (
    T0,
    _Base,
    _commit_expecting_conflict,
    account,
    fresh_uai,
    message,
    student,
)
from educonnect_core.testing.contract_fingerprints import FingerprintContract
from educonnect_core.testing.contract_outbox_audit import OutboxAuditContract
from educonnect_core.testing.contract_selfservice import SelfServiceContract

__all__ = [
    "AccountsContract",
    "ActivityContract",
    "AuditContract",
    "ConcurrencyContract",
    "DirectoryContract",
    "OutboxAuditContract",
    "OutboxContract",
    "ReadModelsContract",
    "SelfServiceContract",
    "StorageContract",
    "TransactionsContract",
    "account",
    "fresh_uai",
    "message",
    "school_data",
    "selections",
    "student",
]


class AccountsContract(_Base):
    """Accounts are stored whole, found by id, login, link digest and mobile line."""

    def test_round_trip_keeps_every_field(self, storage: Storage) -> None:
        """An account reads back equal, field by field, at version 1."""
        original = account(
            "R1",
            "j.dupont",
            state=AccountState.ACTIVATING,
            origin=Origin.SCHOOL,
            email="jean@example.org",
            mobile="+33612345678",
            distributed_at=T0 + timedelta(days=1),
            last_login_at=T0 + timedelta(days=2, microseconds=7),
        )
        original.chosen_email = Email("jean@perso.example.org")
        original.activation = ActivationLink("d" * 64, Email("jean@perso.example.org"), T0)
        original.login_failures = attrs.evolve(original.login_failures, failures=2)
        expected = attrs.evolve(original, version=1)
        self.put(storage, original)
        assert original.version == 1
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("R1") == expected
            assert uow.accounts.get("R2") is None

    def test_chosen_password_round_trip(self, storage: Storage) -> None:
        """A chosen password reads back as its hash, with no provisional secret."""
        self.put(storage, account("R1", "j.dupont", chosen=True, state=AccountState.ACTIVATED))
        with storage.unit_of_work() as uow:
            found = uow.accounts.get("R1")
        assert found is not None
        assert found.password == Chosen("fast$0$" + "0" * 64)

    def test_lookups(self, storage: Storage) -> None:
        """get_many, by_login, by_activation_digest and by_mobile find exactly their accounts."""
        first = account("R1", "j.dupont", mobile="0612345678")
        second = account("R2", "j.dupont2", mobile="+33612345678")
        third = account("R3", "m.durand", mobile="0699999999")
        third.activation = ActivationLink("f" * 64, Email("m@example.org"), T0)
        self.put(storage, first, second, third)
        with storage.unit_of_work() as uow:
            assert set(uow.accounts.get_many(["R1", "R3", "R9"])) == {"R1", "R3"}
            found = uow.accounts.by_login("j.dupont2")
            assert found is not None
            assert found.account_id == "R2"
            assert uow.accounts.by_login("nobody") is None
            link = uow.accounts.by_activation_digest("f" * 64)
            assert link is not None
            assert link.account_id == "R3"
            assert uow.accounts.by_activation_digest("0" * 64) is None
            line = sorted(
                a.account_id for a in uow.accounts.by_mobile(Mobile.parse("06 12 34 56 78"))
            )
            assert line == ["R1", "R2"]

    def test_logins_taken(self, storage: Storage) -> None:
        """logins_taken gives the logins equal to a base or to a base followed by digits."""
        self.put(
            storage,
            account("R1", "j.dupont"),
            account("R2", "j.dupont2"),
            account("R3", "j.dupontel"),
            account("R4", "m.durand12"),
        )
        with storage.unit_of_work() as uow:
            uow.accounts.add(account("R5", "j.dupont3"))
            taken = uow.accounts.logins_taken({"j.dupont", "m.durand", "x.y"})
        assert taken == {"j.dupont", "j.dupont2", "j.dupont3", "m.durand12"}

    def test_duplicate_login_refused(self, storage: Storage) -> None:
        """Adding an account whose login is taken raises ConcurrentChange and stores nothing."""
        self.put(storage, account("R1", "j.dupont"))
        with storage.unit_of_work() as uow:
            uow.accounts.add(account("R0", "a.other"))
            _commit_expecting_conflict(uow, lambda: uow.accounts.add(account("R2", "j.dupont")))
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("R2") is None
            assert uow.accounts.get("R0") is None

    def test_duplicate_id_refused(self, storage: Storage) -> None:
        """Adding an account whose id exists raises ConcurrentChange and changes nothing."""
        self.put(storage, account("R1", "j.dupont"))
        with storage.unit_of_work() as uow:
            _commit_expecting_conflict(uow, lambda: uow.accounts.add(account("R1", "x.other")))
        with storage.unit_of_work() as uow:
            found = uow.accounts.get("R1")
            assert found is not None
            assert found.login == Login("j.dupont")
            assert uow.accounts.by_login("x.other") is None


class TransactionsContract(_Base):
    """A unit of work is a transaction: all or nothing, versions checked, own writes seen."""

    def test_leaving_without_commit_forgets_everything(self, storage: Storage) -> None:
        """Accounts, directory, outbox and audit writes vanish when the block ends uncommitted."""
        uai = fresh_uai()
        with storage.unit_of_work() as uow:
            uow.accounts.add(account("R1", "j.dupont"))
            uow.directory.put_schools([School(uai, "ECOLE")])
            uow.outbox.add(message("M1", "R1", T0))
            uow.audit.record(AuditEntry(T0, "feed", "INTEGRATE", "done"))
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("R1") is None
            assert uow.directory.schools([uai]) == []
            assert uow.outbox.pending(T0) == []
            assert uow.audit.entries() == []

    def test_rollback_forgets_and_the_unit_goes_on(self, storage: Storage) -> None:
        """rollback() forgets what was written; the same unit of work can then commit anew."""
        with storage.unit_of_work() as uow:
            uow.accounts.add(account("R1", "j.dupont"))
            uow.rollback()
            assert uow.accounts.get("R1") is None
            uow.accounts.add(account("R2", "m.durand"))
            uow.commit()
            uow.accounts.add(account("R3", "p.petit"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert set(uow.accounts.get_many(["R1", "R2", "R3"])) == {"R2", "R3"}

    def test_reads_see_own_writes(self, storage: Storage) -> None:
        """Inside a unit of work, every read sees the accounts and directory data it wrote."""
        uai = fresh_uai()
        with storage.unit_of_work() as uow:
            uow.directory.put_schools([School(uai, "ECOLE")])
            uow.directory.put_students([student("E1", uai)])
            uow.directory.add_links([GuardianLink("R1", "E1")])
            uow.accounts.add(account("R1", "j.dupont", mobile="0611111111"))
            assert uow.accounts.by_login("j.dupont") is not None
            assert [a.account_id for a in uow.accounts.by_mobile(Mobile("0611111111"))] == ["R1"]
            assert uow.directory.guardian_ids(uai) == {"R1"}
            assert [
                r.account_id for r in uow.directory.responsable_rows(uai, Selection()).rows
            ] == ["R1"]
            assert uow.directory.statistics(uai, T0).summary.accounts == 1
            changed = uow.accounts.get("R1")
            assert changed is not None
            changed.state = AccountState.NOTIFIED
            uow.accounts.update(changed)
            page = uow.directory.responsable_rows(uai, Selection())
            assert [r.state for r in page.rows] == [AccountState.NOTIFIED]

    def test_stale_version_is_refused(self, storage: Storage) -> None:
        """Of two units of work that read the same version, the second writer gets
        ConcurrentChange and the first one's change stays.
        """
        self.put(storage, account("R1", "j.dupont"))
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            mine = first.accounts.get("R1")
            theirs = second.accounts.get("R1")
            assert mine is not None
            assert theirs is not None
            theirs.surname = "THEIRS"
            second.accounts.update(theirs)
            second.commit()
            mine.surname = "MINE"
            _commit_expecting_conflict(first, lambda: first.accounts.update(mine))
        with storage.unit_of_work() as uow:
            stored = uow.accounts.get("R1")
        assert stored is not None
        assert (stored.surname, stored.version) == ("THEIRS", 2)

    def test_a_conflict_keeps_nothing_of_the_unit(self, storage: Storage) -> None:
        """A commit refused for one stale account keeps none of the unit's other writes."""
        self.put(storage, account("R1", "j.dupont"), account("R2", "m.durand"))
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            stale = first.accounts.get("R1")
            fresh = first.accounts.get("R2")
            other = second.accounts.get("R1")
            assert stale is not None
            assert fresh is not None
            assert other is not None
            other.first_name = "Other"
            second.accounts.update(other)
            second.commit()
            fresh.first_name = "Lost"
            stale.first_name = "Lost"

            def write() -> None:
                first.accounts.update(fresh)
                first.accounts.add(account("R3", "p.petit"))
                first.outbox.add(message("M1", "R2", T0))
                first.audit.record(AuditEntry(T0, "feed", "X", "done", account_id="R2"))
                first.accounts.update(stale)

            _commit_expecting_conflict(first, write)
        with storage.unit_of_work() as uow:
            kept = uow.accounts.get("R2")
            assert kept is not None
            assert (kept.first_name, kept.version) == ("Jean", 1)
            assert uow.accounts.get("R3") is None
            assert uow.outbox.pending(T0) == []
            assert uow.audit.entries() == []

    def test_version_grows_by_one_per_commit(self, storage: Storage) -> None:
        """Each committed unit of work that updates an account adds exactly one to its version."""
        self.put(storage, account("R1", "j.dupont"))
        for expected in (2, 3):
            with storage.unit_of_work() as uow:
                found = uow.accounts.get("R1")
                assert found is not None
                found.first_name = f"Jean{expected}"
                uow.accounts.update(found)
                uow.accounts.update(found)
                uow.commit()
                assert found.version == expected
        with storage.unit_of_work() as uow:
            stored = uow.accounts.get("R1")
            assert stored is not None
            assert (stored.first_name, stored.version) == ("Jean3", 3)

    def test_concurrent_directory_writers(self, storage: Storage) -> None:
        """Of two units of work writing the directory, the later committer gets
        ConcurrentChange and the earlier one's data stays.
        """
        uai = fresh_uai()
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            second.directory.put_schools([School(uai, "SECOND")])
            second.commit()
            _commit_expecting_conflict(
                first, lambda: first.directory.put_schools([School(uai, "FIRST")])
            )
        with storage.unit_of_work() as uow:
            assert uow.directory.schools([uai]) == [School(uai, "SECOND")]


class ConcurrencyContract(_Base):
    """Two units of work interleaved on the same account: both write before either commits; the
    later committer gets `ConcurrentChange` (at its write or its commit) and no update is lost.
    A storage that checks the version when `update` is called but not again at commit, and so
    stores a change made on an old version, fails here.
    """

    def _interleave(self, storage: Storage, first_commits_first: bool) -> None:
        self.put(storage, account("R1", "j.dupont"))
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            mine, theirs = first.accounts.get("R1"), second.accounts.get("R1")
            assert mine is not None
            assert theirs is not None
            assert mine.version == theirs.version == 1
            mine.surname, theirs.surname = "FIRST", "SECOND"
            winner, loser = (first, second) if first_commits_first else (second, first)
            first.accounts.update(mine)
            try:
                second.accounts.update(theirs)
            except ConcurrentChange:
                # A storage may refuse the second writer at once; the first still commits.
                first.commit()
                kept = "FIRST"
            else:
                winner.commit()
                try:
                    loser.commit()
                except ConcurrentChange:
                    pass
                else:
                    pytest.fail(
                        "lost update: the later of two interleaved commits on account R1 "
                        "(both read version 1) went through without ConcurrentChange"
                    )
                kept = "FIRST" if first_commits_first else "SECOND"
        with storage.unit_of_work() as uow:
            stored = uow.accounts.get("R1")
        assert stored is not None
        assert (stored.surname, stored.version) == (kept, 2), (
            "lost update: the later commit of two interleaved units of work was stored"
        )

    def test_later_commit_of_two_interleaved_writers_is_refused(self, storage: Storage) -> None:
        """Both units write the account, the first commits: the second commit raises
        ConcurrentChange and the first one's change stays, at version 2.
        """
        self._interleave(storage, first_commits_first=True)

    def test_later_commit_is_refused_whoever_wrote_first(self, storage: Storage) -> None:
        """Both units write the account, the second commits first: the first unit's commit
        raises ConcurrentChange and the second one's change stays, at version 2.
        """
        self._interleave(storage, first_commits_first=False)


class DirectoryContract(_Base):
    """Directory writes replace, add and remove exactly what they say; reads are ordered."""

    def test_schools_and_classes(self, storage: Storage) -> None:
        """Schools come back by UAI, a school's classes by name; put replaces."""
        a, b = sorted([fresh_uai(), fresh_uai()])
        with storage.unit_of_work() as uow:
            uow.directory.put_schools([School(b, "B"), School(a, "A")])
            uow.directory.put_classes(
                [
                    SchoolClass("C2", a, "CM2"),
                    SchoolClass("C1", a, "CE1"),
                    SchoolClass("C3", b, "CP"),
                ]
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.directory.put_schools([School(a, "A2")])
            uow.directory.put_classes([SchoolClass("C1", a, "CE1 bis")])
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.directory.schools([b, a, fresh_uai()])) == [
                School(a, "A2"),
                School(b, "B"),
            ]
            assert {s.uai for s in uow.directory.schools(None)} >= {a, b}
            assert [c.class_id for c in uow.directory.classes(a)] == ["C1", "C2"]
            assert uow.directory.classes(a)[0].name == "CE1 bis"

    def test_students_links_and_children(self, storage: Storage) -> None:
        """Pupils and links are stored, replaced and removed; children and scope follow."""
        a, b = fresh_uai(), fresh_uai()
        e1, e2, e3 = student("E1", a), student("E2", a, first_name="Hugo"), student("E3", b)
        with storage.unit_of_work() as uow:
            uow.directory.put_students([e2, e1, e3])
            uow.directory.add_links(
                [GuardianLink("R1", "E1"), GuardianLink("R1", "E2"), GuardianLink("R2", "E1")]
            )
            uow.directory.add_links([GuardianLink("R1", "E1"), GuardianLink("R2", "E3")])
            uow.commit()
        with storage.unit_of_work() as uow:
            assert dict(uow.directory.students(["E1", "E3", "E9"])) == {"E1": e1, "E3": e3}
            assert list(uow.directory.students_in([a])) == [e1, e2]
            assert list(uow.directory.links_of_students(["E1", "E2"])) == [
                GuardianLink("R1", "E1"),
                GuardianLink("R2", "E1"),
                GuardianLink("R1", "E2"),
            ]
            assert {k: list(v) for k, v in uow.directory.children(["R1", "R2", "R9"]).items()} == {
                "R1": [e1, e2],
                "R2": [e1, e3],
            }
            assert uow.directory.guardian_ids(a) == {"R1", "R2"}
            moved = attrs.evolve(e2, uai=b, surname="MOVED")
            uow.directory.put_students([moved])
            uow.directory.remove_links([GuardianLink("R2", "E1")])
            uow.directory.remove_students(["E1"])
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.directory.students_in([a])) == []
            assert list(uow.directory.students_in([b])) == [moved, e3]
            assert list(uow.directory.links_of_students(["E1"])) == []
            assert {k: list(v) for k, v in uow.directory.children(["R1", "R2"]).items()} == {
                "R1": [moved],
                "R2": [e3],
            }
            assert uow.directory.guardian_ids(a) == set()
            assert uow.directory.guardian_ids(b) == {"R1", "R2"}


class OutboxContract(_Base):
    """The outbox hands out committed messages once due, forgets sent letters, counts failures."""

    def test_lifecycle(self, storage: Storage) -> None:
        """A message is pending after commit (oldest first), waits after a failure, and is
        never pending again once sent.
        """
        with storage.unit_of_work() as uow:
            uow.outbox.add(message("M2", "R1", T0 + timedelta(seconds=1)))
            uow.outbox.add(message("M1", "R1", T0 + timedelta(seconds=1)))
            uow.outbox.add(message("M0", "R2", T0))
            assert uow.outbox.pending(T0) == []
            uow.commit()
        with storage.unit_of_work() as uow:
            due = uow.outbox.pending(T0 + timedelta(minutes=1))
            assert [m.message_id for m in due] == ["M0", "M1", "M2"]
            assert due[0] == message("M0", "R2", T0)
            assert [m.message_id for m in uow.outbox.pending(T0, limit=2)] == ["M0", "M1"]
            uow.outbox.mark_failed("M0", T0, "DeliveryFailed: refused", T0 + timedelta(minutes=5))
            uow.outbox.mark_sent("M1", T0)
            assert uow.outbox.sent_ids() == set()
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.outbox.attempts("M0") == 1
            assert uow.outbox.attempts("M2") == 0
            later = T0 + timedelta(minutes=5)
            assert [m.message_id for m in uow.outbox.pending(later - timedelta(seconds=1))] == [
                "M2"
            ]
            assert [m.message_id for m in uow.outbox.pending(later)] == ["M0", "M2"]
            assert set(uow.outbox.sent_ids()) == {"M1"}
            uow.outbox.mark_failed("M0", later, "again", later + timedelta(minutes=10))
            uow.outbox.mark_sent("M2", later)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.outbox.attempts("M0") == 2
            assert set(uow.outbox.sent_ids()) == {"M1", "M2"}
            assert uow.outbox.pending(later + timedelta(hours=1)) == [message("M0", "R2", T0)]


class AuditContract(_Base):
    """The audit trail is append-only, committed entries only, oldest first, filterable."""

    def test_entries(self, storage: Storage) -> None:
        """Entries appear on commit, in order, by account and from an instant."""
        entries = [
            AuditEntry(T0 + timedelta(minutes=i), "director:d1", f"A{i}", "done", f"R{i % 2}")
            for i in range(4)
        ]
        with storage.unit_of_work() as uow:
            for entry in entries[:3]:
                uow.audit.record(entry)
            assert uow.audit.entries() == []
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.audit.record(entries[3])
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.audit.record(AuditEntry(T0, "relay", "LOST", "done"))
            assert list(uow.audit.entries()) == entries
            assert list(uow.audit.entries(account_id="R1")) == [entries[1], entries[3]]
            assert list(uow.audit.entries(since=entries[2].at)) == entries[2:]
            assert list(uow.audit.entries(account_id="R0", since=entries[1].at)) == [entries[2]]


# -- generated schools for the read models ----------------------------------------------------

_NAMES = ("Léa", "lea", "LÉA", "Zoé", "zoe", "Œdipe", "oedipe", "Éa", "ea", "Noé A", "b", "B")
_CLASS_NAMES = ("CP", "cp", "CE1 A", "Cé1", "École", "b", "B", "a b")
_LEVELS = (None, "CP", "CM2", "GS", "ULIS", "TPS")
_DATES = (None, T0, T0 + timedelta(days=1), T0 + timedelta(days=1, microseconds=1))


@attrs.frozen
class SchoolData:
    """A generated school: what to store, and the reference rows and enrolments it gives."""

    uai: Uai
    classes: tuple[SchoolClass, ...]
    students: tuple[Student, ...]
    accounts: tuple[Account, ...]
    links: tuple[GuardianLink, ...]

    def store(self, storage: Storage) -> None:
        """Write everything in one unit of work."""
        with storage.unit_of_work() as uow:
            uow.directory.put_schools([School(self.uai, "ECOLE GENEREE")])
            uow.directory.put_classes(self.classes)
            uow.directory.put_students(self.students)
            uow.directory.add_links(self.links)
            for item in self.accounts:
                uow.accounts.add(item)
            uow.commit()

    def rows(self) -> list[ResponsableRow]:
        """The (pupil, account) pairs of the school, built independently of any storage."""
        classes = {c.class_id: c for c in self.classes}
        accounts = {a.account_id: a for a in self.accounts}
        rows = []
        for link in self.links:
            pupil = next(s for s in self.students if s.student_id == link.student_id)
            guardian = accounts.get(link.responsable_id)
            if pupil.uai != self.uai or guardian is None:
                continue
            known = classes.get(pupil.class_id or "")
            rows.append(ResponsableRow.pair(pupil, known, guardian))
        return rows

    def enrolments(self) -> list[Enrolment]:
        """The statistics' input, built independently of any storage."""
        classes = {c.class_id: c for c in self.classes}
        accounts = {a.account_id: a for a in self.accounts}
        out = []
        for pupil in self.students:
            if pupil.uai != self.uai:
                continue
            known = classes.get(pupil.class_id or "")
            guardians = sorted(
                (link.responsable_id, accounts[link.responsable_id].state)
                for link in self.links
                if link.student_id == pupil.student_id and link.responsable_id in accounts
            )
            out.append(
                Enrolment(
                    student_id=pupil.student_id,
                    class_id=pupil.class_id or "",
                    class_name=known.name if known else (pupil.class_id or ""),
                    level=pupil.level,
                    guardians=tuple(guardians),
                )
            )
        return out


@st.composite
def school_data(draw: st.DrawFn) -> SchoolData:
    """A small school with homonyms, accents, missing classes, ties on dates, guardians with
    children elsewhere and links to guardians without an account.
    """
    uai, elsewhere = fresh_uai(), fresh_uai()
    tag = uai.value
    n_classes = draw(st.integers(0, 3))
    classes = tuple(
        SchoolClass(f"{tag}-C{i}", uai, draw(st.sampled_from(_CLASS_NAMES)))
        for i in range(n_classes)
    )
    class_ids = [c.class_id for c in classes] + [f"{tag}-GONE", None]
    students = []
    for i in range(draw(st.integers(0, 6))):
        students.append(
            student(
                f"{tag}-E{i}",
                uai,
                surname=draw(st.sampled_from(_NAMES)),
                first_name=draw(st.sampled_from(_NAMES)),
                class_id=draw(st.sampled_from(class_ids)),
                level=None if (code := draw(st.sampled_from(_LEVELS))) is None else Level(code),
            )
        )
    students.append(student(f"{tag}-OUT", elsewhere, class_id=None))
    accounts = []
    for i in range(draw(st.integers(0, 5))):
        accounts.append(
            account(
                f"{tag}-R{i}",
                f"u{tag.lower()}.{i}",
                surname=draw(st.sampled_from(_NAMES)),
                first_name=draw(st.sampled_from(_NAMES)),
                state=draw(st.sampled_from(list(AccountState))),
                origin=draw(st.sampled_from(list(Origin))),
                email=draw(st.sampled_from([None, "p@example.org"])),
                distributed_at=draw(st.sampled_from(_DATES)),
                last_login_at=draw(st.sampled_from(_DATES)),
                chosen=draw(st.booleans()),
                blocked=draw(st.booleans()),
            )
        )
    guardian_ids = [a.account_id for a in accounts] + [f"{tag}-NOACCOUNT"]
    pairs = [(s.student_id, g) for s in students for g in guardian_ids]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    links = tuple(GuardianLink(g, s) for s, g in chosen)
    return SchoolData(uai, classes, tuple(students), tuple(accounts), links)


def selections(data: SchoolData) -> st.SearchStrategy[Selection]:
    """Selections over `data`: every filter, sort, direction and paging."""
    class_ids = sorted({s.class_id or "" for s in data.students} | {"NONE"})
    logins = sorted({a.login.value for a in data.accounts} | {"nobody"})
    return st.builds(
        Selection,
        text=st.sampled_from(["", " ", "lea", "LÉA", "oe", "ea|", "zo", "e a", "b", "noe a"]).map(
            lambda t: t.replace("|", "")
        ),
        class_ids=st.frozensets(st.sampled_from(class_ids), max_size=2),
        states=st.frozensets(st.sampled_from(list(AccountState)), max_size=2),
        has_email=st.sampled_from([None, True, False]),
        origins=st.frozensets(st.sampled_from(list(Origin)), max_size=2),
        logins=st.frozensets(st.sampled_from(logins), max_size=2),
        sort=st.sampled_from(list(SortColumn)),
        descending=st.booleans(),
        page=st.integers(1, 3),
        page_size=st.sampled_from([0, 1, 2, 3, 50]),
    )


#: Examples write to the test's one storage: each draws a school of its own (`fresh_uai`).
_READ_MODEL_SETTINGS = settings(
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        # Every subclass runs these on its own storage; examples never share a school.
        HealthCheck.differing_executors,
    ],
    deadline=None,
)


class ReadModelsContract(_Base):
    """The director's list and the statistics equal the core's reference functions."""

    @_READ_MODEL_SETTINGS
    @given(data=st.data())
    def test_rows_equal_select_rows(self, storage: Storage, data: st.DataObject) -> None:
        """For all schools and selections, responsable_rows is select_rows of the pairs."""
        school = data.draw(school_data())
        school.store(storage)
        for _ in range(3):
            selection = data.draw(selections(school))
            with storage.unit_of_work() as uow:
                page = uow.directory.responsable_rows(school.uai, selection)
            assert page == select_rows(school.rows(), selection)

    @_READ_MODEL_SETTINGS
    @given(school=school_data())
    def test_statistics_equal_compute_statistics(
        self, storage: Storage, school: SchoolData
    ) -> None:
        """For all schools, statistics is compute_statistics of the school's pupils."""
        school.store(storage)
        with storage.unit_of_work() as uow:
            found = uow.directory.statistics(school.uai, T0)
        assert found == compute_statistics(school.uai.value, T0, school.enrolments())


class StorageContract(
    AccountsContract,
    TransactionsContract,
    ConcurrencyContract,
    DirectoryContract,
    OutboxContract,
    AuditContract,
    ReadModelsContract,
    ActivityContract,
    OutboxAuditContract,
    SelfServiceContract,
    FingerprintContract,
):
    """Every rule of the storage ports; subclass it and implement `make_storage()`."""
