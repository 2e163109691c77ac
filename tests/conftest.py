"""Shared fixtures: a real PostgreSQL server started by the suite, and a fresh database per test
on each backend (`db_url` / `db` are parametrised over sqlite and postgresql)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kolokol.store.db import Database, open_database

REPO = Path(__file__).resolve().parent.parent


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A throw-away PostgreSQL cluster in a temporary directory, reachable on 127.0.0.1."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.tmp = Path(tempfile.mkdtemp(prefix="kolokol-pg-"))
        self.data = self.tmp / "data"
        self.port = _free_port()
        self.run_as: str | None = None
        if os.geteuid() == 0:  # initdb refuses to run as root: use an unprivileged system user
            for name in ("postgres", "nobody"):
                try:
                    pwd.getpwnam(name)
                except KeyError:
                    continue
                self.run_as = name
                break
            shutil.chown(self.tmp, user=self.run_as)
            os.chmod(self.tmp, 0o755)

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def start(self) -> None:
        subprocess.run(self._cmd("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                                 "-E", "UTF8", "--no-locale"),
                       check=True, capture_output=True, cwd=self.tmp)
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.tmp} -c fsync=off"
        subprocess.run(self._cmd("pg_ctl", "-D", str(self.data), "-o", opts, "-w", "-t", "60",
                                 "-l", str(self.tmp / "log"), "start"),
                       check=True, capture_output=True, cwd=self.tmp)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"),
                       capture_output=True, cwd=self.tmp)
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def kolokol_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The whole suite runs encrypted: one key file (0600) for every database a test opens, in this
    process and in the commands and children it starts. No passphrase or opt-out leaks in."""
    from kolokol.security.keys import create_key_file

    path = create_key_file(tmp_path_factory.mktemp("keys") / "kolokol.key").path
    names = ("KOLOKOL_KEY_FILE", "KOLOKOL_PASSPHRASE", "KOLOKOL_ENCRYPTION")
    saved = {name: os.environ.pop(name, None) for name in names}
    os.environ["KOLOKOL_KEY_FILE"] = str(path)
    yield path
    for name, value in saved.items():
        os.environ.pop(name, None)
        if value is not None:
            os.environ[name] = value


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries not found in CI: .ci/run must install postgresql")
        pytest.skip("PostgreSQL server binaries not found (install Debian's postgresql package)")
    server = PostgresServer(bindir)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        server.stop()
        pytest.fail(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')[:500]}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", server.port)) == 0:
                break
        time.sleep(0.2)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to a fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kolokol.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A fresh database on each backend, upgraded to the latest schema."""
    database = open_database(db_url)
    yield database
    database.close()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A fresh SQLite database only, for tests of logic that does not depend on the backend."""
    database = open_database(f"sqlite:///{tmp_path / 'kolokol.db'}")
    yield database
    database.close()
