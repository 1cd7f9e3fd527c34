"""Bad input gets `InvalidField` naming the record and the field, and leaves everything stored
exactly as it was (accounts and their versions, rows, statistics, audit trail, outbox, mail).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from tests.core.support import (
    AWA,
    CHOSEN,
    CLAIRE,
    EMAILS,
    HUGO,
    JEANNE,
    LINA,
    LOGINS,
    MARC,
    UAI,
    Scene,
    notified,
)

from educonnect_core import (
    Channel,
    Email,
    Ine,
    InvalidField,
    Mobile,
    PasswordRule,
    Policy,
    Responsable,
    School,
    SchoolClass,
    Selection,
    Student,
    Uai,
)
from educonnect_core.domain.values import UAI_KEYS, uai_check_letter

SEVEN_DIGITS = st.text(alphabet=string.digits, min_size=7, max_size=7)


def refused(call: Callable[[], object], record: str, field: str) -> InvalidField:
    """Run `call`, expect `InvalidField` on `record` / `field`, and return it."""
    with pytest.raises(InvalidField) as caught:
        call()
    assert (caught.value.record, caught.value.field) == (record, field), caught.value
    assert caught.value.field in caught.value.french
    return caught.value


class TestUai:
    """A UAI is seven digits and their check letter; anything else is refused on field « uai »."""

    @given(SEVEN_DIGITS)
    def test_for_all_digits_the_right_letter_parses(self, digits: str) -> None:
        letter = UAI_KEYS[int(digits) % 23]
        assert Uai.parse(digits + letter).value == digits + letter
        assert Uai.parse(f"  {digits}{letter.lower()} ").value == digits + letter

    @given(SEVEN_DIGITS, st.sampled_from(string.ascii_uppercase))
    def test_for_all_digits_every_wrong_letter_is_refused(self, digits: str, letter: str) -> None:
        assume(letter != uai_check_letter(digits))
        error = refused(lambda: Uai.parse(digits + letter), "école", "uai")
        assert "lettre clé" in error.reason

    @pytest.mark.parametrize(
        "raw", ["075065D", "07506540D", "0750654", "A750654D", "0750654DD", ""]
    )
    def test_wrong_shapes(self, raw: str) -> None:
        refused(lambda: Uai.parse(raw), "école", "uai")

    def test_the_record_is_named(self) -> None:
        refused(lambda: SchoolClass.create("c-1", "0750654E", "CP"), "classe c-1", "uai")
        refused(
            lambda: Student.create(
                "s-1", surname="A", first_name="B", birth_date=date(2019, 1, 1), uai="0750654E"
            ),
            "élève s-1",
            "uai",
        )


class TestIne:
    """An INE is ten digits or capitals then a capital; other shapes are refused on « ine »."""

    @given(
        st.text(alphabet=string.digits + string.ascii_uppercase, min_size=10, max_size=10),
        st.sampled_from(string.ascii_uppercase),
    )
    def test_for_all_well_shaped_ines(self, head: str, key: str) -> None:
        assert Ine.parse((head + key).lower()).value == head + key

    @given(st.text(alphabet=string.digits + string.ascii_uppercase, max_size=20))
    def test_for_all_wrong_lengths(self, raw: str) -> None:
        assume(len(raw) != 11)
        refused(lambda: Ine.parse(raw), "élève", "ine")

    @pytest.mark.parametrize("raw", ["12345678901", "1234567890-", "1234 67890A"])
    def test_wrong_characters(self, raw: str) -> None:
        refused(lambda: Ine.parse(raw), "élève", "ine")

    def test_through_a_pupil(self) -> None:
        refused(
            lambda: Student.create(
                "s-9",
                surname="A",
                first_name="B",
                birth_date=date(2019, 1, 1),
                uai=UAI,
                ine="1234",
            ),
            "élève s-9",
            "ine",
        )


class TestEmailAndMobile:
    """Malformed e-mails and mobiles are refused on « email » / « mobile », naming the guardian."""

    @pytest.mark.parametrize(
        "raw",
        ["claire", "claire@", "@example.org", "claire@example", "cl aire@example.org",
         "claire@@example.org", "claire@example..org", "a" * 250 + "@example.org"],
    )  # fmt: skip
    def test_malformed_emails(self, raw: str) -> None:
        refused(lambda: Email.parse(raw), "responsable", "email")
        refused(
            lambda: Responsable.create("r-9", surname="A", first_name="B", email=raw),
            "responsable r-9",
            "email",
        )

    @given(st.text(alphabet=st.characters(exclude_characters="@"), max_size=40))
    def test_for_all_texts_without_at_sign(self, raw: str) -> None:
        refused(lambda: Email.parse(raw), "responsable", "email")

    @pytest.mark.parametrize("raw", ["abc", "0612", "06 12 34 56 7x", "+", "0" * 16])
    def test_malformed_mobiles(self, raw: str) -> None:
        refused(lambda: Mobile.parse(raw), "responsable", "mobile")
        refused(
            lambda: Responsable.create("r-9", surname="A", first_name="B", mobile=raw),
            "responsable r-9",
            "mobile",
        )


class TestDatesAndNames:
    """A birth date must be a date; names must be non-empty, at most 100 characters, printable."""

    @pytest.mark.parametrize("raw", ["2019-03-14", 20190314, None])
    def test_not_a_date(self, raw: Any) -> None:
        refused(
            lambda: Student.create(
                "s-9", surname="A", first_name="B", birth_date=raw, uai=UAI, ine="1234567890A"
            ),
            "élève s-9",
            "date de naissance",
        )

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [("", "vide"), ("   ", "vide"), ("A" * 101, "100"), ("Jean\x00", "imprimable"),
         ("Jean\x07Paul", "imprimable"), ("\u200bJean\u202e", "imprimable")],
    )  # fmt: skip
    def test_bad_names(self, raw: str, reason: str) -> None:
        assert (
            reason
            in refused(
                lambda: Responsable.create("r-9", surname=raw, first_name="B"),
                "responsable r-9",
                "nom",
            ).reason
        )
        refused(
            lambda: Responsable.create("r-9", surname="A", first_name=raw),
            "responsable r-9",
            "prénom",
        )
        refused(
            lambda: Student.create(
                "s-9", surname=raw, first_name="B", birth_date=date(2019, 1, 1), uai=UAI
            ),
            "élève s-9",
            "nom",
        )
        refused(lambda: School.create(UAI, raw), UAI, "nom de l’école")

    def test_a_hundred_characters_is_fine(self) -> None:
        assert Responsable.create("r-9", surname="A" * 100, first_name="B").surname == "A" * 100


class TestPasswordRules:
    """The default rule is 8–14 letters and digits with both; the hardened one 15–128 of any
    kind; a refusal names the field and never quotes the password.
    """

    @given(
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=13),
        st.text(alphabet=string.digits, min_size=1, max_size=13),
        st.randoms(use_true_random=False),
    )
    def test_for_all_letters_and_digits_of_8_to_14(
        self, letters: str, digits: str, shuffle: Any
    ) -> None:
        chars = list(letters + digits)
        shuffle.shuffle(chars)
        password = "".join(chars)
        if 8 <= len(password) <= 14:
            PasswordRule().check(password, record="x")
        else:
            refused(lambda: PasswordRule().check(password, record="x"), "x", "mot de passe")

    @pytest.mark.parametrize(
        "password",
        ["abc1234", "abcdefgh12345678", "abcdefgh", "12345678", "abcd 1234", "abcd-1234",
         "abcdé1234"],
    )  # fmt: skip
    def test_default_refusals(self, password: str) -> None:
        error = refused(lambda: PasswordRule().check(password, record="x"), "x", "mot de passe")
        assert password not in str(error)
        assert error.reason == "8 caractères minimum, 14 maximum, chiffres et lettres obligatoires"

    def test_the_login_is_not_a_password(self) -> None:
        refused(
            lambda: PasswordRule().check("J.Dupont2", record="x", login="j.dupont2"),
            "x",
            "mot de passe",
        )

    @given(st.text(min_size=15, max_size=128))
    def test_hardened_accepts_any_15_to_128(self, password: str) -> None:
        Policy.hardened().password_rule.check(password, record="x")

    @pytest.mark.parametrize("size", [0, 8, 14, 129, 400])
    def test_hardened_refuses_other_lengths(self, size: int) -> None:
        rule = Policy.hardened().password_rule
        refused(lambda: rule.check("é" * size, record="x"), "x", "mot de passe")


class TestSelection:
    """Impossible paging and oversized search text are refused on the selection."""

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [({"page": 0}, "page"), ({"page": -3}, "page"), ({"page_size": -1}, "taille de page"),
         ({"page_size": 10_001}, "taille de page"), ({"text": "x" * 201}, "texte"),
         ({"text": "a|b"}, "texte")],
    )  # fmt: skip
    def test_refused(self, kwargs: dict[str, Any], field: str) -> None:
        refused(lambda: Selection(**kwargs), "sélection", field)


@cache
def _scene() -> Scene:
    """One notified school with Claire activated and Awa activating, shared by the examples:
    the point of every test below is that it never changes.
    """
    scene = notified()
    scene.activate(LOGINS[CLAIRE])
    scene.first_connection(LOGINS[AWA])
    return scene


def unchanged(call: Callable[[], object], record: str, field: str) -> InvalidField:
    """`call` is refused with `InvalidField` on `record` / `field` and nothing changes."""
    scene = _scene()
    before = scene.fingerprint()
    error = refused(call, record, field)
    assert scene.fingerprint() == before
    return error


def audited_only(call: Callable[[], object], record: str, event: str) -> None:
    """`call` is refused for its new password (`InvalidField` on `record`): nothing changes but
    the one audit entry that records the refusal (issue 9.15).
    """
    scene = _scene()
    before = scene.fingerprint()
    refused(call, record, "mot de passe")
    after = scene.fingerprint()
    assert (*after[:3], *after[4:]) == (*before[:3], *before[4:])
    trail, earlier = after[3], before[3]
    assert isinstance(trail, tuple)
    assert isinstance(earlier, tuple)
    added = trail[len(earlier) :]
    assert [(e.action, e.outcome) for e in added] == [(event, "refused: password policy")]


class TestNothingChanges:
    """A use case given bad input refuses it before anything is stored, counted, audited or sent."""

    def test_director_side(self) -> None:
        admin = _scene().admin
        unchanged(lambda: admin.rows("0999901A"), "école", "uai")
        unchanged(lambda: admin.statistics("099990Z"), "école", "uai")
        unchanged(lambda: admin.account(UAI, "Jean Dupont!"), "compte", "login")
        unchanged(
            lambda: admin.notify(UAI, [LOGINS[MARC], "pas un login"], Channel.PAPER),
            "compte",
            "login",
        )
        unchanged(lambda: admin.reset_passwords(UAI, [LOGINS[CLAIRE], "x y"]), "compte", "login")
        unchanged(
            lambda: admin.resend_activation_email(UAI, LOGINS[AWA], "awa@"), "a.diallo", "email"
        )
        unchanged(lambda: admin.rows(UAI, Selection(page=0)), "sélection", "page")

    def test_first_connection(self) -> None:
        scene = _scene()
        login = LOGINS[JEANNE]
        password = scene.password(login)
        right = scene.feed.students["s-emma"].birth_date

        def first(*, choice: str = CHOSEN, email: str = EMAILS[JEANNE], day: Any = right) -> str:
            return scene.portal.first_connection(
                login, password, new_password=choice, email=email, birth_date=day
            )

        audited_only(lambda: first(choice="court1"), login, "FIRST_CONNECTION")
        audited_only(lambda: first(choice="sanschiffre"), login, "FIRST_CONNECTION")
        unchanged(lambda: first(email="jeanne@"), login, "email")
        unchanged(lambda: first(day="2019-02-28"), login, "date de naissance")
        unchanged(lambda: first(day=None), login, "date de naissance")

    def test_guardian_changes(self) -> None:
        scene = _scene()
        login = LOGINS[CLAIRE]
        unchanged(
            lambda: scene.portal.change_email(login, CHOSEN, "pas une adresse"), login, "email"
        )
        audited_only(
            lambda: scene.portal.change_password(login, CHOSEN, "abc"), login, "CHANGE_PASSWORD"
        )

    def test_self_service(self) -> None:
        scene = _scene()
        days = {LINA: date(2019, 3, 14), HUGO: date(2018, 5, 2)}

        def sms(mobile: str = "0600000001", choice: str = CHOSEN, **dates: Any) -> str:
            return scene.portal.sign_up_by_sms(
                surname="LEBRUN",
                first_name="Claire",
                mobile=mobile,
                birth_dates={**days, **dates},
                new_password=choice,
            )

        unchanged(lambda: sms(mobile="zéro six"), "inscription", "mobile")
        audited_only(lambda: sms(choice="abc"), "inscription", "RESPONSABLE")
        unchanged(lambda: sms(**{HUGO: "2018-05-02"}), "inscription", "date de naissance")
        unchanged(
            lambda: scene.portal.connect_with_franceconnect(
                surname="LEBRUN", first_name="Claire", mobile="06", birth_dates=days
            ),
            "inscription",
            "mobile",
        )

    @given(st.text(alphabet=st.characters(exclude_characters="@"), max_size=30))
    def test_for_all_addresses_without_at_sign_first_connection_changes_nothing(
        self, raw: str
    ) -> None:
        scene = _scene()
        login = LOGINS[JEANNE]
        unchanged(
            lambda: scene.portal.first_connection(
                login,
                scene.password(login),
                new_password=CHOSEN,
                email=raw,
                birth_date=date(2019, 2, 28),
            ),
            login,
            "email",
        )
