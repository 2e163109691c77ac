"""The tamper-evident audit log: an append-only hash chain in `audit_log`, with its head in
`audit_head`.

Each entry's ``hash`` is SHA-256 over a canonical JSON encoding of (format version, sequence number,
previous entry's hash, time, user id, action, object type, object id, details). Sequence numbers
are the row ids, given out one by one under a lock, so they have no gaps. The ``audit_head`` row
holds the number of entries and the last hash and is updated in the same transaction as each
append. Writers serialise on that row (`UPDATE` first: SQLite takes its single write lock,
PostgreSQL a row lock), so two transactions can never both extend the same head and fork the chain.

`verify` walks the chain and reports the first entry that is wrong:

- an edited entry (any column) no longer matches its hash;
- a deleted entry leaves a gap in the sequence and a broken link;
- reordered entries (swapped contents or ids) break the hash, which covers the sequence number;
- entries cut off the end (truncation) no longer match the head's count and last hash;
- an *anchor* (`SEQ:HASH`, as printed by `kolokol audit verify`) copied somewhere else earlier
  must still be in the chain, which catches a rewrite of everything up to it, head included.

What it cannot detect: someone who can write to the database and recomputes every hash after the
last anchor (the chain holds no secret), or a restore of the whole database to an older copy taken
after the last anchor. Keep anchors off this machine (print one daily, or keep it with backups).

Details hold identifiers only (ids, actions, field names, formats, counts), never names or evidence:
`append` refuses a string that is not a short lower-case identifier, so a name cannot slip in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kolokol.errors import KolokolError
from kolokol.security.sessions import aware, utcnow
from kolokol.store.db import Database
from kolokol.store.models import AuditEntry, AuditHead

FORMAT = 1
GENESIS = "0" * 64
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9_.:\-]{0,63}$")
_ACTION = re.compile(r"^[a-z][a-z0-9_.\-]{0,39}$")


class AuditError(KolokolError):
    code = "audit"


def _check_value(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        if value == "" or _TOKEN.match(value):
            return value
        raise ValueError(f"audit detail {key!r} is not an identifier: audit details never hold free text")
    if isinstance(value, list | tuple):
        return [_check_value(key, v) for v in value]
    raise ValueError(f"audit detail {key!r} has type {type(value).__name__}: use ids, names of fields, counts")


def clean_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """Details checked to hold only identifiers, numbers, booleans and lists of them (raises ValueError)."""
    out: dict[str, Any] = {}
    for key, value in (details or {}).items():
        if not _TOKEN.match(key):
            raise ValueError(f"audit detail key {key!r} is not an identifier")
        out[key] = _check_value(key, value)
    return out


def _at(value: dt.datetime) -> str:
    return aware(value).astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(*, seq: int, prev_hash: str, at: dt.datetime, user_id: int | None, action: str,
               object_type: str | None, object_id: str | None, details: Mapping[str, Any]) -> str:
    payload = [FORMAT, seq, prev_hash, _at(at), user_id, action, object_type, object_id, dict(details)]
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def append(session: Session, action: str, *, user_id: int | None = None, object_type: str | None = None,
           object_id: int | str | None = None, details: Mapping[str, Any] | None = None,
           now: dt.datetime | None = None) -> AuditEntry:
    """Add an entry to the chain inside the caller's transaction (it commits or rolls back with the
    action it records). Takes the chain's write lock first."""
    if not _ACTION.match(action):
        raise ValueError(f"audit action {action!r} is not an identifier")
    if object_type is not None and not _TOKEN.match(object_type):
        raise ValueError(f"audit object type {object_type!r} is not an identifier")
    oid = None if object_id is None else str(object_id)
    if oid is not None and not _TOKEN.match(oid):
        raise ValueError("audit object id is not an identifier")
    clean = clean_details(details)
    # The lock: a write to the head row before reading it (SQLite: the database write lock;
    # PostgreSQL: a row lock held until commit), so appenders take turns.
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(entries=AuditHead.entries))
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)
                           .execution_options(populate_existing=True)).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, entries=0, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    seq = head.last_id + 1
    at = (now or utcnow()).astimezone(dt.UTC)
    digest = entry_hash(seq=seq, prev_hash=head.last_hash, at=at, user_id=user_id, action=action,
                        object_type=object_type, object_id=oid, details=clean)
    entry = AuditEntry(id=seq, at=at, user_id=user_id, action=action, object_type=object_type, object_id=oid,
                       details=clean, prev_hash=head.last_hash, hash=digest)
    session.add(entry)
    head.entries += 1
    head.last_id = seq
    head.last_hash = digest
    session.flush()
    return entry


def record(db: Database, action: str, *, user_id: int | None = None, object_type: str | None = None,
           object_id: int | str | None = None, details: Mapping[str, Any] | None = None,
           now: dt.datetime | None = None) -> int:
    """`append` in a transaction of its own; returns the entry's sequence number."""
    with db.session() as s:
        return append(s, action, user_id=user_id, object_type=object_type, object_id=object_id,
                      details=details, now=now).id


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    entries: int
    head: str  # "SEQ:HASH" of the last good entry: an anchor to keep elsewhere
    first_bad_id: int | None = None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head": self.head, "first_bad_id": self.first_bad_id,
                "problem": self.problem}


def parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.strip().partition(":")
    if not seq.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise AuditError(f"not an anchor: {text!r}", hint="use SEQ:HASH as printed by `kolokol audit verify`")
    return int(seq), digest


def verify(db: Database, anchors: Iterable[tuple[int, str]] = ()) -> VerifyResult:
    """Walk the whole chain; the first problem found is reported with the id of the entry at fault
    (for a gap or truncation: the first missing sequence number)."""
    wanted = dict(anchors)
    prev, expected, count = GENESIS, 1, 0

    def bad(entry_id: int, problem: str) -> VerifyResult:
        return VerifyResult(False, count, f"{expected - 1}:{prev}", entry_id, problem)

    with db.session() as s:
        head = s.get(AuditHead, 1)
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=500))
        for e in rows.scalars():
            if e.id != expected:
                return bad(expected, f"entry {expected} is missing (deleted or renumbered)")
            if e.prev_hash != prev:
                return bad(e.id, "entry does not link to the one before it (deleted, inserted or reordered)")
            digest = entry_hash(seq=e.id, prev_hash=e.prev_hash, at=e.at, user_id=e.user_id, action=e.action,
                                object_type=e.object_type, object_id=e.object_id, details=e.details or {})
            if digest != e.hash:
                return bad(e.id, "entry was changed after it was written")
            if e.id in wanted and wanted.pop(e.id) != e.hash:
                return bad(e.id, "entry differs from the anchor recorded earlier (the chain was rewritten)")
            prev, expected, count = e.hash, expected + 1, count + 1
        head_entries, head_last = (head.entries, head.last_hash) if head is not None else (0, GENESIS)
    if head_entries != count or head_last != prev:
        if head_entries > count:
            return bad(expected, f"entries {expected} to {head_entries} are missing (the log was cut short)")
        return bad(expected - 1 if count else 1, "the chain's head does not match its last entry")
    if wanted:
        first = min(wanted)
        return bad(first, f"anchored entry {first} is missing (the log was cut short or replaced)")
    return VerifyResult(True, count, f"{count}:{prev}")


def entries(db: Database, *, limit: int = 100, after: int = 0) -> list[dict[str, Any]]:
    """Entries in order (ids, times, actions, objects, details): nothing in them names a person."""
    with db.session() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(limit))
        return [{"id": e.id, "at": _at(e.at), "user_id": e.user_id, "action": e.action,
                 "object_type": e.object_type, "object_id": e.object_id, "details": e.details or {}}
                for e in rows]


def actions_since(db: Database, after: int) -> Sequence[str]:
    """The actions appended after sequence number `after` (tests and monitoring)."""
    with db.session() as s:
        return list(s.scalars(select(AuditEntry.action).where(AuditEntry.id > after).order_by(AuditEntry.id)))
