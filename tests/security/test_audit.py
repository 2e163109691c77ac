"""The audit chain on both backends: verify catches edited, deleted, reordered and cut-off entries,
and, since its links are keyed (HMAC under a key derived from the keyring), a rewrite by someone who
recomputes the links without the key; a wrong key fails; a key rotation keeps it verifiable;
concurrent writers never fork it; details never hold names; `kolokol audit verify` exits 1 with the
first bad entry and says so in one line when it has no key."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from kolokol.config import load_settings
from kolokol.security import audit
from kolokol.security.roles import Role
from kolokol.store import models
from kolokol.store.db import Database, open_database


def _fill(db: Database, n: int = 6) -> None:
    for i in range(n):
        audit.record(db, "read.incident", user_id=1 + i % 2, object_type="incident", object_id=i + 1,
                     details={"n": i, "fields": ["date", "place"]})


def _rehash_all(db: Database, *, start: int = 1, stop: int | None = None, unkeyed: bool = False,
                key: bytes | None = None, head_mac: str | bool | None = False) -> None:
    """What someone with write access but without the key could do: renumber the entries from 1 and
    recompute every link from entry `start` on (to `stop`) with plain SHA-256 (the format of unkeyed
    links; with `unkeyed`, also marking them unkeyed: a downgrade), or with an HMAC under a `key` of
    their own, then the head. `head_mac`: False leaves the head's MAC as it was, else it is set to this."""
    with db.session() as s:
        prev = audit.GENESIS
        rows = list(s.scalars(select(models.AuditEntry).order_by(models.AuditEntry.id)))
        for seq, e in enumerate(rows, start=1):
            s.execute(update(models.AuditEntry).where(models.AuditEntry.id == e.id).values(id=-seq))
        s.flush()
        for seq, e in enumerate(rows, start=1):
            if seq < start or (stop is not None and seq > stop):
                prev = e.hash
                s.execute(update(models.AuditEntry).where(models.AuditEntry.id == -seq).values(id=seq))
                continue
            fields = {"seq": seq, "prev_hash": prev, "at": e.at, "user_id": e.user_id, "action": e.action,
                      "object_type": e.object_type, "object_id": e.object_id, "details": e.details}
            key_id = None if unkeyed else e.key_id
            if key is not None and key_id is not None:
                digest = audit.entry_mac(key, key_id=key_id, **fields)
            else:
                digest = audit.entry_hash(**fields)
            s.execute(update(models.AuditEntry).where(models.AuditEntry.id == -seq)
                      .values(id=seq, prev_hash=prev, hash=digest, key_id=key_id))
            prev = digest
        values: dict[str, Any] = {"entries": len(rows), "last_id": len(rows), "last_hash": prev}
        if head_mac is not False:
            values["mac"] = head_mac
        s.execute(update(models.AuditHead).where(models.AuditHead.id == 1).values(**values))


def test_an_intact_chain_verifies(db: Database) -> None:
    assert audit.verify(db).ok and audit.verify(db).entries == 0
    _fill(db)
    result = audit.verify(db)
    assert result.ok and result.entries == 6 and result.first_bad_id is None
    seq, digest = audit.parse_anchor(result.head)
    assert seq == 6 and len(digest) == 64
    assert audit.verify(db, [(3, _hash(db, 3)), (6, digest)]).ok
    assert not audit.verify(db, [(3, "0" * 64)]).ok


def _hash(db: Database, entry_id: int) -> str:
    with db.session() as s:
        entry = s.get(models.AuditEntry, entry_id)
        assert entry is not None
        return entry.hash


@pytest.mark.parametrize("column,value", [("action", "read.report"), ("user_id", 7), ("object_id", "99"),
                                          ("details", {"n": 2, "fields": ["date"]}), ("prev_hash", "1" * 64)])
def test_an_edited_entry_is_found(db: Database, column: str, value: Any) -> None:
    _fill(db)
    with db.session() as s:
        s.execute(update(models.AuditEntry).where(models.AuditEntry.id == 3).values({column: value}))
    result = audit.verify(db)
    assert not result.ok and result.first_bad_id == 3, result


def test_an_edited_time_is_found(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        entry = s.get(models.AuditEntry, 2)
        assert entry is not None
        entry.at = entry.at - dt.timedelta(seconds=1)
    assert audit.verify(db).first_bad_id == 2


def test_a_deleted_entry_is_found(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        s.execute(delete(models.AuditEntry).where(models.AuditEntry.id == 4))
    result = audit.verify(db)
    assert not result.ok and result.first_bad_id == 4 and "missing" in (result.problem or "")


def test_a_deleted_entry_with_renumbering_is_found(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        s.execute(delete(models.AuditEntry).where(models.AuditEntry.id == 4))
        for i in (5, 6):
            s.execute(update(models.AuditEntry).where(models.AuditEntry.id == i).values(id=i - 1))
    assert audit.verify(db).first_bad_id == 4


def test_the_last_entries_cut_off_are_found(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        s.execute(delete(models.AuditEntry).where(models.AuditEntry.id >= 5))
    result = audit.verify(db)
    assert not result.ok and result.first_bad_id == 5 and "cut short" in (result.problem or "")


def test_reordered_entries_are_found(db: Database) -> None:
    _fill(db)
    with db.session() as s:  # swap the ids of entries 2 and 3
        s.execute(update(models.AuditEntry).where(models.AuditEntry.id == 2).values(id=-2))
        s.execute(update(models.AuditEntry).where(models.AuditEntry.id == 3).values(id=2))
        s.execute(update(models.AuditEntry).where(models.AuditEntry.id == -2).values(id=3))
    assert audit.verify(db).first_bad_id == 2
    _rehash_all(db)  # "repaired" by someone who recomputes every link without the key...
    result = audit.verify(db)
    assert not result.ok and result.first_bad_id == 1, result  # ...is found at the first recomputed link


def test_a_rewritten_chain_is_found_without_an_anchor(db: Database) -> None:
    _fill(db)
    anchor = audit.parse_anchor(audit.verify(db).head)
    with db.session() as s:
        s.execute(delete(models.AuditEntry).where(models.AuditEntry.id == 2))
    _rehash_all(db, start=2)
    result = audit.verify(db)
    assert not result.ok and result.first_bad_id == 2, result  # the links are keyed: no anchor needed
    result = audit.verify(db, [anchor])
    assert not result.ok and result.first_bad_id == 2, result


@pytest.mark.parametrize("attack", ["sha256", "own-key", "downgrade", "downgrade-from-3", "no-head-mac"])
def test_an_attacker_without_the_key_is_found(db: Database, attack: str) -> None:
    """An entry rewritten and every later link (and the head) recomputed, without the database's key:
    with plain SHA-256, with an HMAC under a key of the attacker's, or turned into unkeyed links."""
    _fill(db)
    assert audit.verify(db).ok
    with db.session() as s:
        s.execute(update(models.AuditEntry).where(models.AuditEntry.id == 3).values(action="login.ok", user_id=9))
    options: dict[str, Any] = {
        "sha256": {"start": 3},
        "own-key": {"start": 3, "key": b"k" * 32},
        "downgrade": {"start": 1, "unkeyed": True, "head_mac": None},
        "downgrade-from-3": {"start": 3, "unkeyed": True},
        "no-head-mac": {"start": 3, "unkeyed": True, "head_mac": None},
    }[attack]
    _rehash_all(db, **options)
    result = audit.verify(db)
    assert not result.ok, result
    if attack == "downgrade":  # every link is now a valid unkeyed one: the head gives it away
        assert "head has no MAC" in (result.problem or ""), result
    else:
        assert result.first_bad_id == 3, result


def test_a_log_cut_back_to_an_earlier_head_is_found(db: Database) -> None:
    """Deleting the newest entries and setting the head back to the last one left: the head's MAC
    covers count and last hash, and cannot be recomputed without the key."""
    _fill(db)
    with db.session() as s:
        fourth = s.get(models.AuditEntry, 4)
        assert fourth is not None
        s.execute(delete(models.AuditEntry).where(models.AuditEntry.id > 4))
        s.execute(update(models.AuditHead).where(models.AuditHead.id == 1)
                  .values(entries=4, last_id=4, last_hash=fourth.hash))
    result = audit.verify(db)
    assert not result.ok and "head MAC does not match" in (result.problem or ""), result
    with db.session() as s:  # nor can the log be emptied
        s.execute(delete(models.AuditEntry))
        s.execute(update(models.AuditHead).values(entries=0, last_id=0, last_hash=audit.GENESIS))
    assert not audit.verify(db).ok


def test_verify_with_the_wrong_key_fails(db: Database) -> None:
    from kolokol.store.types import DatabaseKeys

    _fill(db)
    assert audit.verify(db).ok
    key_id = db.keys.audit_key_id
    assert key_id is not None and db.keys.audit_keys[key_id] != db.keys.index_key  # derived, not the index key
    same_id = DatabaseKeys(db.keys.codec, b"x" * 32, audit_keys={key_id: b"y" * 32}, audit_key_id=key_id)
    result = audit.verify(db, keys=same_id)
    assert not result.ok and result.first_bad_id == 1 and "MAC does not match" in (result.problem or ""), result
    other_id = DatabaseKeys(db.keys.codec, b"x" * 32, audit_keys={"ab" * 8: b"y" * 32}, audit_key_id="ab" * 8)
    result = audit.verify(db, keys=other_id)
    assert not result.ok and result.first_bad_id == 1 and "not in this database's keyring" in (result.problem or "")
    assert audit.verify(db).ok


def test_rotation_keeps_the_chain_verifiable(db: Database, tmp_path: Path) -> None:
    from kolokol.security.keys import create_key_file, key_source, rotate

    source = key_source(load_settings())
    _fill(db, 4)
    anchor = audit.parse_anchor(audit.verify(db).head)
    stale = open_database(db.url)  # a process started before the rotation
    try:
        first_key = db.keys.audit_key_id
        rotate(db, source)
        assert db.keys.audit_key_id not in (None, first_key)
        result = audit.verify(db, [anchor])  # anchors taken before the rotation still hold
        assert result.ok and result.entries == 5, result
        assert audit.entries(db, after=4)[0]["action"] == "key.rotate"
        _fill(db, 2)
        assert audit.verify(db, [anchor]).ok
        with pytest.raises(audit.AuditError, match="rotated"):  # it holds only the retired key: refused
            audit.record(stale, "read.incident", object_type="incident", object_id=1)
    finally:
        stale.close()
    new_key = create_key_file(tmp_path / "new.key")
    rotate(db, source, new_source=new_key, new_keys=False)  # only re-wrapped: the same audit key
    db.close()
    reopened = open_database(db.url, key=new_key)  # another process, with the new key file
    try:
        result = audit.verify(reopened, [anchor])
        assert result.ok and result.entries == 8, result
        assert [e["action"] for e in audit.entries(reopened, after=4)] == ["key.rotate", "read.incident",
                                                                            "read.incident", "key.rotate"]
        with reopened.session() as s:  # entries before the rotation are still checked, with the retired key
            s.execute(update(models.AuditEntry).where(models.AuditEntry.id == 2).values(object_id="99"))
        assert audit.verify(reopened).first_bad_id == 2
    finally:
        reopened.close()


def test_a_database_without_encryption_keeps_an_unkeyed_chain(tmp_path: Path) -> None:
    """The documented limit: with encryption off there is no key, so the links are plain SHA-256 and
    only an anchor kept elsewhere catches a rewrite; verify says the chain is unkeyed."""
    from kolokol.cli import app

    plain = open_database(f"sqlite:///{tmp_path / 'plain.db'}", encryption=False)
    try:
        _fill(plain)
        result = audit.verify(plain)
        assert result.ok and not result.keyed
        with pytest.raises(audit.AuditError, match="not encrypted"):
            audit.seal(plain)
        r = CliRunner().invoke(app, ["--db", plain.url, "audit", "verify"], env={"KOLOKOL_ENCRYPTION": "off"})
        assert r.exit_code == 0 and "NOT keyed" in r.output, r.output
        anchor = audit.parse_anchor(result.head)
        with plain.session() as s:
            s.execute(update(models.AuditEntry).where(models.AuditEntry.id == 3).values(action="login.ok"))
        _rehash_all(plain, start=3)
        assert audit.verify(plain).ok  # undetectable without a key...
        assert not audit.verify(plain, [anchor]).ok  # ...except with an anchor
    finally:
        plain.close()


def test_a_log_written_before_keyed_links_is_sealed(db: Database) -> None:
    """A database upgraded from before migration 0005: unkeyed links and a head without a MAC. Verify
    says so; `seal` checks it and vouches for it with a keyed entry, after which a rewrite of the old
    entries is found too."""
    _fill(db, 4)
    _rehash_all(db, unkeyed=True, head_mac=None)  # exactly what an older Kolokol wrote
    result = audit.verify(db)
    assert not result.ok and "audit seal" in (result.problem or ""), result
    assert audit.verify(db, sealed=False).ok
    result = audit.seal(db)
    assert result.ok and result.entries == 5, result
    _fill(db, 1)
    assert audit.verify(db).ok
    with db.session() as s:
        s.execute(update(models.AuditEntry).where(models.AuditEntry.id == 2).values(object_id="99"))
    _rehash_all(db, start=2, stop=4, unkeyed=True)  # the old entries rewritten and recomputed...
    result = audit.verify(db)
    assert not result.ok and result.first_bad_id == 5, result  # ...no longer link to the keyed seal entry
    _rehash_all(db, start=2, unkeyed=True)  # and turning the keyed ones into unkeyed links too...
    result = audit.verify(db)
    assert not result.ok and "head MAC does not match" in (result.problem or ""), result  # ...shows at the head


def test_a_deleted_head_is_found(db: Database) -> None:
    _fill(db, 2)
    with db.session() as s:
        s.execute(delete(models.AuditHead))
    assert not audit.verify(db).ok


def test_details_never_take_free_text(sqlite_db: Database) -> None:
    for details in ({"name": "Ruslan Kenzhebaev"}, {"q": "назаров"}, {"evidence": "was detained in Almaty"},
                    {"x": {"nested": 1}}, {"Bad Key": 1}, {"x": 1.5}):
        with pytest.raises(ValueError):
            audit.record(sqlite_db, "edit", details=details)
    with pytest.raises(ValueError):
        audit.record(sqlite_db, "edit", object_id="Ruslan")
    with pytest.raises(ValueError):
        audit.record(sqlite_db, "Edit Something")
    assert audit.verify(sqlite_db).entries == 0  # nothing half-written
    audit.record(sqlite_db, "incident.edit", object_type="incident", object_id=3,
                 details={"fields": ["date", "targets"], "status": "accepted", "count": 2, "ok": True, "none": None})
    assert audit.verify(sqlite_db).ok


def test_concurrent_writers_never_fork_the_chain(db_url: str) -> None:
    """Four threads on four engines (as separate processes would be), each appending 15 entries."""
    opened = [open_database(db_url) for _ in range(4)]
    errors: list[BaseException] = []

    def work(database: Database, worker: int) -> None:
        try:
            for i in range(15):
                audit.record(database, "read.incident", user_id=worker, object_type="incident", object_id=i)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d, w)) for w, d in enumerate(opened)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        result = audit.verify(opened[0])
        assert result.ok and result.entries == 60, result
        with opened[0].session() as s:
            prevs = s.scalars(select(models.AuditEntry.prev_hash)).all()
        assert len(set(prevs)) == 60  # no two entries extend the same head
    finally:
        for d in opened:
            d.close()


def test_audit_rides_the_callers_transaction(sqlite_db: Database) -> None:
    with pytest.raises(RuntimeError), sqlite_db.session() as s:
        audit.append(s, "incident.edit", object_type="incident", object_id=1)
        raise RuntimeError("the edit failed")
    result = audit.verify(sqlite_db)
    assert result.ok and result.entries == 0


def test_cli_verify_and_list(sqlite_db: Database) -> None:
    from kolokol.cli import app

    _fill(sqlite_db)
    runner = CliRunner()
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "verify"])
    assert r.exit_code == 0 and "intact: 6 entries" in r.output
    anchor = audit.verify(sqlite_db).head
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "verify", "--anchor", anchor, "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["ok"] is True
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "list", "--json"])
    lines = [json.loads(x) for x in r.output.splitlines()]
    assert [x["id"] for x in lines] == [1, 2, 3, 4, 5, 6] and lines[0]["action"] == "read.incident"
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "list", "--after", "4"])
    assert r.exit_code == 0 and len(r.output.splitlines()) == 2
    with sqlite_db.session() as s:
        s.execute(text("UPDATE audit_log SET action = 'login.ok' WHERE id = 5"))
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "verify"])
    assert r.exit_code == 1 and "entry 5" in r.output
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "verify", "--json"])
    assert r.exit_code == 1 and json.loads(r.output)["first_bad_id"] == 5
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "verify", "--anchor", "nonsense"])
    assert r.exit_code != 0


def test_cli_verify_needs_the_key_and_says_so_in_one_line(sqlite_db: Database, tmp_path: Path) -> None:
    from kolokol.cli import app
    from kolokol.security.keys import create_key_file

    _fill(sqlite_db, 2)
    runner = CliRunner()
    empty = tmp_path / "config"
    empty.mkdir()
    other = create_key_file(tmp_path / "other.key")
    for env in ({"KOLOKOL_KEY_FILE": "", "XDG_CONFIG_HOME": str(empty)},  # no key at all
                {"KOLOKOL_KEY_FILE": str(other.path)}):  # another database's key
        r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "verify"], env=env)
        assert r.exit_code != 0 and r.exception is not None, r.output
        message = str(r.exception)
        assert "\n" not in message and message.startswith("[key] the audit log's links are keyed: checking them "
                                                          "needs the database's key"), message
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "verify"])
    assert r.exit_code == 0 and "intact: 2 entries" in r.output and "NOT keyed" not in r.output


def test_cli_seal(sqlite_db: Database) -> None:
    from kolokol.cli import app

    _fill(sqlite_db, 3)
    _rehash_all(sqlite_db, unkeyed=True, head_mac=None)  # as an older Kolokol left it
    runner = CliRunner()
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "verify"])
    assert r.exit_code == 1 and "audit seal" in r.output
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "seal"])
    assert r.exit_code == 0 and "sealed: 4 entries" in r.output, r.output
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "verify"])
    assert r.exit_code == 0, r.output
    with sqlite_db.session() as s:
        s.execute(text("UPDATE audit_log SET action = 'login.ok' WHERE id = 1"))
    r = runner.invoke(app, ["--db", sqlite_db.url, "audit", "seal"])
    assert r.exit_code == 1 and "not sealed" in r.output
    assert audit.verify(sqlite_db).entries == 0  # broken at entry 1, and nothing appended


def test_what_is_audited_and_that_no_name_is_in_it(tmp_path: Any) -> None:
    """Sign-in, reads of restricted detail, publishing, an export and admin actions are logged;
    the log holds no name, no evidence and no username."""
    from kolokol.cli import app as cli_app
    from kolokol.web.app import create_app
    from tests.web.auth_helpers import anonymous_client, make_user, signed_in_client
    from tests.web.conftest import build

    db = open_database(f"sqlite:///{tmp_path / 'k.db'}")
    try:
        build(db)
        web = create_app(db)
        admin = make_user(db, Role.ADMIN, username="root-admin")
        client = signed_in_client(web, db, Role.ADMIN, account=admin)
        viewer = signed_in_client(web, db, Role.VIEWER)
        with db.session() as s:
            incidents = s.scalars(select(models.Incident).order_by(models.Incident.id)).all()
            report_id = s.scalars(select(models.Report.id)).first()
            incidents[0].review_status = "accepted"
            first, second = incidents[0].id, incidents[1].id
        before = audit.verify(db).entries
        assert client.get(f"/incidents/{second}").status_code == 200
        assert client.get(f"/api/reports/{report_id}").status_code == 200
        assert client.post(f"/api/incidents/{first}/visibility", json={"visibility": "public"}).status_code == 200
        assert viewer.get(f"/api/incidents/{first}").status_code == 200  # public: not logged
        assert anonymous_client(web).get(f"/api/incidents/{second}").status_code == 401  # nor refusals
        client.get("/incidents", params={"q": "Kenzhebaev"})  # searches are not logged (their words are names)
        r = CliRunner().invoke(cli_app, ["--db", db.url, "export", "--format", "csv", "-o", str(tmp_path / "x.csv")])
        assert r.exit_code == 0, r.output
        r = CliRunner().invoke(cli_app, ["--db", db.url, "users", "disable", admin.username])
        assert r.exit_code != 0  # the last admin
        r = CliRunner().invoke(cli_app, ["--db", db.url, "incidents", "unpublish", str(first)])
        assert r.exit_code == 0, r.output
        r = CliRunner().invoke(cli_app, ["--db", db.url, "incidents", "publish", str(second)])
        assert r.exit_code != 0 and "not reviewed" in str(r.exception)  # nothing logged: nothing changed
        for args in (["incidents", "show", str(second)], ["reports", "show", str(report_id)],
                     ["incidents", "merge", str(second), str(incidents[2].id)]):
            r = CliRunner().invoke(cli_app, ["--db", db.url, *args])
            assert r.exit_code == 0, r.output
        new = audit.entries(db, after=before)
        assert [e["action"] for e in new] == ["read.incident", "read.report", "incident.publish", "export",
                                              "incident.unpublish", "read.incident", "read.report",
                                              "review.merge"]
        assert new[2]["details"] == {"from": "restricted", "to": "public"} and new[2]["user_id"] == admin.id
        assert new[3]["details"]["format"] == "csv" and new[3]["user_id"] is None
        r = CliRunner().invoke(cli_app, ["--db", db.url, "incidents", "publish", str(first)])
        assert r.exit_code == 0 and "is public since" in r.output
        assert audit.entries(db, after=new[-1]["id"])[0]["action"] == "incident.publish"
        dump = json.dumps(audit.entries(db, limit=10_000), ensure_ascii=False)
        for secret in ("Kenzhebaev", "Rahmonzoda", "Назаров", "Ruslan", "Almaty", "root-admin", admin.password):
            assert secret not in dump
        with db.session() as s:
            raw = " ".join(str(row) for row in s.execute(text("SELECT * FROM audit_log")))
        assert "Kenzhebaev" not in raw and "root-admin" not in raw
        assert audit.verify(db).ok
    finally:
        db.close()
