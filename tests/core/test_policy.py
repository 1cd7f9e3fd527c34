"""The policy objects end to end: the hardened preset through a whole lifecycle, and the login
scheme (ASCII folding, homonyms numbered from 2, independent of the feed's order).
"""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.core.support import CHOSEN, CLAIRE, JEAN, JEANNE, LOGINS, UAI, notified, pupil, rentree

from educonnect_core import (
    AccountState,
    Channel,
    DirectorySnapshot,
    GuardianLink,
    InvalidField,
    Login,
    LoginScheme,
    Policy,
    Responsable,
    School,
    SchoolClass,
    Selection,
    Session,
)
from educonnect_core.domain.policy import (
    HARDENED_ALPHABET,
    PROVISIONAL_ALPHABET,
    next_free_login,
)
from educonnect_core.testing import in_memory_world

#: A 64-character passphrase with spaces, accents and punctuation (no composition rule).
LONG_CHOICE = "les élèves de l'école des Tilleuls partent en classe verte ! ok?"
NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    min_size=1,
    max_size=100,
).filter(lambda text: text.strip() != "")


class TestHardenedPolicy:
    """With `Policy.hardened()`, provisional secrets are 16 symbols of its alphabet and a long
    passphrase of any characters is a valid password, from the first connection to the login.
    """

    def test_a_whole_lifecycle(self) -> None:
        assert len(LONG_CHOICE) == 64
        scene = notified(policy=Policy.hardened())
        for login in LOGINS.values():
            secret = scene.password(login)
            assert len(secret) == 16
            assert set(secret) <= set(HARDENED_ALPHABET)
        login = LOGINS[CLAIRE]
        with pytest.raises(InvalidField):
            scene.first_connection(login, new_password=CHOSEN)
        scene.activate(login, new_password=LONG_CHOICE)
        assert isinstance(scene.portal.login(login, LONG_CHOICE), Session)
        report = scene.admin.reset_password(UAI, login)
        assert report.messages == ("Le mot de passe a bien été réinitialisé.",)
        page = scene.page(login)
        assert len(page.password) == 16
        scene.portal.change_password(login, page.password, LONG_CHOICE[::-1])
        assert isinstance(scene.portal.login(login, LONG_CHOICE[::-1]), Session)
        scene.assert_no_secret_in_audit(LONG_CHOICE, LONG_CHOICE[::-1])

    @given(st.integers(0, 2**32))
    def test_for_all_seeds_secrets_follow_the_policy(self, seed: int) -> None:
        for policy, alphabet, length in (
            (Policy(), PROVISIONAL_ALPHABET, 8),
            (Policy.hardened(), HARDENED_ALPHABET, 16),
        ):
            world = in_memory_world(seed=seed, policy=policy)
            secret = world.app.runtime.new_provisional()
            assert len(secret) == length
            assert set(secret) <= set(alphabet)

    def test_the_default_alphabet_has_no_look_alikes(self) -> None:
        assert set(PROVISIONAL_ALPHABET) == set(string.ascii_uppercase + "23456789") - {"I", "O"}
        assert not set("Il1O0o") & set(HARDENED_ALPHABET)


def _guardian_feed(*people: tuple[str, str, str]) -> DirectorySnapshot:
    """One school, one pupil per guardian `(id, first name, surname)`."""
    pupils = [pupil(f"s-{rid}", surname, "Enfant", date(2019, 1, 1)) for rid, _, surname in people]
    return DirectorySnapshot(
        schools=[School.create(UAI, "ECOLE LES TILLEULS")],
        classes=[SchoolClass.create("c-cp", UAI, "CP A")],
        students=pupils,
        responsables=[Responsable.create(rid, surname=s, first_name=f) for rid, f, s in people],
        links=[GuardianLink(rid, f"s-{rid}") for rid, _, _ in people],
    )


def _logins(snapshot: DirectorySnapshot, *more: DirectorySnapshot) -> dict[str, str]:
    world = in_memory_world()
    for one in (snapshot, *more):
        world.app.integrate(one)
    with world.storage.unit_of_work() as uow:
        ids = [r.responsable_id for one in (snapshot, *more) for r in one.responsables]
        return {i: a.login.value for i, a in uow.accounts.get_many(ids).items()}


class TestLoginScheme:
    """Logins are ``initial.surname`` folded to ASCII; homonyms get the smallest free number from
    2; the order of the feed never decides who gets which login.
    """

    @pytest.mark.parametrize(
        ("first", "surname", "login"),
        [
            ("Éloïse", "N'Diaye-Lô", "e.ndiaye-lo"),
            ("Jean-Pierre", "DE LA FONTAINE", "j.de-la-fontaine"),
            ("Œdipe", "Lætitia", "o.laetitia"),
            ("Zoë", "Müller", "z.muller"),
            ("Ана", "Иванова", "x.x"),
        ],
    )
    def test_ascii_folding(self, first: str, surname: str, login: str) -> None:
        assert LoginScheme.INITIAL_SURNAME.base(first, surname) == login

    def test_through_the_integration(self) -> None:
        logins = _logins(_guardian_feed(("r-1", "Éloïse", "N'Diaye-Lô")))
        assert logins == {"r-1": "e.ndiaye-lo"}

    def test_the_sample_school_gives_the_homonym_a_2(self) -> None:
        scene = rentree()
        assert scene.stored(LOGINS[JEAN]).account_id < scene.stored(LOGINS[JEANNE]).account_id
        assert {r.login for r in scene.admin.rows(UAI, Selection()).rows} == set(LOGINS.values())

    def test_smallest_free_number_from_two(self) -> None:
        first = _guardian_feed(("r-a", "Jean", "Dupont3"), ("r-b", "Julie", "Dupont"))
        second = _guardian_feed(
            ("r-c", "Jacques", "Dupont"), ("r-d", "Jules", "Dupont"), ("r-e", "Jade", "Dupont")
        )
        assert _logins(first, second) == {
            "r-a": "j.dupont3",
            "r-b": "j.dupont",
            "r-c": "j.dupont2",
            "r-d": "j.dupont4",
            "r-e": "j.dupont5",
        }

    def test_a_surname_ending_in_digits_keeps_its_homonyms_apart(self) -> None:
        first = _guardian_feed(("r-a", "Jean", "Dupont3"))
        second = _guardian_feed(("r-b", "Jeanne", "Dupont3"))
        assert _logins(first, second) == {"r-a": "j.dupont3", "r-b": "j.dupont32"}

    @given(st.permutations([f"r-{i}" for i in range(6)]))
    def test_for_all_feed_orders_the_same_logins(self, order: list[str]) -> None:
        people = {f"r-{i}": ("Jean" if i % 2 else "Julie", "Dupont") for i in range(6)}
        shuffled = _guardian_feed(*((rid, *people[rid]) for rid in order))
        assert _logins(shuffled) == {
            "r-0": "j.dupont",
            "r-1": "j.dupont2",
            "r-2": "j.dupont3",
            "r-3": "j.dupont4",
            "r-4": "j.dupont5",
            "r-5": "j.dupont6",
        }

    @pytest.mark.parametrize(
        ("first", "surname", "scheme"),
        [
            ("Anne", "B" * 53 + "-Castel", LoginScheme.INITIAL_SURNAME),
            ("Anne", "B" * 53 + " Castel", LoginScheme.INITIAL_SURNAME),
            ("A" * 55, "Castel", LoginScheme.FIRST_NAME_SURNAME),
            ("A" * 54 + "-Marie", "Castel", LoginScheme.FIRST_NAME_SURNAME),
        ],
    )
    def test_a_base_cut_at_56_characters_is_still_a_login(
        self, first: str, surname: str, scheme: LoginScheme
    ) -> None:
        base = scheme.base(first, surname)
        assert len(base) <= 56
        assert Login.parse(base).value == base

    @given(NAMES, NAMES, st.sampled_from(LoginScheme))
    def test_for_all_names_the_base_is_a_valid_login(
        self, first: str, surname: str, scheme: LoginScheme
    ) -> None:
        base = scheme.base(first, surname)
        assert Login.parse(base).value == base
        assert Login.parse(base + "99").value == base + "99"

    def test_notify_and_log_in_with_an_unusual_login(self) -> None:
        scene = rentree()
        scene.feed.add_family(
            Responsable.create(
                "r-z", surname="N'Diaye-Lô", first_name="Éloïse", email="eloise@example.org"
            ),
            pupil("s-z", "NDIAYE", "Awa", date(2019, 4, 4)),
        )
        scene.integrate()
        scene.admin.notify(UAI, ["e.ndiaye-lo"], Channel.EMAIL)
        scene.activate("e.ndiaye-lo")
        assert scene.stored("e.ndiaye-lo").state is AccountState.ACTIVATED


class TestHomonymNumbering:
    """With hints, a batch of homonyms gets the same logins as without, in linear time."""

    @given(
        taken=st.sets(st.integers(2, 40)),
        base_taken=st.booleans(),
        count=st.integers(1, 30),
    )
    def test_hints_give_the_smallest_free_number(
        self, taken: set[int], base_taken: bool, count: int
    ) -> None:
        start = {f"j.martin{n}" for n in taken} | ({"j.martin"} if base_taken else set())
        plain, hinted = set(start), set(start)
        hints: dict[str, int] = {}
        for _ in range(count):
            expected = next_free_login("j.martin", plain)
            plain.add(expected)
            got = next_free_login("j.martin", hinted, hints)
            hinted.add(got)
            assert got == expected
