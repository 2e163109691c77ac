"""Accounts: argon2id, no default account, TOTP, throttling, sessions (timeouts, logout, disable),
cookie flags, CSRF on every unsafe route, the CLI, and `serve` on a public address."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from kolokol.errors import KolokolError
from kolokol.security import audit, passwords, totp
from kolokol.security.auth import FAILED, LOCK_AFTER, IpThrottle, add_user, set_disabled, set_role
from kolokol.security.roles import Role
from kolokol.security.sessions import SessionPolicy
from kolokol.store import models
from kolokol.store.db import Database
from kolokol.web.access import app_routes, safe_next
from kolokol.web.app import create_app
from tests.web.auth_helpers import (
    PASSWORD,
    TestAccount,
    anonymous_client,
    form_token,
    login,
    make_user,
    signed_in_client,
)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(sqlite_db: Database, clock: Clock) -> Any:
    application = create_app(sqlite_db)
    application.state.clock = clock
    return application


def _password_step(client: TestClient, username: str, password: str) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": form_token(page.text), "next": "/incidents"},
                       follow_redirects=False)


def _code_step(client: TestClient, code: str) -> Any:
    page = client.get("/login/code")
    return client.post("/login/code", data={"code": code, "csrf_token": form_token(page.text), "next": "/"},
                       follow_redirects=False)


def _actions(db: Database) -> list[str]:
    return list(audit.actions_since(db, 0))


# --- passwords ------------------------------------------------------------------------------------

def test_password_hashes_are_argon2id_with_pinned_parameters() -> None:
    hashed = passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
    assert passwords.verify_password(hashed, PASSWORD)
    assert not passwords.verify_password(hashed, PASSWORD + "!")
    assert not passwords.verify_password("not a hash", PASSWORD)
    assert not passwords.needs_rehash(hashed)
    weak = "$argon2id$v=19$m=8,t=1,p=1$" + hashed.split("$", 5)[4] + "$" + hashed.split("$")[-1]
    assert passwords.needs_rehash(weak)
    assert hashed != passwords.hash_password(PASSWORD)  # salted


@pytest.mark.parametrize("bad", ["short", "aaaaaaaaaaaaaaaa", "x" * 300, "analyst-one"])
def test_password_policy(bad: str) -> None:
    with pytest.raises(KolokolError):
        passwords.check_password_policy(bad, "analyst-one")
    passwords.check_password_policy("a fine passphrase with spaces", "analyst-one")


def test_no_default_account_and_generic_failures(app: Any, sqlite_db: Database) -> None:
    with sqlite_db.session() as s:
        assert s.scalar(select(func.count()).select_from(models.User)) == 0
    client = anonymous_client(app)
    for name, pw in (("admin", "admin"), ("admin", "password"), ("kolokol", "kolokol")):
        r = _password_step(client, name, pw)
        assert r.status_code == 401 and FAILED in r.text
    account = make_user(sqlite_db, Role.VIEWER)
    wrong = _password_step(client, account.username, "wrong password here")
    assert wrong.status_code == 401 and FAILED in wrong.text  # the same message as for no account
    # Unknown usernames are logged without the name (it may be a password typed in the wrong box).
    entries = audit.entries(sqlite_db)
    unknown = [e for e in entries if e["action"] == "login.fail" and e["user_id"] is None]
    assert len(unknown) == 3 and all(e["details"] == {"reason": "password"} for e in unknown)
    assert [e["user_id"] for e in entries if e["action"] == "login.fail" and e["user_id"]] == [account.id]
    assert "admin" not in str(entries) and "password" not in str([e["object_id"] for e in entries])


def test_viewer_without_totp_signs_in_with_a_password(app: Any, sqlite_db: Database) -> None:
    account = make_user(sqlite_db, Role.VIEWER)
    assert account.totp_secret is None
    client = anonymous_client(app)
    r = _password_step(client, account.username.upper(), account.password)  # usernames fold case
    assert r.status_code == 303 and r.headers["location"] == "/incidents"
    assert client.get("/api/account").json() == {"id": account.id, "username": account.username, "role": "viewer"}
    assert "login.ok" in _actions(sqlite_db)


# --- TOTP -----------------------------------------------------------------------------------------

def test_totp_codes_window_and_replay() -> None:
    secret = totp.new_secret()
    now = 1_700_000_000.0
    step = totp.step_at(now)
    code = totp.code_at(secret, now)
    assert totp.verify(secret, code, now, None) == step
    assert totp.verify(secret, code[:3] + " " + code[3:], now, None) == step  # spaces allowed
    assert totp.verify(secret, code, now, step) is None  # replayed
    assert totp.verify(secret, totp.code_at(secret, now - 30), now, None) == step - 1  # one step of drift
    assert totp.verify(secret, totp.code_at(secret, now + 30), now, None) == step + 1
    assert totp.verify(secret, totp.code_at(secret, now - 60), now, None) is None  # out of the window
    assert totp.verify(secret, totp.code_at(secret, now + 90), now, None) is None
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert totp.verify(secret, wrong, now, None) is None
    assert totp.verify(secret, "abcdef", now, None) is None and totp.verify(secret, "12345", now, None) is None
    # RFC 6238 appendix B, SHA-1, 8 digits -> the first 6 of our 6-digit truncation use the same key
    rfc = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    assert totp.code_at(rfc, 59) == "287082"
    assert totp.provisioning_uri(secret, "ana").startswith("otpauth://totp/Kolokol:ana?secret=" + secret)


def test_analyst_needs_the_second_factor(app: Any, sqlite_db: Database, clock: Clock) -> None:
    account = make_user(sqlite_db, Role.ANALYST)
    client = anonymous_client(app)
    r = _password_step(client, account.username, account.password)
    assert r.status_code == 303 and r.headers["location"] == "/login/code?next=%2Fincidents"
    # The pending session grants nothing.
    assert client.get("/api/account").status_code == 401
    assert client.get("/account", follow_redirects=False).status_code == 303
    assert _code_step(client, "000000" if account.code() != "000000" else "111111").status_code == 401
    code = account.code(clock.now.timestamp())
    assert _code_step(client, code).status_code == 303
    assert client.get("/api/account").json()["role"] == "analyst"
    # The same code cannot be used again (replay), even by a fresh password step.
    other = anonymous_client(app)
    assert _password_step(other, account.username, account.password).status_code == 303
    r = _code_step(other, code)
    assert r.status_code == 401 and FAILED in r.text
    actions = _actions(sqlite_db)
    assert actions.count("login.password") == 2 and actions.count("login.ok") == 1
    assert actions.count("login.fail") == 2


def test_the_pending_step_expires(app: Any, sqlite_db: Database, clock: Clock) -> None:
    account = make_user(sqlite_db, Role.ADMIN)
    client = anonymous_client(app)
    assert _password_step(client, account.username, account.password).status_code == 303
    clock.advance(minutes=6)
    assert client.get("/login/code", follow_redirects=False).headers["location"] == "/login"


def test_admin_or_analyst_without_a_secret_cannot_sign_in(app: Any, sqlite_db: Database) -> None:
    account = make_user(sqlite_db, Role.ANALYST)
    with sqlite_db.session() as s:
        s.get(models.User, account.id).totp_secret = None  # type: ignore[union-attr]
    r = _password_step(anonymous_client(app), account.username, account.password)
    assert r.status_code == 401
    assert audit.entries(sqlite_db)[-1]["details"] == {"reason": "no_totp"}


# --- throttling -----------------------------------------------------------------------------------

def test_account_lockout_after_failures_then_unlock(app: Any, sqlite_db: Database, clock: Clock) -> None:
    account = make_user(sqlite_db, Role.VIEWER)
    client = anonymous_client(app)
    for _ in range(LOCK_AFTER):
        assert _password_step(client, account.username, "wrong password here").status_code == 401
    r = _password_step(client, account.username, account.password)  # right password, locked account
    assert r.status_code == 401 and FAILED in r.text
    assert audit.entries(sqlite_db)[-1]["details"] == {"reason": "locked"}
    clock.advance(minutes=16)
    assert _password_step(client, account.username, account.password).status_code == 303
    with sqlite_db.session() as s:
        user = s.get(models.User, account.id)
        assert user is not None and user.failed_logins == 0 and user.locked_until is None


def test_wrong_codes_lock_the_account_too(app: Any, sqlite_db: Database, clock: Clock) -> None:
    account = make_user(sqlite_db, Role.ANALYST)
    client = anonymous_client(app)
    assert _password_step(client, account.username, account.password).status_code == 303
    good = account.code(clock.now.timestamp())
    bad = f"{(int(good) + 500_000) % 1_000_000:06d}"
    for _ in range(LOCK_AFTER):
        assert _code_step(client, bad).status_code == 401
    assert _code_step(client, good).status_code == 401  # locked: even the right code fails


def test_per_address_throttle(app: Any, sqlite_db: Database) -> None:
    app.state.ip_throttle = IpThrottle(limit=3, window=60)
    account = make_user(sqlite_db, Role.VIEWER)
    client = anonymous_client(app)
    for name in ("nobody-1", "nobody-2", "nobody-3"):  # a spray over many names
        assert _password_step(client, name, "whatever password").status_code == 401
    r = _password_step(client, account.username, account.password)
    assert r.status_code == 429 and FAILED in r.text
    ticks = [0.0]
    throttle = IpThrottle(limit=2, window=10, clock=lambda: ticks[0])
    throttle.failure("a")
    throttle.failure("a")
    assert throttle.blocked("a") and not throttle.blocked("b")
    ticks[0] = 11.0
    assert not throttle.blocked("a")


# --- sessions -------------------------------------------------------------------------------------

def test_idle_and_absolute_timeouts(app: Any, sqlite_db: Database, clock: Clock) -> None:
    app.state.session_policy = SessionPolicy(idle=dt.timedelta(minutes=30), absolute=dt.timedelta(hours=2),
                                             touch_every=dt.timedelta(seconds=0))
    account = make_user(sqlite_db, Role.VIEWER)
    client = login(anonymous_client(app), account)
    clock.advance(minutes=29)
    assert client.get("/api/account").status_code == 200
    clock.advance(minutes=29)  # active every 29 minutes: never idle...
    assert client.get("/api/account").status_code == 200
    clock.advance(minutes=31)  # ...until it is
    assert client.get("/api/account").status_code == 401
    client = login(anonymous_client(app), account)
    for _ in range(4):
        clock.advance(minutes=29)
        assert client.get("/api/account").status_code == 200
    clock.advance(minutes=5)  # 2h01 after sign-in: the absolute limit
    assert client.get("/api/account").status_code == 401


def _session_cookie(client: TestClient) -> tuple[str, str]:
    [(name, value)] = [(c.name, c.value) for c in client.cookies.jar if "session" in c.name]
    return name, value


def test_logout_revokes_the_session_on_the_server(app: Any, sqlite_db: Database) -> None:
    account = make_user(sqlite_db, Role.VIEWER)
    client = login(anonymous_client(app), account)
    name, value = _session_cookie(client)
    r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/account").status_code == 401
    thief = anonymous_client(app, cookies={name: value})  # the old cookie, replayed
    assert thief.get("/api/account").status_code == 401
    with sqlite_db.session() as s:
        stored = s.scalars(select(models.WebSession.id)).all()
    assert value not in stored  # only hashes are stored
    assert "logout" in _actions(sqlite_db)


def test_disabling_an_account_ends_all_its_sessions(app: Any, sqlite_db: Database) -> None:
    account = make_user(sqlite_db, Role.ANALYST)
    first = signed_in_client(app, sqlite_db, Role.ANALYST, account=account)
    second = signed_in_client(app, sqlite_db, Role.ANALYST, account=account)
    assert first.get("/api/account").status_code == second.get("/api/account").status_code == 200
    assert set_disabled(sqlite_db, account.username, True) == 2
    assert first.get("/api/account").status_code == second.get("/api/account").status_code == 401
    assert _password_step(anonymous_client(app), account.username, account.password).status_code == 401
    set_disabled(sqlite_db, account.username, False)
    assert first.get("/api/account").status_code == 401  # enabling does not bring sessions back


def test_sign_out_everywhere_else_and_password_change(app: Any, sqlite_db: Database) -> None:
    account = make_user(sqlite_db, Role.VIEWER)
    here = signed_in_client(app, sqlite_db, Role.VIEWER, account=account)
    there = signed_in_client(app, sqlite_db, Role.VIEWER, account=account)
    assert "Signed out of 1 other session" in here.post("/account/sessions").text
    assert there.get("/api/account").status_code == 401 and here.get("/api/account").status_code == 200
    there = signed_in_client(app, sqlite_db, Role.VIEWER, account=account)
    new = "another long passphrase"
    r = here.post("/account/password", data={"current": "wrong one", "new": new, "confirm": new})
    assert r.status_code == 400
    r = here.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert r.status_code == 200 and "Password changed" in r.text
    assert here.get("/api/account").status_code == 200 and there.get("/api/account").status_code == 401
    assert _password_step(anonymous_client(app), account.username, PASSWORD).status_code == 401
    assert _password_step(anonymous_client(app), account.username, new).status_code == 303


def test_session_cookie_flags(app: Any, sqlite_db: Database) -> None:
    account = make_user(sqlite_db, Role.VIEWER)
    client = anonymous_client(app)
    r = _password_step(client, account.username, account.password)
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-kolokol-session=")
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= flags
    assert not any(f.startswith(("domain", "max-age", "expires")) for f in flags)
    pre = anonymous_client(app).get("/login").headers["set-cookie"]  # the pre-session CSRF cookie
    assert pre.startswith("__Host-kolokol-csrf=") and "HttpOnly" in pre and "Secure" in pre
    # Plain http on loopback (local testing): the same cookies without Secure (browsers would drop them).
    local = TestClient(app, base_url="http://127.0.0.1:8000")
    page = local.get("/login")
    r = local.post("/login", data={"username": account.username, "password": account.password,
                                   "csrf_token": form_token(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("kolokol-session=") and "Secure" not in cookie and "HttpOnly" in cookie
    assert local.get("/api/account").status_code == 200
    # Plain http anywhere else keeps Secure; `serve` on a public address forces it.
    assert "Secure" in TestClient(app, base_url="http://kolokol.example").get("/login").headers["set-cookie"]
    app.state.secure_cookies = True
    assert "Secure" in TestClient(app, base_url="http://127.0.0.1").get("/login").headers["set-cookie"]


@pytest.mark.parametrize("value,expected", [("/incidents", "/incidents"), ("//evil.example/x", "/"),
                                            ("https://evil.example/", "/"), ("/\\evil.example", "/"),
                                            ("javascript:alert(1)", "/"), (None, "/"), ("/a?b=c", "/a")])
def test_next_is_a_local_path(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


# --- CSRF -----------------------------------------------------------------------------------------

def _unsafe_routes(application: Any) -> Iterator[tuple[str, str]]:
    for route in app_routes(application):
        if isinstance(getattr(route, "original_route", route), APIRoute):
            for method in sorted(set(route.methods) & {"POST", "PUT", "PATCH", "DELETE"}):
                yield method, re.sub(r"\{[^}]+\}", "1", route.path)


def test_csrf_is_required_on_every_unsafe_route(app: Any, sqlite_db: Database) -> None:
    admin = signed_in_client(app, sqlite_db, Role.ADMIN)
    token = admin.headers.pop("X-CSRF-Token")
    routes = list(_unsafe_routes(app))
    assert ("POST", "/login") in routes and ("POST", "/logout") in routes and len(routes) >= 6
    for method, path in routes:
        for headers, data in (({}, {}), ({"X-CSRF-Token": "0" * 64}, {}), ({}, {"csrf_token": "0" * 64}),
                              ({"X-CSRF-Token": token, "Origin": "https://evil.example"}, {}),
                              ({"X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"}, {})):
            r = admin.request(method, path, headers=headers, data=data, follow_redirects=False)
            assert r.status_code == 403, (method, path, headers, data, r.status_code)
    assert admin.get("/api/account").status_code == 200  # the session survived every refused request
    # The right token passes, in the header or the form; another session's token does not.
    assert admin.post("/account/sessions", headers={"X-CSRF-Token": token}).status_code == 200
    same = {"X-CSRF-Token": token, "Origin": "https://testserver", "Sec-Fetch-Site": "same-origin"}
    assert admin.post("/account/sessions", headers=same).status_code == 200
    assert admin.post("/account/sessions", headers={"X-CSRF-Token": token, "Origin": "null"}).status_code == 200
    assert admin.post("/account/sessions", data={"csrf_token": token}).status_code == 200
    assert admin.post("/account/sessions", files={"x": ("a", b"b")}, data={"csrf_token": token}).status_code == 200
    other = signed_in_client(app, sqlite_db, Role.ADMIN)
    other_token = other.headers.pop("X-CSRF-Token")
    assert other_token != token
    assert admin.post("/account/sessions", headers={"X-CSRF-Token": other_token}).status_code == 403
    assert admin.post("/api/incidents/1/visibility", json={"visibility": "internal"}).json()["error"]["code"] == "csrf"
    # Login forms are protected too (login CSRF), and the token changes at sign-in.
    anon = anonymous_client(app)
    anon.get("/login")
    assert anon.post("/login", data={"username": "x", "password": "y"}).status_code == 403


def test_templates_render_the_token_in_every_post_form() -> None:
    templates = Path(__file__).resolve().parents[2] / "src" / "kolokol" / "web" / "templates"
    for path in templates.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        forms = text.lower().count('method="post"')
        assert text.count("csrf_field()") >= forms, f"{path.name}: a POST form without {{{{ csrf_field() }}}}"


# --- command line ---------------------------------------------------------------------------------

def _cli(db_url: str, *args: str, input: str | None = None) -> Any:
    from kolokol.cli import app as cli_app

    return CliRunner().invoke(cli_app, ["--db", db_url, *args], input=input)


def test_users_cli(sqlite_db: Database) -> None:
    url = sqlite_db.url
    r = _cli(url, "users", "add", "first-admin", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert "secret:" in r.output and "otpauth://totp/Kolokol:first-admin?secret=" in r.output
    r = _cli(url, "users", "add", "ann", "--role", "viewer", input=f"{PASSWORD}\n{PASSWORD}\n")  # prompt
    assert r.exit_code == 0 and "secret:" not in r.output
    r = _cli(url, "users", "add", "short", "--role", "viewer", "--password-stdin", input="short\n")
    assert r.exit_code != 0 and isinstance(r.exception, KolokolError)
    r = _cli(url, "users", "add", "x", "--role", "king", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code != 0
    r = _cli(url, "users", "add", "ann", "--role", "viewer", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code != 0 and "exists" in str(r.exception)
    r = _cli(url, "users", "list", "--json")
    rows = [line for line in r.output.splitlines() if line.startswith("{")]
    assert len(rows) == 2 and '"totp": true' in rows[0] and '"totp": false' in rows[1]
    table = _cli(url, "users", "list").output
    assert "first-admin" in table and "2 account(s)" in table
    r = _cli(url, "users", "set-role", "ann", "analyst")
    assert r.exit_code == 0 and "secret:" in r.output  # analysts need a second factor: made now
    r = _cli(url, "users", "reset-totp", "ann")
    assert r.exit_code == 0 and "otpauth://" in r.output
    assert _cli(url, "users", "disable", "ann").exit_code == 0
    r = _cli(url, "users", "disable", "first-admin")
    assert r.exit_code != 0 and "last enabled admin" in str(r.exception)
    assert _cli(url, "users", "enable", "ann").exit_code == 0
    r = _cli(url, "users", "set-password", "ann", "--password-stdin", input="a new long passphrase\n")
    assert r.exit_code == 0
    assert _cli(url, "users", "disable", "nobody").exit_code != 0
    actions = _actions(sqlite_db)
    assert actions == ["user.add", "user.add", "user.role", "user.reset_totp", "user.disable", "user.enable",
                       "user.password"]


def test_set_role_and_last_admin_rules(sqlite_db: Database) -> None:
    admin = make_user(sqlite_db, Role.ADMIN)
    with pytest.raises(KolokolError, match="last enabled admin"):
        set_role(sqlite_db, admin.username, Role.VIEWER)
    other = add_user(sqlite_db, "second-admin", Role.ADMIN, PASSWORD)
    assert set_role(sqlite_db, admin.username, Role.VIEWER).totp_secret is None  # keeps its secret
    assert other.totp_secret


def test_serve_refuses_a_public_address_without_an_admin(tmp_path: Path, sqlite_db: Database) -> None:
    from kolokol.web.app import _admins, check_host

    missing = f"sqlite:///{tmp_path / 'none.db'}"
    assert _admins(missing) == 0 and not (tmp_path / "none.db").exists()
    assert _admins(sqlite_db.url) == 0
    make_user(sqlite_db, Role.ANALYST)
    assert _admins(sqlite_db.url) == 0
    account: TestAccount = make_user(sqlite_db, Role.ADMIN)
    assert _admins(sqlite_db.url) == 1
    assert check_host("0.0.0.0", _admins(sqlite_db.url)) == "0.0.0.0"
    make_user(sqlite_db, Role.ADMIN)
    set_disabled(sqlite_db, account.username, True)
    assert _admins(sqlite_db.url) == 1  # disabled admins do not count
    r = _cli(missing, "serve", "--host", "192.168.1.5")
    assert r.exit_code != 0 and "no admin account exists yet" in str(r.exception)
