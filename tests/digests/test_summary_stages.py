"""The summary stages (TL;DR, implications, dispute, entities) on short articles written here, one
per rule, and on the seed article end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language
from spacy.tokens import Span

from digests.dispute import find_dispute
from digests.entities import find_entities
from digests.implications import find_implications
from digests.models import Implication, Quote, Speaker
from digests.parsed import ParsedArticle
from digests.tldr import body_sentences, make_tldr
from tests.conftest import parse_article as parse

SEED = Path(__file__).resolve().parents[2] / "seeds" / "anthropic-cuts-openai-claude-access.txt"


def quote(parsed: ParsedArticle, text: str, name: str, org: str | None, role: str | None = None) -> Quote:
    start = parsed.text.index(text)
    return Quote(text=text, start=start, end=start + len(text), speaker=Speaker(name=name, org=org, role=role),
                 kind="direct", confidence=0.9)


def assert_verbatim(parsed: ParsedArticle, implications: list[Implication]) -> None:
    for item in implications:
        assert item.text == parsed.text[item.start:item.end]


def heading_texts(parsed: ParsedArticle) -> list[str]:
    return [parsed.text[b.start:b.end] for b in parsed.layout.blocks if b.kind == "heading"]


# --- TL;DR -------------------------------------------------------------------------------------

@pytest.mark.parametrize("opener", [
    "The rivalry between Microsoft and Amazon just got a lot more interesting.",  # stock filler
    "Things are changing quickly for people who build machines.",  # names no one, states no fact
])
def test_tldr_skips_a_generic_opener(nlp: Language, opener: str) -> None:
    parsed = parse(nlp, f"""Microsoft Buys Robot Maker for $2 Billion
{opener}
Microsoft agreed on Tuesday to buy Boston robot maker Kinetix Labs for $2 billion in cash.
The deal gives Microsoft a team of 400 engineers who build warehouse robots.
Kinetix Labs was founded in 2015 by two graduates of a Boston university.""")
    tldr = make_tldr(parsed)
    assert tldr[0] == "Microsoft agreed on Tuesday to buy Boston robot maker Kinetix Labs for $2 billion in cash."
    assert opener not in tldr
    assert 1 <= len(tldr) <= 3
    assert all(sentence in parsed.text for sentence in tldr)


def test_tldr_never_takes_a_heading(nlp: Language) -> None:
    # The heading shares every word with the title: a sentence splitter that runs it into the next
    # paragraph would make it look like the most central sentence.
    parsed = parse(nlp, """Nvidia Reports Record Revenue From Data Center Chips
Nvidia reported revenue of $30 billion for the quarter, driven by demand for its data center chips.
Nvidia Data Center Chips Record Revenue Again
The company said sales of its Blackwell chips grew 80 percent from a year earlier.
Analysts expect Nvidia to report another record quarter in November.""")
    assert heading_texts(parsed) == ["Nvidia Data Center Chips Record Revenue Again"]
    tldr = make_tldr(parsed)
    assert tldr[0].startswith("Nvidia reported revenue of $30 billion")
    for sentence in tldr:
        block = parsed.layout.block_at(parsed.text.index(sentence))
        assert block is not None and block.kind != "heading"
    assert not any("Data Center Chips Record" in sentence for sentence in tldr)


def test_tldr_returns_a_sentence_when_nothing_is_specific(nlp: Language) -> None:
    # No name, number or date anywhere: every sentence is "generic", yet a digest needs a TL;DR.
    parsed = parse(nlp, """people liked the food and the music at the small party.
everyone talked about books and films for a long while.
nobody wanted to go back inside when it got dark and cold outside.""")
    assert not parsed.doc.ents
    assert make_tldr(parsed) == ["people liked the food and the music at the small party."]


def test_tldr_lists_sentences_in_article_order(nlp: Language) -> None:
    # The third sentence is more central than the second; the TL;DR still reads in article order.
    parsed = parse(nlp, """Amazon Starts Drone Delivery in Texas
Amazon began drone deliveries in College Station, Texas, on Monday, its first site in the US.
Customers in Texas pay $5 for each drone delivery during the first month.
Amazon drones carry packages up to five pounds and fly delivery routes across Texas.
The company also plans a site in California later this year.""")
    assert make_tldr(parsed) == [
        "Amazon began drone deliveries in College Station, Texas, on Monday, its first site in the US.",
        "Customers in Texas pay $5 for each drone delivery during the first month.",
        "Amazon drones carry packages up to five pounds and fly delivery routes across Texas.",
    ]


def test_tldr_keeps_article_order_and_word_budget(nlp: Language) -> None:
    parsed = parse(nlp, SEED.read_text("utf-8"))
    tldr = make_tldr(parsed)
    positions = [parsed.text.index(sentence) for sentence in tldr]
    assert positions == sorted(positions)
    assert sum(len(sentence.split()) for sentence in tldr) <= 80


# --- Implications ------------------------------------------------------------------------------

SECTION_ARTICLE = """Oracle Raises Cloud Prices
Oracle said on Monday it will raise prices for its cloud database service by 12 percent from March.
The company has 400,000 customers worldwide.
What It Means
Pricing Pressure: Rivals may follow with increases of their own. Smaller customers will feel it first.
Vendor Lock-In: Customers who built on the service have few ways to leave.
Some analysts expect the change to lift Oracle's margins next year.
Background
Oracle last raised cloud prices in 2021."""


def test_implications_section_bullets_keep_labels_and_offsets(nlp: Language) -> None:
    parsed = parse(nlp, SECTION_ARTICLE)
    found = find_implications(parsed)
    assert_verbatim(parsed, found)
    labelled = [(item.label, item.text) for item in found if item.label]
    assert labelled == [
        ("Pricing Pressure", "Rivals may follow with increases of their own. Smaller customers will feel it first."),
        ("Vendor Lock-In", "Customers who built on the service have few ways to leave."),
    ]
    texts = [item.text for item in found]
    # A paragraph inside the section counts; text before it and after the next heading does not.
    assert "Some analysts expect the change to lift Oracle's margins next year." in texts
    assert not any("400,000 customers" in t or "2021" in t or "What It Means" in t for t in texts)
    assert [item.start for item in found] == sorted(item.start for item in found)


def test_implications_from_consequence_sentences(nlp: Language) -> None:
    parsed = parse(nlp, """Intel Opens Factory in Ohio
Intel opened its new chip factory in Ohio on Thursday after three years of construction.
The plant employs 3,000 people and cost $20 billion to build.
The opening underscores how far the company has moved toward making its own chips again.
Analysts said the factory could lower Intel's costs within two years.
"This could change everything for us," said Intel chief executive Pat Gelsinger.
The site covers 1,000 acres east of Columbus.""")
    found = find_implications(parsed)
    assert_verbatim(parsed, found)
    assert [item.text for item in found] == [
        "The opening underscores how far the company has moved toward making its own chips again.",
        "Analysts said the factory could lower Intel's costs within two years.",
    ]
    assert all(item.label is None for item in found)  # the quoted "could" is Gelsinger's claim


# --- Dispute -----------------------------------------------------------------------------------

DISPUTE_ARTICLE = """Oracle Sues Salesforce Over Database Code
Oracle sued Salesforce on Monday, accusing the company of copying code from its database software.
The lawsuit, filed in California, says Salesforce engineers allegedly copied 10,000 lines of Oracle code.
"We will defend our intellectual property vigorously," Oracle spokesperson Deborah Hellinger said.
Salesforce denied the claims. "These claims are without merit," said Salesforce spokesperson Ari Kaplan.
Oracle previously sued Salesforce in 2019 over a patent on database indexes.
It remains unclear whether the case will go to trial before 2026."""


def test_dispute_parties_allegation_actions_positions(nlp: Language) -> None:
    parsed = parse(nlp, DISPUTE_ARTICLE)
    oracle = quote(parsed, "We will defend our intellectual property vigorously,", "Deborah Hellinger", "Oracle",
                   "spokesperson")
    salesforce = quote(parsed, "These claims are without merit,", "Ari Kaplan", "Salesforce", "spokesperson")
    dispute = find_dispute(parsed, [oracle, salesforce])
    assert dispute is not None
    assert [party.name for party in dispute.parties] == ["Oracle", "Salesforce"]
    assert dispute.headline.startswith("Oracle vs Salesforce")
    assert dispute.allegation is not None and "allegedly copied" in dispute.allegation
    # The 2019 lawsuit is background, not an action in this dispute.
    assert dispute.actions == [
        "Oracle sued Salesforce on Monday, accusing the company of copying code from its database software."]
    assert dispute.parties[0].quotes == [oracle] and dispute.parties[1].quotes == [salesforce]
    assert dispute.parties[1].position is not None and "without merit" in dispute.parties[1].position
    assert dispute.open_questions == ["It remains unclear whether the case will go to trial before 2026."]


def test_dispute_parties_are_the_ones_in_conflict_not_the_reporters(nlp: Language) -> None:
    # The newspaper is named in as many conflict sentences as either company, but it is never the
    # subject or object of a conflict word.
    parsed = parse(nlp, """Oracle Takes Salesforce to Court
Oracle sued Salesforce on Monday, the Financial Times reported.
The Financial Times said Salesforce allegedly copied code from a database.
The Financial Times also said the lawsuit was filed in California.
Salesforce denied Oracle's claims in a short statement on Tuesday.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None
    assert [party.name for party in dispute.parties] == ["Oracle", "Salesforce"]


def test_a_spokesperson_counts_for_their_organisation(nlp: Language) -> None:
    parsed = parse(nlp, """Oracle Takes Salesforce to Court
Oracle spokesperson Deborah Hellinger announced the lawsuit against Salesforce on Monday.
Hellinger said the breach was deliberate and had gone on for years.
Hellinger said the violation had cost Oracle customers money.
Hellinger accused Salesforce of copying code from a database.
Salesforce denied the claims on Tuesday.""")
    said = quote(parsed, "the breach was deliberate", "Deborah Hellinger", "Oracle", "spokesperson")
    dispute = find_dispute(parsed, [said])
    assert dispute is not None
    assert [party.name for party in dispute.parties] == ["Oracle", "Salesforce"]
    assert dispute.parties[0].quotes == [said]
    # Hellinger acts for Oracle: she is never a party of her own.
    assert "Deborah Hellinger" not in {party.name for party in dispute.parties}


def test_no_conflict_gives_no_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Apple and Nvidia Announce Chip Partnership
Apple and Nvidia announced on Tuesday a partnership to design chips for Apple's data centers.
The two companies said the first chips would ship in 2026.
Apple rejected the idea that the deal gives Nvidia control over the design of its chips.
"This is an exciting step for both of us," said Apple chief executive Tim Cook.
Nvidia shares rose 3 percent after the announcement.""")
    cook = quote(parsed, "This is an exciting step for both of us,", "Tim Cook", "Apple")
    assert find_dispute(parsed, [cook]) is None


def test_a_conflict_word_about_someone_else_gives_no_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Apple and Nvidia Announce Chip Partnership
Apple and Nvidia announced on Tuesday a partnership to design chips for Apple's data centers.
Apple rejected the idea that the deal gives Nvidia control over the design of its chips.
Separately, the European Union banned the sale of older phone chargers on Tuesday.""")
    assert find_dispute(parsed, []) is None


def test_a_conflict_word_with_one_party_gives_no_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """City Bans Electric Scooters Downtown
The Boston city council banned electric scooters from downtown sidewalks on Wednesday.
The ban takes effect in June and covers 40 blocks.
Council member Jane Rivera said residents had complained for years about scooters on sidewalks.""")
    assert find_dispute(parsed, []) is None


# --- Entities ----------------------------------------------------------------------------------

def test_entities_merge_a_surname_into_the_full_name(nlp: Language) -> None:
    parsed = parse(nlp, """Microsoft Hires New Finance Chief
Microsoft hired Maria Gonzalez as its finance chief on Monday, ending a six-month search.
Before joining, Gonzalez spent a decade at Deloitte as a partner in its London office.
"We have a lot of work ahead of us," Gonzalez said in a statement on Monday evening.""")
    said = quote(parsed, "We have a lot of work ahead of us,", "Gonzalez", "Microsoft", "finance chief")
    entities = {entity.name: entity for entity in find_entities(parsed, [said])}
    assert "Gonzalez" not in entities
    person = entities["Maria Gonzalez"]
    assert (person.kind, person.mentions, person.org, person.role) == ("person", 3, "Microsoft", "finance chief")
    assert entities["Microsoft"].kind == "organisation"


def test_entities_keep_a_quoted_person_the_model_missed(nlp: Language) -> None:
    parsed = parse(nlp, """Globex Names Product Chief
Globex named Tova Quill as its product chief on Monday after a long search.
"We will ship the new phone in June," Tova Quill said at the company's offices in Denver.""")
    parsed.doc.ents = [ent for ent in parsed.doc.ents if ent.label_ != "PERSON"]  # as if NER had missed her
    said = quote(parsed, "We will ship the new phone in June,", "Tova Quill", "Globex", "product chief")
    person = next(e for e in find_entities(parsed, [said]) if e.name == "Tova Quill")
    assert (person.kind, person.mentions, person.role) == ("person", 2, "product chief")


# --- The seed article end to end ---------------------------------------------------------------

@pytest.fixture(scope="module")
def seed(nlp: Language) -> ParsedArticle:
    return parse(nlp, SEED.read_text("utf-8"))


@pytest.fixture(scope="module")
def seed_quotes(seed: ParsedArticle) -> list[Quote]:
    return [
        quote(seed, "Unfortunately, this is a direct violation of our terms of service.", "Christopher Nulty",
              "Anthropic", "spokesperson"),
        quote(seed, "It's industry standard to evaluate other AI systems to benchmark progress and improve safety.",
              "Hannah Wong", "OpenAI", "Chief Communications Officer"),
        quote(seed, "I think it would be odd for us to be selling Claude to OpenAI.", "Jared Kaplan", "Anthropic",
              "Chief Science Officer"),
    ]


def test_seed_sentences_keep_their_closing_quote_mark(seed: ParsedArticle) -> None:
    texts = [sentence.text for sentence in body_sentences(seed)]
    assert '"Unfortunately, this is a direct violation of our terms of service."' in texts
    assert not any(text[0] in "\"”" and not any(ch.isalnum() for ch in text) for text in texts)
    assert not any("The Allegations" in text or "Broader Implications" in text for text in texts)


def test_seed_tldr_is_clean_article_text(seed: ParsedArticle) -> None:
    tldr = make_tldr(seed)
    print("TLDR", tldr)
    assert 1 <= len(tldr) <= 3
    assert tldr[0].startswith("Anthropic, the developer of the highly acclaimed Claude family")
    for sentence in tldr:
        assert sentence in seed.text
        assert "views" not in sentence and "Comment" not in sentence
        assert not any(bad in sentence for bad in ("Ä", "Å", "Ã", "â€", "\ufffd"))
        assert "just got a lot more" not in sentence


def test_seed_implications(seed: ParsedArticle) -> None:
    found = find_implications(seed)
    print("IMPLICATIONS", [(item.label, item.text) for item in found])
    assert_verbatim(seed, found)
    assert [item.label for item in found if item.label] == [
        "Protecting IP", "Benchmarking vs. Training", "Competitive Tensions", "Capacity Constraints"]
    assert next(item for item in found if item.label == "Protecting IP").text.startswith("AI companies are becoming")
    texts = [item.text for item in found]
    assert any(t.startswith("This incident highlights") for t in texts)
    assert any(t.startswith("It underscores") for t in texts)
    assert not any("Broader Implications" in t for t in texts)
    assert len(found) <= 8


def test_seed_dispute(seed: ParsedArticle, seed_quotes: list[Quote]) -> None:
    dispute = find_dispute(seed, seed_quotes)
    print("DISPUTE", dispute)
    assert dispute is not None
    assert [party.name for party in dispute.parties] == ["Anthropic", "OpenAI"]
    assert dispute.headline.startswith("Anthropic vs OpenAI")
    assert dispute.allegation is not None and "allegedly" in dispute.allegation
    assert any("cut off OpenAI's API access" in action for action in dispute.actions)
    assert not any("Windsurf" in action for action in dispute.actions)  # another, earlier conflict
    anthropic, openai = dispute.parties
    assert anthropic.quotes == [seed_quotes[0], seed_quotes[2]]
    assert openai.position == seed_quotes[1].text
    assert any("outcomes of such disputes" in q for q in dispute.open_questions)


def test_seed_entities(seed: ParsedArticle, seed_quotes: list[Quote]) -> None:
    entities = find_entities(seed, seed_quotes)
    by_name = {entity.name: entity for entity in entities}
    assert {entities[0].name, entities[1].name} == {"Anthropic", "OpenAI"}
    assert by_name["Christopher Nulty"].mentions == 2
    assert by_name["Christopher Nulty"].org == "Anthropic"
    assert by_name["Hannah Wong"].role == "Chief Communications Officer"
    assert "Nulty" not in by_name and "Training" not in by_name  # a surname; a word of a bullet label
    assert [e.mentions for e in entities] == sorted((e.mentions for e in entities), reverse=True)


def test_seed_stages_are_deterministic(nlp: Language, seed: ParsedArticle, seed_quotes: list[Quote]) -> None:
    again = parse(nlp, SEED.read_text("utf-8"))
    assert make_tldr(again) == make_tldr(seed)
    assert find_implications(again) == find_implications(seed)
    assert find_dispute(again, seed_quotes) == find_dispute(seed, seed_quotes)


def test_entities_are_names_not_fragments_or_misfiled_people(nlp: Language) -> None:
    parsed = parse(nlp, """Harbour Deal Approved
Tom Ferrante, an analyst at Gillard Partners, said the deal was good for Brightwater Foods.
Ferrante said Brightwater Foods would keep its Kroger-owned stores in the north.
The G40 group of ministers backed the plan, and Zanu-PF officials said the Bill would pass.
Ferrante added that this Bill had support from the Senate.""")
    entities = {entity.name: entity for entity in find_entities(parsed, [])}
    assert "Ferrante" not in entities  # the surname, whatever the model labelled it, is Tom Ferrante
    assert entities["Tom Ferrante"].kind == "person" and entities["Tom Ferrante"].mentions == 3
    assert not any(name.endswith("-owned") for name in entities)
    assert all(entity.kind != "person" for name, entity in entities.items() if name in {"G40", "Zanu-PF", "Bill"})


def test_entities_leave_out_peoples_and_nationalities(nlp: Language) -> None:
    parsed = parse(nlp, """Tribes Gather at the Harbour
Elders from three Māori tribes met at the harbour on Monday, where Māori carvers showed their work.
Hone Tapsell, a carver, said many Africans and Samoans had visited the gallery this year.
Tapsell said the Pacific Islanders who came last week stayed for two days.""")
    names = {entity.name for entity in find_entities(parsed, [])}
    assert "Hone Tapsell" in names
    assert not names & {"Māori", "Africans", "Samoans", "Pacific Islanders"}, names


def test_entities_call_a_first_name_alone_the_person_named_in_full(nlp: Language) -> None:
    parsed = parse(nlp, """A Podcast App Stays Free
Lena Varga runs a small podcast app from her home office in Leeds.
Lena said the app would stay free for everyone this year.
Oskar Lind wrote a long post about the app, and Oskar’s post was shared widely.""")
    entities = {entity.name: entity for entity in find_entities(parsed, [])}
    assert "Lena" not in entities and "Oskar" not in entities
    assert entities["Lena Varga"].kind == "person" and entities["Lena Varga"].mentions == 2
    assert entities["Oskar Lind"].kind == "person" and entities["Oskar Lind"].mentions == 2


def test_entities_are_never_two_blocks_or_a_reference_mark(nlp: Language) -> None:
    parsed = parse(nlp, """Browser History
The browser goes back to Netscape Communicator.[6][7] Later came a phone system, which ended.
It wasn't clear why the offer failed with Snapchat CEO Evan Spiegel, who turned it down.
Developers want React.js, Angular, PHP skills, and the Ministry of Business, Innovation and Employment agrees.
Photos

Scoreboard

Pros""")
    start = parsed.text.index("React.js")
    listed = parsed.doc.char_span(start, parsed.text.index(" skills"), label="ORG")  # as the model may tag it
    parsed.doc.ents = [ent for ent in parsed.doc.ents if ent.end <= listed.start or ent.start >= listed.end] + [listed]
    entities = {entity.name: entity for entity in find_entities(parsed, [])}
    assert all("\n" not in name and "[" not in name for name in entities), list(entities)
    assert "React.js, Angular, PHP" not in entities and "Ministry of Business, Innovation and Employment" in entities
    assert "Netscape Communicator" in entities
    assert entities["Snapchat"].kind != "person"


def test_a_country_the_model_once_calls_an_organisation_is_not_an_entity(nlp: Language) -> None:
    parsed = parse(nlp, """Fishing Quotas Agreed
Norway signed the fishing treaty in May after long talks with its neighbours.
Officials in Norway said the quotas would hold for five years.
Norway will review the deal in 2030, said Ingrid Holm, a ministry adviser.""")
    ents = list(parsed.doc.ents)
    first = next(n for n, ent in enumerate(ents) if ent.text == "Norway")
    ents[first] = Span(parsed.doc, ents[first].start, ents[first].end, label="ORG")  # one odd sentence
    parsed.doc.ents = ents
    names = {entity.name for entity in find_entities(parsed, [])}
    assert "Norway" not in names and "Ingrid Holm" in names, names


def test_a_full_name_the_model_calls_an_organisation_is_the_quoted_person(nlp: Language) -> None:
    parsed = parse(nlp, """Whales Return to the Bay
Tama Rewiti has watched the whales come into the bay for forty years.
"The sea is telling us something," said Tama Rewiti, a carver from the north.""")
    ents = [Span(parsed.doc, ent.start, ent.end, label="ORG") if ent.text == "Tama Rewiti" else ent
            for ent in parsed.doc.ents]
    parsed.doc.ents = ents  # as if the model had called him an organisation
    said = quote(parsed, "The sea is telling us something,", "Tama Rewiti", None, "carver")
    entities = {entity.name: entity for entity in find_entities(parsed, [said])}
    assert entities["Tama Rewiti"].kind == "person" and entities["Tama Rewiti"].role == "carver"


def test_an_entity_that_is_only_a_mark_is_nobody_and_the_digest_goes_on(nlp: Language) -> None:
    """The model can tag a lone apostrophe as a person ("' Brien" split oddly): stripped of its
    possessive it has no name, so it is no one, and the quotes after it are still attributed."""
    from digests.quotes import find_quotes

    parsed = parse(nlp, """Harbour Plan Approved
The council met on Monday ' and the harbour plan passed by two votes.
"We will start building in spring," said Ana Ruiz, the council's planning chief.""")
    mark = next(t for t in parsed.doc if t.text == "'")
    parsed.doc.ents = [ent for ent in parsed.doc.ents if not (ent.start <= mark.i < ent.end)] + [
        Span(parsed.doc, mark.i, mark.i + 1, label="PERSON")]
    quotes = find_quotes(parsed)
    assert [(q.text, q.speaker and q.speaker.name) for q in quotes] == [("We will start building in spring", "Ana Ruiz")]
