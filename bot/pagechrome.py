"""Remove page chrome from an HTML page before main-content extraction.

Extractors work on text density; a related-story card or an "Also on …" box placed inside the
article (even inside its lead paragraph) has article-like density and ends up spliced into the
text. Such blocks say what they are in their markup (`<aside>`, `<figcaption>`, a class such as
"related-links" or "newsletter-signup"), so they are dropped here by markup, keeping the text that
follows them (`drop_tree` keeps an element's tail) so that a sentence around a card stays whole.

The standfirst (the summary line printed under the headline) is dropped too when the markup shows it
for what it is: a block in the headline's own `<header>`/`<hgroup>` that the page also declares as its
description. It is the publisher's teaser, not the article's prose, and a TL;DR that opens with it
repeats the header instead of telling the story from the body.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from lxml.etree import ParserError, tostring

_PARSER = lxml.html.HTMLParser(encoding="utf-8")
# Whole class/id words (split at -, _ and spaces) that name a block around the article.
_CHROME_WORDS = re.compile(
    r"(?:^|[\s_-])(?:related|recommended|recommendations|promo|promos|promoted|teaser|teasers|"
    r"newsletter|newsletters|signup|sign-?up|subscribe|subscription|outbrain|taboola|sponsored|"
    r"also-?on|read-?more|readmore|more-?stories|more-?on|further-?reading|see-?also|"
    r"share|sharing|social|share-?bar|share-?tools|social-?share|sidebar|"
    r"caption|captions|figcaption|credit|credits|image-?credit|photo-?credit|"
    r"byline|reprints?|copyright|rights|licen[cs]e|advert|advertisement|ad-?slot|ad-?container)(?:$|[\s_-])",
    re.I,
)
_ALWAYS = ("aside", "figcaption", "button")
# Dropped by tag when short: some sites wrap the whole page in one <form>.
_SHORT = ("nav", "form", "noscript")
# A block this long (in characters) is kept whatever its class says: it may be the article itself
# on a page whose wrapper is called "story-related" or similar.
_MAX_CHROME_CHARS = 1500
# Article wrappers are never dropped even when a class word matches ("article-body share-enabled").
_ARTICLE_TAGS = {"article", "main", "body", "html"}
MIN_KEPT_WORDS = 10
_PROSE_WORDS = 20
_PROSE_PARAGRAPHS = 3


def _label(el: Any) -> str:
    return f"{el.get('class', '')} {el.get('id', '')} {el.get('data-component', '')} {el.get('role', '')}"


def _is_chrome(el: Any) -> bool:
    if not isinstance(el.tag, str) or el.tag in _ARTICLE_TAGS:
        return False
    if el.tag in _ALWAYS:
        return True
    named = (el.tag in _SHORT or el.get("role") in ("complementary", "navigation")
             or bool(_CHROME_WORDS.search(_label(el))))
    return named and len(el.text_content()) <= _MAX_CHROME_CHARS and not _holds_prose(el)


def _holds_prose(el: Any) -> bool:
    """Several paragraphs of real length: the article, whatever its wrapper's class says
    ("caption-and-body", "story share-enabled"); cards and boxes hold a line or two."""
    long = 0
    for p in el.iter("p"):
        if len(p.text_content().split()) >= _PROSE_WORDS:
            long += 1
            if long >= _PROSE_PARAGRAPHS:
                return True
    return False


_WORD = re.compile(r"\w+")
_ELLIPSIS = re.compile(r"(?:\.\.\.|\u2026)\s*$")
_DESCRIPTION_KEYS = frozenset({"description", "og:description", "twitter:description"})
MIN_STANDFIRST_WORDS = 6
MAX_STANDFIRST_WORDS = 80


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _descriptions(tree: Any) -> list[str]:
    """The page's own summary of itself (description meta tags), as comparison keys; a trailing
    ellipsis (a description cut to length) is left off."""
    out = []
    for el in tree.xpath("//meta[@content]"):
        if (el.get("property") or el.get("name") or "").casefold() in _DESCRIPTION_KEYS:
            key = _key(_ELLIPSIS.sub("", el.get("content", "")))
            if len(key.split()) >= MIN_STANDFIRST_WORDS:
                out.append(key)
    return out


def _standfirsts(tree: Any) -> list[Any]:
    """Blocks beside the headline, in the `<header>` or `<hgroup>` that holds its `<h1>`, whose text is
    the page's declared description: the standfirst."""
    descriptions = _descriptions(tree)
    if not descriptions:
        return []
    found = []
    for h1 in tree.iter("h1"):
        header = next((a for a in h1.iterancestors() if a.tag in ("header", "hgroup")), None)
        if header is None:
            continue
        for el in header.iter("p", "h2", "h3", "div"):
            if el.tag == "div" and any(isinstance(c.tag, str) and c.tag in ("p", "div", "h2", "h3") for c in el):
                continue  # a wrapper; its blocks are looked at one by one
            key = _key(el.text_content())
            words = len(key.split())
            if MIN_STANDFIRST_WORDS <= words <= MAX_STANDFIRST_WORDS and any(
                    key == d or ((key.startswith(d) or d.startswith(key)) and min(len(key), len(d)) >= 0.8 * max(len(key), len(d)))
                    for d in descriptions):
                found.append(el)
    return found


def strip_chrome(html: str) -> str:
    """`html` without the asides, sidebars, captions, related-story, sharing, newsletter and copyright
    blocks that its markup names as such, nor the standfirst beside the headline. Returns `html` unchanged when it cannot be parsed."""
    try:
        tree = lxml.html.fromstring(html.encode("utf-8", "replace"), parser=_PARSER)
    except (ParserError, ValueError):
        return html
    # Collect first, then drop: removing while iterating skips siblings.
    doomed = [el for el in tree.iter() if _is_chrome(el)] + _standfirsts(tree)
    if not doomed:
        return html
    marked = set(doomed)
    for el in doomed:
        if el.getparent() is not None and not any(a in marked for a in el.iterancestors()):
            el.drop_tree()
    # Nothing left to read: the page was all chrome (a login wall, a link list). The page as it was
    # then gets the extractor's own verdict and error.
    if len(tree.text_content().split()) < MIN_KEPT_WORDS:
        return html
    return tostring(tree, encoding="unicode", method="html")
