"""/quotes at a million quotes: a speaker's newest quotes filtered by tenant from the index alone,
and the stored names a misspelt one may stand for found through an index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

`ix_quotes_speaker_said` (speaker_key, said_on, id) gains `article_id`: the tenant filter of a
much-quoted speaker's newest quotes (nine in ten of them another workspace's, in the bench) then
reads the index, not a table row for each quote passed over; the text is read for the kept ones only.
`speakers` gets two expression indexes, (first letter of the key, its length) and (second letter,
length): the near names of a misspelt one (bot.store.speakers.names_like) were a scan of the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_quotes_speaker_said_article", "quotes", ["speaker_key", "said_on", "id", "article_id"])
    op.drop_index("ix_quotes_speaker_said", table_name="quotes")
    op.create_index("ix_speakers_first_length", "speakers", [sa.text("substr(key, 1, 1)"), sa.text("length(key)")])
    op.create_index("ix_speakers_second_length", "speakers", [sa.text("substr(key, 2, 1)"), sa.text("length(key)")])


def downgrade() -> None:
    op.drop_index("ix_speakers_second_length", table_name="speakers")
    op.drop_index("ix_speakers_first_length", table_name="speakers")
    op.create_index("ix_quotes_speaker_said", "quotes", ["speaker_key", "said_on", "id"])
    op.drop_index("ix_quotes_speaker_said_article", table_name="quotes")
