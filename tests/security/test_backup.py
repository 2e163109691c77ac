"""`kolokol backup` / `kolokol restore`: one encrypted file, restored into an empty database on SQLite
and PostgreSQL (and from one to the other); a separate backup passphrase; changed, cut or foreign
files refused before anything is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kolokol.config import load_settings
from kolokol.security import audit
from kolokol.security.backup import BackupError, backup, read_backup_header, restore
from kolokol.security.crypto import CryptoError
from kolokol.security.keys import KeyFile, Passphrase, check_values, create_key_file, key_source, read_entries
from kolokol.store import models
from kolokol.store.db import Database, open_database

from .test_keys import fill
from .test_rotation import snapshot


def target_url(db: Database, tmp_path: Path, request: pytest.FixtureRequest, name: str = "restored") -> str:
    """An empty database of the same backend as `db`."""
    if db.backend == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.db')}"
    return request.getfixturevalue("postgres_server").create_database()


def test_round_trip(db: Database, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    fill(db)
    audit.record(db, "backup.test", object_type="report", object_id=1)
    before = snapshot(db)
    source = key_source(load_settings())
    result = backup(db, tmp_path / "k.bak", source=source)
    assert result.payload == ("sqlite" if db.backend == "sqlite" else "rows")
    assert (result.path.stat().st_mode & 0o777) == 0o600 and not list(tmp_path.glob("*.part"))
    header = read_backup_header(result.path)
    assert header["revision"] == result.revision and "file_key" in header
    url = target_url(db, tmp_path, request)
    restored = restore(result.path, url, secret=source, target=source)
    assert restored.rows > 0 and not restored.rewrapped
    again = open_database(url)
    try:
        assert snapshot(again) == before
        assert check_values(again) > 40
        assert again.keys.key_ids == db.keys.key_ids
        verdict = audit.verify(again)
        assert verdict.ok and verdict.entries >= 1
        fill(again)  # and it goes on working: nothing new, the same reports again
        with again.session() as s:
            assert s.scalar(select(func.count()).select_from(models.Report)) == len(before["reports"])
    finally:
        again.close()


def test_a_backup_passphrase_and_another_key_for_the_restored_database(sqlite_db: Database, tmp_path: Path) -> None:
    fill(sqlite_db)
    before = snapshot(sqlite_db)
    source = key_source(load_settings())
    secret = Passphrase("backup passphrase kept in the safe")
    made = backup(sqlite_db, tmp_path / "p.bak", source=source, secret=secret)
    assert read_backup_header(made.path)["kek"]["kdf"] == "argon2id"
    with pytest.raises(BackupError, match="does not open the backup"):
        restore(made.path, f"sqlite:///{tmp_path / 'x.db'}", secret=Passphrase("not the passphrase at all"),
                target=None)
    with pytest.raises(BackupError, match="locked with a passphrase"):
        restore(made.path, f"sqlite:///{tmp_path / 'x.db'}", secret=source, target=source)
    assert not (tmp_path / "x.db").exists()
    other = create_key_file(tmp_path / "other.key")
    url = f"sqlite:///{tmp_path / 'other.db'}"
    result = restore(made.path, url, secret=secret, target=other)
    assert result.rewrapped
    with pytest.raises(CryptoError, match="not the key of this database"):
        open_database(url, key=source)
    db = open_database(url, key=other)
    try:
        assert snapshot(db) == before
        with db.engine.connect() as conn:
            assert {e.wrapping["kek"]["fingerprint"] for e in read_entries(conn)} == {other.fingerprint()}
    finally:
        db.close()
    # without a key for the target, the restored database opens with the backup's passphrase
    url = f"sqlite:///{tmp_path / 'same.db'}"
    assert not restore(made.path, url, secret=secret, target=None).rewrapped
    open_database(url, key=secret).close()


def test_sqlite_backup_restores_into_postgresql(sqlite_db: Database, tmp_path: Path,
                                                postgres_server: object) -> None:
    fill(sqlite_db)
    before = snapshot(sqlite_db)
    source = key_source(load_settings())
    made = backup(sqlite_db, tmp_path / "s.bak", source=source)
    url = postgres_server.create_database()  # type: ignore[attr-defined]
    restore(made.path, url, secret=source, target=source)
    db = open_database(url)
    try:
        assert snapshot(db) == before
        fill(db)  # the sequences go on after the restored ids
    finally:
        db.close()


def test_changed_cut_or_foreign_files_are_refused(sqlite_db: Database, tmp_path: Path) -> None:
    fill(sqlite_db)
    source = key_source(load_settings())
    good = backup(sqlite_db, tmp_path / "good.bak", source=source).path.read_bytes()
    assert len(good) > 100_000
    target = tmp_path / "t.db"

    def refused(data: bytes, pattern: str) -> None:
        bad = tmp_path / "bad.bak"
        bad.write_bytes(data)
        with pytest.raises(BackupError, match=pattern):
            restore(bad, f"sqlite:///{target}", secret=source, target=source)
        assert not target.exists()  # nothing written before the whole file checked out
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kolokol-")]  # temp dirs removed

    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 1
    refused(bytes(flipped), "changed or damaged")
    refused(good[:len(good) // 2], "truncated")
    refused(good[:-1], r"truncated|changed")
    refused(good + b"\x00", "after its end")
    refused(good.replace(b'"created":"20', b'"created":"19', 1), "changed or damaged")  # the header is bound in
    refused(good.replace(b'"kdf":"hkdf-sha256"', b'"kdf":"hkdf-sha257"', 1), r"unknown key derivation|does not open")
    refused(b"PK\x03\x04 not a backup", "not a Kolokol backup")
    refused(good[:20], "truncated")
    restore(tmp_path / "good.bak", f"sqlite:///{target}", secret=source, target=source)
    assert target.exists()


def test_refusals_that_protect_existing_files(sqlite_db: Database, tmp_path: Path) -> None:
    fill(sqlite_db)
    source = key_source(load_settings())
    made = backup(sqlite_db, tmp_path / "b.bak", source=source)
    with pytest.raises(BackupError, match="already exists"):
        backup(sqlite_db, made.path, source=source)
    with pytest.raises(BackupError, match="not empty"):
        restore(made.path, sqlite_db.url, secret=source, target=source)
    with pytest.raises(BackupError, match="always encrypted"):
        backup(sqlite_db, tmp_path / "none.bak", source=None, secret=None)


def test_backup_and_restore_commands(tmp_path: Path) -> None:
    reports = Path(__file__).resolve().parent.parent / "data" / "web"
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    def kolokol(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kolokol.cli", *args], capture_output=True, text=True,
                              timeout=600, env={**os.environ, **(env or {})})

    assert kolokol("--db", url, "ingest", "-q", str(reports)).returncode == 0
    made = kolokol("--db", url, "backup", "-q", str(tmp_path / "cli.bak"))
    assert made.returncode == 0 and "opens with key file" in made.stdout
    made = kolokol("--db", url, "backup", "-q", "--passphrase", str(tmp_path / "p.bak"),
                   env={"KOLOKOL_BACKUP_PASSPHRASE": "a passphrase for this backup"})
    assert made.returncode == 0, made.stderr
    assert "a passphrase for this backup" not in made.stdout + made.stderr
    other = create_key_file(tmp_path / "other.key")
    back = f"sqlite:///{tmp_path / 'back.db'}"
    done = kolokol("restore", "-q", "--passphrase", "--db", back, str(tmp_path / "p.bak"),
                   env={"KOLOKOL_BACKUP_PASSPHRASE": "a passphrase for this backup",
                        "KOLOKOL_KEY_FILE": str(other.path)})
    assert done.returncode == 0, done.stderr
    assert "encrypted value(s) checked" in done.stdout
    listed = kolokol("--db", back, "reports", "list", "--json", env={"KOLOKOL_KEY_FILE": str(other.path)})
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 4  # the 3 reports and the README
    wrong = kolokol("restore", "-q", "--passphrase", "--db", f"sqlite:///{tmp_path / 'no.db'}",
                    str(tmp_path / "p.bak"), env={"KOLOKOL_BACKUP_PASSPHRASE": "the wrong passphrase here"})
    assert wrong.returncode == 1 and wrong.stderr.startswith("error: [backup] this key or passphrase does not open")
    status = kolokol("--db", back, "key", "status", env={"KOLOKOL_KEY_FILE": str(other.path)})
    assert status.returncode == 0 and KeyFile(other.path).fingerprint() in status.stdout
