"""Feeds and article pages the feed tests serve from `local_http`: written here, nothing downloaded."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape

PEOPLE = [("Maria Lopez", "councillor"), ("Tom Becker", "the union's spokesperson"), ("Aisha Khan", "the mayor"),
          ("Peter Novak", "a local shop owner"), ("Grace Obi", "the transport director")]
TOPICS = ["riverside bike lanes", "the new tram line", "the harbour bridge repairs", "the school meals budget",
          "the library opening hours", "the flood barrier", "the night bus service", "the market square plan"]


def story(n: int, words: int = 220) -> tuple[str, list[str]]:
    """A distinct article (its title and paragraphs) for number n: a few quotes by named speakers."""
    topic = TOPICS[n % len(TOPICS)]
    title = f"Council report {n}: {topic}"
    paragraphs = [f"The city council on Tuesday published report number {n} on {topic}, after months of "
                  f"public meetings in the old town hall and a long consultation with residents."]
    k = 0
    while sum(len(p.split()) for p in paragraphs) < words:
        name, role = PEOPLE[(n + k) % len(PEOPLE)]
        paragraphs.append(f"“Report {n} shows that {topic} matters to every family in this city,” said {name}, "
                          f"{role}, at the meeting on day {k + 1}.")
        paragraphs.append(f"Item {k + 1} of report {n} says the work on {topic} would take about {k + 2} years "
                          f"and cost {n + k + 3} million euros, paid for by the regional fund and by the city.")
        k += 1
    return title, paragraphs


def article_html(title: str, paragraphs: list[str], site: str = "The Test Gazette", published: str = "2025-03-14") -> str:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | {escape(site)}</title>
<meta property="og:title" content="{escape(title)}"><meta property="og:site_name" content="{escape(site)}">
<meta property="article:published_time" content="{published}T09:30:00+00:00"></head>
<body><header><nav><a href="/">Home</a> | <a href="/news">News</a></nav></header>
<main><article><h1>{escape(title)}</h1>
{body}
</article></main><footer><p>Copyright 2025 {escape(site)}.</p></footer></body></html>"""


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(timezone.utc), usegmt=True)


def rss(items: list[dict], title: str = "Test Gazette news", link: str = "http://gazette.example/") -> str:
    """items: dicts with title, link, and optionally guid, date (datetime), content (HTML)."""
    out = []
    for item in items:
        parts = [f"<title>{escape(item['title'])}</title>"]
        if item.get("link"):
            parts.append(f"<link>{escape(item['link'])}</link>")
        if item.get("guid"):
            parts.append(f"<guid isPermaLink=\"false\">{escape(item['guid'])}</guid>")
        if item.get("date"):
            parts.append(f"<pubDate>{http_date(item['date'])}</pubDate>")
        if item.get("content"):
            parts.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        out.append("<item>" + "".join(parts) + "</item>")
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>{escape(title)}</title><link>{escape(link)}</link><description>news</description>"
            + "".join(out) + "</channel></rss>")


def atom(entries: list[dict], title: str = "Test Gazette (Atom)") -> str:
    """entries: dicts with id, title, link, and optionally date (datetime), content (HTML)."""
    out = []
    for e in entries:
        when = (e.get("date") or datetime(2025, 3, 14, tzinfo=timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
        content = f"<content type=\"html\">{escape(e['content'])}</content>" if e.get("content") else ""
        out.append(f"<entry><id>{escape(e['id'])}</id><title>{escape(e['title'])}</title>"
                   f"<link rel=\"alternate\" href=\"{escape(e['link'])}\"/><updated>{when}</updated>{content}</entry>")
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(title)}</title>'
            f"<id>urn:test:feed</id><updated>2025-03-14T00:00:00Z</updated>" + "".join(out) + "</feed>")
