"""Repair scraped text: mojibake, leftover mangled emoji and page chrome.

The engine keeps the article's own characters (curly quotes stay curly) so that a quote shown to a
user is verbatim in the cleaned text.
"""

from __future__ import annotations

import re

import ftfy

# Keep curly quotes and ligatures as the article has them: quotes must stay verbatim.
_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, fix_latin_ligatures=False, normalization="NFC")


def _emoji_residue_leads() -> frozenset[str]:
    """How the lead byte of a 4-byte UTF-8 sequence (every emoji since 2010) reads when a page was
    decoded with a single-byte Latin code page. When its continuation bytes were dropped on the way,
    ftfy cannot rebuild the emoji; these one-character leftovers can only be removed."""
    pages = ["latin-1", "cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "iso8859-2", "iso8859-13"]
    return frozenset(bytes([0xF0]).decode(page, errors="ignore") for page in pages) - {""}


_LEADS = "".join(sorted(_emoji_residue_leads()))
# A lead character followed by up to three more non-ASCII symbols (the surviving continuation
# bytes), standing alone before the text it decorated.
_EMOJI_RESIDUE = re.compile(rf"(?m)(?:^|(?<=\s))[{re.escape(_LEADS)}][\u0080-\u02ff\u2000-\u206f]{{0,3}}(?:\s+|$)")

_CHROME_LINES = [
    r"\d[\d,.]*\s*[kKmM]?\s+(?:views?|comments?|shares?|likes?|reads?|reactions?)",
    r"(?:related|recommended|popular|recent|more)\s+(?:posts?|articles?|stories|news|reading)",
    r"you (?:may|might) also like",
    r"leave an? (?:comment|reply)|post a comment|add a comment|no comments(?: yet)?",
    r"share(?: this)?(?: (?:article|post|story))?(?: on \w+)?:?(?:\s*(?:facebook|twitter|x|linkedin|email|whatsapp|reddit)\W*)*",
    r"(?:subscribe|sign up)(?: (?:now|today|to|for)\b.*)?",
    r"(?:click|tap) here\b.*",
    r"(?:follow us|like us) on\b.*",
    r"advertisement|sponsored content|read more|continue reading|print|email",
    r"(?:posted|filed) (?:in|under)\b.{0,60}",
    r"tags?:.{0,120}",
]
_CHROME = re.compile(r"^\s*(?:" + "|".join(_CHROME_LINES) + r")\s*[|•·]?\s*$", re.IGNORECASE)


def repair(text: str) -> str:
    """Fix mojibake and normalise line ends without changing the article's punctuation."""
    text = ftfy.fix_text(text, config=_FTFY)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return _EMOJI_RESIDUE.sub("", text)


def is_chrome(line: str) -> bool:
    """True for a line that belongs to the page around the article, not to the article."""
    return bool(_CHROME.match(line))


def clean(text: str) -> str:
    """Repaired text with page-chrome lines dropped and runs of blank lines collapsed."""
    lines = [line.strip() for line in repair(text).split("\n")]
    kept = [line for line in lines if not is_chrome(line)]
    out = "\n".join(kept)
    out = re.sub(r"[ \t]+", " ", out)
    return re.sub(r"\n{3,}", "\n\n", out).strip()
