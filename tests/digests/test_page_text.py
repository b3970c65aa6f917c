"""Page chrome at the text level (digests.clean, digests.segment) and the lead put back (bot.lead)."""

from __future__ import annotations

import pytest

from bot.lead import restore_lead
from digests.clean import clean, is_chrome
from digests.segment import segment

LEAD = "The harbour board agreed on Monday to rebuild the north pier after winter storms cracked its deck."
SECOND = "Work starts in April and should take eleven months, during which ferries will dock at the south quay."
THIRD = "Fishing crews welcomed the decision but asked for a temporary landing stage near the fish market."


@pytest.mark.parametrize("line", [
    "By Ada Brennan",
    "BY PETER OKAFOR, Associated Press",
    "By Ola Berg and Lena Ortiz | Reuters",
    "Related: Ferry fares rise again this spring",
    "MORE: Five harbours to visit this winter",
    "Also on Coast Courier: the best beaches for a winter walk",
    "Related Videos",
    "Other Opinion Columns",
    "- 312 comments",
    "- Share on Facebook",
    "Loading Comments...",
    "posted on March 3, 2025, at 9:14 a.m.",
    "Updated 14:02 GMT",
    "Copyright \u00a9 2025 Coast Courier Ltd.",
    "\u00a9 2025 Coast Courier. All rights reserved.",
    "Topics: harbours, ferries, storms",
    "Image copyright Lena Ortiz",
    "Photograph: Lena Ortiz/Reuters",
    "The north pier after the storm. (AP Photo/Lena Ortiz)",
    "The Latest on the winter storms (all times local):",
    "- 2 of 7",
    "- Fullscreen",
    "This feature is temporarily unavailable. Please try again later.",
    "This site is licensed under a Creative Commons Attribution 4.0 licence.",
    "Originally published at coastcourier.example on 3 March 2025.",
])
def test_chrome_lines(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize("line", [
    LEAD,
    "By Tuesday, the board had heard from every harbour user.",
    "More than 40 people attended the meeting at the town hall.",
    "Copyright law was not part of the discussion.",
    "Published by the board in 2003, the old plan was never carried out.",
    "Related questions about the budget will come up next month.",
    "Also on the agenda was a new lighthouse.",
    "Next week the board meets again.",
    "Close to 200 boats use the pier every day.",
])
def test_article_lines_are_not_chrome(line: str) -> None:
    assert not is_chrome(line)


def test_clean_drops_byline_and_related_card_between_paragraphs() -> None:
    text = "\n".join(["By Ada Brennan", LEAD, "Related: Ferry fares rise again this spring", SECOND, "Copyright \u00a9 2025 Coast Courier Ltd."])
    assert clean(text).split("\n") == [LEAD, SECOND]


def test_headline_repeated_inside_the_body_is_dropped() -> None:
    title = "Harbour board to rebuild \u201cnorth pier\u201d"
    text = "\n".join([LEAD, 'Harbour board to rebuild "north pier"', SECOND, THIRD])
    layout = segment(text, title=title)
    assert title.casefold() not in layout.text.casefold() and "rebuild \"north pier\"" not in layout.text
    assert layout.text.split("\n\n") == [LEAD, SECOND, THIRD]


def test_a_standfirst_printed_twice_is_kept_once() -> None:
    standfirst = "Storm damage forces a year of repairs at the town's busiest landing place."
    layout = segment("\n".join([standfirst, LEAD, standfirst, SECOND]), title="Pier to be rebuilt")
    assert layout.text.split("\n\n") == [standfirst, LEAD, SECOND]


def test_a_paragraph_the_page_repeats_many_times_stays() -> None:
    refrain = "The tide comes in and the tide goes out again, as it always has."
    layout = segment("\n".join([refrain, LEAD, refrain, SECOND, refrain]), title="Tides")
    assert layout.text.count(refrain) == 3


def test_lost_lead_is_put_back_from_json_ld_article_body() -> None:
    extracted = "\n".join([SECOND, THIRD])
    article_body = [LEAD, SECOND, THIRD]
    assert restore_lead(extracted, [article_body]).split("\n") == [LEAD, SECOND, THIRD]


def test_lead_falls_back_to_the_next_source_when_the_first_does_not_show_the_text() -> None:
    extracted = "\n".join([SECOND, THIRD])
    unrelated = ["A different story about the weather that has nothing in common with this text at all."]
    assert restore_lead(extracted, [unrelated, [LEAD, SECOND, THIRD]]).split("\n")[0] == LEAD


def test_lead_is_left_alone_when_the_text_already_opens_with_it_or_starts_deep() -> None:
    whole = "\n".join([LEAD, SECOND, THIRD])
    assert restore_lead(whole, [[LEAD, SECOND, THIRD]]) == whole
    # The text starts at the source's fifth paragraph: the extractor chose that block on purpose.
    filler = [f"Paragraph number {n} of the page says something long enough to count as prose here." for n in range(4)]
    assert restore_lead(THIRD, [filler + [THIRD]]) == THIRD
    # Short labels before the text ("Share", a kicker) are not a lost lead.
    assert restore_lead(SECOND, [["Harbours", SECOND]]) == SECOND


def test_a_menu_laid_out_as_a_table_row_is_dropped_but_a_data_table_stays() -> None:
    menu = "| Harbour news | Ferries | Weather | Contact us | Search |"
    header, rule, row = "| Quay | Berths | Depth |", "|---|---|---|", "| North pier | 12 | 4 m |"
    text = "\n".join([menu, LEAD, header, rule, row, "| Boats | Ferries | Yachts | Barges |", "|---|---|---|---|", SECOND])
    out = clean(text).split("\n")
    assert menu not in out
    assert header in out and rule in out and row in out and "| Boats | Ferries | Yachts | Barges |" in out


def test_a_lone_cell_of_words_without_a_sentence_is_dropped_but_a_prose_cell_stays() -> None:
    nav = "| Harbour news front page ferries weather tides archives previous week following week |"
    caption = "| Map of the harbour with the north pier, the south quay and the fish market |"
    prose = f"| {LEAD} |"
    out = clean("\n".join([nav, caption, prose, "Powered by Tumblr", SECOND])).split("\n")
    assert out == [prose, SECOND]


@pytest.mark.parametrize(("line", "rest"), [
    ("By . Ada Brennan . PUBLISHED: . 14:11 EST, 3 March 2025 . | . UPDATED: . 15:36 EST, 3 March 2025 . " + LEAD, LEAD),
    ("By . Harbour Desk Reporter . Last updated at 1:25 AM on 3rd March 2025 . " + LEAD, LEAD),
    ("By . Ada Brennan . and Ola Berg . " + LEAD, LEAD),
    ("PUBLISHED: . 07:04 EST, 3 March 2025 . | . UPDATED: . 07:16 EST, 3 March 2025 . " + LEAD, LEAD),
    ("PORTSMOUTH, England (CNN) -- " + LEAD, LEAD),
    ("(CNN)" + LEAD, LEAD),
    ("Harbour town (Reuters) \u2014 " + LEAD, LEAD),
])
def test_byline_time_stamp_and_agency_dateline_before_the_first_sentence_are_dropped(line: str, rest: str) -> None:
    assert clean(line) == rest


@pytest.mark.parametrize("line", [
    "By the time the board met, the pier had been closed for a week.",
    "The agency (AP) reported the closure first.",
    "CNN reported the closure first.",
])
def test_sentences_that_merely_look_like_a_preamble_stay_whole(line: str) -> None:
    assert clean(line) == line
