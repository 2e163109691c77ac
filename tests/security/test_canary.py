"""The issue's test of encryption at rest: reports naming made-up people (canaries) go through
everything Kolokol does with them (ingest, extraction, actors, merging, copy detection, search,
backup, restore, key rotation), then every file Kolokol wrote is searched for the names in plain
text (UTF-8 and UTF-16, any case, transliterated). Exports are deliberately plain text and are not
made here. A positive control builds the same data without encryption and finds the names, so the
scan is known to see what it looks for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from kolokol.config import load_settings
from kolokol.extract.store import store_extraction
from kolokol.ingest import ingest_sources
from kolokol.resolve.actors import find_actors
from kolokol.search import SearchQuery, search_incidents
from kolokol.security.backup import backup
from kolokol.security.keys import KeyFile, create_key_file
from kolokol.security.roles import SYSTEM
from kolokol.store.db import open_database
from kolokol.update import update_incidents

from .util import files_under, find_leaks, write_report

CANARIES = ["Zyxwarbek", "Qlumtorova", "Ptolvide", "Hrazmunk", "Зульвира", "Клумторов", "Wrenfallow", "Quzzibrant",
            "Tsimbarune", "Vexholtova", "Ostrovanek", "Plimbusky"]


def canary_reports(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = ("Zyxwarbek Qlumtorova, a Tajik opposition blogger, was detained by Turkish police in Istanbul on "
            "3 March 2024 at the request of the Tajik authorities.\n\nHis lawyer said Qlumtorova faces deportation "
            "to Tajikistan, where he is charged with extremism over his videos. His brother Ptolvide Hrazmunk was "
            "questioned by police the same day.")
    write_report(folder, "zyxwarbek-qlumtorova.md", sid="can01", title="Blogger Zyxwarbek Qlumtorova detained",
                 url="https://example.org/2024/03/05/zyxwarbek-qlumtorova-detained", body=body)
    write_report(folder, "copy.md", sid="can02", title="Turkey holds Tajik blogger Qlumtorova",
                 url="https://example.net/wire/qlumtorova", outlet="Other Wire",
                 body=body + "\n\nThe embassy did not comment.")
    write_report(folder, "klumtorova.md", sid="can03", lang="ru", published="2023-11-20",
                 title="Журналистку Зульвиру Клумторову депортировали из Москвы",
                 url="https://example.org/ru/klumtorova",
                 body="Журналистка Зульвира Клумторова 18 ноября 2023 года была задержана полицией в Москве и "
                      "депортирована в Таджикистан.\n\nПо словам её родственников, в Душанбе Клумторову допросили "
                      "сотрудники ГКНБ.")
    write_report(folder, "bishkek.md", sid="can05", title="Blogger questioned in Bishkek", published="2024-03-04",
                 body="The exiled Tajik blogger Tsimbarune Vexholtova was questioned for five hours in Bishkek on "
                      "4 March 2024 by investigator Ostrovanek Plimbusky of the State Committee for National "
                      "Security.")  # a person among the perpetrators
    return folder


def late_report(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_report(folder, "wrenfallow.md", sid="can04", title="Activist Wrenfallow Quzzibrant held in Almaty",
                        url="https://example.org/wrenfallow-quzzibrant",
                        body="Police in Almaty detained the exiled Tajik activist Wrenfallow Quzzibrant on March 9, "
                             "her lawyer said. Quzzibrant was questioned for five hours and released.")


def kolokol(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    result = subprocess.run([sys.executable, "-m", "kolokol.cli", *args], capture_output=True, text=True,
                            timeout=600, env=full, cwd=home)
    assert result.returncode == 0, result.stderr
    return result


def isolated_env(home: Path, key: Path | None) -> dict[str, str]:
    """Every place Kolokol may write (caches, config, home) inside `home`."""
    env = {"HOME": str(home / "home"), "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache"),
           "KOLOKOL_CACHE_DIR": str(home / "cache" / "kolokol"), "TMPDIR": str(home / "tmp")}
    for name in ("home", "config", "cache", "tmp"):
        (home / name).mkdir(parents=True, exist_ok=True)
    if key is not None:
        env["KOLOKOL_KEY_FILE"] = str(key)
    return env


def exercise(home: Path, url: str, key: Path | None, *, encryption: bool = True) -> dict[str, str]:
    """Everything Kolokol does with reports, from the command line (as a user would)."""
    env = isolated_env(home, key)
    if not encryption:
        env["KOLOKOL_ENCRYPTION"] = "off"
    reports = canary_reports(home / "inputs")
    kolokol(home, "--db", url, "ingest", "-q", str(reports), env=env)
    kolokol(home, "--db", url, "actors", "list", env=env)
    kolokol(home, "--db", url, "reports", "list", env=env)
    listed = kolokol(home, "--db", url, "actors", "show", "Zyxwarbek Qlumtorova", "--json", env=env)
    assert "Qlumtorova" in listed.stdout  # the blind name index finds the person
    return env


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in isolated_env(tmp_path, None).items():
        monkeypatch.setenv(name, value)
    return tmp_path


def test_no_file_kolokol_writes_holds_a_name_sqlite(home: Path) -> None:
    key = create_key_file(home / "keys" / "kolokol.key").path
    data = home / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'kolokol.db'}"
    env = exercise(home, url, key)
    kolokol(home, "--db", url, "backup", "-q", str(data / "before-rotation.bak"), env=env)
    kolokol(home, "--db", url, "key", "rotate", "-q", env=env)
    kolokol(home, "--db", url, "backup", "-q", str(data / "kolokol.bak"), env=env)
    kolokol(home, "restore", "-q", "--db", f"sqlite:///{data / 'restored.db'}", str(data / "kolokol.bak"), env=env)

    db = open_database(url, key=KeyFile(key))
    try:
        ingest_sources(db, [str(late_report(home / "inputs-late"))], load_settings({}), after_store=store_extraction,
                       progress=False)
        update_incidents(db)
        found = search_incidents(db, SearchQuery.parse(q="Quzzibrant"), user=SYSTEM)
        assert found.total == 1 and "Quzzibrant" in found.incidents[0].evidence
        assert search_incidents(db, SearchQuery.parse(q="Qlumtor"), user=SYSTEM).total >= 1
        with db.session() as s:
            assert find_actors(s, "Wrenfallow Quzzibrant")
            assert s.scalar(text("SELECT count(*) FROM incident_search")) == 0
        wal = data / "kolokol.db-wal"
        assert wal.is_file() and wal.stat().st_size > 0  # scanned while the last writes are still in the WAL
        written = files_under(home, skip=[home / "inputs", home / "inputs-late"])
        names = {p.name for p in written}
        assert {"kolokol.db", "kolokol.db-wal", "kolokol.bak", "restored.db"} <= names
        assert any(p.parent == home / "cache" / "kolokol" for p in written)  # the gazetteer cache was written
        assert find_leaks(written, CANARIES) == []
    finally:
        db.close()
    assert find_leaks(files_under(home, skip=[home / "inputs", home / "inputs-late"]), CANARIES) == []


def test_the_scan_finds_names_when_encryption_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Positive control: the same work on an unencrypted database leaves the names in its files."""
    for name, value in isolated_env(tmp_path, None).items():
        monkeypatch.setenv(name, value)
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    exercise(tmp_path, url, None, encryption=False)
    leaks = find_leaks([tmp_path / "plain.db"], CANARIES)
    assert leaks, "the scanner did not see names stored in clear"
    for name in ("Клумторов", "Hrazmunk", "Plimbusky", "Vexholtova"):
        assert find_leaks([tmp_path / "plain.db"], [name]), name


def _pg_dir(server: object) -> Path:
    path = Path(server.tmp)  # type: ignore[attr-defined]
    try:
        next(iter((path / "data" / "base").iterdir()))
    except (PermissionError, FileNotFoundError, StopIteration):
        pytest.skip("the test PostgreSQL server's data directory is not readable by this user")
    return path


def _checkpoint(url: str) -> None:
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CHECKPOINT")  # every page written so far reaches the data files


def test_no_file_kolokol_writes_holds_a_name_postgresql(home: Path, postgres_server: object) -> None:
    pg_dir = _pg_dir(postgres_server)
    key = create_key_file(home / "keys" / "kolokol.key").path
    url = postgres_server.create_database()  # type: ignore[attr-defined]
    env = exercise(home, url, key)
    kolokol(home, "--db", url, "key", "rotate", "-q", env=env)
    db = open_database(url, key=KeyFile(key))
    try:
        ingest_sources(db, [str(late_report(home / "inputs-late"))], load_settings({}), after_store=store_extraction,
                       progress=False)
        update_incidents(db)
        assert search_incidents(db, SearchQuery.parse(q="Quzzibrant"), user=SYSTEM).total == 1
        backup(db, home / "data.bak", source=KeyFile(key))
    finally:
        db.close()
    _checkpoint(url)
    written = files_under(pg_dir) + files_under(home, skip=[home / "inputs", home / "inputs-late"])
    assert any(p.name == "data.bak" for p in written)
    assert find_leaks(written, CANARIES) == []


def test_the_postgresql_scan_finds_names_in_an_unencrypted_database(tmp_path: Path, postgres_server: object,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Positive control: after CHECKPOINT a name stored in clear is in the cluster's files."""
    pg_dir = _pg_dir(postgres_server)
    for name, value in isolated_env(tmp_path, None).items():
        monkeypatch.setenv(name, value)
    url = postgres_server.create_database()  # type: ignore[attr-defined]
    db = open_database(url, encryption=False)
    try:
        folder = tmp_path / "control"
        folder.mkdir()
        write_report(folder, "c.md", sid="ctl01", title="Control report",
                     body="Police in Almaty detained the exiled activist Oblamventor Crustovalle on March 9.")
        ingest_sources(db, [str(folder)], load_settings({}), after_store=store_extraction, progress=False)
    finally:
        db.close()
    _checkpoint(url)
    assert find_leaks(files_under(pg_dir), ["Crustovalle"])
