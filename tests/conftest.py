"""Hypothesis profiles (`ci` thorough, `dev` quick) and shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "dev",
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: The shared folder of the workplace (SPEC, the guides, the feed samples), beside the checkout.
SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared_folder() -> Path:
    """`SHARED`, or a skip where it is absent — a failure under CI (``CI=true``), where a test
    silently skipped for missing data would hide that it never ran.
    """
    if not SHARED.is_dir():
        reason = f"{SHARED} is absent (the workplace's shared folder; CI always has it)"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"{reason}; under CI this is a failure, not a skip")
        pytest.skip(reason)
    return SHARED


@pytest.fixture
def shared() -> Path:
    """The `../shared` folder; tests that need it skip with a clear reason where it is absent,
    and fail under CI.
    """
    return shared_folder()
