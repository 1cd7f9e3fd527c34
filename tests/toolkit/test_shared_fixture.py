"""Under CI a test that needs ../shared fails when it is absent, instead of skipping quietly."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests import conftest


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_shared_folder_fails_under_ci(
    ci: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With CI set and no shared folder, the `shared` fixture fails the test."""
    monkeypatch.setattr(conftest, "SHARED", tmp_path / "absent")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="under CI"):
        conftest.shared_folder()


def test_missing_shared_folder_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without CI the same absence is a skip that says what is missing."""
    monkeypatch.setattr(conftest, "SHARED", tmp_path / "absent")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="absent"):
        conftest.shared_folder()


def test_present_shared_folder_is_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Where the folder exists, it is what the fixture gives, CI or not."""
    monkeypatch.setattr(conftest, "SHARED", tmp_path)
    monkeypatch.setenv("CI", "true")
    assert conftest.shared_folder() == tmp_path
