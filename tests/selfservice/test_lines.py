"""Directory mobiles are found by their E.164 line (issue 13.1): ``06…``, ``+336…`` and
``00336…`` are one line for every storage, and a database keyed the old way is re-keyed by
migration 0006.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from tests.selfservice.support import NINA, SOPHIE, SOPHIE_PARC, SelfScene, Worlds, self_scene
from tests.selfservice.test_paths_sql import OnSqlite

from educonnect_core import Responsable
from educonnect_core.domain.sms import SmsPurpose, e164, line_key
from educonnect_core.domain.values import Mobile
from educonnect_sql import SqlStorage
from educonnect_sql.engine import build_engine
from educonnect_sql.migrate import downgrade, upgrade

FRENCH = st.from_regex(r"0[1-9][0-9]{8}", fullmatch=True)


class TestLineKey:
    """The storages' fast key agrees with the E.164 form."""

    @given(FRENCH)
    def test_french_national_forms(self, number: str) -> None:
        """``0X XX XX XX XX``, ``+33X…`` and ``0033X…`` key as `e164` says."""
        for form in (number, "+33" + number[1:], "0033" + number[1:]):
            assert line_key(Mobile.parse(form)) == e164(number)

    def test_other_countries_and_non_numbers(self) -> None:
        """A Belgian number in both international forms is one key; a non-number keys as is."""
        assert line_key(Mobile.parse("+32470123456")) == line_key(Mobile.parse("0032470123456"))
        assert line_key(Mobile.parse("12345678")) == "12345678"


class TestInternationalPrefix(Worlds):
    """A directory mobile written « 0033 6… » is found by a sign-up typed « 06… »."""

    def _scene(self) -> SelfScene:
        s = self.new()
        for rid in (SOPHIE, SOPHIE_PARC):
            s.scene.feed.responsables[rid] = Responsable.create(
                rid, surname="MARTIN", first_name="Sophie", mobile="0033 6 55 44 33 22"
            )
        s.scene.next_day_integration()
        return s

    def test_sign_up_finds_the_record(self) -> None:
        """The code reaches the line and the sign-up attaches Nina."""
        s = self._scene()
        proof = s.proof("06 55 44 33 22", SmsPurpose.SIGN_UP)
        assert len(s.sms.sent) == 1
        listed = s.portal.sms_children(
            surname="MARTIN", first_name="Sophie", mobile="06 55 44 33 22", proof=proof
        )
        assert NINA in [c.student_id for c in listed]


class TestInternationalPrefixOnSqlite(OnSqlite, TestInternationalPrefix):
    """The same on SQLite."""


class TestMigrationRekeys:
    """Upgrading to 0006 keys the stored mobiles in E.164; downgrading restores the old key."""

    def test_upgrade_and_downgrade(self, tmp_path: Path) -> None:
        """An account saved under 0004 (key ``06…``) is keyed ``+336…`` after the upgrade."""
        url = f"sqlite:///{tmp_path / 'm.db'}"
        s = self_scene(storage=SqlStorage.open(url, migrate=True))
        assert s.scene.stored("s.martin").mobile is not None
        engine = build_engine(url)
        downgrade(engine, "0004")
        keys = "SELECT mobile_line FROM accounts WHERE account_id = 'r-sophie'"
        with engine.connect() as connection:
            assert connection.exec_driver_sql(keys).scalar() == "0655443322"
        upgrade(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql(keys).scalar() == "+33655443322"
            assert connection.execute(sa.text("SELECT count(*) FROM one_time_codes")).scalar() == 0
        engine.dispose()
