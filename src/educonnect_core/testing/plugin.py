"""The pytest plugin of `educonnect_core.testing`, loaded through the ``pytest11`` entry point of
the installed package (the ``testing`` extra brings pytest): no conftest needed.

It asks pytest to rewrite the asserts of the contract suite and of the lifecycle test, so their
failures show the compared values, and gives fixtures of a whole EduConnect in memory:

``educonnect_world``
    a fresh `World` (in-memory storage, fake clock at the rentrée, recording mailer and renderer,
    seeded secrets, fast hasher); ``@pytest.mark.educonnect_world(seed=…, start=…, policy=…)``
    passes arguments to `in_memory_world`;
``educonnect_app``, ``educonnect_clock``, ``educonnect_mailer``, ``educonnect_renderer``,
``educonnect_storage``
    the parts of that world.

Disable it with ``pytest -p no:educonnect``.
"""

from __future__ import annotations

import pytest

# Before anything imports them: pytest rewrites a module's asserts only when it imports it after
# this call (the entry point is loaded before any test module or conftest is collected).
pytest.register_assert_rewrite(
    "educonnect_core.testing.contract",
    "educonnect_core.testing.stateful",
)

from educonnect_core.application import EduConnect  # noqa: E402 - after the rewrite hook.
from educonnect_core.ports import Storage  # noqa: E402
from educonnect_core.testing.fakes import (  # noqa: E402
    FakeClock,
    RecordingMailer,
    RecordingRenderer,
)
from educonnect_core.testing.world import World, in_memory_world  # noqa: E402

__all__ = [
    "educonnect_app",
    "educonnect_clock",
    "educonnect_mailer",
    "educonnect_renderer",
    "educonnect_storage",
    "educonnect_world",
]

_MARKER = "educonnect_world"


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker (``--strict-markers`` runs accept it)."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**kwargs): arguments of in_memory_world() for the educonnect_world fixture",
    )


@pytest.fixture
def educonnect_world(request: pytest.FixtureRequest) -> World:
    """A fresh EduConnect in memory and the fakes behind it (`in_memory_world`)."""
    marker = request.node.get_closest_marker(_MARKER)
    kwargs = {} if marker is None else dict(marker.kwargs)
    return in_memory_world(**kwargs)


@pytest.fixture
def educonnect_app(educonnect_world: World) -> EduConnect:
    """The `EduConnect` of `educonnect_world`."""
    return educonnect_world.app


@pytest.fixture
def educonnect_clock(educonnect_world: World) -> FakeClock:
    """The fake clock of `educonnect_world`: `advance(days=…)` instead of sleeping."""
    return educonnect_world.clock


@pytest.fixture
def educonnect_mailer(educonnect_world: World) -> RecordingMailer:
    """The recording mailer of `educonnect_world` (`sent` holds every e-mail delivered)."""
    return educonnect_world.mailer


@pytest.fixture
def educonnect_renderer(educonnect_world: World) -> RecordingRenderer:
    """The recording renderer of `educonnect_world` (`sheets`, `documents`)."""
    return educonnect_world.renderer


@pytest.fixture
def educonnect_storage(educonnect_world: World) -> Storage:
    """The storage of `educonnect_world`."""
    return educonnect_world.storage
