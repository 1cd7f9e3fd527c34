"""Hypothesis strategies for educonnect-core's values, directory snapshots and accounts.

Requires the ``testing`` extra (hypothesis). Everything generated is valid for the library, so a
test can feed it straight to `Uai.parse`, `EduConnect.integrate` or the aggregate's methods.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from educonnect_core.domain.account import Account, ActivationLink
from educonnect_core.domain.directory import (
    DirectorySnapshot,
    GuardianLink,
    Responsable,
    School,
    SchoolClass,
    Student,
)
from educonnect_core.domain.lifecycle import AccountState, Origin
from educonnect_core.domain.policy import PROVISIONAL_ALPHABET, LoginScheme
from educonnect_core.domain.values import (
    LEVELS,
    Email,
    Ine,
    Level,
    Login,
    Mobile,
    Uai,
    uai_check_letter,
)

__all__ = [
    "accounts",
    "birth_dates",
    "directory_snapshots",
    "emails",
    "ines",
    "mobiles",
    "person_names",
    "provisional_secrets",
    "schools",
    "uais",
]

_FIRST_NAMES = ("Léa", "Enzo", "Maël", "Chloé", "Noé", "Inès", "Sékou", "Zoé", "Jean-Luc", "Anaïs")
_SURNAMES = ("DUPONT", "MARTIN", "NGUYỄN", "N'DIAYE", "LE GOFF", "ŒDIPE", "DA SILVA", "LÉVÊQUE")


@st.composite
def uais(draw: st.DrawFn) -> Uai:
    """A UAI with its correct check letter."""
    digits = f"{draw(st.integers(0, 9_999_999)):07d}"
    return Uai(digits + uai_check_letter(digits))


def ines() -> st.SearchStrategy[Ine]:
    """An INE-shaped pupil id (ten digits, then a capital letter)."""
    return st.builds(
        lambda n, key: Ine(f"{n:010d}{key}"),
        st.integers(0, 9_999_999_999),
        st.sampled_from("ABCDEFGHJKLMNPRSTUVWXYZ"),
    )


def person_names() -> st.SearchStrategy[str]:
    """French first names and surnames with accents, ligatures, apostrophes and spaces, plus
    arbitrary letters.
    """
    letters = st.text(st.characters(categories=("Lu", "Ll")), min_size=1, max_size=12)
    return st.one_of(st.sampled_from(_FIRST_NAMES + _SURNAMES), letters)


def emails() -> st.SearchStrategy[Email]:
    """Valid e-mail addresses."""
    atom = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=6)
    local = st.lists(atom, min_size=1, max_size=3).map(".".join)
    domain = st.sampled_from(("example.org", "exemple.fr", "ac-paris.fr"))
    return st.builds(
        lambda local_part, domain: Email.parse(f"x{local_part}@{domain}"), local, domain
    )


def mobiles() -> st.SearchStrategy[Mobile]:
    """French mobile numbers."""
    return st.builds(
        lambda lead, rest: Mobile(f"0{lead}{rest:08d}"),
        st.sampled_from("67"),
        st.integers(0, 99_999_999),
    )


def birth_dates() -> st.SearchStrategy[date]:
    """Birth dates of primary-school pupils (2 to 12 years old in 2025)."""
    return st.dates(date(2013, 1, 1), date(2023, 8, 31))


def provisional_secrets() -> st.SearchStrategy[str]:
    """Provisional passwords under the default policy."""
    return st.text(PROVISIONAL_ALPHABET, min_size=8, max_size=8)


@st.composite
def schools(draw: st.DrawFn) -> School:
    """A school with a valid UAI."""
    uai = draw(uais())
    return School(uai, f"ECOLE {draw(st.sampled_from(('JULES FERRY', 'LES TILLEULS', 'SÉVIGNÉ')))}")


@st.composite
def directory_snapshots(
    draw: st.DrawFn,
    *,
    max_schools: int = 2,
    max_pupils: int = 8,
    ineligible: bool = True,
) -> DirectorySnapshot:
    """A consistent feed: schools with classes, pupils in them (some without INE when
    `ineligible`), one or two legal guardians per pupil, siblings sharing guardians (sometimes
    across schools), guardians with or without e-mail and mobile.
    """
    school_list = draw(
        st.lists(schools(), min_size=1, max_size=max_schools, unique_by=lambda s: s.uai)
    )
    classes = [
        SchoolClass(f"K{i}-{j}", school.uai, draw(st.sampled_from(("CP A", "CE1-CE2", "CM2 B"))))
        for i, school in enumerate(school_list)
        for j in range(draw(st.integers(1, 2)))
    ]
    count = draw(st.integers(1, max_pupils))
    guardians: list[Responsable] = []
    for k in range(draw(st.integers(1, count + 1))):
        guardians.append(
            Responsable(
                f"R{k}",
                surname=draw(person_names()),
                first_name=draw(person_names()),
                email=draw(st.none() | emails()),
                mobile=draw(st.none() | mobiles()),
            )
        )
    students: list[Student] = []
    links: list[GuardianLink] = []
    for n in range(count):
        school_class = draw(st.sampled_from(classes))
        missing_ine = ineligible and draw(st.integers(0, 9)) == 0
        students.append(
            Student(
                f"E{n}",
                surname=draw(person_names()),
                first_name=draw(person_names()),
                birth_date=draw(birth_dates()),
                uai=school_class.uai,
                class_id=school_class.class_id,
                level=draw(st.none() | st.sampled_from([Level(code) for code in LEVELS])),
                ine=None if missing_ine else draw(ines()),
            )
        )
        chosen = draw(st.lists(st.sampled_from(guardians), min_size=1, max_size=2, unique=True))
        links.extend(GuardianLink(g.responsable_id, f"E{n}") for g in chosen)
    return DirectorySnapshot(school_list, classes, students, guardians, links)


_STATES = list(AccountState)
#: The origins an account takes when the guardian activates it without the school's letter.
_SELF_ORIGINS = (Origin.RESPONSABLE, Origin.FRANCECONNECT, Origin.ATEN, Origin.ENT)


@st.composite
def accounts(draw: st.DrawFn, state: AccountState | None = None) -> Account:
    """An account in `state` (any state when None), reached through the aggregate's own methods,
    with a provisional or chosen password as that path leaves it.
    """
    target = state or draw(st.sampled_from(_STATES))
    now = datetime(2025, 9, 1, 8, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 10_000)))
    first, last = draw(person_names()), draw(person_names())
    responsable = Responsable(
        f"R{draw(st.integers(0, 10**6))}", last, first, draw(st.none() | emails())
    )
    login = Login(LoginScheme.INITIAL_SURNAME.base(first, last))
    account = Account.pre_create(responsable, login, draw(provisional_secrets()), now)
    if target is AccountState.NOT_NOTIFIED:
        return account
    secret = draw(provisional_secrets())
    account.notify(now, reset=False, new_secret=lambda: secret)
    if target is AccountState.NOTIFIED:
        return account
    address = account.email or Email("guardian@example.org")
    link = ActivationLink("0" * 64, address, now + timedelta(days=3))
    if target is AccountState.ACTIVATING or draw(st.booleans()):
        account.begin_activation(now, "fast$0$" + "0" * 64, link)
        if target is AccountState.ACTIVATED:
            account.confirm_email(now)
    else:
        account.self_activate(
            now,
            draw(st.sampled_from(_SELF_ORIGINS)),
            "fast$0$" + "0" * 64,
        )
    if draw(st.booleans()):
        account.reset_password(now, draw(provisional_secrets()))
    return account
