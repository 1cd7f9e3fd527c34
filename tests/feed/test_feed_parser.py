"""The hardened C-speed record reader: it reads what a whole-document parse with the original
element paths reads, in any cut into chunks, and refuses the prologs that could declare entities.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from tempfile import TemporaryDirectory
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import given
from hypothesis import strategies as st

from educonnect_aaf import AafRecord, HostileXml, UnreadableFile, iter_records
from educonnect_aaf.records import MAX_RECORD_BYTES

TEXTS = st.text(alphabet="ab é$<&\t", max_size=6)
HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE ficAlimMENESR SYSTEM "x.dtd">\n'


def element(tag: str, inner: str = "", name: str | None = None) -> str:
    named = "" if name is None else f" name={quoteattr(name)}"
    return f"<{tag}{named}>{inner}</{tag}>" if inner else f"<{tag}{named}/>"


@st.composite
def values(draw: st.DrawFn) -> str:
    texts = draw(st.lists(TEXTS, max_size=3))
    return "".join(element("value", escape(t)) for t in texts)


@st.composite
def parts(draw: st.DrawFn) -> str:
    """One child of a record: identifier, operational attributes, attributes, modifications, or
    something unexpected; with repeated and misplaced children.
    """
    kind = draw(st.sampled_from(("identifier", "operationalAttributes", "attributes", "mods", "x")))
    if kind == "identifier":
        ids = draw(st.lists(TEXTS, max_size=2))
        return element("identifier", "".join(element("id", escape(t)) for t in ids) + "<other/>")
    if kind == "x":
        return element("junk", escape(draw(TEXTS)))
    child = {"operationalAttributes": "attr", "attributes": "attr", "mods": "modification"}[kind]
    tag = "modifications" if kind == "mods" else kind
    names = st.sampled_from(("A", "B", "categoriePersonne"))
    inner = "".join(
        element(draw(st.sampled_from((child, "other"))), draw(values()), draw(names))
        for _ in range(draw(st.integers(0, 3)))
    )
    return element(tag, inner)


@st.composite
def files(draw: st.DrawFn) -> str:
    records = [
        element(
            draw(st.sampled_from(("addRequest", "modifyRequest", "deleteRequest"))),
            "".join(draw(st.lists(parts(), max_size=5))),
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    return HEADER + element("ficAlimMENESR", "\n".join(records))


def reference(path: Path) -> list[AafRecord]:
    """The records of the file as the element paths of the original reader give them, from a
    whole-document parse.
    """
    root = ET.parse(path).getroot()  # noqa: S314 (a file this test wrote)
    found = []
    for record in root:
        id_element = record.find("identifier/id")
        record_id = (id_element.text or "").strip() if id_element is not None else ""
        category = ""
        for attr in record.iterfind("operationalAttributes/attr"):
            value = attr.find("value")
            if value is not None:
                category = (value.text or "").strip()
        attributes: dict[str, tuple[str, ...]] = {}
        for attr in (
            *record.iterfind("attributes/attr"),
            *record.iterfind("modifications/modification"),
        ):
            name = attr.get("name", "")
            texts = tuple(v.text or "" for v in attr.iterfind("value"))
            attributes[name] = attributes.get(name, ()) + texts
        found.append(AafRecord(record.tag, category, record_id, attributes))
    return found


class TestSameRecordsAsAWholeDocumentParse:
    """For any file and any cut into chunks, streaming gives the records the element paths give."""

    @given(files(), st.integers(1, 64))
    def test_records(self, text: str, chunk: int) -> None:
        with TemporaryDirectory() as name:
            path = Path(name) / "f.xml"
            path.write_text(text, encoding="utf-8")
            assert list(iter_records(path, chunk_bytes=chunk)) == reference(path)


class TestHostilePrologInAnyChunks:
    """An internal DTD subset is refused however the file is cut, and in UTF-16 as in UTF-8."""

    @given(
        st.integers(1, 40),
        st.sampled_from(("utf-8", "utf-16")),
        st.sampled_from(
            (
                '<!DOCTYPE ficAlimMENESR [<!ENTITY a "aaaa">]>',
                '<!DOCTYPE ficAlimMENESR SYSTEM "x.dtd" [<!ENTITY % p SYSTEM "http://x/">]>',
                "<!-- note --><!DOCTYPE ficAlimMENESR [ ]>",
            )
        ),
    )
    def test_refused(self, chunk: int, encoding: str, doctype: str) -> None:
        declared = "UTF-16" if encoding == "utf-16" else "UTF-8"
        text = f'<?xml version="1.0" encoding="{declared}"?>{doctype}<ficAlimMENESR/>'
        with TemporaryDirectory() as name:
            path = Path(name) / "f.xml"
            path.write_bytes(text.encode(encoding))
            with pytest.raises(HostileXml):
                list(iter_records(path, chunk_bytes=chunk))


class TestNothingLoadedOrExpanded:
    """An external DTD is never loaded, unknown encodings and huge records are refused."""

    def test_external_dtd_is_not_loaded(self, tmp_path: Path) -> None:
        dtd = tmp_path / "evil.dtd"
        dtd.write_text('<!ENTITY x "TOP SECRET">')
        path = tmp_path / "f.xml"
        path.write_text(
            f'<?xml version="1.0"?><!DOCTYPE ficAlimMENESR SYSTEM "file://{dtd}">'
            "<ficAlimMENESR><addRequest><identifier><id>&x;</id></identifier></addRequest>"
            "</ficAlimMENESR>"
        )
        with pytest.raises(UnreadableFile) as caught:
            list(iter_records(path))
        assert "SECRET" not in str(caught.value)

    def test_multibyte_declared_encoding(self, tmp_path: Path) -> None:
        path = tmp_path / "f.xml"
        path.write_text('<?xml version="1.0" encoding="shift_jis"?><ficAlimMENESR/>')
        with pytest.raises(UnreadableFile):
            list(iter_records(path))

    def test_record_spanning_too_many_bytes(self, tmp_path: Path) -> None:
        path = tmp_path / "f.xml"
        filler = "x" * (MAX_RECORD_BYTES + 1)
        path.write_text(f"<ficAlimMENESR><addRequest>{filler}</addRequest></ficAlimMENESR>")
        with pytest.raises(HostileXml):
            list(iter_records(path))
