"""bot.pagemeta and bot.html: headline, author and date read from the page's own markup."""

from __future__ import annotations

import json

from bot.html import extract_html
from bot.pagemeta import clean_author, clean_title, read_page_meta

BODY = """
<p>The harbour board agreed on Monday to rebuild the north pier after winter storms cracked its deck in
three places, a repair that engineers have urged for two years.</p>
<p>Work starts in April and should take eleven months, the board said, during which ferries will dock at
the south quay instead.</p>
<p>Fishing crews welcomed the decision but asked for a temporary landing stage near the fish market.</p>
"""


def page(head: str, body: str = BODY, before: str = "") -> str:
    return f"<html><head>{head}</head><body>{before}<article>{body}</article></body></html>"


def test_title_loses_the_site_suffix_named_by_og_site_name() -> None:
    html = page('<title>Harbour board rebuilds north pier | Coast Courier</title>'
                '<meta property="og:site_name" content="Coast Courier">')
    assert read_page_meta(html).title == "Harbour board rebuilds north pier"


def test_title_loses_a_section_prefix_and_a_bracketed_domain() -> None:
    assert clean_title("Opinion | The pier deserved better", ["Coast Courier"]) == "The pier deserved better"
    assert clean_title("Weekly edition for May 2 [Pierwatch.net]", ["pierwatch"]) == "Weekly edition for May 2"
    # A dash inside the headline is not a separator to cut at when what follows is not the site.
    assert clean_title("Pier repair - the long wait", ["Coast Courier"]) == "Pier repair - the long wait"


def test_og_title_that_is_only_the_site_name_is_never_the_title() -> None:
    html = page('<meta property="og:site_name" content="Coast Courier News">'
                '<meta property="og:title" content="Coast Courier News">'
                '<title>Harbour board rebuilds north pier - Coast Courier News</title>')
    assert read_page_meta(html).title == "Harbour board rebuilds north pier"
    assert clean_title("Coast Courier News", ["Coast Courier News"]) is None


def test_json_ld_headline_comes_before_og_title_and_may_sit_in_a_cdata_section() -> None:
    ld = {"@type": "NewsArticle", "headline": "Harbour board votes to rebuild the north pier",
          "author": {"@type": "Person", "name": "Ines Walter"}, "datePublished": "2025-03-08T09:00:00Z"}
    html = page(f'<script type="application/ld+json">\n<![CDATA[\n{json.dumps(ld)}\n]]>\n</script>'
                '<meta property="og:title" content="North pier to be rebuilt">'
                '<title>North pier to be rebuilt | Coast Courier</title>')
    meta = read_page_meta(html)
    assert meta.title == "Harbour board votes to rebuild the north pier"
    assert meta.author == "Ines Walter"
    assert meta.published == "2025-03-08"


def test_a_headline_cut_short_with_an_ellipsis_gives_way_to_the_whole_one() -> None:
    ld = {"@type": "NewsArticle", "headline": "Harbour board votes to rebuild the north pier after\u2026"}
    html = page(f'<script type="application/ld+json">{json.dumps(ld)}</script>'
                '<meta property="og:title" content="Harbour board votes to rebuild the north pier after storms">')
    assert read_page_meta(html).title == "Harbour board votes to rebuild the north pier after storms"


def test_title_loses_the_author_name_a_blog_puts_after_the_headline() -> None:
    ld = {"@type": "BlogPosting", "headline": "Why the pier matters - Ines Walter - Pierwatch",
          "author": {"@type": "Person", "name": "Ines Walter"}}
    html = page(f'<script type="application/ld+json">{json.dumps(ld)}</script>'
                '<meta property="og:site_name" content="Pierwatch">')
    assert read_page_meta(html).title == "Why the pier matters"
    assert clean_title("Why the pier matters | by Ines Walter", [], ["Ines Walter"]) == "Why the pier matters"
    # A name that is not the page's author is part of the headline.
    assert clean_title("Letters to the editor - Ines Walter", [], ["Kofi Mensah"]) == "Letters to the editor - Ines Walter"


def test_site_name_comes_from_application_name_and_json_ld_publisher() -> None:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Pier to be rebuilt",
          "publisher": {"@type": "Organization", "name": "Harbour Herald"}}
    html = page(f'<script type="application/ld+json">{json.dumps(ld)}</script>'
                '<meta name="application-name" content="Harbour Herald">'
                '<title>Pier to be rebuilt — Harbour Herald</title>')
    meta = read_page_meta(html)
    assert meta.title == "Pier to be rebuilt"
    assert "Harbour Herald" in meta.site_names


def test_a_page_that_declares_no_site_name_is_branded_by_its_masthead_link() -> None:
    masthead = '<header><h1><a href="/">Pierwatch <sup>beta</sup></a></h1></header>'
    html = page("<title>Why the pier matters \u00b7 Pierwatch</title>", before=masthead)
    assert read_page_meta(html).title == "Why the pier matters"
    logo = '<h1><a href="/"><img alt="Harbour Notes" src="logo.png"></a></h1>'
    html = page("<title>Storm damage, week two [Harbour Notes]</title>", before=logo)
    assert read_page_meta(html).title == "Storm damage, week two"
    # A declared site name wins: the masthead's "Home" link does not cut a headline ending in it.
    html = page('<meta property="og:site_name" content="Coast Courier"><title>No place like home - Home</title>',
                before='<header><a href="/">Home</a></header>')
    assert read_page_meta(html).title == "No place like home - Home"


def test_a_dublin_core_title_is_the_documents_own_title() -> None:
    html = page('<title>draft-roe-pier-protocol-03 - Pier Protocol</title>'
                '<meta name="DC.Title" content="Pier Protocol">')
    assert read_page_meta(html).title == "Pier Protocol"


def test_author_with_a_date_glued_on_keeps_only_the_name() -> None:
    assert clean_author("Maria Lindqvist Monday; November") == "Maria Lindqvist"
    assert clean_author("By PETER OKAFOR March 3, 2021 4:10 PM") == "Peter Okafor"
    assert clean_author("by Maria Lindqvist22 Dec 2016") == "Maria Lindqvist"  # a page's markup glued them
    html = page('<meta name="author" content="Maria Lindqvist Tuesday, 4 March 2025">')
    assert read_page_meta(html).author == "Maria Lindqvist"


def test_author_without_job_title_handle_or_link() -> None:
    assert clean_author("Tom Harrow News reporter") == "Tom Harrow"
    assert clean_author("Ada Brennan Games Editor @adabrennan") == "Ada Brennan"
    assert clean_author("Ola Berg (https://example.org/ola)") == "Ola Berg"
    assert clean_author("Brenda Kay, MA") == "Brenda Kay"
    assert clean_author("Lena Ortiz and Kofi Mensah") == "Lena Ortiz, Kofi Mensah"
    # A surname that happens to be a job word stays.
    assert clean_author("Sam Writer") == "Sam Writer"


def test_author_from_the_visible_byline_when_no_metadata_names_one() -> None:
    byline = ('<aside class="related"><span class="byline">By Someone Else</span></aside>'
              '<span class="pb-byline">By Ines Walter</span><span class="tweet-authors">Follow @ineswalter</span>')
    assert read_page_meta(page("<title>Pier</title>", byline + BODY)).author == "Ines Walter"


def test_author_labels_are_not_names() -> None:
    for label in ("Username", "Follow Author", "Last Updated: January 7, 2025", "Our Foreign Staff"):
        assert clean_author(label) is None, label


def test_byline_time_wins_over_a_server_timestamp_in_the_head() -> None:
    head = ('<meta name="date" content="2025-06-30T23:59:01Z">'
            '<title>Harbour board rebuilds north pier</title>')
    byline = '<div class="byline">By Maria Lindqvist, <time datetime="2025-03-10T08:00:00Z">10 March</time></div>'
    meta = read_page_meta(page(head, byline + BODY))
    assert meta.published == "2025-03-10"
    # Without the byline's <time>, the head's date is what is left.
    assert read_page_meta(page(head)).published == "2025-06-30"


def test_a_time_in_a_related_card_or_a_modified_stamp_is_not_the_date() -> None:
    aside = '<aside class="related"><time datetime="2024-01-01">1 Jan</time></aside>'
    body = '<header><time itemprop="dateModified" datetime="2025-05-05">5 May</time></header>' + BODY
    ld = {"@type": "NewsArticle", "datePublished": "2025-03-09T10:00:00Z"}
    html = page(f'<script type="application/ld+json">{json.dumps(ld)}</script>', body, before=aside)
    assert read_page_meta(html).published == "2025-03-09"


def test_json_ld_date_comes_before_the_published_time_meta() -> None:
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Coast Courier"},
        {"@type": "NewsArticle", "datePublished": "2025-03-08", "author": [{"@type": "Person", "name": "Ines Walter"}]},
    ]}
    html = page(f'<script type="application/ld+json">{json.dumps(ld)}</script>'
                '<meta property="article:published_time" content="2025-04-01T00:00:00Z">')
    meta = read_page_meta(html)
    assert meta.published == "2025-03-08"
    assert meta.author == "Ines Walter"


def test_extract_html_uses_the_page_markup_for_its_metadata() -> None:
    html = page('<title>Harbour board rebuilds north pier | Coast Courier</title>'
                '<meta property="og:site_name" content="Coast Courier">'
                '<meta name="author" content="Maria Lindqvist Monday; March">'
                '<meta name="date" content="2025-06-30">',
                '<div class="byline"><time datetime="2025-03-10">10 March</time></div>' + BODY)
    text, meta = extract_html(html)
    assert text.startswith("The harbour board agreed on Monday")
    assert meta.title == "Harbour board rebuilds north pier"
    assert meta.author == "Maria Lindqvist"
    assert meta.published == "2025-03-10"


def test_garbled_page_meta_yields_nothing_rather_than_an_error() -> None:
    meta = read_page_meta('<script type="application/ld+json">{not json</script><p>text only</p>')
    assert meta.title is None and meta.author is None and meta.published is None


# --- chrome in the article's markup ---------------------------------------------------------------

LEAD = "The harbour board agreed on Monday to rebuild the north pier after winter storms cracked its deck in three places."


def test_a_card_inside_the_lead_paragraph_is_not_spliced_into_the_sentence() -> None:
    html = page("<title>Pier to be rebuilt</title>",
                '<p>The harbour board agreed on Monday to rebuild the north pier <span class="story-promo">'
                "<strong>Read more</strong> Ferry fares rise again this spring as fuel costs climb</span> after "
                "winter storms cracked its deck in three places.</p>" + BODY)
    text, _ = extract_html(html)
    assert text.split("\n")[0] == LEAD
    assert "Ferry fares" not in text


def test_related_boxes_captions_and_newsletter_boxes_are_dropped() -> None:
    html = page("<title>Pier to be rebuilt</title>",
                BODY.replace("</p>", "</p>\n"
                             '<div class="related-stories"><p>Ferry fares rise again this spring as fuel costs climb '
                             "for every operator on the coast</p></div>", 1)
                + "<figure><img src='a.jpg'><figcaption>The north pier in January, seen from the lighthouse. "
                  "Photograph: Lena Ortiz</figcaption></figure>"
                + '<div class="newsletter-signup"><p>Get the Coast Courier morning briefing in your inbox every '
                  "weekday before seven.</p></div>"
                + '<aside><p>Also on Coast Courier: the best beaches for a winter walk along the coast road.</p></aside>')
    text, _ = extract_html(html)
    for chrome in ("Ferry fares", "lighthouse", "morning briefing", "Also on"):
        assert chrome not in text, chrome
    assert "Fishing crews welcomed the decision" in text and "Work starts in April" in text


def test_a_long_block_is_kept_whatever_its_class_says() -> None:
    long_text = " ".join(["The board heard from every harbour user about the state of the old pier and its future."] * 20)
    html = page("<title>Pier</title>", f'<div class="share-enabled"><p>{long_text}</p></div>' + BODY)
    text, _ = extract_html(html)
    assert "every harbour user" in text


def test_a_short_article_in_a_wrapper_whose_class_names_chrome_is_kept() -> None:
    paragraphs = [
        "The harbour board agreed on Monday to rebuild the north pier after winter storms cracked its deck in three places along its length.",
        "Work starts in April and should take eleven months, the board said, during which ferries will dock at the south quay instead of the pier.",
        "Fishing crews welcomed the decision but asked for a temporary landing stage near the fish market for the whole of the coming season.",
    ]
    body = '<div class="caption-and-body">' + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>"
    # Other text on the page, so that dropping the wrapper would leave something else to extract.
    other = "<p>The town museum opens its winter exhibition about old lighthouses and the keepers who ran them.</p>"
    text, _ = extract_html(page("<title>Pier</title>", body, before=other))
    assert all(p in text for p in paragraphs)


def _body_lines(text: str) -> list[str]:
    """The text's lines after the headline, which extraction keeps as a heading line."""
    return [line for line in text.split("\n") if line and line != "Pier to be rebuilt"]


DEK = "Storm damage forces a year-long repair of the town's busiest landing."


def test_the_standfirst_beside_the_headline_is_not_article_text() -> None:
    header = f"<header><h1>Pier to be rebuilt</h1><p class='dek'>{DEK}</p></header>"
    html = page(f'<title>Pier to be rebuilt</title><meta property="og:description" content="{DEK}">', header + BODY)
    text, _ = extract_html(html)
    assert DEK not in text
    assert _body_lines(text)[0].startswith("The harbour board agreed on Monday")


def test_a_description_that_is_the_lead_paragraph_itself_stays() -> None:
    # Many pages describe themselves with their first paragraph: in the body, it is the lead.
    lead = BODY.split("</p>")[0].removeprefix("\n<p>")
    html = page(f'<meta property="og:description" content="{" ".join(lead.split())}">',
                "<header><h1>Pier to be rebuilt</h1></header>" + BODY)
    text, _ = extract_html(html)
    assert _body_lines(text)[0].startswith("The harbour board agreed on Monday")
    # A line under the headline that the page does not give as its description is left to the extractor.
    html = page(f'<meta property="og:description" content="{DEK}">',
                "<header><h1>Pier to be rebuilt</h1><p>Council meeting report, with the vote and what follows for "
                "the ferries.</p></header>" + BODY)
    assert "Council meeting report" in extract_html(html)[0]


def test_a_sidebar_of_links_is_not_article_text() -> None:
    sidebar = ('<td class="sidebar"><h2>Our links:</h2><a href="/a">Ferry times</a><br><a href="/b">Tide tables</a>'
               '<br><a href="/c">Harbour webcam</a><br><a href="/d">Try our other towns!</a></td>')
    html = page("<title>Pier to be rebuilt</title>", f"<table><tr><td>{BODY}</td>{sidebar}</tr></table>")
    text, _ = extract_html(html)
    assert "Try our other towns" not in text and "Tide tables" not in text
    assert "Fishing crews welcomed the decision" in text
