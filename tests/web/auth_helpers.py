"""Accounts and signed-in clients for tests (import from any test module).

    from tests.web.auth_helpers import make_user, signed_in_client, login_browser
    client = signed_in_client(create_app(db), db, Role.ANALYST)   # TestClient over https, CSRF header set
    client.post("/incidents/1/accept")                             # unsafe methods just work
    anonymous = anonymous_client(app)                              # https, no account
    login_browser(page, base_url, make_user(db, Role.ADMIN))       # Playwright: through the real forms

`signed_in_client` goes through the real sign-in (password, then the TOTP code of the moment) and
sets the session's CSRF token as the default `X-CSRF-Token` header. TestClient talks to
https://testserver, because session cookies are Secure everywhere but plain http on loopback.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from kolokol.security import totp
from kolokol.security.auth import add_user
from kolokol.security.roles import Role
from kolokol.store.db import Database
from kolokol.store.models import User

PASSWORD = "correct horse battery staple"
BASE_URL = "https://testserver"
_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
_META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]{64})">')
_serial = itertools.count(1)


@dataclass(frozen=True, slots=True)
class TestAccount:
    __test__ = False  # not a test class for pytest

    id: int
    username: str
    password: str
    role: Role
    totp_secret: str | None

    def code(self, when: float | None = None) -> str:
        assert self.totp_secret, f"{self.username} has no second factor"
        return totp.code_at(self.totp_secret, time.time() if when is None else when)


def make_user(db: Database, role: Role, *, username: str | None = None, password: str = PASSWORD,
              with_totp: bool | None = None) -> TestAccount:
    """An account of `role` (admins and analysts always with TOTP), straight into the database."""
    name = username or f"{role.label}-{next(_serial)}-{secrets.token_hex(3)}"
    account = add_user(db, name, role, password, with_totp=with_totp)
    return TestAccount(account.id, account.username, password, role, account.totp_secret)


def allow_code_reuse(db: Database, account: TestAccount) -> None:
    """Forget the last accepted TOTP step, so the same account can sign in twice within 30 seconds
    (tests only: the replay guard itself is tested in tests/security/test_auth.py)."""
    with db.session() as s:
        s.execute(update(User).where(User.id == account.id).values(totp_last_step=None))


def anonymous_client(app: FastAPI, **kwargs: Any) -> TestClient:
    return TestClient(app, base_url=BASE_URL, **kwargs)


def form_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    found = _TOKEN.search(html) or _META.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, account: TestAccount, *, db: Database | None = None) -> TestClient:
    """Sign `client` in through the forms (password, then the TOTP code) and set its X-CSRF-Token
    header. Pass `db` to allow a second sign-in of the same account within one TOTP step."""
    if db is not None and account.totp_secret:
        allow_code_reuse(db, account)
    page = client.get("/login")
    assert page.status_code == 200, page.text
    r = client.post("/login", data={"username": account.username, "password": account.password,
                                    "csrf_token": form_token(page.text), "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, f"sign-in failed: {r.status_code} {r.text[:300]}"
    if account.totp_secret:
        assert r.headers["location"].startswith("/login/code")
        page = client.get("/login/code")
        r = client.post("/login/code", data={"code": account.code(), "csrf_token": form_token(page.text),
                                             "next": "/"}, follow_redirects=False)
        assert r.status_code == 303, f"second factor failed: {r.status_code} {r.text[:300]}"
    client.headers["X-CSRF-Token"] = form_token(client.get("/account").text)
    return client


def signed_in_client(app: FastAPI, db: Database, role: Role, *, account: TestAccount | None = None,
                     **kwargs: Any) -> TestClient:
    """A TestClient signed in as a new account of `role` (or as `account`)."""
    return login(anonymous_client(app, **kwargs), account or make_user(db, role), db=db)


def login_browser(page: Any, base_url: str, account: TestAccount, *, db: Database | None = None) -> None:
    """Sign a Playwright page in through the real forms (base_url: http://127.0.0.1:PORT)."""
    if db is not None and account.totp_secret:
        allow_code_reuse(db, account)
    page.goto(base_url + "/login")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    with page.expect_navigation():
        page.click("form.auth button[type=submit]")
    if account.totp_secret:
        assert "/login/code" in page.url, page.url
        page.fill("input[name=code]", account.code())
        with page.expect_navigation():
            page.click("form.auth button[type=submit]")
    assert "/login" not in page.url, f"browser sign-in failed at {page.url}"
