"""The operator's command prefix (NEWSDIGEST_COMMAND_PREFIX) in the bot's own words: where the
platforms register /nd-digest, an answer that says "/newsdigest resume <url>" must say
"/nd-newsdigest resume <url>". Only the bot's wording is rewritten (titles, summaries, section text);
quotes, fields and digests carry the article's words and are left exactly as they are."""

from __future__ import annotations

import re
from functools import lru_cache

from ..replies import Reply
from .declaration import Declaration, prefixed


@lru_cache(maxsize=8)
def _names(declaration: Declaration) -> re.Pattern[str]:
    names = sorted((c.name.lstrip("/") for c in declaration.commands), key=len, reverse=True)
    # A command's name on its own: not the end of a path or address ("example.com/digest").
    return re.compile(r"(?<![\w/.<|-])/(" + "|".join(map(re.escape, names)) + r")(?![\w-])")


def with_prefix(reply: Reply, prefix: str, declaration: Declaration) -> Reply:
    """`reply` with every command it names written with `prefix`; as it is without one."""
    if not prefix or reply.digest is not None:
        return reply
    pattern = _names(declaration)

    def fix(text: str | None) -> str | None:
        return pattern.sub(lambda m: prefixed(m.group(0), prefix), text) if text else text

    sections = [s.model_copy(update={"title": fix(s.title), "text": fix(s.text)}) for s in reply.sections]
    return reply.model_copy(update={"title": fix(reply.title), "summary": fix(reply.summary), "sections": sections})
