"""merge blocking keys, actor surname index, mention-actor alias link

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:30:00

- `mention_keys`: blocking keys of each mention (keyed hashes of country + a name, alias group or
  group count), so that merging finds the candidates of a new mention by index, not by a scan.
- `actor_aliases.surname_index`: keyed hash of an alias's family-name key, to find the actors a new
  spelling may belong to (Rozhkov / Рожков / Rojkov) without reading every alias.
- `mention_actors.alias_index`: which alias of the actor the mention used, so that an analyst's
  split of an actor can move the mentions that used the moved aliases.
Hand-written and portable: SQLite runs it in batch mode (render_as_batch), PostgreSQL directly.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mention_keys",
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mention_id", "key"),
    )
    with op.batch_alter_table("mention_keys", schema=None) as batch_op:
        batch_op.create_index("ix_mention_keys_key", ["key"], unique=False)

    with op.batch_alter_table("actor_aliases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("surname_index", sa.String(length=128), nullable=True))
        batch_op.create_index("ix_actor_aliases_surname_index", ["surname_index"], unique=False)

    with op.batch_alter_table("mention_actors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alias_index", sa.String(length=128), nullable=True))
        batch_op.create_index("ix_mention_actors_actor_id", ["actor_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mention_actors", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_actors_actor_id")
        batch_op.drop_column("alias_index")

    with op.batch_alter_table("actor_aliases", schema=None) as batch_op:
        batch_op.drop_index("ix_actor_aliases_surname_index")
        batch_op.drop_column("surname_index")

    with op.batch_alter_table("mention_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_keys_key")
    op.drop_table("mention_keys")
