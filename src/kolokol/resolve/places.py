"""Place resolution: the place a mention names, as a gazetteer entry stored in `places` (id, name,
country, kind as the admin level: city / region / country, admin1, coordinates), linked from
`mentions.place_id` and, through merging, `incidents.place_id`.

Extraction already resolves places while reading (evidence_spans carries `place_id`, latitude and
longitude); this step stores the entry. A mention with a place name but no id is looked up in the
gazetteer and kept only when the country agrees ("none of these" beats a wrong city).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kolokol.resolve.gazetteer import Place, get_gazetteer
from kolokol.store import models

ADMIN_LEVEL = {"country": 0, "region": 1, "city": 2}


def place_of_mention(mention: models.Mention) -> Place | None:
    """The gazetteer entry of a mention's place, or None."""
    spans = mention.evidence_spans or {}
    gaz = get_gazetteer()
    place_id = spans.get("place_id") or mention.place_id
    if place_id:
        known = gaz.places.get(str(place_id))
        if known is not None:
            return known
        if mention.place and spans.get("latitude") is not None:
            # An id the installed gazetteer no longer has: keep what extraction saw.
            return Place(name=mention.place, country=mention.country or "", kind="city", gazetteer_id=str(place_id),
                         latitude=spans.get("latitude"), longitude=spans.get("longitude"))
    if mention.place:
        found = gaz.lookup(mention.place)
        if found is not None and (not mention.country or found.country == mention.country):
            return found
    return None


def upsert_place(session: Session, place: Place, cache: dict[str, models.Place] | None = None) -> str:
    """Store (or refresh) a gazetteer entry in `places`; return its id."""
    if cache is not None and place.gazetteer_id in cache:
        return place.gazetteer_id
    row = session.get(models.Place, place.gazetteer_id)
    if row is None:
        row = models.Place(id=place.gazetteer_id)
        session.add(row)
    row.name, row.country, row.kind = place.name, place.country or "", place.kind
    row.admin1, row.latitude, row.longitude = place.admin1, place.latitude, place.longitude
    session.flush()  # the row must exist before mentions point at it (no ORM relationship orders them)
    if cache is not None:
        cache[place.gazetteer_id] = row
    return place.gazetteer_id


def resolve_places(session: Session, mentions: Sequence[models.Mention]) -> int:
    """Set `place_id` of each mention that names a known place; return how many were resolved."""
    cache: dict[str, models.Place] = {}
    done = 0
    for m in mentions:
        place = place_of_mention(m)
        if place is None:
            m.place_id = None
            continue
        m.place_id = upsert_place(session, place, cache)
        done += 1
    session.flush()
    return done


def places_by_id(session: Session, ids: Sequence[str]) -> dict[str, models.Place]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(models.Place).where(models.Place.id.in_(wanted)))}
