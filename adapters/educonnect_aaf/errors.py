"""The feed's errors: a whole run that cannot be read is refused before anything is integrated.

A record with an invalid field is not an error: it is a `Rejection` in the reading's result. The
errors here stop the whole run (atomicity: nothing is applied when one file is unreadable).
"""

from __future__ import annotations

from educonnect_core.errors import EduconnectError

__all__ = ["FeedError", "FeedNotFound", "HostileXml", "UnreadableFile"]


class FeedError(EduconnectError):
    """The directory feed cannot be read as a whole; nothing was integrated.

    `source` names the file (or folder), `reason` says what is wrong (in French, for the person
    running the import), `line` is the line of the file where it went wrong, when known.
    """

    def __init__(self, source: str, reason: str, line: int | None = None) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        where = f" (line {line})" if line is not None else ""
        super().__init__(f"{source}{where}: {reason}")

    @property
    def french(self) -> str:  # type: ignore[override]
        """The sentence shown to a person."""
        where = f", ligne {self.line}" if self.line is not None else ""
        return (
            f"Le fichier {self.source}{where} ne peut pas être lu : {self.reason}. "
            "Aucune donnée n’a été intégrée."
        )


class FeedNotFound(FeedError):
    """The path holds no feed the library knows (no AAF files, no ONDE extraction), or a file
    of the run is missing (a gap in the numbered chunks).
    """


class UnreadableFile(FeedError):
    """A file is empty, truncated, not well-formed, not in the expected encoding, or not of the
    expected layout (root element, CSV header).
    """


class HostileXml(FeedError):
    """A file declares entities (XML bomb), references external resources, or exceeds the size
    limits of a record: refused without being expanded or fetched.
    """
