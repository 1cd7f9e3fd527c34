"""The lifecycle stateful test fails fast, naming the message, on a storage that loses e-mails."""

from __future__ import annotations

import time
import unittest

from hypothesis import settings
from tests.toolkit.doubles import LosingOutboxStorage

from educonnect_core.testing.stateful import lifecycle_test

#: Measured at about 0.1-0.3 s on a shared 2-core machine; it took 2 to 13 minutes of shrinking
#: (then a KeyError) before. The bound leaves room for a loaded CI runner.
BOUND_SECONDS = 60


def test_a_lost_outbox_message_fails_fast_and_is_named() -> None:
    """On a storage that loses every outbox message, the lifecycle test fails within the bound
    with an assertion that says « lost outbox message » and names the e-mail and its login.
    """
    case = lifecycle_test(LosingOutboxStorage)
    case.settings = settings(  # type: ignore[attr-defined]
        case.settings,  # type: ignore[attr-defined]
        max_examples=200,
        stateful_step_count=20,
        deadline=None,
        database=None,
        derandomize=True,
    )
    result = unittest.TestResult()
    started = time.perf_counter()
    case("runTest").run(result)
    elapsed = time.perf_counter() - started
    problems = result.errors + result.failures
    assert problems, "the lifecycle test passed on a storage that loses every e-mail"
    report = problems[0][1]
    assert "KeyError" not in report
    assert "AssertionError: lost outbox message: the " in report
    assert "was committed but never delivered" in report
    assert elapsed < BOUND_SECONDS, f"took {elapsed:.1f} s"
