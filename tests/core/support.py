"""The sample school of the scenario tests, and helpers that drive it through the public API.

Two schools share one feed: « ECOLE LES TILLEULS » (the director's) with a CP and a CE1 class, and
« ECOLE DU PARC » where one family has another child. Five guardians, chosen so that every case
of the guide's tables has somebody to play it:

- Claire LEBRUN (``c.lebrun``): e-mail and mobile, two children (Lina in CP, Hugo in CE1);
- Marc LEBRUN (``m.lebrun``): no e-mail, no mobile, Lina's other guardian;
- Awa DIALLO (``a.diallo``): e-mail and mobile, Moussa here and Fatou at the other school;
- Jean DUPONT (``j.dupont``): mobile only, Léo in CE1;
- Jeanne DUPONT (``j.dupont2``, a homonym for the login rule): e-mail, Emma in CP.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import attrs

from educonnect_core import (
    Account,
    AccountPage,
    Administration,
    AuditEntry,
    Channel,
    Director,
    DirectorySnapshot,
    EduConnect,
    FirstConnectionRequired,
    GuardianLink,
    IntegrationReport,
    LetterSettings,
    OutboxMessage,
    Policy,
    Portal,
    Responsable,
    School,
    SchoolClass,
    Selection,
    Student,
    Uai,
)
from educonnect_core.testing import RENTREE, World, in_memory_world

UAI = "0999901Z"
OTHER_UAI = "0999902A"
CP, CE1, PARC_CM1 = "c-cp", "c-ce1", "c-parc-cm1"
CLAIRE, MARC, AWA, JEAN, JEANNE = "r-claire", "r-marc", "r-awa", "r-jean", "r-jeanne"
LINA, HUGO, MOUSSA, FATOU, LEO, EMMA = "s-lina", "s-hugo", "s-moussa", "s-fatou", "s-leo", "s-emma"
LOGINS = {
    CLAIRE: "c.lebrun",
    MARC: "m.lebrun",
    AWA: "a.diallo",
    JEAN: "j.dupont",
    JEANNE: "j.dupont2",
}
EMAILS = {
    CLAIRE: "claire.lebrun@example.org",
    AWA: "awa.diallo@example.org",
    JEANNE: "jeanne.dupont@example.org",
}
#: A password a guardian may choose under the default rule (letters and digits, 8–14).
CHOSEN = "Soleil2025"
OTHER_CHOSEN = "Nuage2026x"
#: The prefix of the activation link in the C07 e-mail.
ACTIVATION_URL = LetterSettings().activation_url


@attrs.define
class Feed:
    """The directory's data as the test's ONDE would hold it; corrections go here, then the next
    integration carries them.
    """

    schools: dict[str, School]
    classes: dict[str, SchoolClass]
    students: dict[str, Student]
    responsables: dict[str, Responsable]
    links: list[tuple[str, str]]

    def snapshot(self) -> DirectorySnapshot:
        """The complete snapshot of the feed as it stands."""
        return DirectorySnapshot(
            schools=self.schools.values(),
            classes=self.classes.values(),
            students=self.students.values(),
            responsables=self.responsables.values(),
            links=[GuardianLink(rid, sid) for rid, sid in self.links],
        )

    def correct_birth_date(self, student_id: str, day: date) -> None:
        """The director corrects a pupil's birth date in ONDE."""
        self.students[student_id] = attrs.evolve(self.students[student_id], birth_date=day)

    def correct_mobile(self, responsable_id: str, mobile: str) -> None:
        """The director corrects a guardian's mobile in ONDE."""
        old = self.responsables[responsable_id]
        self.responsables[responsable_id] = Responsable.create(
            responsable_id,
            surname=old.surname,
            first_name=old.first_name,
            email=old.email,
            mobile=mobile,
        )

    def add_family(self, responsable: Responsable, student: Student, *more: Student) -> None:
        """A family arrives during the year."""
        self.responsables[responsable.responsable_id] = responsable
        for child in (student, *more):
            self.students[child.student_id] = child
            self.links.append((responsable.responsable_id, child.student_id))

    def birth_date_of(self, child_name: str) -> date:
        """The birth date the feed holds for the child named « Prénom NOM »."""
        (found,) = [s for s in self.students.values() if s.name == child_name]
        return found.birth_date


def pupil(
    student_id: str,
    surname: str,
    first_name: str,
    birth_date: date,
    *,
    class_id: str = CP,
    level: str = "CP",
    uai: str = UAI,
    ine: str | None = None,
) -> Student:
    """An eligible pupil (admitted, in a class, with an INE derived from the id)."""
    return Student.create(
        student_id,
        surname=surname,
        first_name=first_name,
        birth_date=birth_date,
        uai=uai,
        class_id=class_id,
        level=level,
        ine=ine or f"{zlib.crc32(student_id.encode()) % 10**10:010d}A",
    )


def sample_feed() -> Feed:
    """The two schools and five guardians described in the module docstring."""
    schools = [School.create(UAI, "ECOLE LES TILLEULS"), School.create(OTHER_UAI, "ECOLE DU PARC")]
    classes = [
        SchoolClass.create(CP, UAI, "CP A"),
        SchoolClass.create(CE1, UAI, "CE1 B"),
        SchoolClass.create(PARC_CM1, OTHER_UAI, "CM1 Parc"),
    ]
    students = [
        pupil(LINA, "LEBRUN", "Lina", date(2019, 3, 14), ine="1000000001A"),
        pupil(HUGO, "LEBRUN", "Hugo", date(2018, 5, 2), class_id=CE1, level="CE1"),
        pupil(MOUSSA, "DIALLO", "Moussa", date(2019, 7, 1)),
        pupil(
            FATOU,
            "DIALLO",
            "Fatou",
            date(2016, 11, 20),
            class_id=PARC_CM1,
            level="CM1",
            uai=OTHER_UAI,
        ),
        pupil(LEO, "DUPONT", "Léo", date(2018, 1, 9), class_id=CE1, level="CE1"),
        pupil(EMMA, "DUPONT", "Emma", date(2019, 2, 28)),
    ]
    responsables = [
        Responsable.create(
            CLAIRE,
            surname="LEBRUN",
            first_name="Claire",
            email=EMAILS[CLAIRE],
            mobile="06 00 00 00 01",
        ),
        Responsable.create(MARC, surname="LEBRUN", first_name="Marc"),
        Responsable.create(
            AWA, surname="DIALLO", first_name="Awa", email=EMAILS[AWA], mobile="0600000003"
        ),
        Responsable.create(JEAN, surname="DUPONT", first_name="Jean", mobile="06 11 22 33 44"),
        Responsable.create(JEANNE, surname="DUPONT", first_name="Jeanne", email=EMAILS[JEANNE]),
    ]
    links = [
        (CLAIRE, LINA),
        (CLAIRE, HUGO),
        (MARC, LINA),
        (AWA, MOUSSA),
        (AWA, FATOU),
        (JEAN, LEO),
        (JEANNE, EMMA),
    ]
    return Feed(
        schools={s.uai.value: s for s in schools},
        classes={c.class_id: c for c in classes},
        students={s.student_id: s for s in students},
        responsables={r.responsable_id: r for r in responsables},
        links=links,
    )


@attrs.define
class Scene:
    """The sample school on an in-memory world, its director, and what a test needs to look at."""

    world: World
    feed: Feed
    director: Director = attrs.field(
        factory=lambda: Director("dir-1", {Uai.parse(UAI)}, "Mme la directrice")
    )

    @property
    def app(self) -> EduConnect:
        """The library under test."""
        return self.world.app

    @property
    def admin(self) -> Administration:
        """The director's use cases."""
        return self.app.administration(self.director)

    @property
    def portal(self) -> Portal:
        """The guardians' use cases."""
        return self.app.portal()

    @property
    def now(self) -> datetime:
        """The fake clock's instant."""
        return self.world.clock.now()

    def integrate(self) -> IntegrationReport:
        """Run the directory integration on the feed as it stands."""
        return self.app.integrate(self.feed.snapshot())

    def next_day_integration(self) -> IntegrationReport:
        """D+1: the clock moves one day and the nightly integration runs (SPEC §8)."""
        self.world.clock.advance(days=1)
        return self.integrate()

    # -- reading without side effects (no audited view) ---------------------------------------

    def stored(self, login: str) -> Account:
        """The account as stored (read straight from the storage port; nothing is audited)."""
        with self.world.storage.unit_of_work() as uow:
            account = uow.accounts.by_login(login)
        assert account is not None, login
        return account

    def password(self, login: str) -> str:
        """The provisional password the director could read for `login`."""
        secret = self.stored(login).readable_password
        assert secret is not None, f"{login} has no readable password"
        return secret

    def page(self, login: str) -> AccountPage:
        """The account page, as the director opens it (this is audited)."""
        return self.admin.account(UAI, login)

    def audit(self) -> list[AuditEntry]:
        """The whole audit trail, oldest first."""
        with self.world.storage.unit_of_work() as uow:
            return list(uow.audit.entries())

    def audit_of(self, login: str) -> list[tuple[str, str, str]]:
        """(actor, action, outcome) of every audit entry about `login`'s account."""
        account_id = self.stored(login).account_id
        return [(e.actor, e.action, e.outcome) for e in self.audit() if e.account_id == account_id]

    def mails_to(self, address: str) -> list[OutboxMessage]:
        """The e-mails the mailer delivered to `address`, oldest first."""
        return self.world.mailer.to(address)

    def token(self, address: str) -> str:
        """The activation token of the last C07 e-mail sent to `address`."""
        (line,) = [
            line
            for line in self.mails_to(address)[-1].letter.lines
            if line.startswith(ACTIVATION_URL)
        ]
        return line.removeprefix(ACTIVATION_URL)

    def fingerprint(self) -> tuple[object, ...]:
        """Everything stored or sent that a use case could change: every account of both schools
        (all fields, version included), the rows and statistics of both schools, the audit trail,
        the outbox, the mails and the documents. Two equal fingerprints: nothing changed.
        """
        at = RENTREE
        with self.world.storage.unit_of_work() as uow:
            uais = [Uai.parse(UAI), Uai.parse(OTHER_UAI)]
            ids = sorted(set().union(*(uow.directory.guardian_ids(u) for u in uais)))
            accounts = sorted(uow.accounts.get_many(ids).items())
            rows = [uow.directory.responsable_rows(u, Selection().everything()) for u in uais]
            stats = [attrs.evolve(uow.directory.statistics(u, at), computed_at=at) for u in uais]
            audit = tuple(uow.audit.entries())
            pending = tuple(uow.outbox.pending(datetime.max.replace(tzinfo=RENTREE.tzinfo)))
        return (
            accounts,
            rows,
            stats,
            audit,
            pending,
            tuple(self.world.mailer.sent),
            tuple(self.world.renderer.documents),
        )

    # -- guardian journeys -----------------------------------------------------------------------

    def first_connection(
        self,
        login: str,
        *,
        new_password: str = CHOSEN,
        email: str | None = None,
        birth_date: date | None = None,
    ) -> str:
        """Log in with the provisional password, then do the first connection with the named
        child's birth date from the feed (or `birth_date`); returns where the C07 went.
        """
        provisional = self.password(login)
        step = self.portal.login(login, provisional)
        assert isinstance(step, FirstConnectionRequired), step
        address = email or step.email
        assert address is not None
        return self.portal.first_connection(
            login,
            provisional,
            new_password=new_password,
            email=address,
            birth_date=birth_date or self.feed.birth_date_of(step.child_name),
        )

    def activate(self, login: str, *, new_password: str = CHOSEN, email: str | None = None) -> None:
        """First connection, then the C07 link opened: the account is ACTIVATED."""
        address = self.first_connection(login, new_password=new_password, email=email)
        assert self.portal.confirm_email(self.token(address)) == login

    # -- secrets ---------------------------------------------------------------------------------

    def secrets_given_out(self, *chosen: str) -> set[str]:
        """Every secret the world issued (provisional passwords, activation tokens), minus the
        e-mails' message ids, plus the passwords the test chose.
        """
        message_ids = {m.message_id for m in self.world.mailer.sent}
        return (set(self.world.secrets.issued) - message_ids) | set(chosen)

    def assert_no_secret_in_audit(self, *chosen: str) -> None:
        """No audit entry holds, in any field, a secret of `secrets_given_out`."""
        secrets = self.secrets_given_out(CHOSEN, OTHER_CHOSEN, *chosen)
        assert secrets
        for entry in self.audit():
            text = " ".join(str(v) for v in attrs.astuple(entry))
            leaked = [s for s in secrets if s in text]
            assert not leaked, (entry, leaked)


def rentree(*, policy: Policy | None = None, start: datetime = RENTREE, seed: int = 7) -> Scene:
    """The sample school, integrated at `start`: five NOT_NOTIFIED accounts."""
    scene = Scene(in_memory_world(seed=seed, start=start, policy=policy), sample_feed())
    scene.integrate()
    return scene


def notified(*, policy: Policy | None = None, start: datetime = RENTREE, seed: int = 7) -> Scene:
    """The sample school with every account notified by paper at `start` (all NOTIFIED)."""
    scene = rentree(policy=policy, start=start, seed=seed)
    scene.admin.notify(UAI, Selection(), Channel.PAPER)
    return scene


def states(scene: Scene, logins: Iterable[str]) -> dict[str, str]:
    """The state names of `logins`, read from storage."""
    return {login: scene.stored(login).state.name for login in logins}


#: The step past a limit that every boundary test takes.
SECOND = timedelta(seconds=1)
