"""textacy's `direct_quotations` on the same spaCy pipeline as the engine: the established
rule-based baseline `newsdigest eval quotes --baseline textacy` compares against. Needs the
development extra (pip install -e '.[eval]'); ImportError without it."""

from __future__ import annotations

from collections.abc import Callable

from .models import Quote, Speaker
from .nlp import load_nlp


class TextacyQuotes:
    """Quotes (speaker as textacy gives it, no confidence) of a text taken as it is."""

    def __init__(self) -> None:
        from textacy.extract.triples import direct_quotations

        self._direct_quotations = direct_quotations
        self.nlp = load_nlp()

    def quotes(self, text: str, checkpoint: Callable[[], None] | None = None) -> list[Quote]:
        doc = self.nlp(text)
        try:
            triples = list(self._direct_quotations(doc))
        except Exception:  # textacy raises on some unbalanced quote marks; count that article as empty
            triples = []
        out = []
        for triple in triples:
            content = triple.content
            speaker = " ".join(t.text for t in triple.speaker) or None
            out.append(Quote(text=text[content.start_char:content.end_char], start=content.start_char,
                             end=content.end_char, speaker=Speaker(name=speaker) if speaker else None,
                             kind="direct", confidence=1.0 if speaker else 0.0))
        return out
