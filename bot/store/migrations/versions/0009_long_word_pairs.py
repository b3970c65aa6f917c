"""PostgreSQL search: a neighbouring-word pair too long to be a tsvector lexeme is left out

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

PostgreSQL refuses a lexeme over 2047 bytes ("word is too long"). to_tsvector drops such words with a
notice, but `newsdigest_word_pairs` casts its pairs to tsvector itself, so a quote holding a normal
word next to a ~2,040-byte one could not be stored at all. The pairs over the limit are left out
(the words themselves are still indexed when short enough; no phrase search can type such a pair).
SQLite's FTS5 has no such limit: nothing changes there.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# PostgreSQL's limit on one lexeme, in bytes (MAXSTRLEN in tsearch's ts_type.h is 2047).
MAX_LEXEME_BYTES = 2047

_FUNCTION = r"""CREATE OR REPLACE FUNCTION newsdigest_word_pairs(body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(quote_literal(first || '_' || second) || ':' || least(n, 16383), ' ')::tsvector,
                    ''::tsvector)
    FROM (SELECT word AS first, lead(word) OVER (ORDER BY n) AS second, n
          FROM regexp_split_to_table(lower(body), '[^[:alnum:]]+') WITH ORDINALITY AS t(word, n)
          WHERE word <> '') AS pairs
    WHERE second IS NOT NULL{limit} $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION.format(limit=f" AND octet_length(first || '_' || second) <= {MAX_LEXEME_BYTES}"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION.format(limit=""))
