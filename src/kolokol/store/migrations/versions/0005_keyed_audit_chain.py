"""keyed audit chain: the key of each link and a MAC of the head

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00

The audit chain's links become HMAC-SHA256 under a key derived from the keyring (security/audit.py),
so someone who can write to the database but has no key can no longer rewrite entries and
recompute the links after them.

- `audit_log.key_id`: the keyring id of the index key whose derived MAC key made the entry's `hash`;
  NULL for an unkeyed SHA-256 link (every entry written before this migration, and every entry of
  a database without encryption). Existing entries keep their links: they stay checkable, and the
  first keyed entry after them vouches for them (`kolokol audit seal` does it at once).
- `audit_head.mac`: HMAC of the head (count, last id, last hash) under the current audit key, so
  the log cannot be cut back to an earlier head without the key. NULL until the next append.

No key is needed (nor available) here: the MACs are written by the application.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # Keyed entries stay in the log but an older Kolokol checks every link as SHA-256: its
    # `audit verify` reports the first keyed entry as changed.
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("mac")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("key_id")
