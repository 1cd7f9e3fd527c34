"""A storage written from the docs alone passes the whole contract and the lifecycle test."""

from __future__ import annotations

from pathlib import Path

from tests.toolkit.dict_storage import DictStorage

from educonnect_core.ports import Storage
from educonnect_core.testing.contract import StorageContract
from educonnect_core.testing.stateful import lifecycle_test

ROOT = Path(__file__).resolve().parents[2]


class TestDictStorage(StorageContract):
    """The from-scratch dict storage of docs/adapters.md keeps every rule of the storage ports."""

    def make_storage(self) -> Storage:
        return DictStorage()


TestLifecycleOnDictStorage = lifecycle_test(DictStorage)


def test_the_docs_show_this_very_storage() -> None:
    """docs/adapters.md shows the whole of tests/toolkit/dict_storage.py, as it is tested here."""
    code = (ROOT / "tests" / "toolkit" / "dict_storage.py").read_text(encoding="utf-8")
    page = (ROOT / "docs" / "adapters.md").read_text(encoding="utf-8")
    assert f"```python\n{code}```" in page
