"""E-mail addresses (issue 9 item 13): only well-formed addresses are accepted, stored in the one
normalised form the SMTP envelope carries; a hostile address in a feed is left out of its record
with a warning naming the record and the field, never a crash.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.feed.test_feed_aaf_rules import base_records, with_attribute, write
from tests.feed.test_feed_onde import GUARDIANS, UAI, extraction

from educonnect_aaf import read_aaf1d, read_onde
from educonnect_core import Director, Email, InvalidField, Uai
from educonnect_core.testing import in_memory_world

#: Addresses the old pattern accepted, each a way to make the stored address and the SMTP
#: envelope differ or to smuggle a command or a control character into a mail header.
HOSTILE = (
    "<postmaster>x@evil.com",
    "a>b@c.fr",
    "x;y@a.fr",
    "x\x00y@a.fr",
    "x\x1by@a.fr",
    "x@a\x00.fr",
    "Jean <jean@a.fr>",
    '"x y"@a.fr',
    "x@[127.0.0.1]",
    "x..y@a.fr",
    "x.@a.fr",
    "x@localhost",
    "x@b.local",
    "x@a",
    "x@.fr",
    "x\r\nRCPT TO:<y@evil.com>@a.fr",
)


class TestHostileAddressesAreRefused:
    """Every named hostile address is refused with `InvalidField` naming record and field."""

    @pytest.mark.parametrize("raw", HOSTILE)
    def test_refused(self, raw: str) -> None:
        with pytest.raises(InvalidField) as caught:
            Email.parse(raw, record="responsable R1", field="courriel")
        assert (caught.value.record, caught.value.field) == ("responsable R1", "courriel")
        assert "mal formée" in caught.value.reason

    def test_non_ascii_local_part_only_with_smtputf8(self) -> None:
        with pytest.raises(InvalidField):
            Email.parse("élodie@orange.fr")
        assert Email.parse("élodie@orange.fr", smtputf8=True).value == "élodie@orange.fr"


class TestOneNormalisedForm:
    """The domain is lower-cased (and in IDNA ASCII form), the local part kept as given, so the
    same address read twice compares equal and a stored address parses to itself.
    """

    def test_examples(self) -> None:
        assert Email.parse("  Jean.Dupont@Exemple.FR ").value == "Jean.Dupont@exemple.fr"
        assert Email.parse("x@Café.fr").value == "x@xn--caf-dma.fr"
        assert Email.parse("x@café.fr", smtputf8=True).value == "x@café.fr"
        assert Email.parse("Claire@Example.INVALID").value == "Claire@example.invalid"

    @given(
        st.lists(
            st.text(string.ascii_letters + string.digits + "_-+", min_size=1, max_size=10),
            min_size=1,
            max_size=4,
        ),
        st.sampled_from(("example.org", "EXEMPLE.fr", "Ac-Paris.Fr", "orange.fr")),
    )
    def test_well_formed_addresses_round_trip(self, atoms: list[str], domain: str) -> None:
        raw = ".".join(atoms) + "@" + domain
        email = Email.parse(raw)
        assert email.value == ".".join(atoms) + "@" + domain.lower()
        assert Email.parse(email.value) == email
        assert Email.parse(".".join(atoms) + "@" + domain.upper()) == email

    @given(st.text(max_size=40))
    def test_anything_accepted_is_a_plain_ascii_address(self, raw: str) -> None:
        try:
            email = Email.parse(raw)
        except InvalidField:
            return
        local, _, domain = email.value.rpartition("@")
        assert email.value.isascii()
        assert email.value.isprintable()
        assert not set('<>;,"()[]\\ \t\r\n') & set(email.value)
        assert local
        assert "." in domain
        assert Email.parse(email.value) == email


class TestFeedsDropHostileAddresses:
    """A hostile address in a feed leaves its record without an address, with a warning naming
    the record and the field; the reading does not crash.
    """

    @pytest.mark.parametrize("raw", ["<postmaster>x@evil.com", "a>b@c.fr", "x;y@a.fr"])
    def test_aaf(self, tmp_path: Path, raw: str) -> None:
        records = base_records()
        records["PersRelEleve"][0] = with_attribute(
            records["PersRelEleve"][0], "ENTPersonMail", raw
        )
        snapshot, rejections, warnings = read_aaf1d(write(tmp_path, records))
        assert rejections == ()
        assert [(w.record, w.field) for w in warnings] == [("responsable 6000001", "ENTPersonMail")]
        assert snapshot.responsables[0].email is None

    @pytest.mark.parametrize("raw", ["<postmaster>x@evil.com", "a>b@c.fr", "x,y@a.fr"])
    def test_onde(self, tmp_path: Path, raw: str) -> None:
        rows = (GUARDIANS[0], GUARDIANS[1].replace("anne@example.fr", raw), *GUARDIANS[2:])
        snapshot, _, warnings = read_onde(
            extraction(tmp_path, guardians=rows), uai=UAI, school_name="E"
        )
        anne = next(r for r in snapshot.responsables if r.first_name == "Anne")
        assert anne.email is None
        assert [w.reason for w in warnings if w.field == "Courriel"] == [
            "adresse mail mal formée, ignorée"
        ]


class TestIntegrationStaysIdempotent:
    """A feed that sends the same address again, its domain in another case, changes nothing."""

    def test_same_address_other_case(self, tmp_path: Path) -> None:
        world = in_memory_world()
        for number, address in enumerate(("Jean.Dupont@EXEMPLE.FR", "Jean.Dupont@exemple.fr")):
            records = base_records()
            records["PersRelEleve"][0] = with_attribute(
                records["PersRelEleve"][0], "ENTPersonMail", address
            )
            reading = read_aaf1d(write(tmp_path / str(number), records))
            report = world.app.integrate(reading.snapshot, reading.rejections)
            assert report.changed is (number == 0)
        stored = world.app.administration(Director("d", {Uai.parse("0999901Z")}))
        rows = stored.rows("0999901Z").rows
        assert any(row.has_email for row in rows)
