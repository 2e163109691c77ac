"""accounts and sessions, encryption keyring and blind search index, publishing, alert rules

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:30:00

One migration per concern block, each in its own function:
- `_accounts`: login throttling and TOTP replay guard on `users`; server-side `web_sessions`
  (the cookie holds a random token, the table only its SHA-256).
- `_encryption`: `keyring` (data keys wrapped by a key derived from a passphrase or read from a
  key file; never a key in clear) and `search_terms` (blind index: keyed hashes of the words of an
  incident, so full-text search works when the text itself is encrypted); `mentions.perpetrators`
  becomes text so it can be encrypted like the targets.
- `_publishing`: `reports.confidential` (a source that must never be shown publicly) and
  `incidents.published_at` / `published_by` (publishing is an explicit act; `visibility` already
  defaults to restricted).
- `_alerts`: `alert_rules` (trend alerts, editable by admins).
- `_facets`: `incident_state` (one row per incident: the values shown, analysts' edits applied, that
  search sorts and filters on) and `incident_facets` (every facet value of an incident: type, country,
  place, perpetrator and target actor ids, target nationality, review status, sources), so facets
  are SQL GROUP BYs. Filled by `kolokol.facets.refresh_facets`; names never appear, only actor ids.
  `search_epoch` counts their changes (it keys a cache of facet counts).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _accounts() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),  # SHA-256 of the cookie token
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("second_factor", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("revoked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_web_sessions_user_id", ["user_id"], unique=False)
    # The audit chain's head: entry count and last hash, updated with every append (truncation check;
    # appenders lock this row so the chain cannot fork). One row, id 1.
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(head, [{"id": 1, "entries": 0, "last_id": 0, "last_hash": "0" * 64}])


def _encryption() -> None:
    op.create_table(
        "keyring",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),  # data | index
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("wrapping", sa.JSON(), nullable=False),  # method and KDF parameters (salt, costs)
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_id"),
    )
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=64), nullable=False),  # keyed hash of a folded word
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("term", "incident_id"),
    )
    with op.batch_alter_table("search_terms", schema=None) as batch_op:
        batch_op.create_index("ix_search_terms_incident_id", ["incident_id"], unique=False)
    # Perpetrators may name a person (an officer; a victim the extractor misread): encrypted like
    # targets, so the column holds text (ciphertext) instead of JSON.
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.alter_column("perpetrators", existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False,
                              postgresql_using="perpetrators::text")


def _publishing() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confidential", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("published_by", sa.Integer(), nullable=True))


def _alerts() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("incident_type", sa.String(length=200), nullable=True),  # comma-separated types; None: any
        sa.Column("target_nationality", sa.String(length=2), nullable=True),  # None: each nationality apart
        sa.Column("country", sa.String(length=2), nullable=True),  # where it happened; None: each country apart
        sa.Column("min_count", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("rate_factor", sa.Float(), nullable=False),  # times the previous baseline rate
        sa.Column("baseline_days", sa.Integer(), nullable=False, server_default="90"),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )


def _facets() -> None:
    op.create_table(
        "incident_state",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("date_start", sa.Date(), nullable=True),
        sa.Column("date_end", sa.Date(), nullable=True),
        sa.Column("date_precision", sa.String(length=5), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=True),  # YYYY-MM of date_start, for timelines
        sa.Column("sort_key", sa.Integer(), nullable=False),  # date_start as a day number; 0 when undated
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("place_id", sa.String(length=80), nullable=True),
        sa.Column("review_status", sa.String(length=12), nullable=False),
        sa.Column("independent_sources", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    with op.batch_alter_table("incident_state", schema=None) as batch_op:
        batch_op.create_index("ix_incident_state_sort", ["sort_key", "incident_id"], unique=False)
        batch_op.create_index("ix_incident_state_status_sort", ["review_status", "sort_key", "incident_id"],
                              unique=False)
        batch_op.create_index("ix_incident_state_place_id", ["place_id"], unique=False)
        batch_op.create_index("ix_incident_state_month", ["month"], unique=False)
    op.create_table(
        "incident_facets",
        sa.Column("facet", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("facet", "value", "incident_id"),
    )
    with op.batch_alter_table("incident_facets", schema=None) as batch_op:  # covering: facets of given incidents
        batch_op.create_index("ix_incident_facets_incident", ["incident_id", "facet", "value"], unique=False)
    op.create_table(
        "search_epoch",  # one row, bumped by every change of the facet tables: keys the facet-count cache
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def upgrade() -> None:
    _accounts()
    _encryption()
    _publishing()
    _alerts()
    _facets()


def downgrade() -> None:
    op.drop_table("search_epoch")
    with op.batch_alter_table("incident_facets", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_facets_incident")
    op.drop_table("incident_facets")
    with op.batch_alter_table("incident_state", schema=None) as batch_op:
        for name in ("ix_incident_state_month", "ix_incident_state_place_id", "ix_incident_state_status_sort",
                     "ix_incident_state_sort"):
            batch_op.drop_index(name)
    op.drop_table("incident_state")
    op.drop_table("alert_rules")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("published_by")
        batch_op.drop_column("published_at")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("confidential")
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.alter_column("perpetrators", existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=False,
                              postgresql_using="perpetrators::json")
    with op.batch_alter_table("search_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_search_terms_incident_id")
    op.drop_table("search_terms")
    op.drop_table("keyring")
    op.drop_table("audit_head")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_web_sessions_user_id")
    op.drop_table("web_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("last_login_at")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
