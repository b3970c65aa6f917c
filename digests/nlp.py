"""Load the English spaCy model once, check it is the one we pinned, and teach it our entities.

The small model mislabels organisations and products that are new since it was trained (it calls
Anthropic a person and AI a place). Two general fixes run after its NER: an entity ruler fed by the
maintained list in `data/known_entities.jsonl`, and structural cues ("X spokesperson", "X's terms")
that only an organisation fits.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy
from spacy.language import Language
from spacy.pipeline import EntityRuler
from spacy.tokens import Doc, Span

from .errors import ModelError

# The most text one digest analyses: about 165,000 words, a long book. Chosen by cost, measured with
# bench/bench_sizes.py: time is linear in length (about 0.2 ms per word on one core), so this much
# takes about 30 s and 300 MB at peak, within the bot's default digest deadline and far under the
# 400 MB a digest may use. A longer text is digested up to here (see `DigestEngine`), and the
# digest says so (`Article.truncated`).
MAX_CHARS = 1_000_000
# spaCy's memory grows with the text of one call (2.9 GB for 1M characters in one piece): a long text
# is parsed in pieces of at most this many characters, cut at paragraph (else sentence, else word)
# boundaries, and the pieces' Docs joined. Shorter texts are parsed in one call, exactly as before.
PIECE_CHARS = 20_000


def _manifest() -> dict:
    return json.loads(resources.files("digests").joinpath("data/model_sha256.json").read_text("utf-8"))


def _model_dir(package: str, version: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModelError("missing")
    root = Path(spec.origin).parent
    candidate = root / f"{package}-{version}"
    return candidate if candidate.is_dir() else root


def verify_model(package: str | None = None) -> Path:
    """The model's directory, after checking the pinned files' SHA-256 values."""
    manifest = _manifest()
    package = package or manifest["package"]
    install = manifest["install"]
    try:
        directory = _model_dir(package, manifest["version"])
    except ModelError:
        raise ModelError(f"the spaCy model {package} is not installed: run `{install}`") from None
    for name, expected in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise ModelError(f"the spaCy model is incomplete ({name} missing): run `{install}`")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected:
            raise ModelError(f"the spaCy model file {name} does not match its pinned SHA-256: reinstall with `{install}`")
    return directory


def _known_entity_patterns() -> list[dict]:
    text = resources.files("digests").joinpath("data/known_entities.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip() and not line.startswith("#")]


_NOT_ENTITIES = {"ai", "api", "apis", "ceo", "cto", "cfo", "coo", "llm", "llms", "ip", "faq", "ok", "tv"}
_ORG_ROLE_NOUNS = {"spokesperson", "spokesman", "spokeswoman", "spokespeople", "representative", "employees",
                   "staff", "executives", "engineers", "researchers", "lawyers", "board", "ceo", "chief",
                   "president", "founder", "cofounder", "co-founder", "officials", "official"}
_ORG_POSSESSIONS = {"terms", "models", "model", "api", "apis", "products", "product", "platform", "services",
                    "service", "policy", "policies", "employees", "staff", "shares", "stock", "revenue",
                    "customers", "servers", "software", "chatbot", "headquarters", "board", "spokesperson",
                    "spokesman", "spokeswoman", "lawyers", "engineers", "researchers", "website", "app",
                    # Only an organisation has a chief executive, founders or shareholders ("Acme's CEO").
                    "ceo", "cfo", "cto", "founder", "founders", "cofounder", "co-founder", "shareholders",
                    "investors", "subsidiary", "acquisition"}


@Language.component("newsdigest_entity_fixes")
def entity_fixes(doc: Doc) -> Doc:
    """Relabel or drop entities by cues that hold in any article."""
    fixed: list[Span] = []
    for ent in doc.ents:
        if ent.text.lower() in _NOT_ENTITIES:
            continue
        label = ent.label_
        if label in {"PERSON", "GPE", "NORP", "WORK_OF_ART", "PRODUCT", "LOC", "FAC"} and ent.end < len(doc):
            after = doc[ent.end]
            nxt = doc[ent.end + 1] if ent.end + 1 < len(doc) else None
            # "Anthropic spokesperson", "Acme's terms": only an organisation has these.
            if label == "PERSON" and after.lower_ in _ORG_ROLE_NOUNS and len(ent) == 1:
                label = "ORG"
            elif label in {"PERSON", "GPE", "NORP"} and after.tag_ == "POS" and nxt is not None \
                    and nxt.lower_ in _ORG_POSSESSIONS and len(ent) == 1:
                label = "ORG"
        fixed.append(Span(doc, ent.start, ent.end, label=label) if label != ent.label_ else ent)
    doc.ents = fixed
    return doc


def build_pipeline(nlp: Language) -> Language:
    """Add the entity ruler (before the statistical NER, which then respects its spans) and the
    structural fixes (after it)."""
    if "entity_ruler" not in nlp.pipe_names:
        # Case-sensitive: "Apple" the company, not "apple"; "WHO", not "who".
        ruler = nlp.add_pipe("entity_ruler", before="ner")
        assert isinstance(ruler, EntityRuler)
        ruler.add_patterns(_known_entity_patterns())
    if "newsdigest_entity_fixes" not in nlp.pipe_names:
        nlp.add_pipe("newsdigest_entity_fixes", after="ner")
    nlp.max_length = MAX_CHARS
    return nlp


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_BREAK = re.compile(r"[.!?][\"'\u201d\u2019)]*\s+")
_WORD_BREAK = re.compile(r"\s+")


def _cut(text: str, start: int, limit: int) -> int:
    """Where the piece starting at `start` ends: after the last paragraph break within `limit`
    characters, else after the last sentence end, else after the last space, else at the limit."""
    window = text[start:start + limit]
    for pattern in (_PARAGRAPH_BREAK, _SENTENCE_BREAK, _WORD_BREAK):
        ends = [m.end() for m in pattern.finditer(window) if m.end() < len(window)]
        if ends:
            return start + ends[-1]
    return start + len(window)


def pieces(text: str, limit: int = PIECE_CHARS) -> list[str]:
    """`text` cut into consecutive pieces of at most `limit` characters; they join back to `text`."""
    out = []
    start = 0
    while start < len(text):
        end = len(text) if len(text) - start <= limit else _cut(text, start, limit)
        out.append(text[start:end])
        start = end  # always moves on: _cut returns more than `start` for a non-empty window
    return out


def parse_text(nlp: Language, text: str, checkpoint: Callable[[], None] | None = None) -> Doc:
    """One Doc over `text` (its offsets are offsets into `text`), parsed piece by piece so that
    memory stays bounded whatever the length. `checkpoint` is called before each piece: the caller's
    chance to stop a digest that has run out of time (it raises)."""
    if len(text) <= PIECE_CHARS:
        if checkpoint is not None:
            checkpoint()
        return nlp(text)
    docs = []
    for piece in pieces(text):
        if checkpoint is not None:
            checkpoint()
        doc = nlp(piece)
        # The tok2vec output is read by no stage and is most of a parsed Doc's memory: drop it at once.
        doc.tensor = numpy.empty((0,), dtype="float32")
        docs.append(doc)
    doc = Doc.from_docs(docs, ensure_whitespace=False, exclude=["tensor"])  # type: ignore[call-arg]  # in spaCy, not its stub
    if doc.text != text:  # pragma: no cover - from_docs keeps every character; offsets rely on it
        raise AssertionError("joining the parsed pieces changed the text")
    return doc


@lru_cache(maxsize=1)
def load_nlp() -> Language:
    """The pipeline, loaded once per process."""
    manifest = _manifest()
    verify_model(manifest["package"])
    module = importlib.import_module(manifest["package"])
    nlp = module.load()
    return build_pipeline(nlp)
