"""Main-content extraction from an HTML page: the article's text and what the page says about it.

trafilatura does the work; given a string it never touches the network. Its text keeps one paragraph,
heading or list item per line, which is the layout `digests.segment` reads.
"""

from __future__ import annotations

import re

import trafilatura

from digests.models import ArticleMeta

from .errors import SourceError
from .lead import article_paragraphs, restore_lead
from .pagechrome import strip_chrome
from .pagemeta import clean_author, clean_title, read_page_meta

# trafilatura falls back to any text on the page, so a login wall still "extracts" as "Home Log in".
# Below this many words there is no article; the engine's own minimum then never sees page chrome.
MIN_WORDS = 10
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Markers that only HTML has near its top; plain-text articles that merely mention a tag do not open
# with one, so the test looks at the opening stretch only.
_HTML_START = re.compile(r"\A(?:\ufeff)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<(?:html|head|body|meta|title|article|main|div|p|h[1-6])\b[^>]*>", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    """True when `text` is an HTML document (or a fragment that opens with HTML tags)."""
    head = text[:4096]
    if _HTML_START.match(head):
        return True
    # A fragment such as "<article><p>…" saved from a page: it opens with a tag and has several.
    return head.lstrip("\ufeff \t\r\n").startswith("<") and len(_HTML_TAG.findall(head)) >= 2


def _first(value: str | None) -> str | None:
    value = " ".join(value.split()) if value else None
    return value or None


def extract_html(html: str, url: str | None = None) -> tuple[str, ArticleMeta]:
    """The main text of the page (paragraphs and headings, one per line) and its title, author, date and URL.

    `url`, when known, is kept as the article's URL and helps date detection; the page's own canonical URL
    is used otherwise. Raises SourceError when the page has no article text (a login wall, an empty page).
    """
    cleaned = strip_chrome(html)
    doc = trafilatura.bare_extraction(
        cleaned,
        url=url,
        with_metadata=True,
        # Recall mode keeps the lead paragraphs that the default mode sometimes drops, and it stays on
        # the article where the default falls back to the whole page (measured on real pages: both
        # precision and recall go up).
        favor_recall=True,
        include_comments=False,  # reader comments are not the article
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,  # plain lines; headings stay as their own lines
    )
    page = read_page_meta(html, url)
    text = getattr(doc, "text", None)
    if (not text or len(text.split()) < MIN_WORDS) and page.article_body:
        text = page.article_body  # the page ships its text as data only (a script-rendered page)
    if not text or len(text.split()) < MIN_WORDS:
        raise SourceError("no article text found in the page")
    sources = [page.article_body.split("\n")] if page.article_body else []
    text = restore_lead(text, sources + [article_paragraphs(cleaned)])
    # trafilatura's guesses (None when only the JSON-LD text was found) come after the page's own facts.
    sitename, date = getattr(doc, "sitename", None), getattr(doc, "date", None)
    sites = page.site_names + ([sitename] if sitename else [])
    meta = ArticleMeta(
        title=page.title or clean_title(getattr(doc, "title", None), sites),
        url=url or _first(getattr(doc, "url", None)),
        source=_first(sitename),
        author=page.author or clean_author(getattr(doc, "author", None)),
        published=page.published or (date if date and _ISO_DATE.fullmatch(date) else None),
    )
    return text.strip(), meta
