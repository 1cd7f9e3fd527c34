"""`FileSmsOutbox`: the `SmsSender` port writing each SMS to a text file in a folder — for the
embedded default and the demo, like `FileOutbox` for e-mails. A real gateway replaces it (see
docs/guardian.md, « Passerelle SMS »).

Each SMS is ``<folder>/<UTC instant>-<n>.sms``: a ``To:`` line with the number in E.164, a blank
line, the text. Written atomically (a temporary file in the folder, then a hard link that never
replaces a file), never overwritten: two SMS with the same text are two files.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from educonnect_core.errors import DeliveryFailed
from educonnect_mail.files import write_once

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
        names = (self.folder / f"{stamp}-{number}.sms" for number in range(1, 10_000))
        try:
            write_once(self.folder, data, names)
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
