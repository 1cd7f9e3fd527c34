"""A school year, simulated: a realistic synthetic feed and the director's and guardians' actions
from the rentrée to the 3-month deadline, on any `EduConnect` (in-memory or real adapters).

Deterministic for a seed. The host decides how the feed reaches the library (`integrate`, e.g.
through AAF files) and where documents go; the simulation only calls the public API.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

import attrs

from educonnect_core.application import EduConnect
from educonnect_core.domain.directory import (
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Student,
)
from educonnect_core.domain.letters import LetterKind
from educonnect_core.domain.lifecycle import AccountState, Channel
from educonnect_core.domain.permissions import Action
from educonnect_core.domain.records import Director, Document, OutboxMessage
from educonnect_core.domain.selection import Selection
from educonnect_core.domain.sms import SmsPurpose, e164
from educonnect_core.domain.statistics import SchoolStatistics
from educonnect_core.domain.values import Ine, Level, Uai, ascii_fold, uai_check_letter
from educonnect_core.errors import EduconnectError
from educonnect_core.ports import Mailer
from educonnect_core.services.franceconnect import FranceConnectIdentity
from educonnect_core.services.integration import IntegrationReport
from educonnect_core.services.portal import Portal, Session, named_child
from educonnect_core.testing.fakes import FakeClock, RecordingSms

__all__ = ["MailTap", "SchoolYear", "SimulationResult", "SyntheticFeed", "synthetic_feed"]

RENTREE = datetime(2025, 9, 1, 8, 20, tzinfo=UTC)
_FIRST = (
    "Léa",
    "Enzo",
    "Maël",
    "Chloé",
    "Noé",
    "Inès",
    "Sékou",
    "Zoé",
    "Hugo",
    "Anaïs",
    "Jade",
    "Louis",
    "Aïcha",
    "Gabriel",
    "Manon",
    "Nathan",
    "Lina",
    "Rayan",
    "Camille",
    "Théo",
)
_ADULTS = (
    "Céline",
    "Jean",
    "Minh",
    "Aïssatou",
    "Julie",
    "Karim",
    "Sophie",
    "François",
    "Hélène",
    "Mamadou",
    "Isabelle",
    "Stéphane",
    "Nadia",
    "Pierre",
    "Émilie",
    "Yann",
)
_SURNAMES = (
    "DUPONT",
    "MARTIN",
    "NGUYỄN",
    "DIALLO",
    "LE GOFF",
    "BERNARD",
    "PETIT",
    "ROUSSEAU",
    "N'DIAYE",
    "LÉVÊQUE",
    "DA SILVA",
    "MOREAU",
    "GARCIA",
    "FONTAINE",
    "BENALI",
    "COHEN",
)
_LEVELS = ("CP", "CE1", "CE2", "CM1", "CM2")


def _uai(digits: str) -> Uai:
    return Uai(digits + uai_check_letter(digits))


@attrs.frozen
class SyntheticFeed:
    """The feed of the simulated year and who runs which school."""

    directors: tuple[Director, ...]
    snapshot: DirectorySnapshot
    #: The same feed after the director corrected the wrong birth date in ONDE.
    corrected: DirectorySnapshot
    #: (pupil id, birth date wrongly in the feed, true birth date).
    wrong_birth_date: tuple[str, date, date]
    #: (record id, second record id) of the guardian recorded twice in ONDE: once with their
    #: children of the first school, once with a child of the other director's school.
    recorded_twice: tuple[str, str] | None = None


def synthetic_feed(seed: int = 2025, pupils: int = 300) -> SyntheticFeed:
    """Three schools (two under one director, one under another), about `pupils` pupils in
    families of one to three children (some across schools), one or two guardians each, with or
    without e-mail and mobile, one pupil whose birth date is wrong in the feed, and one guardian
    recorded twice (a second record, same names and mobile, for a child at the third school).
    """
    rng = random.Random(seed)
    uais = [_uai("0750101"), _uai("0750102"), _uai("0930103")]
    schools = [
        School(uais[0], "ECOLE ELEMENTAIRE CHARLEMAGNE"),
        School(uais[1], "ECOLE PRIMAIRE LES TILLEULS"),
        School(uais[2], "ECOLE JULES FERRY"),
    ]
    classes = [
        SchoolClass(f"{u.value}-{lv}", u, f"{lv} {chr(65 + i)}")
        for i, u in enumerate(uais)
        for lv in _LEVELS
    ]
    students: list[Student] = []
    guardians: list[Responsable] = []
    links: list[GuardianLink] = []
    family = 0
    while len(students) < pupils:
        family += 1
        surname = rng.choice(_SURNAMES)
        parents = []
        for k in range(1 if rng.random() < 0.25 else 2):
            rid = f"R{family:04d}{k}"
            first = rng.choice(_ADULTS)
            slug = ascii_fold(f"{first}.{surname}{family}").lower().replace(" ", "")
            guardians.append(
                Responsable.create(
                    rid,
                    surname=surname,
                    first_name=first,
                    email=f"{slug.replace(chr(39), '')}@example.org"
                    if rng.random() < 0.7
                    else None,
                    mobile=f"06{rng.randrange(10**8):08d}" if rng.random() < 0.8 else None,
                )
            )
            parents.append(rid)
        home = rng.randrange(3)
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            school = home if rng.random() < 0.85 else rng.randrange(3)
            level = rng.randrange(len(_LEVELS))
            n = len(students) + 1
            students.append(
                Student(
                    f"E{n:05d}",
                    surname=surname,
                    first_name=rng.choice(_FIRST),
                    birth_date=date(2019 - level, 1, 1) + timedelta(days=rng.randrange(365)),
                    uai=uais[school],
                    class_id=classes[school * len(_LEVELS) + level].class_id,
                    level=Level(_LEVELS[level]),
                    ine=Ine(f"{n:010d}{'ABCDEFGHJK'[n % 10]}"),
                )
            )
            links.extend(GuardianLink(rid, f"E{n:05d}") for rid in parents)
    # The pupil with the wrong date is the one its first guardian's first connection asks about
    # (the named child), so that the guardian is really blocked by it.
    children_of: dict[str, list[Student]] = defaultdict(list)
    by_id = {s.student_id: s for s in students}
    for link in links:
        children_of[link.responsable_id].append(by_id[link.student_id])
    first_guardian: dict[str, str] = {}
    for link in links:
        first_guardian.setdefault(link.student_id, link.responsable_id)
    wrong = next(
        s
        for s in students
        if s.uai == uais[0]
        and named_child(children_of[first_guardian[s.student_id]]).student_id == s.student_id
    )
    true_date = wrong.birth_date
    false_date = true_date.replace(day=1) if true_date.day != 1 else true_date.replace(day=2)
    twice = _recorded_twice(uais[0], guardians, students, links, wrong.student_id)
    if twice is not None:
        guardians.append(twice[0])
        students.append(twice[1])
        links.append(GuardianLink(twice[0].responsable_id, twice[1].student_id))
    feed = DirectorySnapshot(
        schools,
        classes,
        [attrs.evolve(s, birth_date=false_date) if s is wrong else s for s in students],
        guardians,
        links,
    )
    return SyntheticFeed(
        directors=(
            Director("dir-charlemagne", uais[:2], "Mme Roux"),
            Director("dir-ferry", uais[2:], "M. Benali"),
        ),
        snapshot=feed,
        corrected=DirectorySnapshot(schools, classes, students, guardians, links),
        wrong_birth_date=(wrong.student_id, false_date, true_date),
        recorded_twice=None
        if twice is None
        else (twice[0].responsable_id.removesuffix("B"), twice[0].responsable_id),
    )


def _recorded_twice(
    home: Uai,
    guardians: list[Responsable],
    students: list[Student],
    links: list[GuardianLink],
    wrong_pupil: str,
) -> tuple[Responsable, Student] | None:
    """The second record of the first guardian with a mobile whose children are all at `home`
    (and none is `wrong_pupil`), and the child at the third school that record is linked to.
    """
    school = {s.student_id: s.uai for s in students}
    children: dict[str, set[str]] = defaultdict(set)
    for link in links:
        children[link.responsable_id].add(link.student_id)
    source = next(
        (
            r
            for r in guardians
            if r.mobile is not None
            and children[r.responsable_id]
            and wrong_pupil not in children[r.responsable_id]
            and all(school[sid] == home for sid in children[r.responsable_id])
        ),
        None,
    )
    if source is None:
        return None
    n = len(students) + 1
    uai = _uai("0930103")
    pupil = Student(
        f"E{n:05d}",
        surname=source.surname,
        first_name=_FIRST[n % len(_FIRST)],
        birth_date=date(2015, 3, 14),
        uai=uai,
        class_id=f"{uai.value}-CM1",
        level=Level("CM1"),
        ine=Ine(f"{n:010d}{'ABCDEFGHJK'[n % 10]}"),
    )
    return attrs.evolve(source, responsable_id=source.responsable_id + "B"), pupil


class MailTap:
    """A `Mailer` that keeps a copy of every message it forwards to `inner`, so the simulated
    guardians can read their letters (the activation link) whatever the real mailer is.
    """

    def __init__(self, inner: Mailer) -> None:
        self.inner = inner
        self.messages: list[OutboxMessage] = []

    def __repr__(self) -> str:
        return f"<MailTap over {self.inner!r}: {len(self.messages)} messages>"

    def send(self, message: OutboxMessage) -> None:
        """Forward `message`; keep it once the inner mailer accepted it."""
        self.inner.send(message)
        self.messages.append(message)

    def send_many(self, messages: Sequence[OutboxMessage]) -> Sequence[EduconnectError | None]:
        """Forward the batch; keep a copy of each message the inner mailer accepted."""
        results = self.inner.send_many(messages)
        self.messages.extend(m for m, error in zip(messages, results, strict=True) if error is None)
        return results

    def token(self, login: str, prefix: str) -> str | None:
        """The token of the last C07 e-mail for `login` (links start with `prefix`)."""
        for message in reversed(self.messages):
            if message.letter.login == login and message.letter.kind is LetterKind.C07:
                for line in message.letter.lines:
                    if line.startswith(prefix):
                        return line.removeprefix(prefix)
        return None


@attrs.define
class SimulationResult:
    """What happened: the timeline, the documents printed or exported, and statistics."""

    timeline: list[tuple[datetime, str]] = attrs.Factory(list)
    #: (folder, document): the folder is the school's UAI, then the class for class lists, so
    #: that documents made in the same second (same file name) do not overwrite each other.
    documents: list[tuple[str, Document]] = attrs.Factory(list)
    statistics: list[SchoolStatistics] = attrs.Factory(list)
    integrations: list[IntegrationReport] = attrs.Factory(list)

    def markdown(self, zone: tzinfo = UTC) -> str:
        """The timeline day by day, as Markdown, in the time of `zone` (Paris for the demo)."""
        lines = ["# Une année scolaire simulée", ""]
        day: date | None = None
        for instant, text in sorted(self.timeline, key=lambda entry: entry[0]):
            moment = instant.astimezone(zone)
            if moment.date() != day:
                day = moment.date()
                lines += ["", f"## {day:%d/%m/%Y}", ""]
            lines.append(f"- {moment:%H:%M} — {text}")
        return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


class SchoolYear:
    """Runs the year on `app`, whose clock is `clock` and whose mailer is `tap` (or wraps one).

    `integrate` is how a feed reaches the library (default: `app.integrate`); pass one that writes
    AAF files and reads them back to go through the feed adapter.
    """

    def __init__(
        self,
        app: EduConnect,
        clock: FakeClock,
        tap: MailTap,
        feed: SyntheticFeed,
        *,
        seed: int = 2025,
        integrate: Callable[[DirectorySnapshot], IntegrationReport] | None = None,
    ) -> None:
        if app.relay.mailer is not tap:  # else guardians never read their letters (silently)
            raise ValueError(
                "SchoolYear needs the tap to be the app's mailer: EduConnect(mailer=tap)"
            )
        self.app, self.clock, self.tap, self.feed = app, clock, tap, feed
        self.rng = random.Random(seed)
        self._integrate = integrate or app.integrate
        self.result = SimulationResult()
        self.admins = {d.director_id: app.administration(d) for d in feed.directors}
        #: The guardians' phones: the SMS codes the self-service paths send.
        self.sms = RecordingSms()
        self.portal = Portal(app.runtime, self.sms)
        #: login → the password the guardian chose at the first connection.
        self._chosen: dict[str, str] = {}
        self.school_of = {s.uai: s for s in feed.snapshot.schools}
        self._corrected = False
        #: login → (a school of the guardian, account id), learnt from the lists at the rentrée.
        self._known: dict[str, tuple[Uai, str]] = {}

    def __repr__(self) -> str:
        return f"<SchoolYear {len(self.result.timeline)} events>"

    # -- helpers --------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        """Add a line to the timeline at the clock's instant."""
        self.result.timeline.append((self.clock.now(), text))

    def at(self, day: int, hour: int = 9, minute: int = 0) -> None:
        """Move the clock to `day` days after the rentrée, at `hour`:`minute`."""
        self.clock.set(RENTREE.replace(hour=hour, minute=minute) + timedelta(days=day))

    def _admin_for(self, uai: Uai) -> tuple[str, Director]:
        for director in self.feed.directors:
            if uai in director.uais:
                return director.director_id, director
        raise LookupError(uai)

    def _accounts(self) -> dict[str, tuple[Uai, str]]:
        """Login → (a school, account id), across every director's schools."""
        found: dict[str, tuple[Uai, str]] = {}
        for director in self.feed.directors:
            admin = self.admins[director.director_id]
            for uai in sorted(director.uais):
                for row in admin.rows(uai, Selection(page_size=0)).rows:
                    found.setdefault(row.login, (uai, row.account_id))
        return found

    def _password_on_letter(self, uai: Uai, login: str) -> str | None:
        """What the guardian reads on their letter (the same as the director's list shows)."""
        admin = self.admins[self._admin_for(uai)[0]]
        rows = admin.rows(uai, Selection(logins={login})).rows
        return rows[0].password if rows and rows[0].password not in ("", "******") else None

    def _feed(self, snapshot: DirectorySnapshot, why: str) -> None:
        report = self._integrate(snapshot)
        self.result.integrations.append(report)
        self.say(
            f"Intégration du flux AAF ({why}) : {report.accounts_created} comptes créés, "
            f"{report.accounts_updated} mis à jour, {report.accounts_unchanged} inchangés, "
            f"{len(report.rejected)} rejets."
        )

    # -- the year ------------------------------------------------------------------------------

    def run(self) -> SimulationResult:
        """The whole year; returns what happened."""
        self.at(0, 8, 20)
        self._feed(self.feed.snapshot, "rentrée")
        self.at(0, 9)
        self.rentree()
        self._known = self._accounts()
        plans = self._plan(self._known)
        self._plan_self_service(plans)
        for day in range(1, 96):
            if day % 7 == 0:
                self.at(day, 8, 20)
                self._feed(
                    self.feed.corrected if self._corrected else self.feed.snapshot, "hebdomadaire"
                )
            for hour, login, action in sorted(plans.get(day, ())):
                self.at(day, hour)
                action(login)
            if day == 3:
                self.at(day, 17)
                self.say("La directrice corrige dans ONDE la date de naissance refusée.")
                self._corrected = True
                self.at(day + 1, 8, 20)
                self._feed(self.feed.corrected, "J+1, date de naissance corrigée")
            if day in (7, 30, 60, 95):
                self.at(day, 18)
                self.statistics()
            if day == 50:
                self.at(day, 10)
                self.lost_password()
            if day == 75:
                self.at(day, 9)
                self.reminders()
        return self.result

    def rentree(self) -> None:
        """Bulk notification by e-mail for those with an address, paper for the others, then the
        class lists for the teachers (guide §3.1).
        """
        for director in self.feed.directors:
            admin = self.admins[director.director_id]
            for uai in sorted(director.uais):
                school = self.school_of[uai].name
                mail = admin.notify(uai, Selection(has_email=True), Channel.EMAIL)
                self.say(f"{director.name} ({school}) : {' '.join(mail.messages)}")
                paper = admin.notify(uai, Selection(has_email=False), Channel.PAPER)
                if paper.document is not None:
                    self.result.documents.append((uai.value, paper.document))
                self.say(f"{director.name} ({school}) : {' '.join(paper.messages)}")
                for school_class in sorted(
                    {r.class_id for r in admin.rows(uai, Selection(page_size=0)).rows}
                ):
                    listing = admin.export_pdf(uai, Selection(class_ids={school_class}))
                    self.result.documents.append((f"{uai}/{school_class}", listing))
                self.result.documents.append((uai.value, admin.export_csv(uai)))
                self.say(
                    f"{director.name} ({school}) : listes de classe imprimées pour les "
                    "enseignants, export CSV."
                )

    def _plan(
        self, guardians: dict[str, tuple[Uai, str]]
    ) -> dict[int, list[tuple[int, str, Callable[[str], None]]]]:
        """Decide, for each guardian, what they do and when (seeded)."""
        plans: dict[int, list[tuple[int, str, Callable[[str], None]]]] = defaultdict(list)
        wrong_pupil = self.feed.wrong_birth_date[0]
        blocked = next(
            (
                link.responsable_id
                for link in self.feed.snapshot.links
                if link.student_id == wrong_pupil
            ),
            None,
        )
        for login in sorted(guardians):
            roll = self.rng.random()
            day = self.rng.randrange(1, 60)
            hour = self.rng.randrange(8, 22)
            if roll < 0.70:
                plans[day].append((hour, login, self.activate))
            elif roll < 0.78:
                plans[day].append((hour, login, self.self_service))
            elif roll < 0.85:
                plans[day].append((hour, login, self.first_connection_only))
        if blocked is not None:
            account_login = next(
                (login for login, (_, aid) in guardians.items() if aid == blocked), None
            )
            if account_login:
                for plan in plans.values():
                    plan[:] = [p for p in plan if p[1] != account_login]
                plans[2].append((20, account_login, self.activate))
                plans[4].append((19, account_login, self.activate))
            # The pupil's other guardians come after the correction: the story has one blocked
            # guardian, not a second one who would be refused and give up.
            others = {
                login
                for login, (_, aid) in guardians.items()
                for link in self.feed.snapshot.links
                if link.student_id == wrong_pupil and link.responsable_id == aid and aid != blocked
            }
            for day in range(1, 5):
                early = [p for p in plans.get(day, []) if p[1] in others]
                plans[day][:] = [p for p in plans.get(day, []) if p[1] not in others]
                plans[day + 4].extend(early)
        return plans

    def _plan_self_service(
        self, plans: dict[int, list[tuple[int, str, Callable[[str], None]]]]
    ) -> None:
        """The guardian recorded twice activates the first account, then brings the second
        onto it by SMS; another guardian with a mobile activates through FranceConnect and
        comes back the next day straight in.
        """
        login_of = {aid: login for login, (_, aid) in self._known.items()}
        wrong_pupil = self.feed.wrong_birth_date[0]
        busy = {
            link.responsable_id
            for link in self.feed.snapshot.links
            if link.student_id == wrong_pupil
        }
        story: list[tuple[int, int, str, Callable[[str], None]]] = []
        if self.feed.recorded_twice is not None:
            first, second = self.feed.recorded_twice
            busy |= {first, second}
            if first in login_of and second in login_of:
                story += [
                    (9, 18, login_of[first], self.activate),
                    (12, 20, login_of[first], self.merge_recorded_twice),
                ]
        # The FranceConnect guardian is one of the last director's (the demo's console shows a
        # guardian still NOTIFIED at the first director's first school).
        school = {s.student_id: s.uai for s in self.feed.snapshot.students}
        last = self.feed.directors[-1].uais
        elsewhere = {
            link.responsable_id
            for link in self.feed.snapshot.links
            if school[link.student_id] not in last
        }
        franceconnect = next(
            (
                r.responsable_id
                for r in sorted(self.feed.snapshot.responsables, key=lambda r: r.responsable_id)
                if r.mobile is not None
                and r.responsable_id not in elsewhere
                and r.responsable_id not in busy
                and r.responsable_id in login_of
            ),
            None,
        )
        if franceconnect is not None:
            busy.add(franceconnect)
            story += [
                (15, 21, login_of[franceconnect], self.franceconnect),
                (16, 8, login_of[franceconnect], self.franceconnect),
            ]
        quiet = {login for _, _, login, _ in story}  # the second record does nothing itself
        quiet |= {login_of[aid] for aid in self.feed.recorded_twice or () if aid in login_of}
        for plan in plans.values():
            plan[:] = [p for p in plan if p[1] not in quiet]
        for day, hour, login, action in story:
            plans[day].append((hour, login, action))

    def _record(self, login: str) -> Responsable:
        account_id = self._known[login][1]
        return next(r for r in self.feed.snapshot.responsables if r.responsable_id == account_id)

    def _birth_dates(self, account_id: str) -> dict[str, date]:
        """The true birth dates of the children of the record `account_id`."""
        children = {
            link.student_id
            for link in self.feed.corrected.links
            if link.responsable_id == account_id
        }
        return {
            s.student_id: s.birth_date
            for s in self.feed.corrected.students
            if s.student_id in children
        }

    def _sms_proof(self, mobile: str, purpose: SmsPurpose) -> str:
        """The guardian asks a code, reads it on their phone and types it."""
        self.portal.sms.request(mobile, purpose)
        self.clock.advance(minutes=1)
        return self.portal.sms.verify(mobile, self.sms.last_code(e164(mobile)), purpose)

    def merge_recorded_twice(self, login: str) -> None:
        """The activated guardian brings the account of their second record onto theirs by an
        SMS code to the mobile both records carry (« regroupement de comptes »).
        """
        record, password = self._record(login), self._chosen.get(login)
        if record.mobile is None or password is None:
            return
        try:
            proof = self._sms_proof(record.mobile.value, SmsPurpose.MERGE)
            result = self.portal.merge_by_sms(
                login, password, mobile=record.mobile.value, proof=proof
            )
        except EduconnectError as error:
            self.say(f"{login} : regroupement de comptes refusé — {error.french}")
            return
        self.say(
            f"{login} : regroupement de comptes par SMS — le compte "
            f"{', '.join(result.merged)} (même responsable, enregistré deux fois dans ONDE) est "
            "supprimé, ses enfants rattachés à ce compte."
        )

    def franceconnect(self, login: str) -> None:
        """A guardian comes with FranceConnect: the first time, mobile, SMS code and the
        children's birth dates activate the account (origin FranceConnect); afterwards the same
        identity logs straight in.
        """
        record = self._record(login)
        if record.mobile is None:
            return
        identity = FranceConnectIdentity(
            f"fc-{record.responsable_id.lower()}", record.surname, record.first_name
        )
        try:
            if isinstance(self.portal.franceconnect_login(identity), Session):
                self.say(f"{login} : connexion FranceConnect, directement sur son compte.")
                return
            proof = self._sms_proof(record.mobile.value, SmsPurpose.FRANCECONNECT)
            self.portal.franceconnect_link(
                identity,
                mobile=record.mobile.value,
                proof=proof,
                birth_dates=self._birth_dates(record.responsable_id),
            )
        except EduconnectError as error:
            self.say(f"{login} : connexion FranceConnect refusée — {error.french}")
            return
        self.say(
            f"{login} : première connexion FranceConnect (code SMS, dates de naissance des "
            "enfants) — compte activé, origine FranceConnect, mot de passe provisoire effacé."
        )

    def _child_named(self, login: str) -> date:
        """The true birth date of the child the first-connection screen names: the guardian
        knows their own children, so they are found by the account's id, never by display name
        (many pupils share a name with another).
        """
        account_id = self._known[login][1]
        mine = {
            link.student_id
            for link in self.feed.corrected.links
            if link.responsable_id == account_id
        }
        children = [s for s in self.feed.corrected.students if s.student_id in mine]
        return named_child(children).birth_date if children else date(2000, 1, 1)

    def _password(self, login: str) -> str | None:
        return self._password_on_letter(self._known[login][0], login)

    def first_connection_only(self, login: str) -> None:
        """A guardian does the first connection but never opens the activation link."""
        self._first_connection(login, confirm=False)

    def activate(self, login: str) -> None:
        """A guardian does the first connection and opens the link the next minutes."""
        self._first_connection(login, confirm=True)

    def _first_connection(self, login: str, *, confirm: bool) -> None:
        password = self._password(login)
        if password is None:
            return
        try:
            child_birth = self._child_named(login)
            new_password = f"Ecole{self.rng.randrange(10**6):06d}"
            self.portal.first_connection(
                login,
                password,
                new_password=new_password,
                email=f"{login}@example.org",
                birth_date=child_birth,
            )
        except EduconnectError as error:
            self.say(f"{login} : première connexion refusée — {error.french}")
            return
        self._chosen[login] = new_password
        self.say(f"{login} : première connexion, courriel d'activation envoyé.")
        if confirm:
            token = self.tap.token(login, self.app.runtime.letters.activation_url)
            if token is not None:
                self.clock.advance(minutes=self.rng.randrange(2, 90))
                self.portal.confirm_email(token)
                self.say(f"{login} : adresse validée, compte activé.")

    def self_service(self, login: str) -> None:
        """A guardian creates their account by SMS or through FranceConnect."""
        account_id = self._known[login][1]
        responsable = next(
            r for r in self.feed.snapshot.responsables if r.responsable_id == account_id
        )
        if responsable.mobile is None:
            return
        children = {
            link.student_id
            for link in self.feed.corrected.links
            if link.responsable_id == account_id
        }
        dates = {
            s.student_id: s.birth_date
            for s in self.feed.corrected.students
            if s.student_id in children
        }
        try:
            if self.rng.random() < 0.5:
                self.portal.sign_up_by_sms(
                    surname=responsable.surname,
                    first_name=responsable.first_name,
                    mobile=responsable.mobile.value,
                    birth_dates=dates,
                    new_password=f"Sms{self.rng.randrange(10**6):06d}x",
                )
                self.say(f"{login} : compte créé par SMS (origine Responsable).")
            else:
                self.portal.connect_with_franceconnect(
                    surname=responsable.surname,
                    first_name=responsable.first_name,
                    mobile=responsable.mobile.value,
                    birth_dates=dates,
                )
                self.say(f"{login} : première connexion FranceConnect (origine FranceConnect).")
        except EduconnectError as error:
            self.say(f"{login} : auto-inscription refusée — {error.french}")

    def statistics(self) -> None:
        """Every director looks at the statistics of their schools."""
        for director in self.feed.directors:
            admin = self.admins[director.director_id]
            for uai in sorted(director.uais):
                stats = admin.recount_statistics(uai)
                self.result.statistics.append(stats)
                s = stats.summary
                self.say(
                    f"Statistiques {self.school_of[uai].name} : {s.accounts} comptes, "
                    f"{s.activated} activés ({s.percent_activated} %), "
                    f"{s.percent_pupils_with_activated_guardian} % des élèves avec un "
                    "responsable activé."
                )

    def lost_password(self) -> None:
        """An activated guardian lost their password: reset, re-notified on paper, changed."""
        for director in self.feed.directors[:1]:
            admin = self.admins[director.director_id]
            for uai in sorted(director.uais):
                activated = admin.rows(uai, Selection(states={AccountState.ACTIVATED})).rows
                if not activated:
                    continue
                login = activated[0].login
                admin.reset_passwords(uai, [login])
                report = admin.notify(uai, [login], Channel.PAPER)
                if report.document is not None:
                    self.result.documents.append((uai.value, report.document))
                self.say(
                    f"{login} a perdu son mot de passe : réinitialisé et re-notifié par "
                    "feuille individuelle."
                )
                password = self._password_on_letter(uai, login)
                if password is not None:
                    self.portal.change_password(login, password, "Nouveau2025")
                    self.say(f"{login} : nouveau mot de passe choisi.")
                return

    def reminders(self) -> None:
        """Before the 3 months: re-notify NOTIFIED accounts, resend the activation e-mail to
        ACTIVATING ones (guide §3.1).
        """
        for director in self.feed.directors:
            admin = self.admins[director.director_id]
            for uai in sorted(director.uais):
                due = admin.reminders(uai, within=timedelta(days=30))
                renotify = [r.login for r in due if r.suggested is Action.NOTIFY]
                if renotify:
                    rows = admin.rows(uai, Selection(logins=set(renotify), page_size=0)).rows
                    with_mail = sorted({r.login for r in rows if r.has_email})
                    without = sorted({r.login for r in rows if not r.has_email})
                    if with_mail:
                        admin.notify(uai, with_mail, Channel.EMAIL)
                    if without:
                        paper = admin.notify(uai, without, Channel.PAPER)
                        if paper.document is not None:
                            self.result.documents.append((uai.value, paper.document))
                for r in due:
                    if r.suggested is Action.RESEND_ACTIVATION_EMAIL:
                        admin.resend_activation_email(uai, r.login)
                self.say(
                    f"{director.name} ({self.school_of[uai].name}) : relance avant "
                    f"l'échéance des 3 mois — {len(renotify)} comptes re-notifiés, "
                    f"{len(due) - len(renotify)} courriels d'activation renvoyés."
                )
