"""The review workflow on both backends: queue, accept / reject, edits with who and when, history,
revert, merge and split, edits surviving re-extraction, and access rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kolokol.errors import KolokolError, NotFound
from kolokol.review import (
    EditError,
    accept_incident,
    edit_incident,
    incident_history,
    merge_into,
    reject_incident,
    revert_edit,
    review_queue,
    split_off,
)
from kolokol.search import SearchQuery, incident_detail, search_incidents
from kolokol.security.roles import SYSTEM, UserInfo
from kolokol.store import models
from kolokol.store.db import Database


def incident_with(db: Database, word: str) -> int:
    with db.session() as s:
        for m in s.scalars(select(models.Mention).where(models.Mention.current.is_(True))):
            if word in m.evidence and m.incident_id:
                return m.incident_id
    raise AssertionError(word)


def ids(db: Database, **filters: object) -> set[int]:
    return {r.id for r in search_incidents(db, SearchQuery.parse(**filters), user=SYSTEM).incidents}  # type: ignore[arg-type]


def field(detail: dict, name: str) -> dict:
    return next(f for f in detail["fields"] if f["name"] == name)


def test_queue_accept_reject_and_revert(reviewed_db: Database, analyst: UserInfo) -> None:
    queue = review_queue(reviewed_db, user=analyst)
    everything = search_incidents(reviewed_db, SearchQuery(), user=SYSTEM).total
    assert queue.total == everything >= 3
    dates = [item["date"] for item in queue.items]
    assert dates == sorted(dates, reverse=True)  # newest act first
    first, second = queue.items[0]["id"], queue.items[1]["id"]
    assert accept_incident(reviewed_db, first, user=analyst) == "new"
    assert reject_incident(reviewed_db, second, user=analyst) == "new"
    assert [i["id"] for i in review_queue(reviewed_db, user=analyst).items] == [i["id"] for i in queue.items[2:]]
    assert ids(reviewed_db, status="accepted") == {first} and ids(reviewed_db, status="rejected") == {second}
    history = incident_history(reviewed_db, first, user=analyst)
    assert history[0].action == "accept" and history[0].user == "ana"
    assert history[0].changes[0]["field"] == "review_status" and history[0].changes[0]["value"] == "accepted"
    revert_edit(reviewed_db, first, history[0].changes[0]["id"], user=analyst)
    assert incident_detail(reviewed_db, first, user=SYSTEM)["review_status"] == "new"
    assert first in {i["id"] for i in review_queue(reviewed_db, user=analyst).items}
    with reviewed_db.session() as s:
        assert s.get(models.Incident, first).review_status == "new"  # the column follows
        actions = [e.action for e in s.scalars(select(models.AuditEntry).order_by(models.AuditEntry.id))]
    assert actions[-3:] == ["review.accept", "review.reject", "review.revert"]
    with pytest.raises(EditError, match="already reverted"):
        revert_edit(reviewed_db, first, history[0].changes[0]["id"], user=analyst)


def test_edit_wins_is_searchable_and_revertible(reviewed_db: Database, analyst: UserInfo) -> None:
    iid = incident_with(reviewed_db, "Rahmonzoda")
    assert ids(reviewed_db, country="TR") >= {iid}
    changed = edit_incident(reviewed_db, iid, {"country": "de", "place": "Berlin", "date": "2024-03-02",
                                               "targets": "Zafar Rahmonzoda | TJ\nBahrom Sadulloev | TJ",
                                               "outcome": "released after two days"}, user=analyst)
    assert changed == ["date", "date_precision", "country", "place", "targets", "outcome"]
    detail = incident_detail(reviewed_db, iid, user=SYSTEM)
    assert detail["country"] == "DE" and detail["review_status"] == "edited" and detail["date"] == "2024-03-02"
    assert field(detail, "country")["human"] == "DE" and field(detail, "country")["values"]  # machine values stay
    assert field(detail, "outcome")["human"] == "released after two days"
    assert ids(reviewed_db, country="DE") == {iid} and iid not in ids(reviewed_db, country="TR")
    assert iid in ids(reviewed_db, nationality="TJ")
    # unchanged values are not recorded again
    assert edit_incident(reviewed_db, iid, {"country": "DE", "outcome": "released  after two days"},
                         user=analyst) == []
    history = incident_history(reviewed_db, iid, user=analyst)
    edit = history[0]
    assert edit.action == "edit" and edit.user == "ana"
    assert {c["field"] for c in edit.changes} >= {"country", "targets", "place", "place_id", "review_status"}
    country_edit = next(c for c in edit.changes if c["field"] == "country")
    assert revert_edit(reviewed_db, iid, country_edit["id"], user=analyst) == ["country"]
    assert incident_detail(reviewed_db, iid, user=SYSTEM)["country"] == "TR" and iid in ids(reviewed_db, country="TR")
    date_edit = next(c for c in edit.changes if c["field"] == "date")
    assert revert_edit(reviewed_db, iid, date_edit["id"], user=analyst) == ["date", "date_precision"]
    assert incident_detail(reviewed_db, iid, user=SYSTEM)["date"] == "2024-03-03"
    assert incident_history(reviewed_db, iid, user=analyst)[0].action == "revert"


def test_edits_survive_reextraction(reviewed_db: Database, analyst: UserInfo) -> None:
    from kolokol.config import load_settings
    from kolokol.extract.store import reextract_all
    from kolokol.update import update_incidents

    iid = incident_with(reviewed_db, "Kenzhebaev")
    edit_incident(reviewed_db, iid, {"types": ["abduction", "detention"], "country": "KG"}, user=analyst)
    accept_incident(reviewed_db, iid, user=analyst)
    reextract_all(reviewed_db, load_settings({}), force=True)
    update_incidents(reviewed_db)
    after = incident_with(reviewed_db, "Kenzhebaev")
    assert after == iid
    detail = incident_detail(reviewed_db, iid, user=SYSTEM)
    assert detail["types"] == ["abduction", "detention"] and detail["country"] == "KG"
    assert detail["review_status"] == "accepted"
    assert ids(reviewed_db, type="abduction") == {iid}


def test_merge_and_split(reviewed_db: Database, analyst: UserInfo) -> None:
    a = incident_with(reviewed_db, "Rahmonzoda")
    b = incident_with(reviewed_db, "Kenzhebaev")
    everything = search_incidents(reviewed_db, SearchQuery(), user=SYSTEM).total
    merged = merge_into(reviewed_db, a, b, user=analyst)
    detail = incident_detail(reviewed_db, merged, user=SYSTEM)
    assert detail["review_status"] == "merged" and len(detail["mentions"]) >= 2 and detail["locked"]
    assert search_incidents(reviewed_db, SearchQuery(), user=SYSTEM).total == everything - 1
    assert merged in ids(reviewed_db, q="Kenzhebaev") and merged in ids(reviewed_db, q="Rahmonzoda")
    moved, kept = split_off(reviewed_db, merged, [detail["mentions"][0]["id"]], user=analyst)
    assert moved != kept and search_incidents(reviewed_db, SearchQuery(), user=SYSTEM).total == everything
    assert ids(reviewed_db, status="split") == {moved, kept}
    with pytest.raises(EditError, match="itself"):
        merge_into(reviewed_db, a, a, user=analyst)


def test_bad_edits_are_refused(reviewed_db: Database, analyst: UserInfo) -> None:
    iid = incident_with(reviewed_db, "Rahmonzoda")
    for changes in ({"types": ["bogus"]}, {"types": []}, {"country": "Turkey"}, {"date": "soon"},
                    {"date": "2024-03-03", "date_precision": "hour"}, {"targets": " | TJ"}, {"key": "x"},
                    {"targets": "A | TJ | robot"}):
        with pytest.raises(EditError):
            edit_incident(reviewed_db, iid, changes, user=analyst)
    assert incident_history(reviewed_db, iid, user=analyst) == []


def test_viewers_cannot_review_or_see_restricted(reviewed_db: Database, viewer: UserInfo,
                                                 analyst: UserInfo) -> None:
    iid = incident_with(reviewed_db, "Rahmonzoda")
    with pytest.raises(KolokolError, match="analyst"):
        accept_incident(reviewed_db, iid, user=viewer)
    with pytest.raises(KolokolError, match="analyst"):
        review_queue(reviewed_db, user=viewer)
    assert search_incidents(reviewed_db, SearchQuery(), user=viewer).total == 0  # all restricted
    assert all(n == 0 for vs in search_incidents(reviewed_db, SearchQuery(), user=viewer).facets.values()
               for _v, n in vs)
    with pytest.raises(NotFound):
        incident_detail(reviewed_db, iid, user=viewer)
    with reviewed_db.session() as s:
        s.get(models.Incident, iid).visibility = "internal"
    found = search_incidents(reviewed_db, SearchQuery(), user=viewer)
    assert [r.id for r in found.incidents] == [iid] and found.incidents[0].evidence == ""  # no report text
    assert dict(found.facets["country"]) == {"TR": 1}
    detail = incident_detail(reviewed_db, iid, user=viewer)
    assert detail["mentions"] and all(m["segments"] == [{"text": "", "fields": [], "sentence": False}] or
                                      not m["segments"] for m in detail["mentions"])
    assert all(m["evidence"] == "" and m["spans"] == [] for m in detail["mentions"])
    assert search_incidents(reviewed_db, SearchQuery(), user=analyst).total >= 3
