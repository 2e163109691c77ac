"""Review workflow: the queue, status decisions, field edits with history, reverts, merges, splits.

Library first: every web route (kolokol.web.routes.review) and test calls these functions. Each one
takes the acting user (kolokol.security.roles.UserInfo) as a required keyword `user`, with no default:
a caller that forgets it gets a TypeError before anything is read or written, never the operator's
rights (docs/security.md, "Fail-closed reading"). Web routes pass the signed-in account; only
command-line code, whose operator holds the database and its key, may pass `SYSTEM`. Each function
checks the review permission first, refuses incidents that user may not see
(NotFound, so nothing about them leaks), writes who and when, appends an audit entry (ids and field
names only), and refreshes the derived search data of the incidents it touched.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kolokol import facets
from kolokol.domain import IncidentType, parse_partial_date, sort_types
from kolokol.errors import KolokolError, NotFound
from kolokol.export import load_views
from kolokol.security import audit
from kolokol.security.roles import AccessDenied, Permission, UserInfo, can, visible_incidents
from kolokol.store import models
from kolokol.store.db import Database

QUEUE_STATUS = "new"
EDITABLE_FIELDS = ("types", "date", "date_precision", "country", "place", "origin_country", "targets",
                   "perpetrators", "legal_basis", "outcome")
COMPANIONS = {"date": "date_precision", "date_precision": "date", "place": "place_id", "place_id": "place"}
PRECISIONS = ("day", "week", "month", "year")
TARGET_KINDS = ("person", "organization", "group")
MAX_TEXT = 2000
MAX_ITEMS = 50
_CODE = re.compile(r"^[A-Za-z]{2}$")


class EditError(KolokolError):
    code = "review"


# --- access ----------------------------------------------------------------------------------------

def _require_review(user: UserInfo | None) -> None:
    if not can(user, Permission.REVIEW):
        raise AccessDenied("reviewing needs an analyst account")


def _incident(session: Session, incident_id: int, user: UserInfo | None) -> models.Incident:
    """The incident if `user` may see it; otherwise NotFound (the same answer as for a missing one)."""
    inc = session.scalar(select(models.Incident).where(models.Incident.id == incident_id, visible_incidents(user)))
    if inc is None:
        raise NotFound(f"no incident {incident_id}", hint="see /review or /incidents")
    return inc


def _user_id(user: UserInfo | None) -> int | None:
    return user.id if user is not None else None


def _refresh(session: Session, ids: Sequence[int]) -> None:
    from kolokol.search import _reindex

    _reindex(session, sorted(set(ids)))


# --- the queue -------------------------------------------------------------------------------------

@dataclass(slots=True)
class QueuePage:
    total: int
    page: int
    pages: int
    items: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "page": self.page, "pages": self.pages, "items": self.items}


def review_queue(db: Database, *, user: UserInfo | None, page: int = 1, page_size: int = 50) -> QueuePage:
    """Machine incidents waiting for review (status new) that `user` may see, newest act first."""
    from kolokol.search import SearchQuery, search_incidents

    _require_review(user)
    result = search_incidents(db, SearchQuery(status=QUEUE_STATUS, page=max(1, page)), page_size=page_size,
                              user=user, with_facets=False)
    items = []
    with db.session() as s:
        views = {v.incident.id: v for v in load_views(s, incident_ids=[r.id for r in result.incidents])}
        for row in result.incidents:
            view = views.get(row.id)
            items.append({"id": row.id, "date": row.date, "types": row.types, "country": row.country,
                          "place": row.place, "independent_sources": row.independent_sources,
                          "reports": row.reports, "evidence": row.evidence,
                          "targets": [str(e.get("value")) for e in view.targets][:5] if view else [],
                          "perpetrators": [str(e.get("value")) for e in view.perpetrators][:3] if view else []})
    return QueuePage(total=result.total, page=result.page, pages=result.pages, items=items)


# --- status ----------------------------------------------------------------------------------------

def _status_of(session: Session, inc: models.Incident) -> str:
    human = facets.human_values(session, [inc.id]).get(inc.id, {})
    return str(human.get("review_status", inc.review_status) or QUEUE_STATUS)


def _set_status(session: Session, inc: models.Incident, status: str, user: UserInfo | None) -> models.IncidentEdit:
    edit = models.IncidentEdit(incident_id=inc.id, field="review_status", value=status, user_id=_user_id(user))
    session.add(edit)
    inc.review_status = status
    session.flush()
    return edit


def set_status(db: Database, incident_id: int, status: str, *, user: UserInfo | None,
               action: str | None = None) -> str:
    """Record a review status (accepted, rejected, ...); returns the previous one."""
    from kolokol.search import STATUSES

    _require_review(user)
    if status not in STATUSES:
        raise EditError(f"{status!r} is not a review status", hint=", ".join(STATUSES))
    with db.session() as s:
        inc = _incident(s, incident_id, user)
        before = _status_of(s, inc)
        edit = _set_status(s, inc, status, user)
        name = action or status
        s.add(models.ReviewEvent(incident_id=inc.id, user_id=_user_id(user), action=name,
                                 details={"edits": [edit.id], "from": before, "to": status}))
        audit.append(s, f"review.{name}", user_id=_user_id(user), object_type="incident", object_id=inc.id,
                     details={"from": before, "to": status})
        facets.refresh_facets(s, [inc.id])
        return before


def accept_incident(db: Database, incident_id: int, *, user: UserInfo | None) -> str:
    return set_status(db, incident_id, "accepted", user=user, action="accept")


def reject_incident(db: Database, incident_id: int, *, user: UserInfo | None) -> str:
    return set_status(db, incident_id, "rejected", user=user, action="reject")


# --- edits -----------------------------------------------------------------------------------------

def _code(value: Any, name: str) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not _CODE.match(text):
        raise EditError(f"{name} {text!r} is not an ISO 3166-1 alpha-2 code", hint="e.g. KG, RU")
    return text.upper()


def _text(value: Any, name: str, limit: int = MAX_TEXT) -> str | None:
    text = " ".join(str(value or "").split())
    if len(text) > limit:
        raise EditError(f"{name} is longer than {limit} characters")
    return text or None


def _lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [line for line in str(value or "").splitlines() if line.strip()]


def validate_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise edited values (raises EditError); unknown fields are refused."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise EditError(f"cannot edit {', '.join(sorted(unknown))}", hint="editable: " + ", ".join(EDITABLE_FIELDS))
    out: dict[str, Any] = {}
    if "types" in changes:
        types = [str(t).strip().lower() for t in (changes["types"] or []) if str(t).strip()]
        bad = [t for t in types if t not in {k.value for k in IncidentType}]
        if bad:
            raise EditError(f"{', '.join(bad)} is not an incident type", hint=", ".join(t.value for t in IncidentType))
        if not types:
            raise EditError("an incident needs at least one type", hint="reject it instead if it is not one")
        out["types"] = sort_types(sorted(set(types)))
    if "date" in changes:
        date = _text(changes["date"], "date", 10)
        parsed = parse_partial_date(date) if date else None
        if date and (parsed is None or not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date)):
            raise EditError(f"date {date!r} is not a date", hint="use YYYY-MM-DD, YYYY-MM or YYYY")
        out["date"] = date
        precision = _text(changes.get("date_precision"), "date precision", 5)
        if precision and precision not in PRECISIONS:
            raise EditError(f"{precision!r} is not a date precision", hint=", ".join(PRECISIONS))
        out["date_precision"] = (precision or (parsed[1] if parsed else None)) if date else None
    elif "date_precision" in changes:
        raise EditError("a date precision is edited together with the date")
    for name in ("country", "origin_country"):
        if name in changes:
            out[name] = _code(changes[name], name.replace("_", " "))
    if "place" in changes:
        out["place"] = _text(changes["place"], "place", 200)
    if "outcome" in changes:
        out["outcome"] = _text(changes["outcome"], "outcome")
    if "legal_basis" in changes:
        laws = [t for t in (_text(v, "legal basis", 300) for v in _lines(changes["legal_basis"])) if t]
        out["legal_basis"] = laws[:MAX_ITEMS]
    if "targets" in changes:
        out["targets"] = [_target(v) for v in _lines(changes["targets"])][:MAX_ITEMS]
    if "perpetrators" in changes:
        out["perpetrators"] = [_perpetrator(v) for v in _lines(changes["perpetrators"])][:MAX_ITEMS]
    return out


def _target(value: Any) -> dict[str, Any]:
    """'Name | RU | person' (nationality and kind optional) or a dict with those keys."""
    if isinstance(value, Mapping):
        parts = [value.get("name"), value.get("nationality"), value.get("kind")]
    else:
        parts = [p.strip() for p in str(value).split("|")] + [None, None]
    name = _text(parts[0], "target name", 300)
    if not name:
        raise EditError("a target needs a name or a description")
    kind = (str(parts[2] or "").strip().lower() or "person")
    if kind not in TARGET_KINDS:
        raise EditError(f"target kind {kind!r} is not one of {', '.join(TARGET_KINDS)}")
    return {"name": name, "kind": kind, "nationality": _code(parts[1], "nationality")}


def _perpetrator(value: Any) -> dict[str, Any]:
    """'Body | KG' (the state it belongs to optional) or a dict with name and country."""
    if isinstance(value, Mapping):
        parts = [value.get("name"), value.get("country")]
    else:
        parts = [p.strip() for p in str(value).split("|")] + [None]
    name = _text(parts[0], "perpetrator", 300)
    if not name:
        raise EditError("a perpetrator needs a name")
    return {"name": name, "country": _code(parts[1], "perpetrator country")}


def parse_edit_form(form: Mapping[str, Any], types: Sequence[str] = ()) -> dict[str, Any]:
    """The edit form's fields as changes for `edit_incident` (types come as a repeated field)."""
    changes: dict[str, Any] = {"types": list(types)}
    for name in ("date", "date_precision", "country", "place", "origin_country", "targets", "perpetrators",
                 "legal_basis", "outcome"):
        changes[name] = form.get(name) or ""
    return changes


def form_values(session: Session, inc: models.Incident) -> dict[str, Any]:
    """The values an edit form starts from (what the incident page shows), normalised as
    `validate_changes` returns them, so an unchanged field is recognised and not recorded."""
    [view] = load_views(session, incident_ids=[inc.id])  # the incident as reviewed: edits win
    current: dict[str, Any] = {
        "types": list(view.types), "date": view.date, "date_precision": view.date_precision,
        "country": view.country, "origin_country": view.origin_country, "place": view.place_name,
        "outcome": view.outcome, "legal_basis": list(view.legal_basis),
        "targets": [{"name": str(e.get("value")), "kind": e.get("kind") or "person",
                     "nationality": e.get("nationality")} for e in view.targets],
        "perpetrators": [{"name": str(e.get("value")), "country": e.get("country")} for e in view.perpetrators],
    }
    text = form_text(current)
    for name in ("date", "country", "origin_country", "place", "outcome", "legal_basis", "targets", "perpetrators"):
        try:  # what the form would send back unchanged, normalised the same way
            change = {name: text[name]} if name != "date" else {"date": text["date"],
                                                                   "date_precision": text["date_precision"]}
            current.update(validate_changes(change))
        except EditError:
            pass
    return current


def form_text(current: Mapping[str, Any]) -> dict[str, str]:
    """The edit form's text fields for these values."""
    def target(t: Mapping[str, Any]) -> str:
        extra = [t.get("nationality") or "", "" if (t.get("kind") or "person") == "person" else t["kind"]]
        return " | ".join([str(t.get("name")), *extra]).rstrip(" |")

    return {
        "date": current.get("date") or "", "date_precision": current.get("date_precision") or "",
        "country": current.get("country") or "", "origin_country": current.get("origin_country") or "",
        "place": current.get("place") or "", "outcome": current.get("outcome") or "",
        "legal_basis": "\n".join(current.get("legal_basis") or []),
        "targets": "\n".join(target(t) for t in current.get("targets") or []),
        "perpetrators": "\n".join(" | ".join([str(p.get("name")), p.get("country") or ""]).rstrip(" |")
                                  for p in current.get("perpetrators") or []),
    }


def edit_form(db: Database, incident_id: int, *, user: UserInfo | None) -> dict[str, Any]:
    """What the edit page shows: the incident's current values as form text, and its types."""
    _require_review(user)
    with db.session() as s:
        inc = _incident(s, incident_id, user)
        current = form_values(s, inc)
        return {"id": inc.id, "types": current["types"], "fields": form_text(current),
                "review_status": _status_of(s, inc)}


def edit_incident(db: Database, incident_id: int, changes: Mapping[str, Any], *,
                  user: UserInfo | None) -> list[str]:
    """Record the fields that differ from what is shown now; returns their names. A new incident
    becomes `edited` (out of the queue). Machine values stay untouched underneath."""
    _require_review(user)
    clean = validate_changes(changes)
    with db.session() as s:
        inc = _incident(s, incident_id, user)
        current = form_values(s, inc)
        changed = [name for name in EDITABLE_FIELDS if name in clean and clean[name] != current.get(name)]
        if "date" in changed or "date_precision" in changed:
            changed = sorted(set(changed) | {"date", "date_precision"}, key=EDITABLE_FIELDS.index)
        if not changed:
            return []
        edits: list[models.IncidentEdit] = []
        for name in changed:  # a cleared value is stored as "" (the column holds no NULL)
            value = clean[name]
            edits.append(models.IncidentEdit(incident_id=inc.id, field=name, value="" if value is None else value,
                                             user_id=_user_id(user)))
        if "place" in changed:
            edits.append(models.IncidentEdit(incident_id=inc.id, field="place_id",
                                             value=_place_id(s, clean["place"], current.get("country")) or "",
                                             user_id=_user_id(user)))
        s.add_all(edits)
        s.flush()
        before = _status_of(s, inc)
        if before == QUEUE_STATUS:
            edits.append(_set_status(s, inc, "edited", user))
        s.add(models.ReviewEvent(incident_id=inc.id, user_id=_user_id(user), action="edit",
                                 details={"fields": changed, "edits": [e.id for e in edits]}))
        audit.append(s, "review.edit", user_id=_user_id(user), object_type="incident", object_id=inc.id,
                     details={"fields": list(changed)})
        _refresh(s, [inc.id])
        return changed


def _place_id(session: Session, name: str | None, country: str | None) -> str | None:
    """The gazetteer place an analyst's place name denotes (the place table only), or None."""
    if not name:
        return None
    from kolokol.extract.names import fold_name

    folded = fold_name(name)
    query = select(models.Place.id, models.Place.name, models.Place.country)
    hits = [(pid, c) for pid, n, c in session.execute(query) if fold_name(n) == folded]
    hits.sort(key=lambda h: (h[1] != country, h[0]))
    return hits[0][0] if hits else None


# --- history and revert ----------------------------------------------------------------------------

@dataclass(slots=True)
class HistoryEntry:
    id: int
    at: dt.datetime
    user: str | None
    action: str
    changes: list[dict[str, Any]] = field(default_factory=list)  # edits: id, field, value, reverted
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "user": self.user, "action": self.action,
                "changes": self.changes, "details": self.details}


def incident_history(db: Database, incident_id: int, *, user: UserInfo | None) -> list[HistoryEntry]:
    """Every review action on an incident, newest first, with the field values it set; each
    non-reverted edit can be reverted."""
    _require_review(user)
    with db.session() as s:
        inc = _incident(s, incident_id, user)
        edits = {e.id: e for e in s.scalars(select(models.IncidentEdit).where(
            models.IncidentEdit.incident_id == inc.id))}
        events = list(s.scalars(select(models.ReviewEvent).where(models.ReviewEvent.incident_id == inc.id)
                                .order_by(models.ReviewEvent.created_at.desc(), models.ReviewEvent.id.desc())))
        user_ids = {e.user_id for e in events} | {e.user_id for e in edits.values()}
        names = dict(s.execute(select(models.User.id, models.User.username)
                               .where(models.User.id.in_(sorted(u for u in user_ids if u is not None)))).all())
        out = []
        shown: set[int] = set()
        for ev in events:
            details = dict(ev.details or {})
            changes = []
            for eid in details.pop("edits", []) or []:
                e = edits.get(eid)
                if e is None:
                    continue
                shown.add(e.id)
                changes.append({"id": e.id, "field": e.field, "value": e.value, "reverted": e.reverted})
            out.append(HistoryEntry(id=ev.id, at=ev.created_at, user=names.get(ev.user_id) if ev.user_id else None,
                                    action=ev.action, changes=changes, details=details))
        for e in sorted(edits.values(), key=lambda e: e.id, reverse=True):  # edits made without an event
            if e.id not in shown:
                out.append(HistoryEntry(id=-e.id, at=e.created_at, user=names.get(e.user_id) if e.user_id else None,
                                        action="edit", changes=[{"id": e.id, "field": e.field, "value": e.value,
                                                                 "reverted": e.reverted}]))
        out.sort(key=lambda h: (_aware(h.at), h.id), reverse=True)
        return out


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def revert_edit(db: Database, incident_id: int, edit_id: int, *, user: UserInfo | None) -> list[str]:
    """Undo one edit (and its companion: a date with its precision, a place with its gazetteer id):
    the value shown falls back to the previous edit, else the machine's. Returns the fields reverted."""
    _require_review(user)
    with db.session() as s:
        inc = _incident(s, incident_id, user)
        edit = s.get(models.IncidentEdit, edit_id)
        if edit is None or edit.incident_id != inc.id:
            raise NotFound(f"no edit {edit_id} of incident {incident_id}", hint="see the incident's history")
        if edit.reverted:
            raise EditError(f"edit {edit_id} is already reverted")
        targets = [edit]
        companion = COMPANIONS.get(edit.field)
        if companion:  # the companion made by the same action (the event lists its edits)
            together: set[int] = set()
            for event in s.scalars(select(models.ReviewEvent).where(models.ReviewEvent.incident_id == inc.id)):
                listed = (event.details or {}).get("edits") or []
                if edit.id in listed:
                    together.update(listed)
            targets.extend(e for e in s.scalars(select(models.IncidentEdit).where(
                models.IncidentEdit.incident_id == inc.id, models.IncidentEdit.field == companion,
                models.IncidentEdit.reverted.is_(False))) if e.id in together)
        for e in targets:
            e.reverted = True
        s.flush()
        if edit.field == "review_status":
            inc.review_status = _status_of(s, inc) if _has_status_edit(s, inc.id) else QUEUE_STATUS
        fields = sorted({e.field for e in targets})
        s.add(models.ReviewEvent(incident_id=inc.id, user_id=_user_id(user), action="revert",
                                 details={"reverted": [e.id for e in targets], "fields": fields}))
        audit.append(s, "review.revert", user_id=_user_id(user), object_type="incident", object_id=inc.id,
                     details={"edit": edit.id})
        _refresh(s, [inc.id])
        return fields


def _has_status_edit(session: Session, incident_id: int) -> bool:
    return session.scalar(select(models.IncidentEdit.id).where(
        models.IncidentEdit.incident_id == incident_id, models.IncidentEdit.field == "review_status",
        models.IncidentEdit.reverted.is_(False)).limit(1)) is not None


# --- merge and split -------------------------------------------------------------------------------

def merge_into(db: Database, incident_id: int, other_id: int, *, user: UserInfo | None) -> int:
    """Two incidents are one act (kept by every re-run); returns the merged incident's id."""
    from kolokol.resolve.merge import merge_incidents

    _require_review(user)
    if incident_id == other_id:
        raise EditError("cannot merge an incident with itself")
    with db.session() as s:
        _incident(s, incident_id, user)
        _incident(s, other_id, user)
    merged = merge_incidents(db, incident_id, other_id, user_id=_user_id(user)).id
    with db.session() as s:
        inc = s.get(models.Incident, merged)
        assert inc is not None
        for gone in {incident_id, other_id} - {merged}:
            _absorb(s, gone, merged)
        _set_status(s, inc, "merged", user)
        audit.append(s, "review.merge", user_id=_user_id(user), object_type="incident", object_id=merged,
                     details={"first": incident_id, "second": other_id})
        _refresh(s, [incident_id, other_id, merged])
    return merged


def _absorb(session: Session, gone_id: int, merged_id: int) -> None:
    """An incident left without mentions by a merge is folded into the merged one: its analysts' field
    values carry over where the merged incident has none of its own, its history points to the merged
    one, and the empty shell goes (it would otherwise show up as an incident without reports)."""
    gone = session.get(models.Incident, gone_id)
    if gone is None:
        return
    alive = session.scalar(select(models.Mention.id).where(models.Mention.incident_id == gone_id,
                                                           models.Mention.current.is_(True)).limit(1))
    if alive is not None:
        return
    kept_fields = set(facets.human_values(session, [merged_id]).get(merged_id, {}))
    for edit in session.scalars(select(models.IncidentEdit).where(models.IncidentEdit.incident_id == gone_id,
                                                                  models.IncidentEdit.reverted.is_(False))
                                .order_by(models.IncidentEdit.id)):
        if edit.field != "review_status" and edit.field not in kept_fields:
            session.add(models.IncidentEdit(incident_id=merged_id, field=edit.field, value=edit.value,
                                            user_id=edit.user_id, created_at=edit.created_at))
    for event in session.scalars(select(models.ReviewEvent).where(models.ReviewEvent.incident_id == gone_id)):
        event.incident_id = merged_id
    session.flush()
    session.delete(gone)
    session.flush()


def split_off(db: Database, incident_id: int, mention_ids: Sequence[int], *,
              user: UserInfo | None) -> tuple[int, int]:
    """Some report-level incidents of an incident tell another act (kept by every re-run); returns
    (the incident of the chosen ones, the incident of the rest)."""
    from kolokol.resolve.merge import split_incident

    _require_review(user)
    with db.session() as s:
        _incident(s, incident_id, user)
    moved, kept = split_incident(db, incident_id, list(mention_ids), user_id=_user_id(user))
    ids = (moved.id, kept.id)
    with db.session() as s:
        for iid in ids:
            inc = s.get(models.Incident, iid)
            assert inc is not None
            _set_status(s, inc, "split", user)
        audit.append(s, "review.split", user_id=_user_id(user), object_type="incident", object_id=incident_id,
                     details={"moved": ids[0], "kept": ids[1]})
        _refresh(s, [incident_id, *ids])
    return ids
