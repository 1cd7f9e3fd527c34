"""Streaming of the records of one AAF XML file (`ficAlimMENESR`), with a hardened parser.

The file is read with `defusedxml`'s iterparse: entity declarations (XML bombs), external
entities and external DTD subsets are refused (`HostileXml`), nothing is ever fetched; the DOCTYPE
line that references the DTD by relative path is allowed but the DTD is not loaded. Each record is
handed over as soon as its end tag is read, then cleared: memory stays bounded by one record,
whatever the size of the file. A record larger than `MAX_ELEMENTS_PER_RECORD` elements or holding a
value longer than `MAX_VALUE_LENGTH` characters makes the file hostile.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, Final

import attrs
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from educonnect_aaf.errors import HostileXml, UnreadableFile

__all__ = [
    "MAX_ELEMENTS_PER_RECORD",
    "MAX_VALUE_LENGTH",
    "OPERATIONS",
    "ROOT",
    "AafRecord",
    "iter_records",
]

ROOT: Final = "ficAlimMENESR"
OPERATIONS: Final = frozenset({"addRequest", "modifyRequest", "deleteRequest"})
MAX_ELEMENTS_PER_RECORD: Final = 20_000
MAX_VALUE_LENGTH: Final = 10_000
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


def _text(element: ET.Element, source: str, record_id: str) -> str:
    text = element.text or ""
    if len(text) > MAX_VALUE_LENGTH:
        raise HostileXml(
            source, f"valeur de plus de {MAX_VALUE_LENGTH} caractères (enregistrement {record_id})"
        )
    return text


def _record(element: ET.Element, source: str) -> AafRecord:
    """Build the record from its (complete) element."""
    id_element = element.find("identifier/id")
    record_id = (id_element.text or "").strip() if id_element is not None else ""
    category = ""
    for attr in element.iterfind("operationalAttributes/attr"):
        value = attr.find("value")
        if value is not None:
            category = _text(value, source, record_id).strip()
    attributes: dict[str, tuple[str, ...]] = {}
    found = (*element.iterfind("attributes/attr"), *element.iterfind("modifications/modification"))
    for attr in found:
        name = attr.get("name", "")
        values = tuple(_text(v, source, record_id) for v in attr.iterfind("value"))
        attributes[name] = attributes.get(name, ()) + values
    return AafRecord(element.tag, category, record_id, attributes)


def _parse_error(source: str, error: ET.ParseError) -> UnreadableFile:
    line, _column = getattr(error, "position", (None, None))
    message = str(error).split(":", 1)[0]
    if "invalid token" in message or "encoding" in message:
        reason = f"caractère invalide, fichier mal formé ou mal encodé (UTF-8 attendu) [{message}]"
    elif "no element found" in message or "unclosed token" in message:
        reason = f"fichier vide ou tronqué [{message}]"
    else:
        reason = f"XML mal formé [{message}]"
    return UnreadableFile(source, reason, line)


def iter_records(path: Path, source: str | None = None) -> Iterator[AafRecord]:
    """Yield the records of the AAF file at `path`, one at a time, in file order.

    Raises `UnreadableFile` (empty, truncated, not well-formed, wrong encoding, wrong root
    element) or `HostileXml` (entities, external references, oversized record); a caller that
    needs atomicity reads every file before using any record.
    """
    name = source or path.name
    try:
        with path.open("rb") as stream:
            yield from _records(stream, name)
    except DefusedXmlException as error:
        reason = f"entités, DTD ou références externes interdites ({type(error).__name__})"
        raise HostileXml(name, reason) from error
    except ET.ParseError as error:
        raise _parse_error(name, error) from error
    except (LookupError, UnicodeError) as error:
        raise UnreadableFile(name, f"encodage déclaré inconnu ou incorrect ({error})") from error
    except OSError as error:
        raise UnreadableFile(name, f"lecture impossible ({error.strerror or error})") from error


def _records(stream: BinaryIO, source: str) -> Iterator[AafRecord]:
    root: ET.Element | None = None
    depth = 0
    inside = 0
    events = iterparse(
        stream,
        events=("start", "end"),
        forbid_dtd=False,
        forbid_entities=True,
        forbid_external=True,
    )
    for event, element in events:
        if event == "start":
            depth += 1
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
            inside = 0
            yield _record(element, source)
            root.clear()
