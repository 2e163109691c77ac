"""`kolokol incidents merge / split` go through the review workflow, as the web app does: the
operator acts as SYSTEM, an incident emptied by a merge is absorbed, both results get a review status,
exactly one `review.*` audit entry is written and the chain still verifies; a bad id is a one-line
error that changes nothing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from kolokol.review.workflow import merge_into
from kolokol.security import audit
from kolokol.security.roles import SYSTEM
from kolokol.store import models
from kolokol.store.db import Database
from tests.cli.test_cli import kolokol
from tests.web.conftest import build


def _ids(db: Database) -> list[int]:
    with db.session() as s:
        return list(s.scalars(select(models.Incident.id).order_by(models.Incident.id)))


def _status(db: Database, incident_id: int) -> str | None:
    with db.session() as s:
        return s.scalar(select(models.Incident.review_status).where(models.Incident.id == incident_id))


def _counts(db: Database) -> dict[str, Any]:
    """The rows a merge or split writes, and the incidents with their mentions."""
    with db.session() as s:
        counts: dict[str, Any] = {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                                  for m in (models.Incident, models.ReviewEvent, models.AuditEntry,
                                            models.IncidentEdit, models.MergeDecision)}
        counts["mentions"] = sorted(tuple(r) for r in s.execute(select(models.Mention.id, models.Mention.incident_id)))
        counts["statuses"] = sorted(tuple(r) for r in s.execute(select(models.Incident.id,
                                                                       models.Incident.review_status)))
    return counts


def _new_actions(db: Database, after: int) -> list[str]:
    return [e["action"] for e in audit.entries(db, limit=10_000, after=after)]


def _last_audit_id(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.max(models.AuditEntry.id))) or 0


def _verify(db: Database) -> None:
    """The chain verifies, in this process and with `kolokol audit verify` on this very database."""
    here = audit.verify(db)
    assert here.ok and here.entries > 0
    verified = json.loads(kolokol("audit", "verify", "--json", db=db.url).stdout)
    assert verified["ok"] is True and verified["entries"] == here.entries


def _one_line_error(result: Any, *needles: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_merge_absorbs_the_emptied_incident_and_audits_once(sqlite_db: Database) -> None:
    build(sqlite_db)
    first, second, *_rest = _ids(sqlite_db)
    after = _last_audit_id(sqlite_db)
    before = _counts(sqlite_db)
    result = kolokol("incidents", "merge", str(first), str(second), db=sqlite_db.url)
    merged = int(result.stdout.split("#", 1)[1].split()[0])
    assert merged in (first, second) and "merged into incident" in result.stdout
    gone = ({first, second} - {merged}).pop()
    assert gone not in _ids(sqlite_db)  # no empty shell left behind
    assert _counts(sqlite_db)["incidents"] == before["incidents"] - 1
    assert _status(sqlite_db, merged) == "merged"
    with sqlite_db.session() as s:
        mentions = set(s.scalars(select(models.Mention.incident_id).where(models.Mention.current.is_(True))))
        events = list(s.scalars(select(models.ReviewEvent.incident_id)))
    assert gone not in mentions and gone not in events  # its history points to the merged incident
    actions = _new_actions(sqlite_db, after)
    assert actions == ["review.merge"]  # the workflow's entry only: no CLI duplicate, no "incident.merge"
    entry = audit.entries(sqlite_db, after=after)[0]
    assert entry["object_id"] == str(merged) and entry["user_id"] is None  # the operator (SYSTEM)
    _verify(sqlite_db)


def _mentions_of(db: Database, incident_id: int, current_only: bool = True) -> list[int]:
    query = select(models.Mention.id).where(models.Mention.incident_id == incident_id)
    if current_only:
        query = query.where(models.Mention.current.is_(True))
    with db.session() as s:
        return list(s.scalars(query.order_by(models.Mention.id)))


def test_split_sets_both_statuses_and_audits_once(sqlite_db: Database) -> None:
    build(sqlite_db)
    first, second, *_rest = _ids(sqlite_db)
    merged = merge_into(sqlite_db, first, second, user=SYSTEM)
    mentions = _mentions_of(sqlite_db, merged)
    assert len(mentions) == 2
    after = _last_audit_id(sqlite_db)
    result = kolokol("incidents", "split", str(merged), str(mentions[1]), db=sqlite_db.url)
    assert result.stdout.startswith("split into incidents #")
    moved, kept = (int(part.strip(" #\n")) for part in result.stdout.split("incidents", 1)[1].split("and"))
    assert moved != kept
    assert _status(sqlite_db, moved) == "split" and _status(sqlite_db, kept) == "split"
    with sqlite_db.session() as s:
        placed = dict(s.execute(select(models.Mention.id, models.Mention.incident_id).where(
            models.Mention.id.in_(mentions))).all())
    assert placed == {mentions[1]: moved, mentions[0]: kept}
    assert _new_actions(sqlite_db, after) == ["review.split"]
    _verify(sqlite_db)


def test_bad_ids_are_one_line_errors_that_change_nothing(sqlite_db: Database) -> None:
    build(sqlite_db)
    first, second, *_rest = _ids(sqlite_db)
    merged = merge_into(sqlite_db, first, second, user=SYSTEM)
    mentions = _mentions_of(sqlite_db, merged, current_only=False)
    with sqlite_db.session() as s:
        unknown = (s.scalar(select(func.max(models.Mention.id))) or 0) + 100
    before = _counts(sqlite_db)
    bad = kolokol("incidents", "split", str(merged), str(mentions[1]), str(unknown), db=sqlite_db.url, check=False)
    _one_line_error(bad, f"mention(s) {unknown} are not in incident {merged}")
    missing = kolokol("incidents", "merge", str(merged), "99999", db=sqlite_db.url, check=False)
    _one_line_error(missing, "no incident 99999", "kolokol export")  # a command-line hint, not a web page
    missing = kolokol("incidents", "split", "99999", str(mentions[1]), db=sqlite_db.url, check=False)
    _one_line_error(missing, "no incident 99999", "kolokol export")
    assert _counts(sqlite_db) == before  # no incident, review event, edit, decision or audit entry
    # the control: the same split with the right ids goes through the workflow
    after = _last_audit_id(sqlite_db)
    kolokol("incidents", "split", str(merged), str(mentions[1]), db=sqlite_db.url)
    assert _new_actions(sqlite_db, after) == ["review.split"]
    _verify(sqlite_db)
