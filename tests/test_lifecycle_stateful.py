"""The lifecycle stateful test on the in-memory storage (adapters run the same machine)."""

from __future__ import annotations

from educonnect_core.testing import InMemoryStorage
from educonnect_core.testing.stateful import lifecycle_test

TestLifecycleInMemory = lifecycle_test(InMemoryStorage)
