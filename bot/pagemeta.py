"""What a news page says about its article, read from its own markup: headline, authors and date.

trafilatura's metadata guesses are a fallback only: pages state these facts in structured places
(JSON-LD, Open Graph, the byline's `<time datetime>`), and a guess from the visible text brings in
site names ("… | ZDNet"), dates glued to names ("Malcolm Owen Monday; November") and server stamps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml.etree import ParserError

_PARSER = lxml.html.HTMLParser(encoding="utf-8")
_SPACE = re.compile(r"\s+")
# Separators between a headline and the site or section a <title> adds around it.
_SEPARATORS = re.compile(r"\s+(?:\||-|\u2013|\u2014|\u00b7|::|\u00bb|/|\u2022)\s+")
_BRACKETED = re.compile(r"\s*\[([^\]]{1,60})\]\s*$")
# Pages written as XHTML wrap their JSON-LD in a CDATA section, which JSON does not allow.
_CDATA = re.compile(r"^\s*(?:<!--\s*)?<!\[CDATA\[|\]\]>\s*(?:-->\s*)?$")
# Section labels that open a <title> before a bar: "Opinion | …".
_SECTIONS = frozenset("""opinion analysis commentary editorial review reviews news blog column columns
    perspective features feature explainer interview letters sport sports business tech technology
    politics world""".split())
_DATE_SEGMENT = re.compile(r"^(?:\w{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2})$")
_ARTICLE_TYPES = re.compile(r"(?:Article|BlogPosting|Report|NewsArticle|Posting)$")
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})")
_PUBLISHED_METAS = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
                    "publish-date", "date", "dc.date.issued", "dc.date", "sailthru.date", "parsely-pub-date")
_BYLINE_HINT = re.compile(r"byline|author|dateline|article-?meta|post-?meta|entry-?meta|publish|timestamp|date", re.I)
_NOT_ARTICLE = re.compile(r"related|recommend|promo|sidebar|more-|trending|popular|comment|footer|newsletter", re.I)


@dataclass
class PageMeta:
    """The facts found in the page's markup; any of them may be missing."""

    title: str | None = None
    author: str | None = None
    published: str | None = None
    site_names: list[str] = field(default_factory=list)
    article_body: str | None = None  # JSON-LD articleBody, when the page ships its text there
    description: str | None = None


def _squash(value: str | None) -> str:
    return _SPACE.sub(" ", value or "").strip()


def _key(value: str) -> str:
    """A comparison key for names: case, spacing, punctuation and a leading "the" ignored."""
    value = re.sub(r"^the\s+", "", value.strip().casefold())
    return re.sub(r"\W+", "", value)


def _json_ld(tree: Any) -> Iterator[dict[str, Any]]:
    """Every object in the page's JSON-LD blocks, nested graphs and lists included."""
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(_CDATA.sub("", script.text_content() or ""), strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph))


def _types(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type")
    return [str(k) for k in (kind if isinstance(kind, list) else [kind]) if k]


def _names(value: Any) -> list[str]:
    """Names from a JSON-LD author/publisher value (a string, an object or a list of them)."""
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        name = v.get("name") if isinstance(v, dict) else v
        if isinstance(name, str) and _squash(name):
            out.append(_squash(name))
    return out


def _meta(tree: Any, *names: str) -> list[str]:
    out = []
    wanted = {n.casefold() for n in names}
    for el in tree.xpath("//meta[@content]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").casefold()
        if key in wanted and _squash(el.get("content")):
            out.append(_squash(el.get("content")))
    return out


def _host_label(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url and "//" in url else None
    if not host:
        return None
    parts = [p for p in host.removeprefix("www.").split(".") if p]
    # "en.wikipedia.org" → "wikipedia", "lwn.net" → "lwn"
    return parts[-2] if len(parts) >= 2 else parts[0] if parts else None


def _home_link_names(tree: Any) -> list[str]:
    """The site's name as its masthead writes it: the text (or logo's alt text) of a link to the
    home page inside a heading or the page header. Pages without `og:site_name` still brand their
    <title> with it ("Headline · V8", "Headline [Archive of Our Own]")."""
    out = []
    for link in tree.xpath('//h1//a[@href="/"] | //header//a[@href="/"] | //a[@href="/"][@rel="home"]'):
        for name in [_squash(link.text_content()), *(_squash(a) for a in link.xpath(".//img/@alt"))]:
            if name and len(name.split()) <= 5:
                out.append(name)
    return out


def _is_site(segment: str, sites: list[str]) -> bool:
    key = _key(segment)
    if not key:
        return False
    for site in sites:
        other = _key(site)
        if other and (key == other or (len(other) >= 3 and (key.startswith(other) or other.startswith(key)) and
                                       min(len(key), len(other)) >= 0.6 * max(len(key), len(other)))):
            return True
    # "LWN.net", "Salon.com", "TMZ.com": a domain written as the site's name
    return bool(re.fullmatch(r"[\w-]+\.(?:com|net|org|co\.uk|io)", segment.strip(), re.I)) and any(
        _key(segment).startswith(_key(s)) for s in sites if _key(s))


def _is_author(segment: str, authors: list[str]) -> bool:
    """"John Roe", "by John Roe": the writer's name that blogs and columns put after the headline
    ("Headline - John Roe - Site"). Only a name the page itself gives as its author counts."""
    key = _key(re.sub(r"^\s*by\s+", "", segment, flags=re.I))
    return bool(key) and any(key == _key(name) for author in authors for name in author.split(", "))


def clean_title(title: str | None, sites: list[str], authors: list[str] | None = None) -> str | None:
    """`title` without the site name, section label or author's name a page adds around its headline,
    or None when nothing but a site name is left."""
    authors = authors or []
    title = _squash(title)
    if not title:
        return None
    bracket = _BRACKETED.search(title)
    if bracket and _is_site(bracket.group(1), sites):
        title = title[: bracket.start()].strip()
    parts = _SEPARATORS.split(title)
    seps = _SEPARATORS.findall(title)
    # Drop site names, dates and section labels from both ends, keeping at least one part.
    while len(parts) > 1 and (_is_site(parts[-1], sites) or _DATE_SEGMENT.match(parts[-1].strip())
                              or _is_author(parts[-1], authors)):
        parts.pop()
        seps.pop()
    while len(parts) > 1 and (_is_site(parts[0], sites) or parts[0].strip().casefold() in _SECTIONS):
        parts.pop(0)
        seps.pop(0)
    title = parts[0] + "".join(sep + part for sep, part in zip(seps, parts[1:]))
    title = title.strip()
    if not title or any(_key(title) == _key(s) for s in sites):
        return None
    return title


# Words after a name that say what the person does, not who they are.
_ROLE_WORDS = frozenset("""reporter editor correspondent writer columnist contributor staff producer
    journalist author senior chief deputy executive managing political news games tech technology science
    business sports health reporters editors writers contributing freelance photographer analyst""".split())
_DATE_WORDS = re.compile(r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b|"
                         r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
                         r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b\.?|"
                         r"\d|\bupdated\b|\bpublished\b|\bposted\b", re.I)
_NOT_NAMES = frozenset({"username", "follow", "follow author", "authority control", "admin", "staff", "unknown",
                        "guest", "last", "anonymous", "editor", "editors",
                        # degrees and credentials after a comma: "Brenda Kay, MA"
                        "ma", "md", "phd", "ms", "msc", "rn", "mph", "dds", "jr", "sr"})
_NAME_PARTICLES = frozenset({"de", "da", "van", "von", "der", "den", "la", "le", "bin", "al", "del", "di", "du", "ibn", "st."})


def clean_author(value: str | None) -> str | None:
    """A person's (or an agency's) name from a byline or author field: "By" and handles, e-mail
    addresses, URLs, dates and job titles removed. None when what is left does not read as a name."""
    value = _squash(value)
    if not value:
        return None
    names: list[str] = []
    for part in re.split(r"\s*(?:;|,|\band\b|&|\|)\s*", value):
        name = re.sub(r"https?://\S+|\S+@\S+|@\w+|\(.*?\)", " ", part)
        name = re.sub(r"^\s*(?:written\s+|words\s+|edited\s+)?by\s+", "", name, flags=re.I)
        date = _DATE_WORDS.search(name)
        cut = bool(date)
        if date:
            name = name[: date.start()]
        words = name.split()
        # A job title after the name; never the surname itself ("Sam Writer" stays).
        while len(words) > 2 and words[-1].strip(".,").casefold() in _ROLE_WORDS:
            words.pop()
            cut = True
        name = " ".join(words).strip(" .,-\u2013\u2014:")
        # "Our Foreign Staff", "Last Updated …": a desk or a label, not a person.
        if not name or name.casefold() in _NOT_NAMES or not _reads_as_name(name) or words[0].casefold() == "our":
            continue
        if cut and len(words) == 1:
            continue
        if name.isupper() and len(name) > 3:
            name = name.title()
        if _key(name) not in {_key(n) for n in names}:
            names.append(name)
    return ", ".join(names) if names else None


def _reads_as_name(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 5 or len(name) < 3:
        return False
    return all(w[:1].isupper() or w.casefold() in _NAME_PARTICLES for w in words) and not any(
        "." in w and len(w) > 3 and not w.endswith(".") for w in words)


def _iso(value: str | None) -> str | None:
    match = _ISO.search(value or "")
    return match.group(1) if match else None


_AUTHOR_XPATH = ('//*[@itemprop="author" or @rel="author" or contains(@class, "byline") or '
                 'contains(@class, "author-name") or contains(@class, "author__name")]')


def _byline_author(tree: Any) -> str | None:
    """The name in the article's visible byline (`itemprop="author"`, `rel="author"`, a "byline"
    class), outside related cards and comments."""
    for el in tree.xpath(_AUTHOR_XPATH):
        if el.tag in ("link", "meta") or any(a.tag in ("aside", "nav", "footer") for a in el.iterancestors()):
            continue
        classes = " ".join(f"{a.get('class', '')} {a.get('id', '')}" for a in [el, *list(el.iterancestors())[:4]])
        if _NOT_ARTICLE.search(classes):
            continue
        name = el.xpath('.//*[@itemprop="name"]')
        text = _squash((name[0] if name else el).text_content())
        if 0 < len(text.split()) <= 12:
            author = clean_author(text)
            if author:
                return author
    return None


def _byline_time(tree: Any) -> str | None:
    """The datetime of the first `<time>` in the article's byline or header, not in a related card."""
    for el in tree.xpath("//time[@datetime]"):
        if re.search(r"modif|updat", f"{el.get('itemprop', '')} {el.get('class', '')}", re.I):
            continue  # when it last changed, not when it was published
        ancestors = list(el.iterancestors())
        classes = " ".join(f"{a.get('class', '')} {a.get('id', '')}" for a in ancestors[:6])
        tags = {a.tag for a in ancestors}
        if tags & {"aside", "nav", "footer"} or _NOT_ARTICLE.search(classes):
            continue
        if tags & {"article", "header"} or _BYLINE_HINT.search(classes) or _BYLINE_HINT.search(
                f"{el.get('class', '')} {el.get('itemprop', '')} {el.get('pubdate', '')}"):
            date = _iso(el.get("datetime"))
            if date:
                return date
    return None


_ELLIPSIS = re.compile(r"\s*(?:\u2026|\.\.\.)$")


def _cut_short(title: str, others: list[str]) -> bool:
    """`title` ends in an ellipsis and another candidate is the whole of it."""
    stem = _ELLIPSIS.sub("", title)
    return stem != title and any(o != title and _key(o).startswith(_key(stem)) for o in others)


def read_page_meta(html: str, url: str | None = None) -> PageMeta:
    """The headline, author, date, site names and JSON-LD text that `html` declares about itself."""
    try:
        # Bytes with the encoding stated: the text is already decoded, and a page's own charset
        # declaration must not make lxml decode it a second time.
        tree = lxml.html.fromstring(html.encode("utf-8", "replace"), parser=_PARSER)
    except (ParserError, ValueError):
        return PageMeta()
    ld = [item for item in _json_ld(tree)]
    articles = [item for item in ld if any(_ARTICLE_TYPES.search(t) for t in _types(item))]
    sites = _meta(tree, "og:site_name", "application-name", "apple-mobile-web-app-title")
    for item in ld:
        if any(t in ("WebSite", "Organization", "NewsMediaOrganization") for t in _types(item)):
            sites += _names(item.get("name"))
    for item in articles:
        sites += _names(item.get("publisher"))
    canonical = url or next(iter(tree.xpath('//link[@rel="canonical"]/@href')), None) or next(
        iter(_meta(tree, "og:url")), None)
    label = _host_label(canonical)
    if label:
        sites.append(label)
    if not sites:  # the masthead only when the page declares no name: its links say "Home" too
        sites = _home_link_names(tree)
    # A site's name is short; an "application-name" that is a whole headline is not one.
    sites = list(dict.fromkeys(s for s in sites if s and len(s.split()) <= 7))

    author = None
    for candidate in ([n for item in articles for n in _names(item.get("author"))]
                      + _meta(tree, "author", "article:author", "parsely-author", "sailthru.author", "dc.creator")):
        author = clean_author(candidate)
        if author:
            break

    if author is None:
        author = _byline_author(tree)

    # The article's structured headline first (JSON-LD is written for the article; og:title and
    # twitter:title for a share card, and more often carry the site's name), then <title>, then <h1>.
    # JSON-LD "name" before "headline": encyclopaedias put a description in "headline".
    headlines = [h for key in ("name", "headline") for item in articles for h in _names(item.get(key))]
    # A Dublin Core title (standards documents, library pages) is the document's own title, with no
    # identifier or site around it ("draft-roe-widgets-02 - Widgets" in <title>).
    headlines += _meta(tree, "dc.title")
    h1s = [_squash(h.text_content()) for h in tree.xpath("//h1")]
    titles = [_squash(t.text_content()) for t in tree.xpath("//title")[:1]]
    authors = [author] if author else []
    cleaned = [t for t in (clean_title(c, sites, authors) for c in
                           headlines + _meta(tree, "og:title") + _meta(tree, "twitter:title") + titles) if t]
    # A headline cut short for a search snippet ("… talks…") gives way to a whole one that it begins.
    title = next((t for t in cleaned if not _cut_short(t, cleaned)), None)
    if title is None:
        title = next((t for t in (clean_title(h, sites, authors) for h in h1s) if t), None)

    published = _byline_time(tree)
    if published is None:
        published = next((d for d in (_iso(str(item.get("datePublished") or "")) for item in articles) if d), None)
    if published is None:
        published = next((d for d in (_iso(v) for v in _meta(tree, *_PUBLISHED_METAS)) if d), None)

    bodies = [b for item in articles for b in [item.get("articleBody")] if isinstance(b, str) and b.strip()]
    description = next(iter(_meta(tree, "og:description", "description", "twitter:description")), None)
    return PageMeta(title=title, author=author, published=published, site_names=sites,
                    article_body=bodies[0] if bodies else None, description=description)
