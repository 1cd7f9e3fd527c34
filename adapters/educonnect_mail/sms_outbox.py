"""`FileSmsOutbox`: the `SmsSender` port writing each SMS to a text file in a folder — for the
embedded default and the demo, like `FileOutbox` for e-mails. A real gateway replaces it (see
docs/guardian.md, « Passerelle SMS »).

Each SMS is ``<folder>/<UTC instant>-<n>.sms``: a ``To:`` line with the number in E.164, a blank
line, the text. Written atomically (a temporary file in the folder, then a hard link that never
replaces a file), never overwritten: two SMS with the same text are two files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from educonnect_core.errors import DeliveryFailed

__all__ = ["FileSmsOutbox"]


class FileSmsOutbox:
    """Writes every SMS as a ``.sms`` file in `folder` (implements `SmsSender`)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"<FileSmsOutbox {self.folder}>"

    def send(self, line: str, text: str) -> None:
        """Write one SMS to `line`; a folder that cannot be written raises `DeliveryFailed`."""
        data = f"To: {line}\n\n{text}\n".encode()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                for number in range(1, 10_000):
                    target = self.folder / f"{stamp}-{number}.sms"
                    with contextlib.suppress(FileExistsError):
                        os.link(temporary, target)
                        break
            finally:
                os.unlink(temporary)
        except OSError as error:
            raise DeliveryFailed("sms", line, f"cannot write in {self.folder}") from error

    def paths(self) -> list[Path]:
        """The ``.sms`` files written so far, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.sms"))

    def texts(self) -> list[tuple[str, str]]:
        """(line, text) of every SMS written so far, oldest first."""
        found = []
        for path in self.paths():
            head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
            found.append((head.removeprefix("To: "), body.rstrip("\n")))
        return found
