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
from functools import lru_cache
from importlib import resources
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from .errors import ModelError

MAX_CHARS = 1_000_000  # spaCy's own default limit; ~150k words


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
                    "spokesman", "spokeswoman", "lawyers", "engineers", "researchers", "website", "app"}


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
        ruler.add_patterns(_known_entity_patterns())
    if "newsdigest_entity_fixes" not in nlp.pipe_names:
        nlp.add_pipe("newsdigest_entity_fixes", after="ner")
    nlp.max_length = MAX_CHARS
    return nlp


@lru_cache(maxsize=1)
def load_nlp() -> Language:
    """The pipeline, loaded once per process."""
    manifest = _manifest()
    verify_model(manifest["package"])
    module = importlib.import_module(manifest["package"])
    nlp = module.load()
    return build_pipeline(nlp)
