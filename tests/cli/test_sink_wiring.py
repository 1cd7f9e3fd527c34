"""Once the services take the CLI's `FolderSink` (``sink=``, issue 9 item 2), a sheet or an export
that cannot be written *while* the operation runs (disk full after the folder check) commits
nothing. These tests need the director's `DocumentSink` port wired in `commands/actions.py`
(one ``sink=sink`` argument per call); before that merge they fail, by design.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from tests.cli.conftest import UAI, cli, states


def _disk_full_for_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fsync fails with ENOSPC for any non-empty file (the folder's empty probe still passes)."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if os.fstat(fd).st_size > 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


class TestDiskFullCommitsNothing:
    """Disk full while the sheets are written: one French sentence, exit 1, nothing committed."""

    def test_notify_paper(self, school: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        _disk_full_for_documents(monkeypatch)
        code, out = cli(
            school,
            "notify",
            UAI,
            "--all",
            "--reset",
            "--channel",
            "paper",
            "--out",
            str(school),
            "--yes",
        )
        assert code == 1
        assert "le disque est plein" in out
        monkeypatch.undo()
        assert states(school) == {"NOT_NOTIFIED"}, "no account notified without its sheet"
        assert not list(school.glob("*.pdf"))
        assert not list(school.glob(".Educonnect*"))
