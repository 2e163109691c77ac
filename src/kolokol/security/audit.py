"""The tamper-evident audit log: an append-only chain of keyed links in `audit_log`, with its head
in `audit_head`.

Each entry's ``hash`` is HMAC-SHA256, under the audit key, of a canonical JSON encoding of (format
version, key id, sequence number, previous entry's hash, time, user id, action, object type, object
id, details). The audit key is derived (HKDF-SHA256, its own label) from an index key of the
database's keyring, which only the key file or passphrase unwraps; ``key_id`` names that index key.
Sequence numbers are the row ids, given out one by one under a lock, so they have no gaps. The
``audit_head`` row holds the number of entries, the last hash and an HMAC of the three, and is
updated in the same transaction as each append. Writers serialise on that row (`UPDATE` first:
SQLite takes its single write lock, PostgreSQL a row lock), so two transactions can never both
extend the same head and fork the chain.

`verify` (which needs the database's key) walks the chain and reports the first entry that is wrong:

- an edited entry (any column) no longer matches its MAC, and without the key no new MAC can be
  made: rewriting an entry and recomputing every later link (with plain SHA-256 or any other key)
  is found at the rewritten entry;
- a deleted entry leaves a gap in the sequence and a broken link;
- reordered entries (swapped contents or ids) break the MAC, which covers the sequence number;
- entries cut off the end (truncation) no longer match the head, and the head cannot be set back
  to an earlier state without the key (its MAC covers count and last hash);
- a downgrade (an unkeyed link after a keyed one, a link under an older key than the one before it)
  is refused, so the links cannot be replaced by unkeyed ones or by ones under a retired key;
- an *anchor* (`SEQ:HASH`, as printed by `kolokol audit verify`) copied somewhere else earlier
  must still be in the chain.

Key rotation keeps the chain checkable without rewriting it: retired index keys stay in the keyring,
so entries written before a rotation are checked with their own key; `kolokol key rotate` appends a
`key.rotate` entry under the new key (linking to the last entry under the old one) in its own
transaction, and from then on an entry under an older key is refused, so a process started before
the rotation cannot append (restart it). Entries written before migration 0005, or in a database
without encryption, are unkeyed SHA-256 links (``key_id`` None); the first keyed entry after them
vouches for them (`seal`).

What it cannot detect: a holder of the key (or of the key file or passphrase) who rewrites the log;
a restore of the whole database to an older copy (its old head MAC is valid too); and, in a
database created with encryption off, anything a writer recomputes (the links are plain SHA-256
there: only anchors kept elsewhere catch a rewrite). Keep anchors off this machine.

Details hold identifiers only (ids, actions, field names, formats, counts), never names or evidence:
`append` refuses a string that is not a short lower-case identifier, so a name cannot slip in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from kolokol.errors import KolokolError
from kolokol.security import crypto
from kolokol.security.sessions import aware, utcnow
from kolokol.store.db import Database
from kolokol.store.models import AuditEntry, AuditHead
from kolokol.store.types import DatabaseKeys, keys_of

FORMAT = 1  # unkeyed SHA-256 links (no encryption, or written before migration 0005)
KEYED_FORMAT = 2  # HMAC-SHA256 links under the audit key
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


def _canonical(payload: list[Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def entry_hash(*, seq: int, prev_hash: str, at: dt.datetime, user_id: int | None, action: str,
               object_type: str | None, object_id: str | None, details: Mapping[str, Any]) -> str:
    """An unkeyed link (format 1): plain SHA-256, which anyone can recompute."""
    payload = [FORMAT, seq, prev_hash, _at(at), user_id, action, object_type, object_id, dict(details)]
    return hashlib.sha256(_canonical(payload)).hexdigest()


def entry_mac(key: bytes, *, key_id: str, seq: int, prev_hash: str, at: dt.datetime, user_id: int | None,
              action: str, object_type: str | None, object_id: str | None, details: Mapping[str, Any]) -> str:
    """A keyed link (format 2): HMAC-SHA256 under the audit key `key` (named by `key_id`, which the
    MAC covers, so a link cannot be moved to another key)."""
    payload = [KEYED_FORMAT, key_id, seq, prev_hash, _at(at), user_id, action, object_type, object_id, dict(details)]
    return hmac.new(key, _canonical(payload), hashlib.sha256).hexdigest()


def head_mac(key: bytes, *, key_id: str, entries: int, last_id: int, last_hash: str) -> str:
    """The MAC of the chain's head (its own payload: never equal to an entry's MAC)."""
    return hmac.new(key, _canonical([KEYED_FORMAT, "head", key_id, entries, last_id, last_hash]),
                    hashlib.sha256).hexdigest()


def _link(keys: DatabaseKeys, key_id: str | None, **fields: Any) -> str | None:
    """The link of an entry under `key_id` (None: unkeyed); None when `keys` lack that key."""
    if key_id is None:
        return entry_hash(**fields)
    key = keys.audit_keys.get(key_id)
    return None if key is None else entry_mac(key, key_id=key_id, **fields)


def _seal_head(keys: DatabaseKeys, head: AuditHead) -> None:
    key_id = keys.audit_key_id
    head.mac = None if key_id is None else head_mac(keys.audit_keys[key_id], key_id=key_id, entries=head.entries,
                                                    last_id=head.last_id, last_hash=head.last_hash)


def _check_successor(session: Session, keys: DatabaseKeys, head: AuditHead) -> None:
    """Refuse to extend a chain whose last link is under a key this process does not hold, or a newer
    one (a rotation since it started), or to add an unkeyed link after a keyed one."""
    if head.last_id == 0:
        return
    prev_key = session.scalar(select(AuditEntry.key_id).where(AuditEntry.id == head.last_id))
    mine = keys.audit_key_id
    if prev_key is None or prev_key == mine:
        return
    order = list(keys.audit_keys)
    if mine is None or prev_key not in order or order.index(prev_key) > order.index(mine):
        raise AuditError("the audit log is keyed with a key this process does not hold (the keys were rotated "
                         "after it started, or it was opened without them)",
                         hint="restart it with the database's current key")


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
    keys = keys_of(session.get_bind().dialect)
    if keys.audit_key_id is not None and keys.audit_key_id not in keys.audit_keys:
        raise AuditError("the audit key is missing from this process's keys", hint="reopen the database")
    # The lock: a write to the head row before reading it (SQLite: the database write lock;
    # PostgreSQL: a row lock held until commit), so appenders take turns.
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(entries=AuditHead.entries))
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)
                           .execution_options(populate_existing=True)).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, entries=0, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    _check_successor(session, keys, head)
    seq = head.last_id + 1
    at = (now or utcnow()).astimezone(dt.UTC)
    key_id = keys.audit_key_id
    fields: dict[str, Any] = {"seq": seq, "prev_hash": head.last_hash, "at": at, "user_id": user_id,
                              "action": action, "object_type": object_type, "object_id": oid, "details": clean}
    digest = entry_hash(**fields) if key_id is None else entry_mac(keys.audit_keys[key_id], key_id=key_id, **fields)
    entry = AuditEntry(id=seq, at=at, user_id=user_id, action=action, object_type=object_type, object_id=oid,
                       details=clean, prev_hash=head.last_hash, hash=digest, key_id=key_id)
    session.add(entry)
    head.entries += 1
    head.last_id = seq
    head.last_hash = digest
    _seal_head(keys, head)
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
    keyed: bool = True  # checked with the database's key (False: no encryption, unkeyed SHA-256 links)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head": self.head, "first_bad_id": self.first_bad_id,
                "problem": self.problem, "keyed": self.keyed}


def parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.strip().partition(":")
    if not seq.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise AuditError(f"not an anchor: {text!r}", hint="use SEQ:HASH as printed by `kolokol audit verify`")
    return int(seq), digest


def verify(db: Database, anchors: Iterable[tuple[int, str]] = (), *, keys: DatabaseKeys | None = None,
           sealed: bool = True) -> VerifyResult:
    """Walk the whole chain with the database's keys (or `keys`); the first problem found is reported
    with the id of the entry at fault (for a gap or truncation: the first missing sequence number).
    `sealed=False` skips the check of the head's MAC (`seal` vouches for a chain that has none yet)."""
    keys = db.keys if keys is None else keys
    keyed = keys.audit_key_id is not None
    order = {key_id: n for n, key_id in enumerate(keys.audit_keys)}
    wanted = dict(anchors)
    prev, expected, count = GENESIS, 1, 0
    rank = -1  # the keyring position of the key of the last keyed link (-1: none yet)

    def bad(entry_id: int, problem: str) -> VerifyResult:
        return VerifyResult(False, count, f"{expected - 1}:{prev}", entry_id, problem, keyed)

    with db.session() as s:
        head = s.get(AuditHead, 1)
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=500))
        for e in rows.scalars():
            if e.id != expected:
                return bad(expected, f"entry {expected} is missing (deleted or renumbered)")
            if e.prev_hash != prev:
                return bad(e.id, "entry does not link to the one before it (deleted, inserted or reordered)")
            if e.key_id is None and rank >= 0:
                return bad(e.id, "entry has an unkeyed link after keyed ones (rewritten without the key)")
            if e.key_id is not None:
                if e.key_id not in order:
                    where = "this database's keyring" if keyed else "this database, which has no keys"
                    return bad(e.id, f"entry is keyed with key {e.key_id}, which is not in {where}")
                if order[e.key_id] < rank:
                    return bad(e.id, "entry is keyed with an older key than the entry before it (rewritten "
                                     "with a retired key)")
                rank = order[e.key_id]
            digest = _link(keys, e.key_id, seq=e.id, prev_hash=e.prev_hash, at=e.at, user_id=e.user_id,
                           action=e.action, object_type=e.object_type, object_id=e.object_id,
                           details=e.details or {})
            if digest is None or not hmac.compare_digest(digest, e.hash):
                return bad(e.id, "entry was changed after it was written" if e.key_id is None else
                           "entry's MAC does not match: changed after it was written, or checked with a key "
                           "that is not this database's")
            if e.id in wanted and wanted.pop(e.id) != e.hash:
                return bad(e.id, "entry differs from the anchor recorded earlier (the chain was rewritten)")
            prev, expected, count = e.hash, expected + 1, count + 1
        head_entries, head_id, head_last, stored_mac = ((head.entries, head.last_id, head.last_hash, head.mac)
                                                        if head is not None else (0, 0, GENESIS, None))
    last = expected - 1 if count else 1
    if head_entries != count or head_last != prev:
        if head_entries > count:
            return bad(expected, f"entries {expected} to {head_entries} are missing (the log was cut short)")
        return bad(last, "the chain's head does not match its last entry")
    if keyed and sealed:
        key_id = keys.audit_key_id
        assert key_id is not None
        if head is None or stored_mac is None:
            return bad(last, "the chain's head has no MAC: written before the log was keyed (`kolokol audit seal` "
                             "vouches for it), or reset without the key")
        want = head_mac(keys.audit_keys[key_id], key_id=key_id, entries=head_entries, last_id=head_id,
                        last_hash=head_last)
        if not hmac.compare_digest(want, stored_mac):
            return bad(last, "the chain's head MAC does not match the current key (the log was cut back or "
                             "rewritten without the key, or is checked with a key that is not this database's)")
    if wanted:
        first = min(wanted)
        return bad(first, f"anchored entry {first} is missing (the log was cut short or replaced)")
    return VerifyResult(True, count, f"{count}:{prev}", keyed=keyed)


def seal(db: Database, anchors: Iterable[tuple[int, str]] = ()) -> VerifyResult:
    """Vouch for the chain as it is with a keyed entry (`audit.seal`): for a log whose entries were
    written before the chain was keyed (migration 0005), whose head has no MAC yet. Checks the chain
    first (and the anchors given: pass one recorded before the upgrade if you have it) and changes
    nothing when it is broken."""
    if db.keys.audit_key_id is None:
        raise AuditError("this database is not encrypted: there is no key to seal its audit log with",
                         hint="`kolokol key rotate` encrypts it (and keys the log)")
    result = verify(db, anchors, sealed=False)
    if not result.ok:
        return result
    with db.session() as s:
        append(s, "audit.seal", details={"entries": result.entries})
    return verify(db)


def seal_new_head(conn: Connection, key_id: str, index_key: bytes) -> None:
    """Give an empty log's head its MAC when a database gets its first keys (security/keys.py), so
    that even a log with no entry yet cannot be reset without the key. A log with entries keeps its
    unkeyed links until `seal` or the next append vouches for them."""
    head = conn.execute(select(AuditHead.entries, AuditHead.last_id, AuditHead.last_hash)
                        .where(AuditHead.id == 1)).first()
    if head is None or head.entries != 0:
        return
    mac = head_mac(crypto.audit_mac_key(index_key), key_id=key_id, entries=0, last_id=head.last_id,
                   last_hash=head.last_hash)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(mac=mac))


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
