"""After reports or mentions change: merge the new report-level incidents into incidents and keep
the search index in step. One function, so every command that changes data does both."""

from __future__ import annotations

from kolokol.store.db import Database


def update_incidents(db: Database) -> int:
    """Merge pending mentions, then re-index the incidents for search. Returns the incident count."""
    from kolokol.resolve.merge import merge_pending
    from kolokol.search import reindex_incidents

    count = merge_pending(db)
    reindex_incidents(db)
    return count
