"""Streaming of the records of one AAF XML file (`ficAlimMENESR`), with a hardened C parser.

The file is read in chunks by the standard library's C-accelerated `XMLParser` (expat), which
builds the tree with no event reported once the root has started: no Python runs per element.
Before a chunk reaches it, `PrologGuard` — expat as well, so it tokenises the bytes exactly as
the parser will — reads the prolog up to the root element and refuses (`HostileXml`) a DOCTYPE
with an internal subset: entity declarations can only be written there, so XML bombs and
external entities are refused before anything is expanded; an external DTD subset
(`<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">`) is allowed but never loaded, and
parameter entities are never parsed, so nothing is ever fetched. An entity reference in the body
is then an undefined entity: the file is not well-formed (`UnreadableFile`).

After each chunk, the records it completed (every child of the root but the last, which may
still be open) are handed over and dropped from the tree: memory stays bounded by one chunk's
records and the open one, whatever the size of the file. An element nested deeper than
`MAX_DEPTH` (an AAF value is at depth 5) is refused as soon as the chunk holding it is parsed,
naming its line (the open path is checked at every chunk, each complete record when it is
handed over): a deep nest costs one chunk of parsing, not a tree of millions of open elements.
A record of more than `MAX_ELEMENTS_PER_RECORD` elements, holding a value longer than
`MAX_VALUE_LENGTH` characters, or spanning more than `MAX_RECORD_BYTES` bytes of the file makes
the file hostile.
"""

from __future__ import annotations

import pyexpat
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, Final

import attrs

from educonnect_aaf.errors import HostileXml, UnreadableFile

__all__ = [
    "MAX_DEPTH",
    "MAX_ELEMENTS_PER_RECORD",
    "MAX_RECORD_BYTES",
    "MAX_VALUE_LENGTH",
    "OPERATIONS",
    "ROOT",
    "AafRecord",
    "PrologGuard",
    "iter_records",
]

ROOT: Final = "ficAlimMENESR"
OPERATIONS: Final = frozenset({"addRequest", "modifyRequest", "deleteRequest"})
MAX_ELEMENTS_PER_RECORD: Final = 20_000
#: How deep elements may nest: ficAlimMENESR › addRequest › attributes › attr › value is 5.
MAX_DEPTH: Final = 16
MAX_VALUE_LENGTH: Final = 10_000
#: Bytes of the file one record (or the text between two records) may span: a real record is
#: about 2 kB; this bounds the parser's memory even for one huge text node.
MAX_RECORD_BYTES: Final = 8 * 1024 * 1024
#: Bytes read and parsed at a time (16 KiB keeps the parser's buffers in the CPU cache).
CHUNK_BYTES: Final = 16 * 1024
_RECORD_DEPTH: Final = 2


@attrs.frozen
class AafRecord:
    """One `addRequest` (or `modifyRequest` / `deleteRequest`) of an AAF file.

    `attributes` maps each attribute name to its values in order (an empty `<value/>` is ``""``);
    for a `modifyRequest` they are the `modification` elements. `record_id` is ``""`` when the
    record has no `identifier/id`; `category` is the value of `categoriePersonne` /
    `categorieStructure`.
    """

    operation: str
    category: str
    record_id: str
    attributes: Mapping[str, tuple[str, ...]]

    def first(self, name: str) -> str:
        """The first value of attribute `name`, stripped; ``""`` if absent or empty."""
        values = self.attributes.get(name, ())
        return values[0].strip() if values else ""

    def values(self, name: str) -> tuple[str, ...]:
        """The non-empty values of attribute `name`, stripped, in order."""
        return tuple(v.strip() for v in self.attributes.get(name, ()) if v.strip())


class _RootReached(Exception):
    """The prolog is over (internal control flow of `PrologGuard`)."""


class PrologGuard:
    """Expat reading the bytes of a file *before* the parser does, until the root element starts.

    `feed` raises `HostileXml` on a DOCTYPE with an internal subset, an entity or notation
    declaration or an external entity reference, and `UnreadableFile` when the prolog is not
    well-formed. Once `done`, the rest of the file needs no checking: a DOCTYPE can only come
    before the root element.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.done = False
        self._expat = pyexpat.ParserCreate()
        self._expat.StartDoctypeDeclHandler = self._doctype
        self._expat.EntityDeclHandler = self._declaration
        self._expat.UnparsedEntityDeclHandler = self._declaration
        self._expat.NotationDeclHandler = self._declaration
        self._expat.ExternalEntityRefHandler = self._external
        self._expat.StartElementHandler = self._root

    def _doctype(self, name: str, system: str | None, public: str | None, internal: int) -> None:
        if internal:
            raise HostileXml(self.source, "DTD interne interdite (déclarations d’entités)")

    def _declaration(self, name: str | None, *_: object) -> None:
        raise HostileXml(self.source, f"déclaration d’entité ou de notation interdite ({name})")

    def _external(self, *_: object) -> int:
        raise HostileXml(self.source, "référence externe interdite")

    def _root(self, name: str, attributes: object) -> None:
        raise _RootReached

    def feed(self, data: bytes, *, final: bool = False) -> None:
        """Check the next bytes of the file (no-op once the root element has started)."""
        if self.done:
            return
        try:
            self._expat.Parse(data, final)
        except _RootReached:
            self.done = True
        except pyexpat.ExpatError as error:
            raise _unreadable(self.source, pyexpat.ErrorString(error.code), error.lineno) from error


def _unreadable(source: str, message: str, line: int | None) -> UnreadableFile:
    if "invalid token" in message or "encoding" in message:
        reason = f"caractère invalide, fichier mal formé ou mal encodé (UTF-8 attendu) [{message}]"
    elif "no element found" in message or "unclosed token" in message:
        reason = f"fichier vide ou tronqué [{message}]"
    else:
        reason = f"XML mal formé [{message}]"
    return UnreadableFile(source, reason, line)


def _record(element: ET.Element, source: str, too_deep: Callable[[], HostileXml]) -> AafRecord:
    """Build the record from its (complete) element, after checking its size and depth.

    Same reading as the paths ``identifier/id`` (first match), ``operationalAttributes/attr/value``
    (the last is the category), ``attributes/attr`` then ``modifications/modification`` (values
    of one name concatenated in that order), walked over the children directly in one pass
    (`_Parts`): ElementPath costs more than the parsing itself. The walk also counts the
    elements of the record's first three levels: when they are all its elements, nothing is
    nested deeper than depth 5 and the exact depth walk is not needed.
    """
    inside = len(list(element.iter())) - 1
    if inside > MAX_ELEMENTS_PER_RECORD:
        raise HostileXml(source, f"enregistrement de plus de {MAX_ELEMENTS_PER_RECORD} éléments")
    parts = _Parts(element)
    if parts.shallow != inside and _too_deep(element, _RECORD_DEPTH):
        raise too_deep()
    if parts.texts and max(map(len, parts.texts)) > MAX_VALUE_LENGTH:
        raise HostileXml(
            source,
            f"valeur de plus de {MAX_VALUE_LENGTH} caractères "
            f"(enregistrement {parts.record_id or ''})",
        )
    category = (parts.category or "").strip()
    return AafRecord(element.tag, category, parts.record_id or "", parts.attributes)


class _Parts:
    """What one walk over a record's three first levels finds (see `_record`)."""

    __slots__ = ("attributes", "category", "record_id", "shallow", "texts")

    def __init__(self, element: ET.Element) -> None:
        self.record_id: str | None = None
        self.category: str | None = None
        #: Every value read (their length is checked).
        texts: list[str] = []
        attributes: dict[str, tuple[str, ...]] = {}
        self.texts, self.attributes = texts, attributes
        changes: list[tuple[str, tuple[str, ...]]] = []
        shallow = len(element)
        for part in element:
            shallow += len(part)
            if part.tag != "attributes":
                shallow += self._other(part, changes)
                continue
            # The usual part, walked here rather than in a method: it is most of the reading.
            for attr in part:
                count = len(attr)
                shallow += count
                if attr.tag != "attr":
                    continue
                if count == 1:  # the usual attribute: one value
                    value = attr[0]
                    values: tuple[str, ...] = (value.text or "",) if value.tag == "value" else ()
                else:
                    values = tuple([v.text or "" for v in attr if v.tag == "value"])
                texts += values
                if (name := attr.get("name", "")) in attributes:
                    attributes[name] += values
                else:
                    attributes[name] = values
        #: How many elements the record has at depths 3, 4 and 5.
        self.shallow = shallow
        # Modifications come after every ``attributes`` part's values, whatever the file order.
        for name, values in changes:
            attributes[name] = attributes[name] + values if name in attributes else values

    def _other(self, part: ET.Element, changes: list[tuple[str, tuple[str, ...]]]) -> int:
        """A ``modifications``, ``identifier``, ``operationalAttributes`` or unknown part of the
        record; gives how many grandchildren it has.
        """
        tag = part.tag
        if tag == "modifications":
            for attr in part:
                if attr.tag == "modification":
                    values = tuple([v.text or "" for v in attr if v.tag == "value"])
                    self.texts += values
                    changes.append((attr.get("name", ""), values))
        elif tag == "identifier" and self.record_id is None:
            if (text := _first_text(part, "id")) is not None:
                self.record_id = text.strip()
        elif tag == "operationalAttributes":
            # Each attribute's first value; the category is the last one found.
            for attr in part:
                if attr.tag == "attr" and (text := _first_text(attr, "value")) is not None:
                    self.texts.append(text)
                    self.category = text
        return sum(map(len, part))


def _first_text(element: ET.Element, tag: str) -> str | None:
    """The text of the first child `tag` of `element` (``""`` when empty), None if none."""
    for child in element:
        if child.tag == tag:
            return child.text or ""
    return None


def _too_deep(element: ET.Element, depth: int) -> bool:
    """Whether an element of `element`'s subtree (`element` being at `depth`) is deeper than
    `MAX_DEPTH` (an explicit stack: a nest must not exhaust Python's own).
    """
    stack = [(element, depth)]
    while stack:
        node, level = stack.pop()
        if level > MAX_DEPTH:
            return True
        stack.extend((child, level + 1) for child in node)
    return False


def _open_too_deep(root: ET.Element) -> bool:
    """Whether the chain of last children from `root` — it holds every element still open —
    goes deeper than `MAX_DEPTH` (walks at most `MAX_DEPTH` elements).
    """
    node, depth = root, 1
    while len(node):
        node, depth = node[-1], depth + 1
        if depth > MAX_DEPTH:
            return True
    return False


def iter_records(
    path: Path, source: str | None = None, *, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[AafRecord]:
    """Yield the records of the AAF file at `path`, one at a time, in file order.

    Raises `UnreadableFile` (empty, truncated, not well-formed, wrong encoding, wrong root
    element) or `HostileXml` (entities, external references, oversized record); a caller that
    needs atomicity reads every file before using any record.
    """
    name = source or path.name
    try:
        with path.open("rb") as stream:
            yield from _records(stream, name, chunk_bytes)
    except ET.ParseError as error:
        line = error.position[0] if error.position else None
        raise _unreadable(name, str(error).split(":", 1)[0], line) from error
    except (LookupError, UnicodeError, ValueError) as error:
        raise UnreadableFile(name, f"encodage déclaré inconnu ou incorrect ({error})") from error
    except OSError as error:
        raise UnreadableFile(name, f"lecture impossible ({error.strerror or error})") from error


def _line_too_deep(stream: BinaryIO, chunk_bytes: int) -> int | None:
    """The line of the first element nested deeper than `MAX_DEPTH`, found by reading the file
    again from its start with a bare expat that only counts depth (`None` when the stream cannot
    be read again). Only called on a file already found hostile.
    """
    expat = pyexpat.ParserCreate()
    depth = 0

    def start(name: str, attributes: object) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _RootReached

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    expat.StartElementHandler = start
    expat.EndElementHandler = end
    try:
        stream.seek(0)
        while data := stream.read(chunk_bytes):
            expat.Parse(data, False)
    except _RootReached:
        return int(expat.CurrentLineNumber)
    except (OSError, ValueError, pyexpat.ExpatError):
        return None
    return None


def _parser() -> tuple[ET.XMLParser[ET.Element], deque[tuple[str, ET.Element]]]:
    """The C parser building the tree, reporting only `start` events into the queue it gives
    back (`_records` takes the root from the first, then turns the events off).

    ``XMLParser._setevents`` is the hook `XMLPullParser` and `iterparse` are built on; called
    directly, it lets the parser report the root's start and then nothing: no Python runs per
    element, and the records are taken from the tree between two chunks.
    """
    # S314: every byte goes through `PrologGuard` first (no entity can be declared).
    parser: ET.XMLParser[ET.Element] = ET.XMLParser(target=ET.TreeBuilder())  # noqa: S314
    queue: deque[tuple[str, ET.Element]] = deque()
    parser._setevents(queue, ("start",))  # type: ignore[attr-defined]
    return parser, queue


class _Tree:
    """One file being parsed: the tree the C parser builds, from which the complete records
    are taken between two chunks.
    """

    def __init__(self, stream: BinaryIO, source: str, chunk_bytes: int) -> None:
        self.stream, self.source, self.chunk_bytes = stream, source, chunk_bytes
        self.guard = PrologGuard(source)
        self.parser, self.queue = _parser()
        self.root: ET.Element | None = None
        self.pending = 0  # bytes read since the chunk where the last record ended

    def too_deep(self) -> HostileXml:
        """The refusal of a nest deeper than `MAX_DEPTH`, naming the line where it goes over."""
        reason = f"éléments imbriqués sur plus de {MAX_DEPTH} niveaux"
        return HostileXml(self.source, reason, _line_too_deep(self.stream, self.chunk_bytes))

    def feed(self, data: bytes) -> ET.ParseError | None:
        """Parse the next chunk (``b""``: the end of the file); a parse error is given back, to
        be raised once what was read before it is checked and handed over.
        """
        try:
            if data:
                self.guard.feed(data)
                self.parser.feed(data)
            else:
                self.guard.feed(b"", final=True)
                self.parser.close()
        except ET.ParseError as error:
            return error
        finally:
            self.pending += len(data)
        return None

    def complete(self, *, final: bool) -> list[ET.Element]:
        """Check the root and the record still open, then take the complete records out of the
        tree: every child of the root but the last, which may still be open (all, if `final`).
        """
        root, queue = self.root, self.queue
        if root is None and queue:
            root = self.root = queue[0][1]
            if root.tag != ROOT:
                reason = f"élément racine {root.tag!r} au lieu de {ROOT}"
                raise UnreadableFile(self.source, reason)
            self.parser._setevents(queue, ())  # type: ignore[attr-defined]
        queue.clear()
        done: list[ET.Element] = []
        if root is not None and len(root):
            if _open_too_deep(root):
                raise self.too_deep()
            if len(list(root[-1].iter())) - 1 > MAX_ELEMENTS_PER_RECORD:
                reason = f"enregistrement de plus de {MAX_ELEMENTS_PER_RECORD} éléments"
                raise HostileXml(self.source, reason)
            last = len(root) if final else len(root) - 1
            if last and self.pending <= MAX_RECORD_BYTES:
                done = root[:last]
                del root[:last]
                self.pending = 0
        if self.pending > MAX_RECORD_BYTES:
            reason = f"enregistrement de plus de {MAX_RECORD_BYTES // (1024 * 1024)} Mio"
            raise HostileXml(self.source, reason)
        return done


def _records(stream: BinaryIO, source: str, chunk_bytes: int) -> Iterator[AafRecord]:
    """Feed the file chunk by chunk (each checked by a `PrologGuard` first); after each chunk,
    check the record still open (depth of its open elements, element count) and hand over the
    records the chunk completed. Memory is the open record and one chunk's records.
    """
    tree = _Tree(stream, source, chunk_bytes)
    while True:
        data = stream.read(chunk_bytes)
        failed = tree.feed(data)
        for element in tree.complete(final=not data and failed is None):
            yield _record(element, source, tree.too_deep)
        if failed is not None:
            raise failed
        if not data:
            return
