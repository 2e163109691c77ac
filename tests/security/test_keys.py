"""Keys: a new database is encrypted, an encrypted one is refused without its key (or with another),
key sources and their errors, several databases with different keys in one process, and the
explicit plaintext opt-out."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from kolokol.config import load_settings
from kolokol.errors import ConfigError, KolokolError
from kolokol.extract.store import store_extraction
from kolokol.ingest import ingest_sources
from kolokol.resolve.actors import find_actors
from kolokol.search import SearchQuery, search_incidents
from kolokol.security import crypto
from kolokol.security.crypto import CryptoError
from kolokol.security.keys import (
    KeyFile,
    Passphrase,
    check_values,
    create_key_file,
    default_key_file,
    key_source,
    read_entries,
    sensitive_columns,
)
from kolokol.security.roles import SYSTEM
from kolokol.store import models
from kolokol.store.db import Database, create_db_engine, open_database
from kolokol.update import update_incidents

from .util import write_report

WEB = Path(__file__).resolve().parent.parent / "data" / "web"


def fill(db: Database, folder: Path = WEB) -> None:
    ingest_sources(db, sorted(str(p) for p in folder.glob("*.md") if p.name != "README.md"), load_settings({}),
                   after_store=store_extraction, progress=False)
    update_incidents(db)


def raw_values(db: Database) -> list[str | bytes]:
    """Every stored value of every sensitive column, as it lies in the database."""
    out: list[str | bytes] = []
    with db.engine.connect() as conn:
        for table, cols in sensitive_columns().items():
            for row in conn.execute(text(f"SELECT {', '.join(cols)} FROM {table}")):
                out.extend(bytes(v) if isinstance(v, memoryview) else v for v in row if v is not None)
    return out


def assert_all_encrypted(db: Database) -> int:
    values = raw_values(db)
    cipher = crypto.FieldCipher({db.keys.key_ids[0]: b"\x00" * 32}, db.keys.key_ids[0])
    for v in values:
        assert cipher.key_id_of(v) is not None, repr(v)[:80]
    return len(values)


@pytest.fixture
def no_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No key configured anywhere (and an empty config home, so no default key file)."""
    monkeypatch.delenv("KOLOKOL_KEY_FILE", raising=False)
    monkeypatch.delenv("KOLOKOL_PASSPHRASE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("KOLOKOL_CONFIG", str(tmp_path / "config" / "none.toml"))
    return tmp_path


def test_a_new_database_is_encrypted(db: Database, kolokol_key_file: Path) -> None:
    fill(db)
    assert db.keys.encrypted
    with db.engine.connect() as conn:
        entries = read_entries(conn)
    assert sorted(e.purpose for e in entries) == ["data", "index"] and all(e.active for e in entries)
    assert {e.wrapping["kek"]["fingerprint"] for e in entries} == {KeyFile(kolokol_key_file).fingerprint()}
    assert assert_all_encrypted(db) > 40
    with db.session() as s:  # ...and read back in clear through the session
        titles = set(s.scalars(select(models.Report.title)))
    assert "Tajik blogger detained in Istanbul" in titles
    assert check_values(db) > 40


def test_the_keys_are_wrapped_never_stored(sqlite_db: Database, kolokol_key_file: Path) -> None:
    master = KeyFile(kolokol_key_file).master()
    data = Path(sqlite_db.engine.url.database or "").read_bytes()
    assert master not in data and crypto.b64(master).encode() not in data


def test_an_encrypted_database_without_its_key_is_refused(tmp_path: Path, no_key: Path) -> None:
    key = create_key_file(tmp_path / "k.key")
    url = f"sqlite:///{tmp_path / 'k.db'}"
    open_database(url, key=key).close()
    with pytest.raises(CryptoError) as info:
        open_database(url)
    assert info.value.code == "key" and "no key was given" in str(info.value) and "\n" not in str(info.value)
    result = subprocess.run([sys.executable, "-m", "kolokol.cli", "--db", url, "reports", "list"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: [key] this database is encrypted and no key was given")


def test_another_key_or_the_other_kind_of_key_is_refused(tmp_path: Path, no_key: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    key = create_key_file(tmp_path / "right.key")
    other = create_key_file(tmp_path / "other.key")
    url = f"sqlite:///{tmp_path / 'k.db'}"
    open_database(url, key=key).close()
    with pytest.raises(CryptoError, match=f"not the key of this database.*{key.fingerprint()}"):
        open_database(url, key=other)
    with pytest.raises(CryptoError, match="locked with a key file, not a passphrase"):
        open_database(url, key=Passphrase("a long enough passphrase"))
    monkeypatch.setenv("KOLOKOL_KEY_FILE", str(other.path))
    with pytest.raises(CryptoError, match="not the key"):
        open_database(url)
    monkeypatch.setenv("KOLOKOL_KEY_FILE", str(key.path))
    open_database(url).close()


def test_key_files_must_be_private_and_well_formed(tmp_path: Path) -> None:
    key = create_key_file(tmp_path / "k.key")
    assert (key.path.stat().st_mode & 0o777) == 0o600
    with pytest.raises(CryptoError, match="already exists"):
        create_key_file(key.path)
    os.chmod(key.path, 0o644)
    with pytest.raises(CryptoError, match=r"can be read by other users.*chmod 600"):
        key.master()
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    bad.chmod(0o600)
    with pytest.raises(CryptoError, match="not a Kolokol key file"):
        KeyFile(bad).master()
    with pytest.raises(CryptoError, match="does not exist"):
        KeyFile(tmp_path / "missing.key").master()


def test_passphrase_databases(tmp_path: Path, no_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    monkeypatch.setenv("KOLOKOL_PASSPHRASE", "correct horse battery staple")
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            params = read_entries(conn)[0].wrapping["kek"]
        assert params["kdf"] == "argon2id" and params["m"] >= 64 * 1024 and "fingerprint" not in params
    finally:
        db.close()
    open_database(url).close()
    monkeypatch.setenv("KOLOKOL_PASSPHRASE", "correct horse battery stapler")
    with pytest.raises(CryptoError, match="does not open this database"):
        open_database(url)
    monkeypatch.setenv("KOLOKOL_KEY_FILE", str(tmp_path / "whatever.key"))
    with pytest.raises(ConfigError, match="both KOLOKOL_PASSPHRASE and a key file"):
        open_database(url)
    with pytest.raises(CryptoError, match="too short"):
        from kolokol.security.keys import check_passphrase

        check_passphrase("short")


def test_the_default_key_file_is_used_when_none_is_set(tmp_path: Path, no_key: Path) -> None:
    assert key_source(load_settings()) is None
    created = create_key_file(default_key_file())
    assert created.path == tmp_path / "config" / "kolokol" / "kolokol.key"
    found = key_source(load_settings())
    assert isinstance(found, KeyFile) and found.path == created.path and found.origin == "default"
    open_database(f"sqlite:///{tmp_path / 'd.db'}").close()


def test_a_new_database_needs_a_key_unless_encryption_is_turned_off(tmp_path: Path, no_key: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    with pytest.raises(CryptoError, match="no encryption key") as info:
        open_database(url)
    assert "kolokol key init" in str(info.value)
    monkeypatch.setenv("KOLOKOL_ENCRYPTION", "off")
    plain = open_database(url)
    try:
        fill(plain)
        assert not plain.keys.encrypted
        assert any(isinstance(v, str) and "Rahmonzoda" in v for v in raw_values(plain))  # in clear, as asked
        assert search_incidents(plain, SearchQuery.parse(q="Rahmonzoda"), user=SYSTEM).total == 1  # clear-text index
        with plain.session() as s:
            assert s.scalar(text("SELECT count(*) FROM incident_search")) == s.scalar(
                text("SELECT count(*) FROM incidents")) > 0
    finally:
        plain.close()
    monkeypatch.delenv("KOLOKOL_ENCRYPTION")
    monkeypatch.setenv("KOLOKOL_KEY_FILE", str(create_key_file(tmp_path / "k.key").path))
    with pytest.raises(CryptoError, match=r"not encrypted.*kolokol key rotate"):
        open_database(url)  # a plaintext database with data is never silently mixed with ciphertext


def test_an_engine_opened_without_keys_cannot_touch_sensitive_columns(sqlite_db: Database) -> None:
    fill(sqlite_db)
    engine = create_db_engine(str(sqlite_db.engine.url))
    try:
        with Session(engine) as s, pytest.raises(KolokolError, match="without the database's keys"):
            s.scalars(select(models.Report)).first()
        with Session(engine) as s, pytest.raises(StatementError, match="without the database's keys") as info:
            s.add(models.Actor(kind="person", name="Tsimbarune Vexholtova", name_index="x"))
            s.flush()
        assert isinstance(info.value.orig, KolokolError)
        assert "Tsimbarune" not in str(info.value)  # statement errors never show the values (hide_parameters)
    finally:
        engine.dispose()


def test_two_databases_with_different_keys_in_one_process(tmp_path: Path) -> None:
    one = open_database(f"sqlite:///{tmp_path / 'one.db'}", key=create_key_file(tmp_path / "one.key"))
    two = open_database(f"sqlite:///{tmp_path / 'two.db'}", key=create_key_file(tmp_path / "two.key"))
    try:
        assert one.keys.index_key != two.keys.index_key
        reports = tmp_path / "reports"
        reports.mkdir()
        write_report(reports, "a.md", sid="a", title="Blogger held",
                     body="Police in Almaty detained the exiled Tajik blogger Zafar Rahmonzoda on March 9.")
        fill(one, reports)
        fill(two, WEB)
        errors: list[BaseException] = []

        def work(db: Database, name: str) -> None:
            try:
                for _ in range(20):
                    with db.session() as s:
                        assert find_actors(s, name), name  # each with its own blind-index key
                    assert search_incidents(db, SearchQuery.parse(q=name.split()[-1]), user=SYSTEM).total >= 1
            except BaseException as exc:  # reported to the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(db, "Zafar Rahmonzoda")) for db in (one, two)]
        threads += [threading.Thread(target=work, args=(two, "Давлат Назаров"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with one.session() as s:
            assert not find_actors(s, "Давлат Назаров")
        # the same name is filed under different hashes in the two databases
        with one.engine.connect() as c1, two.engine.connect() as c2:
            assert not set(c1.execute(text("SELECT name_index FROM actors")).scalars()) & set(
                c2.execute(text("SELECT name_index FROM actors")).scalars())
    finally:
        one.close()
        two.close()


CREATE = """
import sys
from kolokol.store.db import open_database
db = open_database(sys.argv[1])
db.close()
"""


def test_processes_creating_the_keys_at_once_agree_on_one_keyring(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    open_database(url, encryption=False).close()  # the schema exists, the keyring is empty
    procs = [subprocess.Popen([sys.executable, "-c", CREATE, url], stderr=subprocess.PIPE) for _ in range(4)]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read() if p.stderr else ""
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            assert sorted(e.purpose for e in read_entries(conn)) == ["data", "index"]
    finally:
        db.close()



def test_copy_detection_bands_are_keyed_per_database(tmp_path: Path) -> None:
    """A plain hash of a short text's bands could be confirmed by hashing guesses: keyed instead."""
    from kolokol.ingest import dedupe

    reports = tmp_path / "reports"
    reports.mkdir()
    write_report(reports, "short.md", sid="s", title="Held", body="Tsimbarune Vexholtova detained in Bishkek.")
    stored = []
    for name in ("a", "b"):
        db = open_database(f"sqlite:///{tmp_path / (name + '.db')}", key=create_key_file(tmp_path / f"{name}.key"))
        try:
            ingest_sources(db, [str(reports)], load_settings({}), progress=False)
            with db.session() as s:
                clean = s.scalar(select(models.Report.clean_text))
                bands = {(int(b), str(h)) for b, h in s.execute(text("SELECT band, hash FROM report_bands"))}
                assert bands == set(dedupe.band_hashes(dedupe.signature(clean)))  # this database's key
            stored.append(bands)
        finally:
            db.close()
    unkeyed = set(dedupe.band_hashes(dedupe.signature(clean)))  # outside any session: no key
    assert len(stored[0]) == dedupe.BANDS and not stored[0] & stored[1]
    assert not stored[0] & unkeyed and not stored[1] & unkeyed
