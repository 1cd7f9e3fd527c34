"""Streaming of the records of one AAF XML file (`ficAlimMENESR`), with a hardened C parser.

The file is read in chunks by the standard library's C-accelerated `XMLPullParser` (expat).
Before a chunk reaches it, `PrologGuard` — expat as well, so it tokenises the bytes exactly as
the parser will — reads the prolog up to the root element and refuses (`HostileXml`) a DOCTYPE
with an internal subset: entity declarations can only be written there, so XML bombs and
external entities are refused before anything is expanded; an external DTD subset
(`<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">`) is allowed but never loaded, and
parameter entities are never parsed, so nothing is ever fetched. An entity reference in the body
is then an undefined entity: the file is not well-formed (`UnreadableFile`).

Each record is handed over as soon as its end tag is read, then cleared: memory stays bounded by
one record, whatever the size of the file. An element nested deeper than `MAX_DEPTH` (an AAF
value is at depth 5) is refused as soon as the chunk holding it is parsed, naming its line: a
deep nest costs one chunk of parsing, not a tree of millions of open elements. A record of more
than `MAX_ELEMENTS_PER_RECORD` elements, holding a value longer than `MAX_VALUE_LENGTH`
characters, or spanning more than `MAX_RECORD_BYTES` bytes of the file makes the file hostile.
"""

from __future__ import annotations

import pyexpat
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, Final, cast

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


def _record(element: ET.Element, source: str) -> AafRecord:
    """Build the record from its (complete) element.

    Same reading as the paths ``identifier/id`` (first match), ``operationalAttributes/attr/value``
    (the last is the category), ``attributes/attr`` then ``modifications/modification`` (values
    of one name concatenated in that order), walked over the children directly: ElementPath
    costs more than the parsing itself.
    """
    record_id: str | None = None
    texts: list[str] = []
    found: list[ET.Element] = []
    changes: list[ET.Element] = []
    for part in element:
        tag = part.tag
        if tag == "attributes":
            found.extend(attr for attr in part if attr.tag == "attr")
        elif tag == "modifications":
            changes.extend(attr for attr in part if attr.tag == "modification")
        elif tag == "identifier" and record_id is None:
            for child in part:
                if child.tag == "id":
                    record_id = (child.text or "").strip()
                    break
        elif tag == "operationalAttributes":
            for attr in part:
                if attr.tag == "attr":
                    # Each attribute's first value; the category is the last one found.
                    value = next((v for v in attr if v.tag == "value"), None)
                    if value is not None:
                        texts.append(value.text or "")
    category = texts[-1].strip() if texts else ""
    attributes: dict[str, tuple[str, ...]] = {}
    for attr in (*found, *changes) if changes else found:
        values = tuple([v.text or "" for v in attr if v.tag == "value"])
        texts.extend(values)
        name = attr.get("name", "")
        attributes[name] = attributes[name] + values if name in attributes else values
    if texts and max(map(len, texts)) > MAX_VALUE_LENGTH:
        raise HostileXml(
            source,
            f"valeur de plus de {MAX_VALUE_LENGTH} caractères (enregistrement {record_id or ''})",
        )
    return AafRecord(element.tag, category, record_id or "", attributes)


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


def _chunks(
    stream: BinaryIO, source: str, parser: ET.XMLPullParser[ET.Element], chunk_bytes: int
) -> Iterator[int]:
    """Feed `parser` the file chunk by chunk, each checked by a `PrologGuard` first; yields the
    size of each chunk (0 for the end of the file, once the parser is closed).
    """
    guard = PrologGuard(source)
    while data := stream.read(chunk_bytes):
        guard.feed(data)
        parser.feed(data)
        yield len(data)
    guard.feed(b"", final=True)
    parser.close()
    yield 0


def _records(stream: BinaryIO, source: str, chunk_bytes: int) -> Iterator[AafRecord]:
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    # Only start and end events are asked for: every item is an element.
    events = cast("Callable[[], Iterator[tuple[str, ET.Element]]]", parser.read_events)
    root: ET.Element | None = None
    depth = 0
    inside = 0
    pending = 0  # bytes read since the last record ended
    for size in _chunks(stream, source, parser, chunk_bytes):
        pending += size
        for event, element in events():
            if event == "start":
                depth += 1
                if depth > MAX_DEPTH:
                    raise HostileXml(
                        source,
                        f"éléments imbriqués sur plus de {MAX_DEPTH} niveaux",
                        _line_too_deep(stream, chunk_bytes),
                    )
                if root is None:
                    if element.tag != ROOT:
                        reason = f"élément racine {element.tag!r} au lieu de {ROOT}"
                        raise UnreadableFile(source, reason)
                    root = element
                continue
            depth -= 1
            if depth >= _RECORD_DEPTH:
                inside += 1
                if inside > MAX_ELEMENTS_PER_RECORD:
                    raise HostileXml(
                        source, f"enregistrement de plus de {MAX_ELEMENTS_PER_RECORD} éléments"
                    )
            elif depth == 1 and root is not None:
                if pending > MAX_RECORD_BYTES:
                    break
                inside = 0
                pending = 0
                yield _record(element, source)
                root.clear()
        if pending > MAX_RECORD_BYTES:
            raise HostileXml(
                source, f"enregistrement de plus de {MAX_RECORD_BYTES // (1024 * 1024)} Mio"
            )
