"""The pytest plugin works in an outside project: fixtures without a conftest, readable asserts."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

OUTSIDE_TESTS = """
from datetime import UTC, datetime, timedelta

import pytest


def test_fixtures(educonnect_world, educonnect_clock, educonnect_app, educonnect_mailer,
                  educonnect_renderer, educonnect_storage):
    assert educonnect_clock is educonnect_world.clock
    assert educonnect_app is educonnect_world.app
    assert educonnect_mailer.sent == []
    assert educonnect_renderer is educonnect_world.renderer
    assert educonnect_storage is educonnect_world.storage
    before = educonnect_clock.now()
    educonnect_clock.advance(days=1)
    assert educonnect_app.runtime.clock.now() - before == timedelta(days=1)


@pytest.mark.educonnect_world(start=datetime(2030, 1, 2, tzinfo=UTC))
def test_marker(educonnect_clock):
    assert educonnect_clock.now() == datetime(2030, 1, 2, tzinfo=UTC)
"""

BROKEN_STORAGE_TESTS = '''
from educonnect_core.testing import InMemoryStorage
from educonnect_core.testing.contract import DirectoryContract


class Reversed(InMemoryStorage):
    """Gives a school's pupils in the wrong order."""

    def unit_of_work(self):
        uow = super().unit_of_work()
        students_in = uow.directory.students_in
        uow.directory.students_in = lambda uais: list(reversed(students_in(uais)))
        return uow


class TestReversed(DirectoryContract):
    def make_storage(self):
        return Reversed()
'''


def test_fixtures_need_no_conftest(pytester: pytest.Pytester) -> None:
    """A project with no conftest gets `educonnect_world`, `educonnect_clock` and the others,
    and the `educonnect_world` marker (accepted under --strict-markers) passes its arguments.
    """
    pytester.makepyfile(test_outside=OUTSIDE_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=2)


def test_contract_failures_show_the_values(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A contract test failing in an outside project shows the compared lists (assert
    rewriting), whether the plugin comes from the entry point or from ``-p``; with plugins not
    loaded at all the same failure is a bare AssertionError.
    """
    pytester.makepyfile(test_broken=BROKEN_STORAGE_TESTS)
    args = ("-p", "no:cacheprovider", "-k", "students_links")
    readable = ["*assert [[]Student(*== [[]Student(*", "*At index 0 diff*"]
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(readable)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    bare = pytester.runpytest_subprocess(*args)
    bare.assert_outcomes(failed=1)
    assert "At index 0 diff" not in bare.stdout.str()
    named = pytester.runpytest_subprocess(*args, "-p", "educonnect_core.testing.plugin")
    named.assert_outcomes(failed=1)
    named.stdout.fnmatch_lines(readable)
