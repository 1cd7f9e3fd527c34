"""The file SMS outbox: each SMS is its own file, written whole, duplicates kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from educonnect_core.errors import DeliveryFailed
from educonnect_mail import FileSmsOutbox


class TestFileSmsOutbox:
    """`FileSmsOutbox` keeps every SMS, never overwrites, and says in French when it cannot."""

    def test_two_identical_sms_are_two_files(self, tmp_path: Path) -> None:
        """The same text sent twice to the same line gives two files, read back in order."""
        outbox = FileSmsOutbox(tmp_path / "sms")
        outbox.send("+33655443322", "code 123456")
        outbox.send("+33655443322", "code 123456")
        assert outbox.texts() == [("+33655443322", "code 123456")] * 2
        assert not list((tmp_path / "sms").glob("*.part"))

    def test_an_unwritable_folder_is_a_delivery_failure(self, tmp_path: Path) -> None:
        """A folder that is a file raises `DeliveryFailed` with a French sentence."""
        blocker = tmp_path / "file"
        blocker.write_text("x")
        with pytest.raises(DeliveryFailed) as failed:
            FileSmsOutbox(blocker).send("+33655443322", "code")
        assert "+33655443322" in failed.value.french
