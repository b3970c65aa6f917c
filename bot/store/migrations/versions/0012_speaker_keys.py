"""/quotes: each quote's speaker key and date, indexed, and the table of speaker keys

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-01

`quotes.speaker_key` is the speaker's surname (an organisation's whole name), so that "Nulty" and
"Christopher Nulty" are one speaker; `quotes.said_on` the article's date, so that a speaker's quotes
are read newest first from one index (speaker_key, said_on, id) without sorting them all.
`speakers` holds every speaker name (folded) once with its key: a typed name with a typo is matched
against them.

The key rule of bot.speakers is written out here for the quotes already stored: a migration keeps
doing what it did on the day it was written.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_TITLES = frozenset("mr mrs ms miss mx dr prof sir dame lord lady sen senator rep gov governor pres president "
                    "gen rev fr st".split())
_SUFFIXES = frozenset("jr sr ii iii iv phd md".split())
BATCH = 5000


def _tokens(name: str) -> list[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(c))
    tokens = _TOKEN.findall(folded)
    while len(tokens) > 1 and tokens[0] in _TITLES:
        tokens.pop(0)
    while len(tokens) > 1 and tokens[-1] in _SUFFIXES:
        tokens.pop()
    return tokens


def _key(name: str, kind: str | None) -> str:
    tokens = _tokens(name)
    if kind not in (None, "person"):
        if len(tokens) > 1 and tokens[0] == "the":
            tokens = tokens[1:]
        return " ".join(tokens)[:100]
    return tokens[-1][:100] if tokens else ""


def upgrade() -> None:
    # Added in place (a batch copy of the table on SQLite would lose its full-text triggers).
    op.add_column("quotes", sa.Column("speaker_key", sa.String(100)))
    op.add_column("quotes", sa.Column("said_on", sa.String(10)))
    op.create_table("speakers", sa.Column("name", sa.String(300), primary_key=True),
                    sa.Column("key", sa.String(100), nullable=False))
    op.create_index("ix_speakers_key", "speakers", ["key"])
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE quotes SET said_on = (SELECT coalesce(articles.published, substr(CAST(articles.updated_at AS TEXT), 1, 10)) "
                         "FROM articles WHERE articles.id = quotes.article_id)"))
    names: dict[str, str] = {}
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, speaker_name, speaker_kind FROM quotes WHERE id > :last "
                                    "AND speaker_name IS NOT NULL ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            break
        updates = [{"i": i, "k": _key(name, kind) or None, "n": " ".join(_tokens(name))[:300]} for i, name, kind in rows]
        bind.execute(sa.text("UPDATE quotes SET speaker_key = :k WHERE id = :i"), [{"i": u["i"], "k": u["k"]} for u in updates])
        names.update((u["n"], u["k"]) for u in updates if u["k"])
        last = rows[-1][0]
    if names:
        bind.execute(sa.text("INSERT INTO speakers (name, key) VALUES (:n, :k)"),
                     [{"n": n, "k": k} for n, k in sorted(names.items())])
    op.create_index("ix_quotes_speaker_said", "quotes", ["speaker_key", "said_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_quotes_speaker_said", table_name="quotes")
    op.drop_index("ix_speakers_key", table_name="speakers")
    op.drop_table("speakers")
    # SQLite (3.35+) drops a column in place; a batch copy would lose the full-text triggers.
    op.execute("ALTER TABLE quotes DROP COLUMN said_on")
    op.execute("ALTER TABLE quotes DROP COLUMN speaker_key")
