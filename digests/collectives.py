"""Collective actors: "the military", "protesters", "the union" as a party of a dispute.

A coup, a strike or a protest often sets a named person against a group the article never names
("Mugabe … the military said", "the union demanded …, the ministry refused"). Such a group can be a
party, but only as a definite, whole group: "the army", "police", "protesters", "the security
forces"; never a part of one ("two soldiers", "some residents", "a union") nor one member ("a
soldier"). Words for the same group ("the army", "troops", "the generals") are one party, shown as the
article first wrote it. Whether the group acts or speaks is for the caller to check, as for any party.
"""

from __future__ import annotations

import re

from spacy.tokens import Token

# Head word (lower case) → the group it names. Count nouns name a group only in the plural. Not "the
# government": it is some country's, the one named before (`PartyFinder`), never a side of its own.
_GROUPS: dict[str, str] = {
    **dict.fromkeys(["military", "army", "troops", "soldiers", "generals", "junta"], "military"),
    **dict.fromkeys(["police", "policemen"], "police"),
    **dict.fromkeys(["protesters", "protestors", "demonstrators", "marchers"], "protesters"),
    **dict.fromkeys(["strikers"], "strikers"),
    **dict.fromkeys(["rebels", "insurgents", "militants"], "rebels"),
    **dict.fromkeys(["residents", "villagers"], "residents"),
    **dict.fromkeys(["prosecutors"], "prosecutors"),
    **dict.fromkeys(["opposition"], "opposition"),
    **dict.fromkeys(["union", "unions"], "union"),
}
# A group named in the singular: "the army said"; the rest need the plural ("soldiers", not "a soldier").
_MASS = {"military", "army", "police", "junta", "opposition", "union"}
# Compounds that keep it one group ("security forces", "riot police"); "forces" alone is too vague.
_FORCES = {"security", "armed", "government", "riot"}
# A determiner or modifier that makes it a part of the group or an indefinite one.
_PARTIAL = {"a", "an", "some", "many", "several", "few", "other", "these", "those", "two", "three", "dozens",
            "hundreds", "thousands", "most", "all", "no", "any", "one", "each", "every", "more", "former", "ex"}


def group_of(word: str) -> str | None:
    """The group a head word names ("troops" → "military"), None for any other word."""
    return _GROUPS.get(word.lower())


def collective_head(head: Token) -> tuple[str, str] | None:
    """(group, label) when `head` heads a definite collective actor: "the military" → ("military",
    "the military"), "Egyptian security forces" → ("egyptian military", "Egyptian security forces");
    None otherwise."""
    word = head.lower_
    compounds = [c for c in head.children if c.dep_ == "compound" and c.i < head.i]
    group = "military" if word == "forces" and any(c.lower_ in _FORCES for c in compounds) else group_of(word)
    if group is None or head.pos_ not in {"NOUN", "PROPN"}:
        return None
    if word not in _MASS and word != "forces" and head.tag_ not in {"NNS", "NNPS"}:
        return None
    modifiers = [c for c in head.children if c.dep_ in {"det", "nummod", "amod", "quantmod", "predet"}]
    if any(c.lower_ in _PARTIAL or c.dep_ == "nummod" or c.like_num for c in modifiers):
        return None
    dets = [c for c in head.children if c.dep_ == "det"]
    # "the pilots' union": a possessor that is no party makes it definite too; "its army", "his
    # soldiers" are someone's, whose the caller tells, and "the company's officers" are not a group.
    owners = [c for c in head.children if c.dep_ == "poss"]
    if any(c.pos_ in {"PRON", "PROPN"} for c in owners) or any(c.lower_ != "the" for c in dets):
        return None
    if word in _MASS and not dets and not owners and not head.text[:1].isupper() and word != "police":
        return None  # "union rules", "army life": a modifier or a generic sense, not an actor
    owner = [head.doc[c.left_edge.i:c.right_edge.i + 1].text.lower() for c in owners]  # "the pilots'"
    # "Egyptian security forces" and "Israeli troops" are two sides, not one group: the nationality
    # is part of the group and of its label.
    nation = [c.text for c in head.children if c.dep_ in {"amod", "compound"} and c.i < head.i and c.ent_type_ == "NORP"]
    label = " ".join([*(["the"] if dets else []), *owner, *nation,
                      *(c.lower_ for c in compounds if c.ent_type_ != "NORP"), word])
    return " ".join([*(n.lower() for n in nation), group]), label



def names_group(text: str, group: str) -> bool:
    """Whether `text` has a word for `group` ("the army" for the military): a sentence about it."""
    base = group.split()[-1]  # "egyptian military" is a military
    words = {w for w, g in _GROUPS.items() if g == base} | ({"forces"} if base == "military" else set())
    return not words.isdisjoint(re.findall(r"[a-z]+", text.lower()))


def label_rank(label: str) -> int:
    """How well a label names its group: "the military" (definite, the whole body) over "the
    generals" (definite) over "troops"."""
    return 2 * label.startswith("the ") + (label.split()[-1] in _MASS)
