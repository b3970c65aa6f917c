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
    # "Related stories", "More from Politics", "Featured slide shows", "Other opinion columns"
    r"(?:related|recommended|popular|recent|more|featured|other|latest|top|trending|editor'?s'? picks?)\s+"
    r"(?:[\w&'\u2019]+\s+){0,2}(?:posts?|articles?|stories|news|reading|videos?|slide\s?shows?|columns?|galleries|"
    r"links|coverage|content|topics|from\b.{0,40})",
    # a card's label and headline on one line: "Related: …", "MORE: …", "Also on Coast Courier: …"
    r"(?:related|more|read more|see also|recommended|watch|listen|read next|also read|don't miss)\s*[:|\u2014]\s*.{0,160}",
    r"also on\b.{0,60}:.{0,160}",
    r"you (?:may|might) also like",
    r"leave an? (?:comment|reply)|post a comment|add a comment|no comments(?: yet)?|(?:loading |show |view )?comments(?:\.\.\.|\u2026)?",
    r"share(?: this)?(?: (?:article|post|story))?(?: on \w+)?:?(?:\s*(?:facebook|twitter|x|linkedin|email|whatsapp|reddit)\W*)*",
    r"(?:subscribe|sign up)(?: (?:now|today|to|for)\b.*)?",
    r"(?:click|tap) here\b.*",
    r"(?:follow us|like us) on\b.*",
    r"powered by \w+(?: \w+)?|advertisement|sponsored content|read more|continue reading|print|email|please wait\W*|loading\W*",
    r"(?:posted|filed) (?:in|under)\b.{0,60}",
    r"(?:tags?|topics?|filed under):.{0,200}",
    # time stamps and reprint/copyright boxes
    r"(?:posted|published|updated|last updated|first published)(?: on| at)?:?\s+"
    r"(?=\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)[a-z]*\b).{0,60}",
    r"(?:copyright\s*\u00a9|\u00a9|\(c\)|copyright\s+\d{4}).{0,160}",
    r".{0,120}all rights reserved\.?",
    # captions and photo credits
    r"(?:image|photo|picture|video)\s+(?:copyright|caption|credit)\b.{0,200}",
    r"(?:photo|photograph|image|picture|illustration)s?(?:\s+credit)?\s*(?::|by\b)\s*.{0,80}",
    r".{0,300}\((?:AP|AFP|EPA|Reuters)\s+Photo/[^)]{0,60}\)",
    r".{0,100}/\s*(?:getty images|shutterstock|reuters|afp|ap|epa|alamy)",
    # page furniture: slideshow and menu controls, widget messages, licence and trademark footers
    r"previous|next|close|fullscreen|thumbnails|back to top|skip to (?:main )?content|\d+ of \d+",
    r".{0,80}please try again later\W*",
    r".{0,120}licensed under (?:a |the )?creative commons\b.{0,120}",
    r".{0,60}\bis a registered trademark of\b.{0,60}",
    r"originally published (?:at|on|in)\b.{0,300}",
    # agency format lines: "The Latest on the storm (all times local):"
    r"the latest(?: on\b.{0,120})?\s*\(all times \w+\):?",
]
_CHROME = re.compile(r"^\s*(?:[-*\u2022\u00b7]\s*)?(?:" + "|".join(_CHROME_LINES) + r")\s*[|\u2022\u00b7]?\s*$", re.IGNORECASE)
# A byline on its own line: "By Ada Brennan", "BY PETER OKAFOR, Associated Press", "By Ola Berg and Lena Ortiz | Reuters".
# Case matters here (names are capitalised), so it is a pattern of its own.
_NAME = r"[A-Z][\w.'\u2019-]*(?:\s+(?:[A-Z][\w.'\u2019-]*|de|van|von|da|di|bin|al))*"
_BYLINE = re.compile(rf"^\s*(?:By|BY|Written by|Words by|Reporting by)\s+{_NAME}(?:\s*(?:,|and|&)\s*{_NAME})*"
                     rf"(?:\s*[,|\u2022\u00b7\u2013\u2014-]\s*[^.!?]{{0,60}})?\s*$")
_BYLINE_MAX_WORDS = 14


# What agencies and tabloids put before the first sentence of a scraped article, on the same line:
# "By . Ada Brennan . PUBLISHED: . 14:11 EST, 25 October 2013 . | . UPDATED: . 15:36 EST, … . ",
# "Last updated at 1:25 AM on 3rd August 2011 . ", and datelines such as "BERLIN, Germany (CNN) -- ".
_PREAMBLE = re.compile(
    r"^(?:"
    r"By \. [^.]{1,60}? \. (?:and [^.]{1,40}? \. )?"
    r"|(?:PUBLISHED|UPDATED): \. [^.|]{1,40}? \. (?:\| \. )?"
    r"|Last updated at [^.]{1,40}? \. "
    r"|(?:[A-Z][\w .,'\u2019-]{0,40}?\s*)?\((?:CNN|AP|Reuters|AFP|CNNMoney)\)(?:\s*(?:--|\u2014|\u2013)\s*|(?=[A-Z]))"
    r")+"
)


def strip_preamble(line: str) -> str:
    """`line` without a byline, time stamp or agency dateline glued before its first sentence."""
    match = _PREAMBLE.match(line)
    if not match or match.end() == len(line):
        return line
    return line[match.end():]


def repair(text: str) -> str:
    """Fix mojibake and normalise line ends without changing the article's punctuation."""
    text = ftfy.fix_text(text, config=_FTFY)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return _EMOJI_RESIDUE.sub("", text)


def _is_link_row(line: str) -> bool:
    """A table row of short labels without a figure: a site's menu laid out as a table
    ("| Kernel | Security | Archives | Search |"), not a table of data."""
    if not line.startswith("|"):
        return False
    cells = [c.strip() for c in line.strip("| ").split("|") if c.strip()]
    return (len(cells) >= 4 and not any(ch.isdigit() for ch in line) and all(len(c.split()) <= 4 for c in cells)
            and not any(set(c) <= set("-: ") for c in cells))


def _is_label_row(line: str) -> bool:
    """A table row with one filled cell of words and no sentence in it: a layout table's menu or an
    image caption, not a data table (its rows have several cells) and not prose (it ends sentences)."""
    if not line.startswith("|"):
        return False
    cells = [c.strip() for c in line.strip("| ").split("|") if c.strip()]
    return len(cells) == 1 and len(cells[0].split()) > 8 and not re.search(r"[.!?]['\")\u201d\u2019]*(?:\s|$)", cells[0])


def _is_separator(line: str | None) -> bool:
    return line is not None and line.startswith("|") and set(line) <= set("|-: ")


def is_chrome(line: str) -> bool:
    """True for a line that belongs to the page around the article, not to the article."""
    if _CHROME.match(line):
        return True
    return len(line.split()) <= _BYLINE_MAX_WORDS and bool(_BYLINE.match(line))


def clean(text: str) -> str:
    """Repaired text with page-chrome lines dropped and runs of blank lines collapsed."""
    lines = [strip_preamble(line.strip()) for line in repair(text).split("\n")]
    # A menu row stands alone; a table's header row has its |---| separator next to it.
    menus = {i for i, line in enumerate(lines) if _is_link_row(line)
             and not _is_separator(lines[i + 1] if i + 1 < len(lines) else None)
             and not _is_separator(lines[i - 1] if i else None)}
    kept = [line for i, line in enumerate(lines) if i not in menus and not _is_label_row(line) and not is_chrome(line)]
    out = "\n".join(kept)
    out = re.sub(r"[ \t]+", " ", out)
    return re.sub(r"\n{3,}", "\n\n", out).strip()
