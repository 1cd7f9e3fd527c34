"""Test support for teams using educonnect-core: an in-memory world, fakes of every port, and
(with the ``testing`` extra, which brings hypothesis) strategies, the lifecycle stateful test and
the storage contract suite in the submodules `strategies`, `stateful` and `contract`.

    >>> from educonnect_core.testing import in_memory_world
    >>> world = in_memory_world(seed=1)
"""

from educonnect_core.testing.fakes import (
    RENTREE,
    FakeClock,
    FastHasher,
    RecordingMailer,
    RecordingRenderer,
    SeededSecrets,
)
from educonnect_core.testing.memory import InMemoryStorage, InMemoryUnitOfWork
from educonnect_core.testing.world import World, in_memory_world
from educonnect_core.testing.wrapping import DelegatingUnitOfWork

__all__ = [
    "RENTREE",
    "DelegatingUnitOfWork",
    "FakeClock",
    "FastHasher",
    "InMemoryStorage",
    "InMemoryUnitOfWork",
    "RecordingMailer",
    "RecordingRenderer",
    "SeededSecrets",
    "World",
    "in_memory_world",
]
