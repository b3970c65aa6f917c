"""A long article written for the tests: numbered paragraphs with quotes, speakers and a dispute,
repeated to any length, for the tests of long texts (the engine's pieces, the worker pool's deadline)."""

from __future__ import annotations

PARAGRAPHS = [
    "Harbour officials in Ostend said on Monday that the new ferry terminal would open in the spring.",
    "\u201cWe have waited eleven years for this,\u201d said Ines Vermeer, the port\u2019s director. "
    "\u201cThe town deserves it.\u201d",
    "Vermeer told reporters that the cost had risen to 240 million euros because of storms.",
    "Critics accused the port of hiding the delays, and the council sued the builder, Dalmar Works, in May.",
    "\u201cThe builder ignored every warning,\u201d the council wrote in a statement.",
    "Dalmar Works denied the claims. \u201cWe delivered what was ordered,\u201d its chief, Bram Hollis, said.",
    "The ruling could reshape how coastal towns pay for large projects, analysts said.",
]


def long_article(words: int) -> str:
    """The paragraphs above, numbered so that no two are the same, to `words` words."""
    out = ["Ostend Ferry Terminal Opens After Long Delays"]
    n = 0
    while sum(len(p.split()) for p in out) < words:
        out.append(f"{PARAGRAPHS[n % len(PARAGRAPHS)]} (Part {n}.)")
        n += 1
    return "\n\n".join(out)
