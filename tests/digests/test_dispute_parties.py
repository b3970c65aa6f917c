"""Disputes only where two actors oppose each other: both parties are people or organisations that
act or speak in the article. Articles written here."""

from __future__ import annotations

from spacy.language import Language

from digests.conflict import is_actor_name
from digests.dispute import find_dispute
from digests.models import Quote, Speaker
from digests.parsed import ParsedArticle
from tests.conftest import parse_article as parse


def quote(parsed: ParsedArticle, text: str, name: str, org: str | None) -> Quote:
    start = parsed.text.index(text)
    return Quote(text=text, start=start, end=start + len(text), speaker=Speaker(name=name, org=org),
                 kind="direct", confidence=0.9)


def names(parsed: ParsedArticle, quotes: list[Quote]) -> list[str] | None:
    dispute = find_dispute(parsed, quotes)
    return None if dispute is None else [party.name for party in dispute.parties]


def test_an_accusation_and_a_denial_make_a_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Microsoft Accuses Google of Copying Search Code
Microsoft accused Google on Thursday of copying code from its Bing search engine.
Google denied the accusation in a statement on Friday.
Both companies sell advertising on their search pages.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None
    assert [party.name for party in dispute.parties] == ["Microsoft", "Google"]
    assert dispute.headline.startswith("Microsoft vs Google")


def test_a_demand_and_a_refusal_make_a_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Teachers Demand Pay Rise
The National Education Union demanded a pay rise from the Department for Education on Monday.
The Department for Education refused the demand and said the budget was fixed until April.""")
    assert names(parsed, []) == ["National Education Union", "Department for Education"]


def test_a_party_that_never_acts_or_speaks_is_not_a_party(nlp: Language) -> None:
    # Samsung is only talked about: it never answers, acts or is quoted.
    parsed = parse(nlp, """Regulators Look at Samsung Phones
Apple spokesperson Tara Venn said the lawsuit against Samsung was filed on Monday.
Venn said the patents covered the way phones unlock with a face.
The case will be heard in California next year.""")
    said = quote(parsed, "the patents covered the way phones unlock with a face", "Tara Venn", "Apple")
    assert names(parsed, [said]) is None


def test_a_silent_party_with_a_quote_of_its_own_is_heard(nlp: Language) -> None:
    parsed = parse(nlp, """Apple Sues Samsung Over Face Unlock
Apple sued Samsung on Monday over the way its phones unlock with a face.
"We invented this and we will protect it," said Apple spokesperson Tara Venn.
"The claims have no basis," Samsung spokesperson Min Park said.""")
    apple = quote(parsed, "We invented this and we will protect it,", "Tara Venn", "Apple")
    samsung = quote(parsed, "The claims have no basis,", "Min Park", "Samsung")
    assert names(parsed, [apple, samsung]) == ["Apple", "Samsung"]


def test_a_thing_is_never_a_party(nlp: Language) -> None:
    assert not is_actor_name("IPO")
    assert not is_actor_name("Ocean Monument + Added Banners")
    assert is_actor_name("Salesforce") and is_actor_name("Jane Rivera")
    parsed = parse(nlp, """Startup Delays Its IPO
Investors criticised the IPO after the shares fell 20 percent on the first day.
The IPO defended its price in a filing, the company's lawyers said.
Brightline Robotics said it would list again next year.""")
    dispute = find_dispute(parsed, [])
    assert dispute is None or "IPO" not in {party.name for party in dispute.parties}


def test_praise_is_not_a_conflict(nlp: Language) -> None:
    parsed = parse(nlp, """Author Talks to the BBC
Author Mira Sand told the BBC on Tuesday that the interviewer had been generous and fair.
The BBC said the interview would air on Sunday evening.""")
    assert find_dispute(parsed, []) is None


def test_a_lawsuit_filed_against_and_a_relative_clause_accuser(nlp: Language) -> None:
    parsed = parse(nlp, """Harbor Games Takes Vexel to Court
Harbor Games filed a lawsuit against Vexel Studios on Monday over the rights to its racing engine.
Vexel Studios rejected the claims and said the engine was its own work.""")
    assert names(parsed, []) == ["Harbor Games", "Vexel Studios"]
    parsed = parse(nlp, """Testimony in the Engine Case
Mark Pell testified on Tuesday in a lawsuit brought by Harbor Games, which accuses Vexel Studios of copying code.
Vexel Studios denied copying any code.""")
    assert names(parsed, []) == ["Harbor Games", "Vexel Studios"]


def test_hitting_out_at_a_rival_who_answers(nlp: Language) -> None:
    parsed = parse(nlp, """Singer Hits Out at Rival
Pop star Lena Voss hit out at singer Mara Quist on Sunday over a song she says was copied.
Mara Quist rejected the claim and said she had written the song in 2019.""")
    assert names(parsed, []) == ["Lena Voss", "Mara Quist"]
    parsed = parse(nlp, """Record Sales
Singer Lena Voss hit a record of ten million sales on Sunday with her new album.
Mara Quist said she had written a song for the album in 2019.""")
    assert find_dispute(parsed, []) is None


# --- The second party named again as "the company", "the ministry", "he" ---------------------

def test_a_denial_by_the_company_counts_for_the_company_named_before(nlp: Language) -> None:
    parsed = parse(nlp, """Regulator Accuses Pellway of Hiding Fees
The Consumer Markets Authority accused Pellway Bank on Tuesday of hiding overdraft fees from customers.
The bank denied the accusation and said every fee was listed on its website.""")
    assert names(parsed, []) == ["Consumer Markets Authority", "Pellway Bank"]


def test_a_refusal_by_the_ministry_answers_a_demand(nlp: Language) -> None:
    parsed = parse(nlp, """Nurses Demand Safer Staffing
The Royal College of Nursing demanded more staff on every ward from the Ministry of Health on Monday.
The ministry refused, saying its budget for the year had already been set.""")
    assert names(parsed, []) == ["Royal College of Nursing", "Ministry of Health"]


def test_he_who_defends_himself_answers_a_lawsuit(nlp: Language) -> None:
    parsed = parse(nlp, """Author Sues Teacher Over Copied Novel
Romance author Delia Marchetti filed a federal lawsuit in May against her former teacher, Owen Castell.
Castell was not in court on Monday.
He denied copying the novel and said the plot was his own.""")
    assert names(parsed, []) == ["Delia Marchetti", "Owen Castell"]


def test_a_cut_off_and_a_protest_make_a_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Supplier Cuts Off Grocer
Harlan Foods cut off deliveries to Brookfield Stores Inc. on Friday after a row over unpaid invoices.
Brookfield Stores protested the decision and said the invoices had been paid in full.""")
    assert names(parsed, []) == ["Harlan Foods", "Brookfield Stores"]


def test_a_criticism_and_a_response_make_a_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Minister Criticises Airline
Transport minister Rhona Keel criticised Skyvane Airways on Wednesday for cancelling 300 flights.
Skyvane Airways responded that the cancellations were caused by a strike of air traffic controllers.""")
    assert names(parsed, []) == ["Rhona Keel", "Skyvane Airways"]


def test_countries_are_parties_when_they_act(nlp: Language) -> None:
    parsed = parse(nlp, """Border Row Deepens
Norway accused Sweden on Monday of moving border markers into its territory.
Sweden rejected the accusation and said the markers had not moved in a century.""")
    assert names(parsed, []) == ["Norway", "Sweden"]


def test_a_place_as_a_modifier_or_it_is_no_party(nlp: Language) -> None:
    # "a Denver dentist" is a person, not the city; the dog that "attacked" is not the city either.
    parsed = parse(nlp, """Dog Attack in Denver
A Denver dentist, Carla Ruiz, said on Monday that a neighbour's dog attacked her son in the park.
Denver has 40 parks. The dog barked as it attacked him, and it ran away.
Carla Ruiz said the boy was fine.""")
    dispute = find_dispute(parsed, [])
    assert dispute is None or "Denver" not in {party.name for party in dispute.parties}


def test_a_pronoun_stands_for_the_subject_not_the_nearest_name(nlp: Language) -> None:
    # "he" is Pell, the subject, not Rourke, who is only named inside the phrase before it.
    parsed = parse(nlp, """Lawyer Sues Accusers
Lawyer Adam Pell, who once worked for Rourke's firm, filed defamation suits on Monday and he urged Daniel Wren to speak.
Daniel Wren denied any part in the claims.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None and [party.name for party in dispute.parties] == ["Adam Pell", "Daniel Wren"]


def test_one_person_under_two_names_is_never_both_parties(nlp: Language) -> None:
    parsed = parse(nlp, """A Blogger and His Critics
Marco Lindqvist writes about apps. Marco is great with criticism as long as it never criticizes him.
Marco said he would keep writing.""")
    dispute = find_dispute(parsed, [])
    assert dispute is None


def test_a_denied_act_is_no_act(nlp: Language) -> None:
    parsed = parse(nlp, """Council Budget Passed
The Harrow Council did not criticise Westline Buses on Monday for the late services.
Westline Buses said the timetable would change in May.""")
    assert find_dispute(parsed, []) is None


def test_a_regulator_orders_and_the_company_denies(nlp: Language) -> None:
    parsed = parse(nlp, """Watchdog Rules on Health Claims
The Advertising Standards Authority ordered Pureleaf Remedies Ltd to remove a claim from its website.
Pureleaf Remedies Ltd denied any breach and said the claim was backed by research.""")
    assert names(parsed, []) == ["Advertising Standards Authority", "Pureleaf Remedies Ltd"]


def test_a_party_that_is_not_quoted_holds_what_the_article_says(nlp: Language) -> None:
    parsed = parse(nlp, """Regulator Accuses Pellway of Hiding Fees
The Consumer Markets Authority accused Pellway Bank on Tuesday of hiding overdraft fees from customers.
The bank denied the accusation and said every fee was listed on its website.
A spokesman said the writer's 'best guess' could change, but the firm's view would not.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None
    bank = dispute.parties[1]
    assert bank.name == "Pellway Bank" and bank.quotes == []
    assert bank.position == "The bank denied the accusation and said every fee was listed on its website."
    assert not any("best guess" in q for q in dispute.open_questions)


# --- Collective actors: "the army", "protesters", "the union" ---------------------------------

def test_a_group_that_speaks_is_a_party_against_a_named_person(nlp: Language) -> None:
    parsed = parse(nlp, """Army Takes Control in Veloria
President Anton Brasz rejected the army's demand to step down on Tuesday.
The army said it had taken control of the capital and that the president was safe.""")
    assert names(parsed, []) == ["Anton Brasz", "the army"]


def test_the_sides_named_in_a_row_between_them_are_paired(nlp: Language) -> None:
    # A mediator "between X and the generals": the article names both sides; each acts or speaks.
    parsed = parse(nlp, """Bishop Mediates in Veloria
President Anton Brasz is resisting pressure to resign after the coup.
Bishop Karel Dunn is acting as a mediator between Mr Brasz and the generals, who seized the capital on Monday.
The military said it was keeping the president and his family safe.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None
    assert [party.name for party in dispute.parties] == ["Anton Brasz", "the military"]
    military = dispute.parties[1]
    assert military.position == "The military said it was keeping the president and his family safe."


def test_a_group_that_is_only_talked_about_is_no_party(nlp: Language) -> None:
    # The protesters neither act nor speak here: they are only the object of the mayor's words.
    parsed = parse(nlp, """Mayor Criticises March
Mayor Ilse Varga criticised the protesters on Sunday for blocking the ring road.
She said the road would reopen on Monday morning.""")
    assert find_dispute(parsed, []) is None


def test_protesters_who_demand_and_a_ministry_that_refuses(nlp: Language) -> None:
    parsed = parse(nlp, """Farmers Block Roads
Protesters demanded lower fuel prices from the Ministry of Energy on Friday.
The ministry refused and said prices were set by the market.""")
    assert names(parsed, []) == ["protesters", "Ministry of Energy"]


def test_part_of_a_group_or_one_member_is_no_collective_party(nlp: Language) -> None:
    parsed = parse(nlp, """Soldiers Accuse Commander
Two soldiers accused Colonel Pia Rask on Monday of hiding the losses.
Colonel Pia Rask denied the accusation and said the figures were published.""")
    dispute = find_dispute(parsed, [])
    assert dispute is None or not {"soldiers", "two soldiers", "the military"} & {p.name for p in dispute.parties}
    parsed = parse(nlp, """Soldier Accuses Commander
A soldier accused Colonel Pia Rask on Monday of hiding the losses.
Colonel Pia Rask denied the accusation and said the figures were published.""")
    dispute = find_dispute(parsed, [])
    assert dispute is None or "the military" not in {p.name for p in dispute.parties}


def test_the_police_is_the_named_force_or_the_group_never_the_last_organisation(nlp: Language) -> None:
    # "the police" after a news agency is not the agency.
    parsed = parse(nlp, """Activist Accuses Police
Activist Noor Haddad accused the police on Monday of beating marchers, she told Reuters.
The police denied the accusation and said officers had used no force.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None
    assert [party.name for party in dispute.parties] == ["Noor Haddad", "the police"]
    parsed = parse(nlp, """Activist Accuses Police
Activist Noor Haddad accused the Brenton Police Department on Monday of beating marchers.
The police denied the accusation and said officers had used no force.""")
    assert names(parsed, []) == ["Noor Haddad", "Brenton Police Department"]


def test_a_scare_quoted_name_is_no_position(nlp: Language) -> None:
    parsed = parse(nlp, """Regulator Accuses Pellway of Hiding Fees
The Consumer Markets Authority accused Pellway Bank on Tuesday of hiding fees in its "Gold Plus" accounts.
The bank denied the accusation and said every fee was listed on its website.""")
    gold = quote(parsed, "Gold Plus", "Pellway Bank", None)
    dispute = find_dispute(parsed, [gold])
    assert dispute is not None and dispute.parties[1].name == "Pellway Bank"
    assert dispute.parties[1].position == "The bank denied the accusation and said every fee was listed on its website."


def test_a_union_named_by_whose_it_is_and_an_airline(nlp: Language) -> None:
    parsed = parse(nlp, """Union Accuses Airline
The pilots' union accused Skyvane Airways on Monday of breaking the pay agreement.
The airline rejected the claim and said it had paid every pilot in full.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None
    assert [party.name for party in dispute.parties] == ["the pilots' union", "Skyvane Airways"]
    assert dispute.headline.startswith("The pilots' union vs Skyvane Airways")


def test_two_armies_are_two_sides_not_one_group(nlp: Language) -> None:
    parsed = parse(nlp, """Border Clash
Syrian troops attacked Turkish troops near the border on Monday, the Turkish army said.
The Syrian army said it had not fired a shot.""")
    assert names(parsed, []) == ["the Syrian army", "the Turkish army"]


def test_police_charging_a_suspect_is_no_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Man Charged After Break-In
Police charged Dan Moore with burglary on Monday after a break-in at a shop.
Moore denied the charges in court on Tuesday and said he had been at home.""")
    assert find_dispute(parsed, []) is None


def test_a_title_and_a_surname_are_the_one_full_name(nlp: Language) -> None:
    # "Mr Brasz" in the row and "Anton Brasz" who resists are one party.
    parsed = parse(nlp, """Bishop Mediates in Veloria
President Anton Brasz is resisting pressure to resign after the coup.
Bishop Karel Dunn is acting as a mediator between Mr Brasz and the army.
The army said the president was safe.""")
    assert names(parsed, []) == ["Anton Brasz", "the army"]


def test_residents_who_protest_against_a_council(nlp: Language) -> None:
    parsed = parse(nlp, """Library Closure
Residents protested against the Brenton Council's plan to close the library on Tuesday.
The council said the library cost too much to run.""")
    assert names(parsed, []) == ["residents", "Brenton Council"]


def test_a_row_between_two_that_never_act_or_speak_is_no_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Analysts Weigh In
Analyst Rita Holm said the row between Harlan Foods and Brookfield Stores could last for years.
Shares of both companies fell on Friday.""")
    assert find_dispute(parsed, []) is None


def test_each_target_joined_by_and_counts(nlp: Language) -> None:
    # The act is aimed at both; the one who answers is the other party.
    parsed = parse(nlp, """Singer Hits Out at Lawyers
Lena Voss criticised Mara Quist and Tove Lind for naming her in the lawsuit.
Tove Lind rejected the claim and said the lawsuit was filed in good faith.""")
    assert names(parsed, []) == ["Lena Voss", "Tove Lind"]


def test_a_caption_label_is_not_the_subject(nlp: Language) -> None:
    # "Lawyers: Lena Voss slammed …" inside a paragraph: the label is no actor, nor part of the allegation.
    parsed = parse(nlp, """Singer Hits Out at Lawyers
The case was heard on Monday. Lawyers: Lena Voss slammed Tove Lind for naming her in the lawsuit.
Tove Lind rejected the claim and said the lawsuit was filed in good faith.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None
    assert [party.name for party in dispute.parties] == ["Lena Voss", "Tove Lind"]


def test_a_sentence_cut_at_a_line_break_is_no_position(nlp: Language) -> None:
    parsed = parse(nlp, """Regulator Accuses Pellway of Hiding Fees
The Consumer Markets Authority accused Pellway Bank on Tuesday of hiding overdraft fees from customers.
The bank denied that the fees were .
hidden from anyone.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None
    assert dispute.parties[1].position is None or not dispute.parties[1].position.endswith(" .")


def test_a_feud_with_and_a_legal_battle_between_pair_two_who_speak(nlp: Language) -> None:
    parsed = parse(nlp, """Suppliers at Odds Again
Harlan Foods' feud with Brookfield Stores deepened on Monday.
Brookfield Stores said it would stop paying invoices.
Harlan Foods said the invoices were due.""")
    assert names(parsed, []) == ["Harlan Foods", "Brookfield Stores"]
    parsed = parse(nlp, """Suppliers Go to Court
The legal battle between Harlan Foods and Brookfield Stores reached court on Monday.
Brookfield Stores said it would stop paying invoices.
Harlan Foods said the invoices were due.""")
    assert names(parsed, []) == ["Harlan Foods", "Brookfield Stores"]


def test_a_battle_between_two_players_is_a_game_not_a_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Five Hours on Centre Court
The battle between Rafa Mendel and Jon Sorby lasted five hours on Sunday.
Mendel said he was tired. Sorby said he was happy with his serve.""")
    assert find_dispute(parsed, []) is None


def test_the_allegation_keeps_who_said_it_and_drops_a_caption_label(nlp: Language) -> None:
    # Scraped text keeps a photo caption's label in the sentence after a line break turned into " . ".
    parsed = parse(nlp, """Regulator Accuses Pellway of Hiding Fees
New rules on bank fees came into force in March after a long review by the regulator . Fees: The Consumer Markets Authority accused Pellway Bank on Tuesday of hiding fees.
The bank denied the accusation and said every fee was listed on its website.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None and dispute.allegation is not None
    assert dispute.allegation.startswith("The Consumer Markets Authority accused Pellway Bank")
    parsed = parse(nlp, """Regulator Accuses Pellway of Hiding Fees
The Consumer Markets Authority accused Pellway Bank on Tuesday of hiding fees from customers.
The bank denied the accusation. Jo Bell said: Pellway Bank violated the rules on fees.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None and dispute.allegation is not None
    assert not dispute.allegation.startswith("Pellway Bank violated")
