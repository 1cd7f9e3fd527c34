"""The self-service commands (issue 13): ``sms-signup``, ``merge``, ``franceconnect`` and
``forgot`` drive the paths end to end on a SQLite file, codes read from the SMS outbox.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tests.cli.conftest import cli
from tests.core.support import CHOSEN, CP, OTHER_UAI, PARC_CM1, pupil, sample_feed
from tests.selfservice.support import NINA, PAUL, SOPHIE, SOPHIE_LINE, SOPHIE_PARC

from educonnect_cli.demo import write_feed
from educonnect_core import Responsable
from educonnect_core.testing.fakes import FakeClock
from educonnect_mail import FileSmsOutbox

MOBILE = "0655443322"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The commands' clock, moved by the test (the resend cooldown is a minute)."""
    fake = FakeClock(datetime.now(UTC))
    monkeypatch.setattr("educonnect_cli.context.SystemClock", lambda: fake)
    return fake


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A SQLite file holding the sample schools with Sophie recorded twice."""
    feed = sample_feed()
    for rid in (SOPHIE, SOPHIE_PARC):
        feed.responsables[rid] = Responsable.create(
            rid, surname="MARTIN", first_name="Sophie", mobile=MOBILE
        )
    feed.add_family(
        feed.responsables[SOPHIE], pupil(NINA, "MARTIN", "Nina", date(2019, 4, 4), class_id=CP)
    )
    feed.add_family(
        feed.responsables[SOPHIE_PARC],
        pupil(
            PAUL, "MARTIN", "Paul", date(2016, 6, 6), class_id=PARC_CM1, level="CM1", uai=OTHER_UAI
        ),
    )
    write_feed(feed.snapshot(), tmp_path / "feed", "ENT1D_Complet_20250901")
    code, out = cli(tmp_path, "integrate", str(tmp_path / "feed"), "--json")
    assert code == 0, out
    return tmp_path


def _code(base: Path) -> str:
    line, text = FileSmsOutbox(base / "outbox" / "sms").texts()[-1]
    assert line == SOPHIE_LINE
    return text.split("est ")[1][:6]


class TestSelfServiceCommands:
    """Each path works from the command line, in two calls around the SMS."""

    def test_sms_signup_of_one_record_then_merge_by_sms(self, base: Path, clock: FakeClock) -> None:
        """Sign up with Nina, then merge the other record by SMS: one account remains."""
        assert cli(base, "sms-signup", "--mobile", MOBILE, "--send-code")[0] == 0
        code, out = cli(
            base,
            "sms-signup",
            "--mobile",
            MOBILE,
            "--code",
            _code(base),
            "--surname",
            "Martin",
            "--first-name",
            "Sophie",
            "--child",
            f"{NINA}=04/04/2019",
            "--password",
            CHOSEN,
            "--email",
            "sophie@example.org",
        )
        assert code == 0, out
        assert "s.martin activé" in out
        code, out = cli(base, "merge", "s.martin", "--mobile", MOBILE, "--send-code")
        assert code != 0  # the resend cooldown
        assert "veuillez patienter" in out
        clock.advance(minutes=1)
        assert cli(base, "merge", "s.martin", "--mobile", MOBILE, "--send-code")[0] == 0
        args = ("--mobile", MOBILE, "--code", _code(base), "--password", CHOSEN)
        code, out = cli(base, "merge", "s.martin", *args)
        assert code == 0, out
        assert "s.martin2 regroupé(s) sur s.martin" in out
        code, out = cli(base, "list", OTHER_UAI, "--json")
        assert {r["login"] for r in json.loads(out)["rows"]} >= {"s.martin"}
        assert "s.martin2" not in {r["login"] for r in json.loads(out)["rows"]}

    def test_forgot_by_email_sends_nothing_for_an_unknown_login(self, base: Path) -> None:
        """``forgot --login-or-email`` answers the same for a login that does not exist."""
        code, out = cli(base, "forgot", "--login-or-email", "x.inconnu")
        assert code == 0, out
        assert "Si un compte correspond" in out

    def test_franceconnect_first_time_asks_for_the_mobile(self, base: Path) -> None:
        """An unbound sub is told to give its mobile, in French, with a non-zero status."""
        code, out = cli(
            base,
            "franceconnect",
            "--sub",
            "fc-1",
            "--family-name",
            "MARTIN",
            "--given-name",
            "Sophie",
        )
        assert code != 0
        assert "--mobile" in out
        code, out = cli(base, "list", "0999901Z", "--json")
        assert code == 0, out
        assert json.loads(out)["rows"]
