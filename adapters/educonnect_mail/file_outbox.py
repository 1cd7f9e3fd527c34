"""`FileOutbox`: the `Mailer` port writing each e-mail to a ``.eml`` file in a folder — for the
embedded default (no SMTP server) and the demo. Any mail client opens the files.

Idempotent by `message_id`: a message is written once, atomically (a temporary file then a hard
link, which refuses to replace an existing file), so a retry never writes it twice and a reader
never sees half a file.
"""

from __future__ import annotations

import email
import hashlib
import os
import re
from collections.abc import Sequence
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Final

from educonnect_core.domain.records import OutboxMessage
from educonnect_core.errors import EduconnectError
from educonnect_core.services.relay import send_each
from educonnect_mail.errors import ServerUnavailable
from educonnect_mail.files import write_once
from educonnect_mail.message import Sender, outgoing_bytes

__all__ = ["FileOutbox"]

_SAFE_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class FileOutbox:
    """Writes every message as ``<folder>/<message_id>.eml`` (implements `Mailer`)."""

    def __init__(
        self, folder: str | os.PathLike[str], sender: Sender, *, html: bool = True
    ) -> None:
        self.folder = Path(folder)
        self.sender = sender
        self.html = html

    def __repr__(self) -> str:
        return f"<FileOutbox {self.folder}>"

    def path_of(self, message_id: str) -> Path:
        """Where the message with this id is (or will be) written."""
        name = (
            message_id
            if _SAFE_ID.fullmatch(message_id)
            else hashlib.sha256(message_id.encode("utf-8")).hexdigest()
        )
        return self.folder / f"{name}.eml"

    def send(self, message: OutboxMessage) -> None:
        """Write `message` unless a file for its id is already there. A folder that cannot be
        written, or a name taken by something that is not a file, raises `ServerUnavailable`
        naming the message and the recipient.
        """
        self._write(message, None)

    def _write(self, message: OutboxMessage, encoded: dict[str, bytes] | None) -> None:
        target = self.path_of(message.message_id)
        if target.is_file():
            return
        data = outgoing_bytes(message, self.sender, html=self.html, encoded=encoded)
        try:
            written = write_once(self.folder, data, [target])
        except OSError as error:
            raise ServerUnavailable(
                message.message_id, message.to.value, f"cannot write {target}: {error.strerror}"
            ) from error
        if written is None and not target.is_file():  # the name is taken by something else
            raise ServerUnavailable(
                message.message_id, message.to.value, f"cannot write {target}: name taken"
            )

    def send_many(self, messages: Sequence[OutboxMessage]) -> list[EduconnectError | None]:
        """`send` each message in order: a file that cannot be written fails that message only
        (each file is its own session).
        """
        encoded: dict[str, bytes] = {}  # the batch's encoded lines, dropped with it
        return send_each(lambda message: self._write(message, encoded), messages)

    def paths(self) -> list[Path]:
        """The ``.eml`` files written so far, by name."""
        if not self.folder.is_dir():
            return []
        return sorted(path for path in self.folder.glob("*.eml") if path.is_file())

    def messages(self) -> list[EmailMessage]:
        """The e-mails written so far, parsed back, in the order of `paths()`."""
        parsed: list[EmailMessage] = []
        for path in self.paths():
            message = email.message_from_bytes(path.read_bytes(), policy=email_policy.default)
            assert isinstance(message, EmailMessage)  # noqa: S101 - the default policy's class.
            parsed.append(message)
        return parsed
