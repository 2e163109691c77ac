"""full-text search index over merged incidents

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00

`incident_search`: one row per merged incident whose text is the evidence sentences, outcomes,
target names, perpetrators and places of its current mentions (filled by
`kolokol.search.reindex_incidents`, never by hand).
- SQLite: an FTS5 virtual table (rowid = incident id), unicode61 tokenizer without diacritics, so
  that Latin and Cyrillic words match regardless of case and accents.
- PostgreSQL: a plain table with a stored `tsvector` generated with the `simple` configuration
  (no stemming: reports come in many languages) and a GIN index on it.
The index holds text in clear; `reindex_incidents` leaves it empty when field encryption is on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE incident_search USING fts5("
                   "body, tokenize = 'unicode61 remove_diacritics 2')")
        return
    op.create_table(
        "incident_search",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.execute("ALTER TABLE incident_search ADD COLUMN document tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body)) STORED")
    op.execute("CREATE INDEX ix_incident_search_document ON incident_search USING gin (document)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS incident_search")
        return
    op.execute("DROP INDEX IF EXISTS ix_incident_search_document")
    op.drop_table("incident_search")
