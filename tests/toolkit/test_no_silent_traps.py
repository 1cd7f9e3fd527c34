"""The toolkit does what it is obviously asked to, or refuses loudly."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from educonnect_core import Channel, Director, EduConnect, Uai
from educonnect_core.errors import (
    BirthDateCheckFailed,
    BirthDateLocked,
    BirthDateRefused,
    EduconnectError,
    InvalidField,
)
from educonnect_core.testing import FastHasher, RecordingMailer, RecordingRenderer, in_memory_world
from educonnect_core.testing.demo import UAI, snapshot
from educonnect_core.testing.simulation import MailTap, SchoolYear, synthetic_feed

ROOT = Path(__file__).resolve().parents[2]
#: A guardian of the demo school with a directory e-mail.
LOGIN = "m.nguyen"


def test_the_world_uses_the_fakes_it_is_given() -> None:
    """in_memory_world(mailer=…, renderer=…, hasher=…) wires those very objects into the app,
    and the world shows them.
    """
    mailer, renderer, hasher = (
        RecordingMailer(),
        RecordingRenderer(),
        FastHasher(),
    )
    world = in_memory_world(mailer=mailer, renderer=renderer, hasher=hasher)
    assert (world.mailer, world.renderer, world.hasher) == (mailer, renderer, hasher)
    assert world.app.relay.mailer is mailer
    world.app.integrate(snapshot(birth_date_of_tom=date(2019, 2, 8)))
    admin = world.app.administration(Director("d", uais=[UAI]))
    admin.notify(UAI, [LOGIN], Channel.EMAIL)
    admin.notify(UAI, [LOGIN], Channel.PAPER)
    assert len(mailer.sent) == 1
    assert len(renderer.sheets) == 1


def test_a_school_year_refuses_a_tap_that_is_not_the_apps_mailer() -> None:
    """SchoolYear(app, clock, tap, feed) with a tap the app does not send through raises
    ValueError instead of running a year in which no guardian ever reads a letter.
    """
    world = in_memory_world()
    with pytest.raises(ValueError, match="tap"):
        SchoolYear(world.app, world.clock, MailTap(RecordingMailer()), synthetic_feed(1))
    tap = MailTap(RecordingMailer())
    app = EduConnect(
        storage=world.storage,
        mailer=tap,
        renderer=world.renderer,
        clock=world.clock,
        secrets=world.secrets,
        hasher=world.hasher,
    )
    SchoolYear(app, world.clock, tap, synthetic_feed(1))


def test_letters_to_is_in_time_order_across_channels() -> None:
    """A sheet, then an e-mail a day later, then a sheet: letters_to lists them in that order."""
    world = in_memory_world()
    world.app.integrate(snapshot(birth_date_of_tom=date(2019, 2, 8)))
    admin = world.app.administration(Director("d", uais=[UAI]))
    for channel in (Channel.PAPER, Channel.EMAIL, Channel.PAPER):
        admin.notify(UAI, [LOGIN], channel)
        world.clock.advance(days=1)
    kinds = [letter.kind.name for letter in world.letters_to(LOGIN)]
    assert kinds == ["C01", "C02", "C01"]


def test_account_of_a_directory_record() -> None:
    """World.account_of(responsable_id) gives the account of that feed record, or LookupError."""
    world = in_memory_world()
    feed = snapshot(birth_date_of_tom=date(2019, 2, 8))
    world.app.integrate(feed)
    record = next(r for r in feed.responsables if r.surname == "DUPONT")
    found = world.account_of(record.responsable_id)
    assert (found.account_id, found.surname) == (record.responsable_id, "DUPONT")
    with pytest.raises(LookupError, match="NOBODY"):
        world.account_of("NOBODY")


def test_a_director_takes_uai_strings_and_validates_them() -> None:
    """Director accepts UAI strings as UAIs, and refuses a malformed one with InvalidField."""
    assert Director("x", uais=["0750654d", Uai.parse("0750655E")]).uais == {
        Uai("0750654D"),
        Uai("0750655E"),
    }
    with pytest.raises(InvalidField) as refused:
        Director("x", uais=["bogus"])
    assert refused.value.field == "uai"


def test_birth_date_errors_share_one_base() -> None:
    """A wrong and a locked birth date are both BirthDateCheckFailed (one except clause)."""
    assert issubclass(BirthDateRefused, BirthDateCheckFailed)
    assert issubclass(BirthDateLocked, BirthDateCheckFailed)
    assert issubclass(BirthDateCheckFailed, EduconnectError)


def test_the_readme_example_is_mypy_strict_clean(tmp_path: Path) -> None:
    """The README's embedding example, extracted as it is, passes mypy --strict."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    example = tmp_path / "readme_example.py"
    example.write_text("\n".join(blocks), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 - our own interpreter.
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(example)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
