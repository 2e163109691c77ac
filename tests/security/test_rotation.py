"""`kolokol key rotate`: new data and index keys (everything re-encrypted, every blind index rebuilt,
nothing else changes), re-wrapping under a new key file or passphrase, encrypting a plaintext
database, and a kill -9 in the middle of a rotation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from kolokol.config import load_settings
from kolokol.ingest import ingest_sources
from kolokol.resolve.actors import find_actors
from kolokol.search import SearchQuery, search_incidents
from kolokol.security import audit, crypto
from kolokol.security.crypto import CryptoError
from kolokol.security.keys import (
    KeyFile,
    Passphrase,
    check_values,
    create_key_file,
    key_source,
    read_entries,
    rotate,
)
from kolokol.security.roles import SYSTEM
from kolokol.store import models
from kolokol.store.db import Database, open_database

from .test_keys import WEB, fill, raw_values
from .util import find_leaks, write_report

QUERIES = ["Rahmonzoda", "rahmon", "назаров", "Istanbul police", "депорт", "Kenzhebaev", "Almaty", "zzz"]
NAMES = ["Zafar Rahmonzoda", "Давлат Назаров", "Rakhmonzoda"]


def snapshot(db: Database) -> dict[str, Any]:
    """What people see: every sensitive value in clear, search results, actor lookups, incidents."""
    with db.session() as s:
        reports = [(r.id, r.title, r.clean_text, r.raw, r.url, r.origin, r.copy_of_id)
                   for r in s.scalars(select(models.Report).order_by(models.Report.id))]
        mentions = [(m.id, m.incident_id, m.targets, m.perpetrators, m.evidence, m.evidence_spans, m.outcome)
                    for m in s.scalars(select(models.Mention).order_by(models.Mention.id))]
        actors = {name: sorted(a.id for a in find_actors(s, name)) for name in NAMES}
        aliases = sorted((a.actor_id, a.alias) for a in s.scalars(select(models.ActorAlias)))
        incidents = [(i.id, i.key, i.summary) for i in s.scalars(select(models.Incident).order_by(models.Incident.id))]
    found = {q: sorted(r.id for r in search_incidents(db, SearchQuery.parse(q=q), user=SYSTEM).incidents)
             for q in QUERIES}
    return {"reports": reports, "mentions": mentions, "actors": actors, "aliases": aliases, "incidents": incidents,
            "search": found}


def key_ids_in_use(db: Database) -> set[str | None]:
    probe = crypto.FieldCipher({"00" * 8: b"\x00" * 32}, "00" * 8)
    return {probe.key_id_of(v) for v in raw_values(db)}


def test_new_keys_reencrypt_everything_and_change_nothing_else(db: Database, tmp_path: Path) -> None:
    fill(db)
    before = snapshot(db)
    assert before["search"]["Rahmonzoda"] and all(before["actors"][n] for n in NAMES[:2])
    old_ids = set(db.keys.key_ids)
    with db.engine.connect() as conn:
        old_hashes = set(conn.execute(text("SELECT name_index FROM actors")).scalars())
    source = key_source(load_settings())
    stages: list[str] = []
    result = rotate(db, source, progress=lambda stage, done, total: stages.append(stage))
    assert result.reencrypted > 40 and result.reindexed["incidents"] == len(before["incidents"])
    assert any(s.startswith("re-encrypting") for s in stages) and "indexing search" in stages
    new_data, new_index = result.key_ids
    assert not old_ids & {new_data, new_index}
    assert key_ids_in_use(db) == {new_data}  # no value is left under the old data key
    with db.engine.connect() as conn:
        entries = read_entries(conn)
        assert {e.key_id for e in entries if e.active} == {new_data, new_index}
        assert all(e.retired_at is not None for e in entries if not e.active)
        assert not old_hashes & set(conn.execute(text("SELECT name_index FROM actors")).scalars())
    assert snapshot(db) == before
    assert audit.verify(db).ok and audit.entries(db)[-1]["action"] == "key.rotate"  # the chain stays checkable
    # copy detection works with the new band key: a syndicated copy is linked to its original
    copies = tmp_path / "copies"
    copies.mkdir()
    original = (WEB / "w1-istanbul-blogger-detained.md").read_text(encoding="utf-8")
    (copies / "copy.md").write_text(original.replace('source_id: "web01"', 'source_id: "copy01"')
                                    .replace("Bosphorus Daily", "Other Wire") + "\nThe embassy declined to comment.\n",
                                    encoding="utf-8")
    summary = ingest_sources(db, [str(copies)], load_settings({}), progress=False)
    with db.session() as s:
        original_id = s.scalar(select(models.Report.id).where(models.Report.source_id == "web01"))
    assert [c[2] for c in summary.copies] == [original_id]
    db.close()
    reopened = open_database(db.url)  # a new process would see the same
    try:
        assert snapshot(reopened)["search"] == before["search"]
        assert check_values(reopened) > 40
    finally:
        reopened.close()


def test_rewrapping_under_a_new_key_file_keeps_the_data_keys(tmp_path: Path) -> None:
    old, new = create_key_file(tmp_path / "old.key"), create_key_file(tmp_path / "new.key")
    url = f"sqlite:///{tmp_path / 'r.db'}"
    db = open_database(url, key=old)
    try:
        fill(db)
        before, ciphertext = snapshot(db), sorted(map(str, raw_values(db)))
        result = rotate(db, old, new_source=new, new_keys=False)
        assert result.rewrapped == 2 and sorted(map(str, raw_values(db))) == ciphertext  # nothing re-encrypted
    finally:
        db.close()
    with pytest.raises(CryptoError, match="not the key"):
        open_database(url, key=old)
    db = open_database(url, key=new)
    try:
        assert snapshot(db) == before
        assert audit.verify(db).ok
        passphrase = Passphrase("a new passphrase, long enough")
        rotate(db, new, new_source=passphrase)  # new keys and a passphrase at once
        assert snapshot(db) == before
        assert audit.verify(db).ok
    finally:
        db.close()
    with pytest.raises(CryptoError, match="locked with a passphrase"):
        open_database(url, key=new)
    open_database(url, key=passphrase).close()


def test_rotation_encrypts_a_plaintext_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    plain = open_database(url, encryption=False)
    try:
        fill(plain)
        before = snapshot(plain)
        with plain.session() as s:
            assert s.scalar(text("SELECT count(*) FROM incident_search")) == len(before["incidents"])
    finally:
        plain.close()
    key = create_key_file(tmp_path / "k.key")
    with pytest.raises(CryptoError, match="not encrypted"):
        open_database(url, key=key)
    db = open_database(url, key=key, encryption=False)
    try:
        rotate(db, key)
        assert db.keys.encrypted
        result = audit.verify(db)  # the log is keyed from the rotation on
        assert result.ok and result.keyed and audit.entries(db)[-1]["details"]["encrypted"] is True
        with db.session() as s:
            assert s.scalar(text("SELECT count(*) FROM incident_search")) == 0  # the clear-text index is gone
    finally:
        db.close()
    db = open_database(url, key=key)
    try:
        assert snapshot(db) == before
        assert None not in key_ids_in_use(db)
    finally:
        db.close()
    # no old page, no search-index segment keeps a name (any case, as the clear-text index folded it)
    assert find_leaks([tmp_path / "plain.db"], ["Rahmonzoda", "Назаров", "Kenzhebaev"]) == []


ROTATE = textwrap.dedent("""
    import sys, time
    from kolokol.security.keys import KeyFile, rotate
    from kolokol.store.db import open_database

    key = KeyFile(__import__("pathlib").Path(sys.argv[2]))
    db = open_database(sys.argv[1], key=key)

    def slow(stage, done, total):
        print(stage, done, total, flush=True)
        time.sleep(0.05)  # widen the window in which the kill lands inside the rotation

    rotate(db, key, progress=slow)
    print("rotated", flush=True)
""")


@pytest.mark.slow
def test_kill_during_rotation_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    key = create_key_file(tmp_path / "k.key")
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    reports = tmp_path / "reports"
    reports.mkdir()
    for n in range(40):
        write_report(reports, f"r{n}.md", sid=f"k{n}", title=f"Report {n}",
                     body=f"Police in Almaty detained the exiled blogger Person{n} Testov on March {n % 27 + 1}.")
    db = open_database(url, key=key)
    try:
        fill(db, reports)
        before = snapshot(db)
        old_ids = set(db.keys.key_ids)
    finally:
        db.close()
    child = subprocess.Popen([sys.executable, "-c", ROTATE, url, str(key.path)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    deadline = time.monotonic() + 120
    for line in child.stdout:  # kill once it is re-encrypting
        if line.startswith("re-encrypting") or time.monotonic() > deadline:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    db = open_database(url, key=key)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            entries = read_entries(conn)
        assert {e.key_id for e in entries} == old_ids and all(e.active for e in entries)  # rolled back
        assert key_ids_in_use(db) == {db.keys.key_ids[0]}
        assert snapshot(db) == before
        assert audit.verify(db).ok
        rotate(db, key)  # and it can simply be run again
        assert snapshot(db) == before
        assert audit.verify(db).ok
    finally:
        db.close()
    assert isinstance(KeyFile(key.path).master(), bytes)
