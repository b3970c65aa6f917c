"""OPML subscription lists (what feed readers export): every outline with an xmlUrl is a feed."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree
from pydantic import BaseModel, ConfigDict

from ..errors import SourceError, format_size


class OpmlFeed(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str
    title: str | None = None


def parse_opml(data: bytes, label: str = "the OPML file") -> list[OpmlFeed]:
    """The feeds of an OPML document, in document order, without repeats (nested outlines included)."""
    # No entities, no network, no huge trees: the file may come from anywhere. Entity declarations are
    # refused outright ("billion laughs" and external entities), since an OPML export never has any.
    if b"<!ENTITY" in data.upper():
        raise SourceError("it declares XML entities, which an OPML file never needs", source=label, action="read")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"it is not valid OPML ({exc})", source=label, action="read") from None
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise SourceError("it is not an OPML file (no <opml> root)", source=label, action="read")
    found: dict[str, OpmlFeed] = {}
    for outline in root.iter("{*}outline"):
        attrs = {k.lower(): v for k, v in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if url and url not in found:
            title = (attrs.get("title") or attrs.get("text") or "").strip() or None
            found[url] = OpmlFeed(url=url, title=title)
    return list(found.values())


def read_opml(path: Path, max_bytes: int) -> list[OpmlFeed]:
    label = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(f"the file is {format_size(size)}; the limit is {format_size(max_bytes)}", source=label, action="read")
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError("no such file", source=label, action="read") from None
    except IsADirectoryError:
        raise SourceError("it is a directory", source=label, action="read") from None
    except PermissionError:
        raise SourceError("permission denied", source=label, action="read") from None
    return parse_opml(data, label)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_opml(feeds: list[OpmlFeed], title: str) -> bytes:
    """An OPML 2.0 document listing `feeds` (what `parse_opml` and feed readers read back). A feed's
    title came from outside: characters XML cannot hold are dropped rather than failing the export."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _NOT_XML.sub("", title)
    body = etree.SubElement(root, "body")
    for feed in feeds:
        outline = etree.SubElement(body, "outline", type="rss", xmlUrl=_NOT_XML.sub("", feed.url))
        outline.set("text", _NOT_XML.sub("", feed.title or feed.url))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
