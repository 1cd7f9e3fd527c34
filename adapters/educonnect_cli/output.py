"""Where the command line writes files, and the one rule it keeps there: never delete or overwrite
a file it did not write, and never leave half a file.

- `FolderSink` is the core's ``DocumentSink`` port on a folder: a document is written to a
  temporary file of the target folder (mode 0600, flushed to disk) *before* the operation
  commits, and only moved to its final name (``os.replace``) once it has. If the folder cannot
  take the file (read-only, under a regular file, disk full), staging raises `OutputError` and
  the service commits nothing. It never replaces an existing file (a taken name gets ``-2``…).
- `prepare_out` is the rule every ``--out`` follows: an absent or empty folder is ours; a folder
  we wrote before carries a marker file listing what we wrote, and only those files may be
  replaced; any other non-empty folder is refused.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

import attrs

from educonnect_core import Document, EduconnectError

__all__ = [
    "MARKER",
    "FolderNotOurs",
    "FolderSink",
    "OutputError",
    "StagedFile",
    "french_reason",
    "prepare_out",
    "record_written",
    "write_document",
    "write_new",
]

#: The marker file a command writes in a folder it owns: the list of files it wrote there.
MARKER: Final = ".educonnect-output.json"

_COMPANIONS: Final = ("-wal", "-shm", "-journal")

_REASONS: Final = {
    errno.EACCES: "permission refusée",
    errno.EPERM: "permission refusée",
    errno.EROFS: "le disque est en lecture seule",
    errno.ENOSPC: "le disque est plein",
    errno.EDQUOT: "le quota du disque est atteint",
    errno.ENOTDIR: "un élément du chemin est un fichier, pas un dossier",
    errno.EEXIST: "un fichier porte déjà ce nom",
    errno.EISDIR: "c'est un dossier",
    errno.ENOENT: "dossier introuvable",
    errno.ENAMETOOLONG: "le nom est trop long",
}


def french_reason(error: OSError) -> str:
    """The French reason of a system error (« permission refusée », « le disque est plein »…)."""
    return _REASONS.get(error.errno or 0, "erreur du système de fichiers")


class OutputError(EduconnectError, OSError):
    """A file could not be written where the command was asked to write it; nothing was kept."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}")

    @property
    def french(self) -> str:  # type: ignore[override]
        """The sentence shown to a person."""
        return (
            f"Impossible d'écrire le fichier {self.path} : {self.reason}. "
            "Aucune modification n'a été enregistrée."
        )


class FolderNotOurs(EduconnectError, OSError):
    """``--out`` names a folder holding files the command did not write: it is left alone."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__(f"{folder} is not empty and holds files educonnect did not write")

    @property
    def french(self) -> str:  # type: ignore[override]
        """The sentence shown to a person."""
        return (
            f"Le dossier {self.folder} n'est pas vide et contient des fichiers qu'educonnect "
            "n'a pas écrits : choisissez un dossier vide ou nouveau."
        )


def _written(folder: Path) -> list[str] | None:
    """The files listed in `folder`'s marker, or None when it has no (readable) marker."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return files


def _inside(folder: Path, name: str) -> Path | None:
    """`folder/name` if it stays inside `folder` (a marker is data, not a trusted path)."""
    target = (folder / name).resolve()
    return (
        target if target.is_relative_to(folder.resolve()) and target != folder.resolve() else None
    )


def prepare_out(folder: Path, *, clear: bool = False) -> Path:
    """Make `folder` ready for a command's output and return it.

    An absent folder is created; an empty one is used as is; a folder holding our marker is used,
    and with `clear` the files the marker lists are removed (and nothing else). Any other
    non-empty folder raises `FolderNotOurs`; a folder that cannot be created raises `OutputError`.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            raise OutputError(folder, "ce n'est pas un dossier")
        present = [p for p in folder.iterdir() if p.name != MARKER]
    except OSError as error:
        if isinstance(error, EduconnectError):
            raise
        raise OutputError(folder, french_reason(error)) from error
    written = _written(folder)
    if written is None:
        if present:
            raise FolderNotOurs(folder)
        return folder
    if clear:
        for name in written:
            target = _inside(folder, name)
            if target is not None and target.is_file() and not target.is_symlink():
                target.unlink()
                # SQLite's companions of a database we wrote (made by later commands on it): a
                # stale write-ahead log beside a new database would corrupt it.
                for suffix in _COMPANIONS:
                    target.with_name(target.name + suffix).unlink(missing_ok=True)
        for directory in sorted(
            (p for p in folder.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)
        ):
            if not any(directory.iterdir()):
                directory.rmdir()
        record_written(folder, (), replace=True)
    return folder


def record_written(folder: Path, names: Iterable[str], *, replace: bool = False) -> None:
    """Add `names` (paths relative to `folder`) to `folder`'s marker, atomically."""
    known = [] if replace else (_written(folder) or [])
    files = sorted({*known, *names})
    _replace_atomically(folder / MARKER, json.dumps({"files": files}, indent=1).encode("utf-8"))


def _replace_atomically(target: Path, content: bytes) -> None:
    """Write our own `target` (the marker) through a 0600 temporary file of the same folder."""
    staged = StagedFile.write(target, content)
    try:
        os.replace(staged.temporary, target)
    except OSError as error:
        staged.discard()
        raise OutputError(target, french_reason(error)) from error


def write_new(target: Path, content: bytes) -> Path:
    """Write `content` as a new file `target` (or the next free name): complete or absent."""
    return Path(StagedFile.write(target, content).publish())


def _free(target: Path) -> Path:
    """`target`, or the first of ``stem-2.ext``, ``stem-3.ext``… that no file takes."""
    candidate, number = target, 1
    while candidate.exists() or candidate.is_symlink():
        number += 1
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
    return candidate


@attrs.define
class StagedFile:
    """A document written in full to a temporary file beside its final name, not yet visible."""

    temporary: Path
    target: Path
    #: Called with the final path once published (the sink lists it in the folder's marker).
    on_publish: Callable[[Path], None] | None = None
    done: bool = False

    @classmethod
    def write(cls, target: Path, content: bytes) -> StagedFile:
        """Write `content` (0600, fsync) to a temporary file in `target`'s folder; raises
        `OutputError` (nothing left behind) when the folder cannot take it.
        """
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        except OSError as error:
            raise OutputError(target, french_reason(error)) from error
        temporary = Path(name)
        try:
            with os.fdopen(handle, "wb") as file:
                os.fchmod(file.fileno(), 0o600)
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise OutputError(target, french_reason(error)) from error
        return cls(temporary, target)

    def publish(self) -> str:
        """Move the staged file to its final name; returns that name."""
        try:
            self.target = _free(self.target)
            os.replace(self.temporary, self.target)
        except OSError as error:
            self.discard()
            raise OutputError(self.target, french_reason(error)) from error
        self.done = True
        if self.on_publish is not None:
            self.on_publish(self.target)
        return str(self.target)

    def discard(self) -> None:
        """Remove the staged temporary file (nothing else)."""
        if not self.done:
            self.temporary.unlink(missing_ok=True)
            self.done = True


@attrs.define
class FolderSink:
    """The ``DocumentSink`` port on `folder`: stage before the commit, publish after.

    A sink never replaces a file: when a document's name is already taken in `folder` (two
    notifications in the same second), it gets the next free name (``…-2.pdf``, ``…-3.pdf``).
    """

    folder: Path
    published: list[Path] = attrs.Factory(list)

    def stage(self, document: Document) -> StagedFile:
        """Write `document` to a temporary file of the folder; raising aborts the operation."""
        target = _free(self.folder / Path(document.filename).name)
        staged = StagedFile.write(target, document.content)
        staged.on_publish = self.published.append
        return staged

    def check(self) -> None:
        """Raise `OutputError` now if the folder cannot take a file (read-only, under a regular
        file…): a probe is staged and discarded, so a command fails before it changes anything.
        """
        StagedFile.write(self.folder / ".educonnect-probe", b"").discard()

    def deliver(self, document: Document | None) -> list[Path]:
        """Every file this sink published; `document` is staged and published now if the
        service did not already do it through the sink.
        """
        if document is not None and not self.published:
            self.stage(document).publish()
        return list(self.published)


def write_document(folder: Path, document: Document) -> Path:
    """Stage then publish `document` in `folder` at once (when no transaction waits on it)."""
    sink = FolderSink(folder)
    return Path(sink.stage(document).publish())
