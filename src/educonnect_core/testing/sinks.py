"""Document sinks for tests and embedders: one that keeps documents in memory, and one that fails
on purpose at a chosen step, to prove that a document is part of the operation that makes it.
"""

from __future__ import annotations

import attrs

from educonnect_core.domain.records import Document
from educonnect_core.errors import EduconnectError

__all__ = ["FailingSink", "MemorySink", "SinkFailed", "StagedInMemory"]


class SinkFailed(EduconnectError):
    """The test sink refused to stage a document (injected fault)."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        super().__init__(f"cannot stage {filename}")
        self.french = f"Le document {filename} n'a pas pu être enregistré."


@attrs.define
class StagedInMemory:
    """A document staged in a `MemorySink`: published or discarded, once."""

    sink: MemorySink
    document: Document
    state: str = "staged"

    def publish(self) -> str:
        """Move the document to the sink's published documents; returns ``memory:<name>``."""
        self.state = "published"
        self.sink.published.append(self.document)
        return f"memory:{self.document.filename}"

    def discard(self) -> None:
        """Forget the document."""
        self.state = "discarded"
        self.sink.discarded.append(self.document)


@attrs.define
class MemorySink:
    """Keeps what it is given: `staged` (every staging), `published`, `discarded`."""

    staged: list[StagedInMemory] = attrs.Factory(list)
    published: list[Document] = attrs.Factory(list)
    discarded: list[Document] = attrs.Factory(list)

    def stage(self, document: Document) -> StagedInMemory:
        """Hold `document`, not yet published."""
        staged = StagedInMemory(self, document)
        self.staged.append(staged)
        return staged


@attrs.define
class FailingSink:
    """A sink whose every staging fails (a read-only folder, a full disk)."""

    attempts: int = 0

    def stage(self, document: Document) -> StagedInMemory:
        """Refuse, with `SinkFailed`."""
        self.attempts += 1
        raise SinkFailed(document.filename)
