"""SQLAlchemy 2 tables. The schema is created only by Alembic migrations (store/migrations).

Layers, as in DESIGN.md:
  reports (immutable sources) -> mentions (machine output, per report, versioned by extractor)
  -> incidents (one real act) <- incident_edits / review_events (the human layer, never overwritten)
Columns that hold names, evidence or report text use `Sensitive*` types: the one place where
field encryption is applied (security/crypto.py plugs into store/types.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kolokol.store.types import SensitiveBytes, SensitiveJSON, SensitiveText


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(200), index=True)
    url: Mapped[str | None] = mapped_column(SensitiveText)  # a slug often spells a name
    outlet: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(SensitiveText)
    published: Mapped[str | None] = mapped_column(String(10))  # ISO, possibly partial
    published_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str | None] = mapped_column(SensitiveText)  # path or URL it was read from
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    raw_hash: Mapped[str] = mapped_column(String(64), index=True)
    clean_text: Mapped[str] = mapped_column(SensitiveText)
    raw: Mapped[bytes] = mapped_column(SensitiveBytes)
    char_count: Mapped[int] = mapped_column(Integer, default=0)
    copy_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"), index=True)
    copy_similarity: Mapped[float | None] = mapped_column(Float)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)  # never shown publicly
    metadata_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    extracted_version: Mapped[str | None] = mapped_column(String(80))

    copy_of: Mapped[Report | None] = relationship(remote_side=[id])
    mentions: Mapped[list[Mention]] = relationship(back_populates="report", cascade="all, delete-orphan")


class ReportBand(Base):
    """MinHash LSH band hashes of a report's shingles: finds syndicated copies without a full scan."""

    __tablename__ = "report_bands"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_report_bands_band_hash", "band", "hash"),)


class Place(Base):
    __tablename__ = "places"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # gazetteer id
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    admin1: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class Incident(Base):
    """One real-world act, merged from one or more mentions. Machine values live here;
    human corrections live in incident_edits and win when shown."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # deterministic merge key
    types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date: Mapped[str | None] = mapped_column(String(10))
    date_precision: Mapped[str | None] = mapped_column(String(5))
    date_start: Mapped[dt.date | None] = mapped_column(Date, index=True)
    place_id: Mapped[str | None] = mapped_column(ForeignKey("places.id"), index=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    origin_country: Mapped[str | None] = mapped_column(String(2))
    summary: Mapped[dict[str, Any]] = mapped_column(SensitiveJSON, default=dict)
    independent_sources: Mapped[int] = mapped_column(Integer, default=0)
    review_status: Mapped[str] = mapped_column(String(12), default="new", index=True)
    visibility: Mapped[str] = mapped_column(String(12), default="restricted", index=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)  # an analyst merged/split it
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

    mentions: Mapped[list[Mention]] = relationship(back_populates="incident")
    edits: Mapped[list[IncidentEdit]] = relationship(back_populates="incident", cascade="all, delete-orphan")


class Mention(Base):
    """A report-level incident as produced by one extractor version."""

    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"),
                                                    index=True)
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date: Mapped[str | None] = mapped_column(String(10))
    date_precision: Mapped[str | None] = mapped_column(String(5))
    date_start: Mapped[dt.date | None] = mapped_column(Date, index=True)
    place: Mapped[str | None] = mapped_column(String(200))
    place_id: Mapped[str | None] = mapped_column(ForeignKey("places.id"))
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    origin_country: Mapped[str | None] = mapped_column(String(2))
    targets: Mapped[list[Any]] = mapped_column(SensitiveJSON, default=list)
    perpetrators: Mapped[list[Any]] = mapped_column(SensitiveJSON, default=list)  # may name an officer
    legal_basis: Mapped[list[Any]] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(SensitiveText)
    evidence: Mapped[str] = mapped_column(SensitiveText, default="")
    evidence_spans: Mapped[dict[str, Any]] = mapped_column(SensitiveJSON, default=dict)
    confidence: Mapped[float] = mapped_column(Float, default=0.5)
    extractor: Mapped[str] = mapped_column(String(80))
    extractor_version: Mapped[str] = mapped_column(String(80))
    current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    report: Mapped[Report] = relationship(back_populates="mentions")
    incident: Mapped[Incident | None] = relationship(back_populates="mentions")


class Actor(Base):
    __tablename__ = "actors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # person, organization, group, agency
    name: Mapped[str] = mapped_column(SensitiveText)
    name_index: Mapped[str] = mapped_column(String(128), index=True)  # keyed hash of the folded name
    country: Mapped[str | None] = mapped_column(String(2))
    nationality: Mapped[str | None] = mapped_column(String(2))
    profile: Mapped[str | None] = mapped_column(String(40))
    public_figure: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)  # an analyst confirmed it
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    aliases: Mapped[list[ActorAlias]] = relationship(back_populates="actor", cascade="all, delete-orphan")


class ActorAlias(Base):
    __tablename__ = "actor_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(SensitiveText)
    alias_index: Mapped[str] = mapped_column(String(128), index=True)  # keyed hash of the folded alias
    surname_index: Mapped[str | None] = mapped_column(String(128), index=True)  # keyed hash of the family name
    source: Mapped[str] = mapped_column(String(12), default="auto")  # auto | report | lexicon | human
    confidence: Mapped[float] = mapped_column(Float, default=1.0)

    actor: Mapped[Actor] = relationship(back_populates="aliases")


class MentionActor(Base):
    __tablename__ = "mention_actors"

    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(12), primary_key=True)  # target | perpetrator
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    alias_index: Mapped[str | None] = mapped_column(String(128))  # the alias the mention used

    __table_args__ = (Index("ix_mention_actors_actor_id", "actor_id"),)


class MentionKey(Base):
    """Blocking keys of a mention for merging: keyed hashes of country + a name key, an alias group or a
    group count (never a name in clear). Candidates of a new mention are the mentions sharing a key."""

    __tablename__ = "mention_keys"

    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)

    __table_args__ = (Index("ix_mention_keys_key", "key"),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))  # admin | analyst | viewer
    totp_secret: Mapped[str | None] = mapped_column(SensitiveText)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # last accepted TOTP step (no replay)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A server-side login session. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False)  # TOTP passed in this session
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class KeyringEntry(Base):
    """A data or index key, wrapped by a key derived from the passphrase or read from the key file."""

    __tablename__ = "keyring"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # data | index
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    wrapping: Mapped[dict[str, Any]] = mapped_column(JSON)  # method, KDF parameters, salt
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SearchTerm(Base):
    """Blind full-text index: a keyed hash of each folded word of an incident's searchable text."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)


class AlertRule(Base):
    """"N or more incidents of a type against nationals of X in country Y within D days, at least K times
    the rate of the previous baseline period"."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    incident_type: Mapped[str | None] = mapped_column(String(200))  # comma-separated; None: any type
    target_nationality: Mapped[str | None] = mapped_column(String(2))  # None: each nationality apart
    country: Mapped[str | None] = mapped_column(String(2))  # None: each country apart
    min_count: Mapped[int] = mapped_column(Integer)
    window_days: Mapped[int] = mapped_column(Integer)
    rate_factor: Mapped[float] = mapped_column(Float)
    baseline_days: Mapped[int] = mapped_column(Integer, default=90)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class IncidentEdit(Base):
    """A human value for one field of an incident. Machine re-runs never touch these rows."""

    __tablename__ = "incident_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[Any] = mapped_column(SensitiveJSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    reverted: Mapped[bool] = mapped_column(Boolean, default=False)

    incident: Mapped[Incident] = relationship(back_populates="edits")


class ReviewEvent(Base):
    """History of review actions: accept, reject, edit, merge, split, revert."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"),
                                                    index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    details: Mapped[dict[str, Any]] = mapped_column(SensitiveJSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class MergeDecision(Base):
    """An analyst's decision that two mentions are (or are not) the same act; respected by re-runs."""

    __tablename__ = "merge_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_a: Mapped[str] = mapped_column(String(80))  # stable mention keys (report hash + ordinal)
    mention_b: Mapped[str] = mapped_column(String(80))
    same: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    __table_args__ = (UniqueConstraint("mention_a", "mention_b"),)


class AuditEntry(Base):
    """Append-only chain of keyed links (HMAC-SHA256, security/audit.py). Details hold ids and actions
    only, never names or evidence."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now,
                                            server_default=func.current_timestamp())
    user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)  # the link: HMAC (or SHA-256 when key_id is None)
    # the keyring id of the index key whose derived MAC key made `hash`; None: an unkeyed SHA-256 link
    # (a database without encryption, or written before migration 0005)
    key_id: Mapped[str | None] = mapped_column(String(32))


class IncidentState(Base):
    """What search sorts and filters an incident on: the values shown (analysts' edits winning).
    Derived data, rebuilt by `kolokol.facets.refresh_facets`."""

    __tablename__ = "incident_state"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    date_start: Mapped[dt.date | None] = mapped_column(Date)
    date_end: Mapped[dt.date | None] = mapped_column(Date)
    date_precision: Mapped[str | None] = mapped_column(String(5))
    month: Mapped[str | None] = mapped_column(String(7), index=True)
    sort_key: Mapped[int] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2))
    place_id: Mapped[str | None] = mapped_column(String(80), index=True)
    review_status: Mapped[str] = mapped_column(String(12))
    independent_sources: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_incident_state_sort", "sort_key", "incident_id"),
                      Index("ix_incident_state_status_sort", "review_status", "sort_key", "incident_id"))


class IncidentFacet(Base):
    """One facet value of an incident (type, country, place, perpetrator / target actor id, target
    nationality, review status, independent sources). Never a name: actors by id."""

    __tablename__ = "incident_facets"

    facet: Mapped[str] = mapped_column(String(12), primary_key=True)
    value: Mapped[str] = mapped_column(String(80), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_incident_facets_incident", "incident_id", "facet", "value"),)


class SearchEpoch(Base):
    """One row counting the changes of the facet tables; it keys the cache of facet counts."""

    __tablename__ = "search_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer)


class AuditHead(Base):
    """The audit chain's head (one row, id 1): entry count, last hash and their MAC, updated with every
    append. Appenders lock it, so the chain cannot fork; `audit verify` compares it with the last entry."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    # HMAC of (entries, last_id, last_hash) under the current audit key: without the key, the log cannot
    # be cut back to an earlier head. None in a database without encryption.
    mac: Mapped[str | None] = mapped_column(String(64))
