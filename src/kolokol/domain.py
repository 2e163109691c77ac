"""Typed models shared by every layer: what a report is, what extraction finds, what an incident is.

Every extracted value carries its evidence (a `Span` of the report's clean text) and the rule
that produced it, so any decision can be traced back to the words of the report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

Precision = Literal["day", "week", "month", "year"]
PRECISION_RANK: dict[str, int] = {"day": 0, "week": 1, "month": 2, "year": 3}


class IncidentType(StrEnum):
    """The type list of GUIDELINES.md, roughly from most to least severe."""

    KILLING = "killing"
    RENDITION = "rendition"
    ABDUCTION = "abduction"
    EXTRADITION = "extradition"
    ILL_TREATMENT = "ill_treatment"
    DEPORTATION = "deportation"
    DETENTION = "detention"
    LEGAL_ACTION = "legal_action"
    INTERROGATION = "interrogation"
    CLOSURE = "closure"
    CENSORSHIP = "censorship"
    FINE = "fine"
    THREAT = "threat"
    SUMMONS = "summons"
    SURVEILLANCE = "surveillance"
    OTHER = "other"


SEVERITY: dict[str, int] = {t.value: i for i, t in enumerate(IncidentType)}


def sort_types(types: list[str] | set[str]) -> list[str]:
    """Most severe first, as GUIDELINES.md asks; unknown types last, alphabetically."""
    return sorted(set(types), key=lambda t: (SEVERITY.get(t, len(SEVERITY)), t))


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets [start, end) into a report's clean text, with the quoted text."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(slots=True)
class DateMention:
    """A date expression resolved against the publication date (or an earlier date told)."""

    span: Span
    value: dt.date
    precision: Precision
    rule: str

    def iso(self) -> str:
        if self.precision == "year":
            return f"{self.value.year:04d}"
        if self.precision == "month":
            return f"{self.value.year:04d}-{self.value.month:02d}"
        return self.value.isoformat()


@dataclass(slots=True)
class PlaceMention:
    """A place name resolved to a gazetteer entry ("None of these" is represented by no mention)."""

    span: Span
    name: str  # canonical English name, e.g. "Bishkek"
    country: str  # ISO 3166-1 alpha-2
    kind: Literal["city", "region", "country"]
    gazetteer_id: str  # e.g. "geonames:1528675" or "kolokol:karakol" or "iso:KG"
    latitude: float | None = None
    longitude: float | None = None
    admin1: str | None = None
    rule: str = ""


ActorKind = Literal["person", "organization", "group", "agency"]


@dataclass(slots=True)
class ActorMention:
    """A person, organisation, group or state body named in the text.

    `agency` is a state body or proxy (perpetrator candidate); `organization` is a non-state
    organisation (target candidate: centres, bands, outlets).
    """

    span: Span
    name: str  # as written in the report
    kind: ActorKind
    country: str | None = None  # for agencies: the state it belongs to
    nationality: str | None = None  # for persons and groups, when the report says so
    count: int | None = None  # for groups
    profile: str | None = None  # activist, journalist, musician, blogger, lawyer ...
    canonical: str | None = None  # lexicon id for agencies ("kg.gknb"), normalised name otherwise
    rule: str = ""


@dataclass(slots=True)
class LegalMention:
    span: Span
    text: str  # as written: "Article 431 of the Code of Offenses", "ч. 2 ст. 280 УК РФ"
    article: str | None = None  # "431", "280"
    part: str | None = None
    code: str | None = None  # normalised code name: "KG Code of Offenses", "RU Criminal Code"
    rule: str = ""


@dataclass(slots=True)
class OutcomeMention:
    span: Span
    kind: Literal["fine", "released", "held", "deported", "handed_over", "sentenced", "other"]
    text: str  # normalised short text: "fined 5500 KGS"
    amount: float | None = None
    currency: str | None = None  # ISO 4217
    rule: str = ""


@dataclass(slots=True)
class Party:
    """A target or perpetrator of an incident, in the interchange format."""

    name: str
    kind: Literal["person", "organization", "group"] = "person"
    nationality: str | None = None
    count: int | None = None
    country: str | None = None  # perpetrators: the state the body belongs to
    profile: str | None = None
    span: Span | None = None

    def target_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "nationality": self.nationality, "count": self.count}

    def perpetrator_dict(self) -> dict[str, Any]:
        return {"name": self.name, "country": self.country}


@dataclass(slots=True)
class Mention:
    """A report-level incident: one act as told by one report, each field with its evidence."""

    source_id: str | None
    types: list[str]
    date: str | None = None
    date_precision: Precision | None = None
    place: str | None = None
    country: str | None = None
    origin_country: str | None = None
    targets: list[Party] = field(default_factory=list)
    perpetrators: list[Party] = field(default_factory=list)
    legal_basis: list[str] = field(default_factory=list)
    outcome: str | None = None
    evidence: str = ""
    evidence_spans: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.5
    extractor: str = ""
    extractor_version: str = ""
    place_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    incident_id: str | None = None
    merged_id: str | None = None
    trace: list[str] = field(default_factory=list)

    def to_interchange(self) -> dict[str, Any]:
        """The GUIDELINES.md interchange record plus evidence spans and provenance."""
        return {
            "source_id": self.source_id,
            "incident_id": self.incident_id,
            "merged_id": self.merged_id,
            "types": sort_types(self.types),
            "date": self.date,
            "date_precision": self.date_precision,
            "place": self.place,
            "country": self.country,
            "origin_country": self.origin_country,
            "targets": [t.target_dict() for t in self.targets],
            "perpetrators": [p.perpetrator_dict() for p in self.perpetrators],
            "legal_basis": list(self.legal_basis),
            "outcome": self.outcome,
            "evidence": self.evidence,
            "evidence_spans": self.evidence_spans,
            "confidence": round(self.confidence, 3),
            "extractor": self.extractor,
            "extractor_version": self.extractor_version,
        }


@dataclass(slots=True)
class ReportInput:
    """What an ingester produces before storage: clean text plus metadata and the raw bytes."""

    text: str
    raw: bytes
    kind: Literal["text", "markdown", "html", "feed-entry", "url"]
    origin: str  # path or URL it came from
    source_id: str | None = None
    url: str | None = None
    outlet: str | None = None
    title: str | None = None
    published: str | None = None  # ISO, possibly partial: "2023-06"
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("raw")
        return d


def parse_partial_date(value: str | None) -> tuple[dt.date, Precision] | None:
    """'2023-06-05' -> (date, 'day'); '2023-06' -> (2023-06-01, 'month'); '2023' -> year."""
    if not value:
        return None
    parts = str(value).strip()[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 1
        day = int(parts[2]) if len(parts) > 2 else 1
        when = dt.date(year, month, day)
    except (ValueError, IndexError):
        return None
    precision: Precision = ("year", "month", "day")[min(len(parts), 3) - 1]  # type: ignore[assignment]
    return when, precision
