"""The TL;DR takes only well-formed prose of the body: datelines, bylines, timestamps, questions,
captions, promo lines and the headline said again are never shown as the news. Articles written here."""

from __future__ import annotations

import pytest
from spacy.language import Language

from digests.sentences import has_main_clause, is_prose, lead_in_end, span_of
from digests.tldr import (
    NO_PROSE,
    in_open_quote,
    is_continuation,
    make_tldr,
    repeats_chosen,
    repeats_title,
    writer_speaks,
)
from tests.conftest import parse_article as parse

LEAD = "The Harlow council voted on Tuesday to close the Mill Road bridge to cars for two years of repairs."


@pytest.mark.parametrize("opening", ["HARLOW —", "HARLOW, England (AP) —", "(CNN) --", "Harlow, England (Reuters) -"])
def test_a_dateline_is_left_out_of_the_lead(nlp: Language, opening: str) -> None:
    parsed = parse(nlp, f"""Council Closes Mill Road Bridge
{opening} {LEAD}
Drivers will be sent along the ring road, which adds about ten minutes to a trip across town.
The bridge was built in 1932 and last repaired in 1988, the council said.""")
    tldr = make_tldr(parsed)
    assert tldr[0] == LEAD
    assert not any(opening.split()[0].strip("(") in sentence.split()[0] for sentence in tldr)


def test_byline_and_timestamp_lines_are_not_sentences(nlp: Language) -> None:
    parsed = parse(nlp, "By . Nora Quince . PUBLISHED: . 09:12 EST, 4 March 2024 . | . UPDATED: . 11:40 EST, "
                        f"4 March 2024 . {LEAD} Drivers will be sent along the ring road, which adds ten minutes "
                        "to a trip across town. Last updated at 3:31 PM on 4th March 2024 .")
    tldr = make_tldr(parsed)
    assert tldr[0] == LEAD
    assert not any("PUBLISHED" in s or "UPDATED" in s or "Nora Quince" in s or "Last updated" in s for s in tldr)
    texts = [s.text for s in parsed.sentences]
    assert not any(t.startswith(("By .", "PUBLISHED", "|")) for t in texts)


def test_a_question_lead_and_a_promo_line_are_skipped(nlp: Language) -> None:
    parsed = parse(nlp, f"""Council Closes Mill Road Bridge
Also on Harlow Star: ten walks to try this spring
Who will pay for the Mill Road bridge repairs that the town has put off for thirty years?
{LEAD}
Drivers will be sent along the ring road, which adds about ten minutes to a trip across town.""")
    tldr = make_tldr(parsed)
    assert tldr[0] == LEAD
    assert not any(s.endswith("?") or "Also on" in s for s in tldr)


def test_the_headline_said_again_is_not_the_lead(nlp: Language) -> None:
    title = "Harlow council closes Mill Road bridge to cars for two years"
    parsed = parse(nlp, f"""Harlow council closes Mill Road bridge to cars for two years.
{LEAD}
Drivers will be sent along the ring road, which adds about ten minutes to a trip across town.""", title=title)
    assert repeats_title(title, "Harlow council closes Mill Road bridge to cars for two years.")
    assert not repeats_title(title, LEAD)
    tldr = make_tldr(parsed)
    assert tldr[0] == LEAD
    assert "Harlow council closes Mill Road bridge to cars for two years." not in tldr


def test_a_lead_leaning_on_what_was_left_out_is_not_first(nlp: Language) -> None:
    # The first paragraph was lost; the one that survives opens on "In addition to".
    parsed = parse(nlp, f"""Council Closes Mill Road Bridge
In addition to the bridge, the council will repave 14 streets in the old town next summer.
{LEAD}""")
    assert make_tldr(parsed)[0] == LEAD


def test_captions_are_not_prose(nlp: Language) -> None:
    parsed = parse(nlp, f"""Council Closes Mill Road Bridge
{LEAD}
Closed: The Mill Road bridge seen from the river bank on Tuesday morning .
Drivers will be sent along the ring road, which adds about ten minutes to a trip across town.""")
    caption = next(s for s in parsed.sentences if "river bank" in s.text)
    assert not is_prose(parsed, caption)
    assert not any("river bank" in s for s in make_tldr(parsed))


def test_a_page_without_prose_says_so(nlp: Language) -> None:
    parsed = parse(nlp, """Harlow Town 3, Epping Rovers 1
Harlow Town 3 (Quince 12, Marsh 40, Hale 77)
Epping Rovers 1 (Dunn 65)
Attendance 1,204 | Referee P. Lowe
Shots 14-9 | Corners 6-3 | Fouls 11-12""")
    assert make_tldr(parsed) == [NO_PROSE]


def test_lead_in_end_keeps_a_sentence_that_has_no_dateline() -> None:
    text = "Apple (AAPL) shares rose 3% on Monday."
    assert lead_in_end(text, 0, len(text)) == 0
    dated = "WASHINGTON — The Senate passed the bill."
    assert dated[lead_in_end(dated, 0, len(dated)):] == "The Senate passed the bill."


def test_a_later_sentence_with_more_of_the_news_beats_a_side_detail(nlp: Language) -> None:
    # Only two sentences fit the word budget: the second is colour, the third carries the news
    # (the title's actors and event), so the third is taken although it comes later.
    parsed = parse(nlp, """Harlow Council Closes Mill Road Bridge for Repairs
The Harlow council voted on Tuesday evening to close the Mill Road bridge to all cars and lorries for two years of repairs, after engineers found cracks in two of its arches.
Rain fell steadily on the small and patient crowd that had gathered on the steps outside the old town hall long before the meeting began that evening.
The Mill Road bridge repairs will cost the Harlow council 14 million pounds, and the bridge will close to cars in May, officials said.
Pigeons nest under the arches of the old stone bridge, according to the Harlow bird society.""")
    tldr = make_tldr(parsed)
    assert len(tldr) == 2
    assert tldr[0].startswith("The Harlow council voted on Tuesday")
    assert tldr[1].startswith("The Mill Road bridge repairs will cost")
    assert sum(len(s.split()) for s in tldr) <= 75


def test_a_rhetorical_opener_and_the_writers_aside_are_not_the_news(nlp: Language) -> None:
    parsed = parse(nlp, """Harlow Council Closes Mill Road Bridge for Repairs
The Harlow council voted on Tuesday evening to close the Mill Road bridge to all cars and lorries for two years of repairs, after engineers found cracks.
First, let's say what the Mill Road bridge closure in Harlow is not.
I have crossed the Harlow bridge on my way to work every single day for more than twenty years now, in the rain and in the sun, and I will miss it a lot.
The Mill Road bridge repairs will cost the Harlow council 14 million pounds, officials said on Tuesday.""")
    tldr = make_tldr(parsed)
    assert tldr[0].startswith("The Harlow council voted")
    assert "The Mill Road bridge repairs will cost the Harlow council 14 million pounds, officials said on Tuesday." in tldr
    # Only one more sentence fits the budget: the news wins over the writer's aside.
    assert not any("let's" in s or s.startswith("I have") for s in tldr)


def test_the_standfirst_above_a_byline_line_is_not_the_lead(nlp: Language) -> None:
    # A header line the cleaner keeps (a byline of names, or a timestamp line, is dropped
    # as page chrome before the TL;DR stage sees it) still closes the page's header.
    parsed = parse(nlp, f"""Council Closes Mill Road Bridge
Drivers face two years of detours as the Harlow council shuts its oldest bridge to traffic.
Posted by the Harlow Gazette city desk
{LEAD}
Drivers will be sent along the ring road, which adds about ten minutes to a trip across town.""")
    tldr = make_tldr(parsed)
    assert tldr[0] == LEAD
    assert not any(s.startswith("Drivers face two years") for s in tldr)


def test_a_sentence_leaning_on_one_left_out_is_not_taken(nlp: Language) -> None:
    # "Instead, …" answers the sentence before it; that one is mostly a quote, which a TL;DR leaves
    # out, so "Instead, …" must go too.
    raw = ("The city council has agreed a new deal for the old tram depot on the canal after months of talks.\n\n"
           "“This is not a sale of the land to the highest bidder, whatever you have heard,” the mayor told them.\n\n"
           "Instead, it is a lease of the depot and two nearby plots to a housing trust for ninety-nine years.\n\n"
           "The lease will be signed in two stages over the coming year, the council's finance chief said.\n\n"
           "The first stage covers the depot itself and its yard along the canal towpath.")
    tldr = make_tldr(parse(nlp, raw, title="Tram depot deal"))
    assert tldr[0].startswith("The city council has agreed")
    assert not any(sentence.startswith("Instead") for sentence in tldr), tldr


def test_the_tail_of_a_sentence_cut_at_a_line_break_is_not_taken(nlp: Language) -> None:
    # The page kept its source lines as paragraphs: a sentence runs on over a break.
    raw = ("Mill Fire Closes Canal Path\n\n"
           "Firefighters told the Harlow Star that the old flour mill caught fire sometime between\n\n"
           "6 AM and 7 AM Monday ... while the night guard was away.\n\n"
           "The canal towpath beside the Harlow flour mill will stay closed to walkers until Friday, the council said.")
    parsed = parse(nlp, raw)
    tail = next(s for s in parsed.sentences if s.text.startswith("6 AM"))
    assert is_continuation(parsed, tail)
    assert not has_main_clause(span_of(parsed, tail))
    lead = next(s for s in parsed.sentences if s.text.startswith("The canal towpath"))
    assert not is_continuation(parsed, lead)
    assert has_main_clause(span_of(parsed, lead))
    tldr = make_tldr(parsed)
    assert tldr[0] == lead.text
    assert not any(s.startswith("6 AM") or "sometime between" in s for s in tldr)


def test_a_sentence_needs_its_own_subject_and_finite_verb(nlp: Language) -> None:
    whole = nlp("The night guard was away when the fire started.")
    hanging = nlp("Sometime after midnight on Monday, while the night guard was away.")
    reported = nlp("“We did all we could to save the mill,” the fire chief said.")
    assert has_main_clause(whole[:])
    assert not has_main_clause(hanging[:])
    assert has_main_clause(reported[:])


def test_a_piece_of_a_quote_left_open_is_not_taken(nlp: Language) -> None:
    # The mother's quote opens in the third paragraph and runs on (no closing mark there).
    raw = ("Student Dies After Taking Pills Bought Online\n\n"
           "A Harlow student, 22, died in hospital on Sunday after taking pills she had bought online, police said.\n\n"
           "Her father, Tom Quince, said in a statement that the family wanted other students to hear her story.\n\n"
           "“As she got worse, the nurses in the ward did everything they could for her. They never gave up on her.\n\n"
           "The pills contained a chemical that is banned for people to take, Essex police said on Monday.")
    parsed = parse(nlp, raw)
    opened = next(s for s in parsed.sentences if s.text.startswith("“As she got worse"))
    inside = next(s for s in parsed.sentences if s.text.startswith("They never gave up"))
    assert in_open_quote(parsed.text, opened) and in_open_quote(parsed.text, inside)
    whole = next(s for s in parsed.sentences if s.text.startswith("Her father"))
    assert not in_open_quote(parsed.text, whole)
    tldr = make_tldr(parsed)
    assert not any("nurses" in s or "never gave up" in s for s in tldr)
    assert tldr[0].startswith("A Harlow student, 22, died")


def test_a_balanced_quote_is_not_an_open_one(nlp: Language) -> None:
    parsed = parse(nlp, "Mill Fire\n\nThe fire chief called the blaze “the worst in forty years” and said the mill "
                        "could not be saved, according to the council.")
    sentence = parsed.sentences[0]
    assert not in_open_quote(parsed.text, sentence)


def test_the_columnists_aside_is_left_out_but_a_quoted_we_is_not_the_writer(nlp: Language) -> None:
    raw = ("Council Report on Bridge Repairs Is Published\n\n"
           "The Harlow council published its report on the Mill Road bridge repairs on Tuesday, and it names three firms.\n\n"
           "The report says the repairs will cost 14 million pounds and take two years, starting in May.\n\n"
           "I was a member of the Harlow bridge trust when the first survey was done in 2019.\n\n"
           "Pigeons nest under the arches of the old stone bridge, the Harlow bird society said.")
    parsed = parse(nlp, raw)
    aside = next(s for s in parsed.sentences if s.text.startswith("I was"))
    assert writer_speaks(span_of(parsed, aside), parsed.quoted)
    tldr = make_tldr(parsed)
    assert not any(s.startswith("I was") for s in tldr)
    quoted = parse(nlp, "Bridge\n\nThe mayor told the council that “we will reopen the bridge by May” on Tuesday night.")
    assert not writer_speaks(span_of(quoted, quoted.sentences[0]), quoted.quoted)


def test_a_sentence_that_says_the_lead_again_is_dropped(nlp: Language) -> None:
    raw = ("Bug Lets Anyone Crash Harlow Ticket Machines\n\n"
           "A bug in the Harlow ticket machines lets anyone crash them with a bent coin, according to an engineer "
           "who has published a video that shows the trick.\n\n"
           "The machines were installed at all twelve Harlow stations in 2021 by a firm from Leeds.\n\n"
           "The engineer has published a video he says shows how anyone can crash the ticket machines with a bent coin.")
    lead = raw.split("\n\n")[1]
    again = raw.split("\n\n")[3]
    assert repeats_chosen(again, [lead])
    assert not repeats_chosen("The machines were installed at all twelve Harlow stations in 2021 by a firm from Leeds.",
                              [lead])
    tldr = make_tldr(parse(nlp, raw))
    assert tldr[0] == lead
    assert again not in tldr
