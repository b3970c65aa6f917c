"""Long English articles of any size, for the size benchmarks: news-like paragraphs made by
recombining sentence templates written here with names, organisations, places and numbers, so that
every paragraph differs and the text carries what the engine looks for (quotes with speech verbs,
surnames and pronouns, conflict words, consequences, the odd heading).

    from articles import make_article
    text = make_article(10_000, seed=1)   # about 10,000 words
"""

from __future__ import annotations

import random

PEOPLE = [("Maria Lopez", "she"), ("David Chen", "he"), ("Aisha Okafor", "she"), ("Tom Becker", "he"),
          ("Priya Nair", "she"), ("Jonas Weber", "he"), ("Elena Rossi", "she"), ("Samuel Adeyemi", "he"),
          ("Hannah Kim", "she"), ("Lucas Martin", "he"), ("Grace Mwangi", "she"), ("Oliver Grant", "he")]
ORGS = ["Northwind Energy", "Globex", "Initech", "Harbor Freight Lines", "Bluewater Bank", "Acme Robotics",
        "the city council", "the Transport Ministry", "Vertex Labs", "Summit Health"]
ROLES = ["chief executive", "spokeswoman", "spokesman", "analyst", "director of operations", "economist",
         "union leader", "senior engineer", "policy adviser", "mayor"]
PLACES = ["Lisbon", "Nairobi", "Toronto", "Osaka", "Leeds", "Porto Alegre", "Denver", "Hamburg"]
TOPICS = ["the new rail line", "the water tariff", "the battery plant", "the hospital merger", "the port expansion",
          "the wage agreement", "the data centre", "the flood defences", "the bus contract", "the school budget"]
THINGS = ["costs", "delays", "jobs", "prices", "safety rules", "emissions", "contracts", "deadlines"]
VERBS = ["said", "told reporters", "added", "wrote in a statement", "argued", "warned", "explained", "noted"]
HEADINGS = ["What happens next", "Why it matters", "The background", "A long dispute", "Money and jobs",
            "Reaction in the city"]

NARRATION = [
    "{org} announced on {day} that it would spend {n} million dollars on {topic} in {place}.",
    "The plan for {topic} has divided residents of {place} for more than {k} years.",
    "{name}, the {role} of {org}, has led the talks on {topic} since {year}.",
    "Officials in {place} expect {things} to rise by {p} percent before the end of {year}.",
    "{org} sued {org2} in {year}, accusing it of breaching the contract for {topic}.",
    "A report published on {day} found that {things} had doubled since the work on {topic} began.",
    "The decision could reshape how {place} pays for {topic} over the next decade.",
    "{surname} met workers at the site in {place} on {day} and promised answers within {k} weeks.",
    "Critics say {org} ignored early warnings about {things} and moved too fast.",
    "It remains unclear whether {org2} will accept the terms offered for {topic}.",
    "Construction crews in {place} worked through the night to keep {topic} on schedule.",
    "The regulator fined {org2} {n} million dollars last spring over {things} at another site.",
]
QUOTES = [
    "\u201cWe have never seen {things} like this in {place},\u201d {name} {verb}.",
    "\u201cThis is about {things}, and nothing else,\u201d {pronoun} {verb}. \u201cWe will not back down.\u201d",
    "{name} {verb}: \u201cThe people of {place} deserve a clear answer on {topic}.\u201d",
    "\u201cIf the numbers hold, {topic} will pay for itself within {k} years,\u201d {verb} {surname}.",
    "According to {name}, the delays were \u201centirely avoidable\u201d and cost {org} dearly.",
    "\u201cWe are ready to talk,\u201d {org} {verb}, \u201cbut not under threat of a lawsuit.\u201d",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _sentence(rng: random.Random, templates: list[str], person: tuple[str, str]) -> str:
    name, pronoun = person
    org, org2 = rng.sample(ORGS, 2)
    text = rng.choice(templates).format(
        name=name, surname=name.split()[-1], pronoun=pronoun, org=org, org2=org2, role=rng.choice(ROLES),
        place=rng.choice(PLACES), topic=rng.choice(TOPICS), things=rng.choice(THINGS), verb=rng.choice(VERBS),
        day=rng.choice(DAYS), n=rng.randint(2, 900), k=rng.randint(2, 12), p=rng.randint(3, 40),
        year=rng.randint(2015, 2026))
    return text[0].upper() + text[1:]


def _paragraph(rng: random.Random) -> str:
    person = rng.choice(PEOPLE)
    sentences = [_sentence(rng, NARRATION, person) for _ in range(rng.randint(2, 4))]
    if rng.random() < 0.6:
        sentences.insert(rng.randint(1, len(sentences)), _sentence(rng, QUOTES, person))
    return " ".join(sentences)


def make_article(words: int, seed: int = 0) -> str:
    """A titled article of about `words` words (never fewer), in paragraphs with a heading every
    eight to twelve of them."""
    rng = random.Random(seed)
    lines = [f"{rng.choice(ORGS).title()} And {rng.choice(ORGS).title()} Clash Over {rng.choice(TOPICS).title()}"]
    count = 0
    until_heading = rng.randint(8, 12)
    while count < words:
        if until_heading == 0:
            lines.append(rng.choice(HEADINGS))
            until_heading = rng.randint(8, 12)
        paragraph = _paragraph(rng)
        lines.append(paragraph)
        count += len(paragraph.split())
        until_heading -= 1
    return "\n\n".join(lines) + "\n"
