"""The command line: `kolokol key init|status|rotate`, and `kolokol demo` on a machine without a key."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from kolokol.security.keys import KeyFile, create_key_file


def kolokol(*args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = (),
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in drop}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "kolokol.cli", *args], capture_output=True, text=True, timeout=600,
                          env=full, cwd=cwd)


NO_KEY = ("KOLOKOL_KEY_FILE", "KOLOKOL_PASSPHRASE")


def test_key_init_makes_a_private_key_file_and_never_overwrites_it(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    made = kolokol("key", "init", env=env, drop=NO_KEY)
    assert made.returncode == 0, made.stderr
    path = tmp_path / "config" / "kolokol" / "kolokol.key"
    assert (path.stat().st_mode & 0o777) == 0o600 and (path.parent.stat().st_mode & 0o777) == 0o700
    secret = path.read_text().split()[1]
    assert secret not in made.stdout and KeyFile(path).fingerprint() in made.stdout
    assert "Keep a copy offline" in made.stdout
    again = kolokol("key", "init", env=env, drop=NO_KEY)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert path.read_text().split()[1] == secret
    other = kolokol("key", "init", "--path", str(tmp_path / "elsewhere.key"), env=env, drop=NO_KEY)
    assert other.returncode == 0 and "export KOLOKOL_KEY_FILE=" in other.stdout
    # the default key file is found without any setting
    url = f"sqlite:///{tmp_path / 'd.db'}"
    assert kolokol("--db", url, "reports", "list", env=env, drop=NO_KEY).returncode == 0
    status = kolokol("--db", url, "key", "status", "--json", env=env, drop=NO_KEY)
    data = json.loads(status.stdout)
    assert data["encrypted"] is True and data["opens"] is True and str(path) in data["source"]
    assert secret not in status.stdout


def test_key_status_says_when_the_key_does_not_open_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert kolokol("--db", url, "reports", "list").returncode == 0
    fine = kolokol("--db", url, "key", "status")
    assert fine.returncode == 0 and "opens with this key: yes" in fine.stdout
    other = create_key_file(tmp_path / "other.key")
    wrong = kolokol("--db", url, "key", "status", env={"KOLOKOL_KEY_FILE": str(other.path)})
    assert wrong.returncode == 1 and "opens with this key: no" in wrong.stdout and "not the key" in wrong.stdout
    missing = kolokol("--db", f"sqlite:///{tmp_path / 'none.db'}", "key", "status")
    assert missing.returncode == 0 and "does not exist yet" in missing.stdout
    assert not (tmp_path / "none.db").exists()


def test_key_rotate_to_a_passphrase_and_back_to_a_key_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    reports = Path(__file__).resolve().parent.parent / "data" / "web"
    assert kolokol("--db", url, "ingest", "-q", str(reports)).returncode == 0
    passphrase = "a passphrase that is long enough"
    done = kolokol("--db", url, "key", "rotate", "-q", "--new-passphrase", env={"KOLOKOL_NEW_PASSPHRASE": passphrase})
    assert done.returncode == 0, done.stderr
    assert "re-encrypted" in done.stdout and passphrase not in done.stdout + done.stderr
    refused = kolokol("--db", url, "reports", "list")
    assert refused.returncode == 1 and "locked with a passphrase" in refused.stderr
    with_pass = {"KOLOKOL_PASSPHRASE": passphrase}
    assert kolokol("--db", url, "reports", "list", env=with_pass, drop=("KOLOKOL_KEY_FILE",)).returncode == 0
    new = create_key_file(tmp_path / "new.key")
    back = kolokol("--db", url, "key", "rotate", "--keep-data-keys", "--new-key-file", str(new.path), env=with_pass,
                   drop=("KOLOKOL_KEY_FILE",))
    assert back.returncode == 0 and "re-wrapped" in back.stdout
    listed = kolokol("--db", url, "reports", "list", "--json", env={"KOLOKOL_KEY_FILE": str(new.path)})
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 4
    nothing = kolokol("--db", url, "key", "rotate", "--keep-data-keys", env={"KOLOKOL_KEY_FILE": str(new.path)})
    assert nothing.returncode == 1 and "needs --new-key-file" in nothing.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_demo_works_on_a_machine_without_a_key(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    built = kolokol("demo", "--no-serve", "--db-path", str(tmp_path / "demo.db"), env=env, drop=NO_KEY)
    assert built.returncode == 0, built.stderr
    key = tmp_path / "demo.db.key"
    assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
    assert f"created {key}" in built.stdout and f"KOLOKOL_KEY_FILE={key} kolokol" in built.stdout
    assert not (tmp_path / "config" / "kolokol").exists()  # nothing made in the user's own config
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "kolokol.cli", "demo", "--keep", "--db-path",
                               str(tmp_path / "demo.db"), "--port", str(port)],
                              env={**{k: v for k, v in os.environ.items() if k not in NO_KEY}, **env},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, status = time.monotonic() + 240, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/dashboard", timeout=5) as r:
                    status = r.status
                break
            except urllib.error.HTTPError as exc:  # the server answered (a login may be required)
                status = exc.code
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert status is not None and status < 500, (server.stderr.read() if server.poll() is not None
                                                     and server.stderr else status)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
