"""`FolderSink` and `prepare_out`: a document is fully on disk before it appears, never half
written, never over someone's file; a folder is only cleared of what educonnect wrote there.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest

from educonnect_cli import output
from educonnect_cli.output import FolderNotOurs, FolderSink, OutputError, prepare_out
from educonnect_core import Document

DOC = Document("Educonnect-Courriers-20250901090000.pdf", "application/pdf", b"%PDF-1.7 sheets")


class TestFolderSink:
    """Stage writes a hidden 0600 temporary file; publish renames it; discard removes it."""

    def test_stage_then_publish(self, tmp_path: Path) -> None:
        sink = FolderSink(tmp_path)
        staged = sink.stage(DOC)
        assert not (tmp_path / DOC.filename).exists(), "invisible before publish"
        assert staged.temporary.parent == tmp_path
        assert staged.temporary.stat().st_mode & 0o777 == 0o600
        where = staged.publish()
        assert Path(where) == tmp_path / DOC.filename
        assert (tmp_path / DOC.filename).read_bytes() == DOC.content
        assert (tmp_path / DOC.filename).stat().st_mode & 0o777 == 0o600
        assert sorted(p.name for p in tmp_path.iterdir()) == [DOC.filename]
        assert sink.published == [tmp_path / DOC.filename]

    def test_discard_leaves_nothing(self, tmp_path: Path) -> None:
        staged = FolderSink(tmp_path).stage(DOC)
        staged.discard()
        assert not list(tmp_path.iterdir())

    def test_folder_under_a_regular_file(self, tmp_path: Path) -> None:
        (tmp_path / "fichier").write_bytes(b"")
        with pytest.raises(OutputError) as caught:
            FolderSink(tmp_path / "fichier" / "pdf").stage(DOC)
        assert "un élément du chemin est un fichier" in caught.value.french
        assert caught.value.french.startswith("Impossible d'écrire le fichier")

    def test_read_only_folder(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        def refuse(*_args: object, **_kwargs: object) -> tuple[int, str]:
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refuse)  # as root, chmod would not stop us
        with pytest.raises(OutputError) as caught:
            FolderSink(tmp_path).stage(DOC)
        assert "permission refusée" in caught.value.french

    def test_disk_full_leaves_no_temporary_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def full(_fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fsync", full)
        with pytest.raises(OutputError) as caught:
            FolderSink(tmp_path).stage(DOC)
        assert "le disque est plein" in caught.value.french
        assert not list(tmp_path.iterdir()), "the partial temporary file is removed"

    def test_an_existing_file_is_never_replaced(self, tmp_path: Path) -> None:
        (tmp_path / DOC.filename).write_bytes(b"someone's")
        where = Path(FolderSink(tmp_path).stage(DOC).publish())
        assert (tmp_path / DOC.filename).read_bytes() == b"someone's"
        assert where.name == "Educonnect-Courriers-20250901090000-2.pdf"
        assert where.read_bytes() == DOC.content

    def test_check_probes_without_leaving_anything(self, tmp_path: Path) -> None:
        FolderSink(tmp_path / "new").check()
        assert not list((tmp_path / "new").iterdir())


class TestPrepareOut:
    """Only an absent, empty, or previously-ours folder is used; only our files are removed."""

    def test_absent_and_empty(self, tmp_path: Path) -> None:
        assert prepare_out(tmp_path / "empty", clear=True) == tmp_path / "empty"
        assert prepare_out(tmp_path / "a" / "b", clear=True).is_dir()

    def test_foreign_folder_refused(self, tmp_path: Path) -> None:
        (tmp_path / "x.txt").write_text("x", encoding="utf-8")
        with pytest.raises(FolderNotOurs) as caught:
            prepare_out(tmp_path, clear=True)
        assert "n'est pas vide" in caught.value.french
        assert (tmp_path / "x.txt").exists()

    def test_clear_removes_only_listed_files(self, tmp_path: Path) -> None:
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "ours.pdf").write_bytes(b"1")
        (tmp_path / "theirs.txt").write_bytes(b"2")
        output.record_written(tmp_path, ["sub/ours.pdf", "../outside.txt", "/etc/passwd"])
        (tmp_path.parent / "outside.txt").write_bytes(b"3")
        prepare_out(tmp_path, clear=True)
        assert not (tmp_path / "sub").exists()
        assert (tmp_path / "theirs.txt").read_bytes() == b"2"
        assert (tmp_path.parent / "outside.txt").read_bytes() == b"3", "a marker is not trusted"
        os.unlink(tmp_path.parent / "outside.txt")
