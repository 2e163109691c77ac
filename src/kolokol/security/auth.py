"""Accounts and signing in: the library under `kolokol users ...` and the web login pages.

- No default account: the first admin is made with `kolokol users add NAME --role admin`.
- Passwords: argon2id (security/passwords.py). TOTP (security/totp.py) is mandatory for admins and
  analysts and optional for viewers; the secret is made here and shown once to the operator.
- Throttling: after `LOCK_AFTER` consecutive failures (password or code) an account is locked for
  `LOCK_FOR`, whatever is typed; each client address may fail `IP_LIMIT` times per `IP_WINDOW`
  (kept in memory by `IpThrottle`). The person signing in gets one message for every failure, so
  they learn nothing about which accounts exist or are locked.
- Audit: every attempt is logged (`login.ok`, `login.fail` with a coarse reason, `login.second_factor`,
  `logout`) by user id. A failure naming an unknown account is logged without it: a password typed
  into the username box must not end up in the log.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kolokol.errors import KolokolError, NotFound
from kolokol.security import audit, passwords, sessions, totp
from kolokol.security.roles import SECOND_FACTOR_ROLES, Role
from kolokol.store.db import Database
from kolokol.store.models import User

LOCK_AFTER = 5
LOCK_FOR = dt.timedelta(minutes=15)
IP_LIMIT = 20
IP_WINDOW = 15 * 60.0
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
FAILED = "Wrong username, password or code, or too many attempts. Wait a few minutes and try again."


class AccountError(KolokolError):
    code = "account"


def normalise_username(name: str) -> str:
    return name.strip().lower()


def check_username(name: str) -> str:
    name = normalise_username(name)
    if not USERNAME.match(name):
        raise AccountError(f"username {name!r} is not allowed",
                           hint="2-40 characters: lower-case letters, digits, '.', '_' or '-'")
    return name


def needs_second_factor(user: User) -> bool:
    return Role.parse(user.role) in SECOND_FACTOR_ROLES or bool(user.totp_secret)


# --- accounts ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NewAccount:
    id: int
    username: str
    role: Role
    totp_secret: str | None  # shown once to the operator, never again

    @property
    def totp_uri(self) -> str | None:
        return totp.provisioning_uri(self.totp_secret, self.username) if self.totp_secret else None


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise NotFound(f"no account {normalise_username(username)!r}", hint="see `kolokol users list`")
    return user


def add_user(db: Database, username: str, role: Role, password: str, *, with_totp: bool | None = None,
             actor_id: int | None = None) -> NewAccount:
    """Create an account. TOTP is made for admins and analysts always, for viewers on request."""
    name = check_username(username)
    passwords.check_password_policy(password, name)
    make_totp = role in SECOND_FACTOR_ROLES or bool(with_totp)
    secret = totp.new_secret() if make_totp else None
    now = sessions.utcnow()
    with db.session() as s:
        if s.scalar(select(User.id).where(User.username == name)) is not None:
            raise AccountError(f"account {name!r} exists", hint="choose another name")
        user = User(username=name, password_hash=passwords.hash_password(password), role=role.label,
                    totp_secret=secret, disabled=False, created_at=now, failed_logins=0, password_changed_at=now)
        s.add(user)
        s.flush()
        audit.append(s, "user.add", user_id=actor_id, object_type="user", object_id=user.id,
                     details={"role": role.label, "totp": secret is not None})
        return NewAccount(user.id, name, role, secret)


def list_users(db: Database) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = s.scalars(select(User).order_by(User.id))
        return [{"id": u.id, "username": u.username, "role": u.role, "disabled": u.disabled,
                 "totp": bool(u.totp_secret), "last_login_at": u.last_login_at.isoformat() if u.last_login_at
                 else None} for u in rows]


def count_admins(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(User).where(
            User.role == Role.ADMIN.label, User.disabled.is_(False))) or 0)


def _last_admin(session: Session, user: User) -> bool:
    if user.role != Role.ADMIN.label or user.disabled:
        return False
    others = session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN.label, User.disabled.is_(False), User.id != user.id))
    return not others


def set_disabled(db: Database, username: str, disabled: bool, *, actor_id: int | None = None) -> int:
    """Disable (and sign out everywhere) or enable an account; returns the sessions revoked."""
    with db.session() as s:
        user = _get(s, username)
        if disabled and _last_admin(s, user):
            raise AccountError("this is the last enabled admin", hint="make another admin first")
        user.disabled = disabled
        killed = sessions.revoke_all(s, user.id)
        if not disabled:
            user.failed_logins, user.locked_until = 0, None
        audit.append(s, "user.disable" if disabled else "user.enable", user_id=actor_id, object_type="user",
                     object_id=user.id, details={"sessions_revoked": killed})
        return killed


def set_role(db: Database, username: str, role: Role, *, actor_id: int | None = None) -> NewAccount:
    """Change an account's role (effective at its next request). Becoming an admin or analyst without a
    second factor makes one, shown once; the account's sessions end."""
    with db.session() as s:
        user = _get(s, username)
        old = Role.parse(user.role)
        if old is Role.ADMIN and role is not Role.ADMIN and _last_admin(s, user):
            raise AccountError("this is the last enabled admin", hint="make another admin first")
        secret = None
        if role in SECOND_FACTOR_ROLES and not user.totp_secret:
            secret = totp.new_secret()
            user.totp_secret, user.totp_last_step = secret, None
        user.role = role.label
        killed = sessions.revoke_all(s, user.id)
        audit.append(s, "user.role", user_id=actor_id, object_type="user", object_id=user.id,
                     details={"from": old.label, "to": role.label, "sessions_revoked": killed})
        return NewAccount(user.id, user.username, role, secret)


def reset_totp(db: Database, username: str, *, actor_id: int | None = None) -> NewAccount:
    """A new TOTP secret (the old authenticator stops working); every session of the account ends."""
    with db.session() as s:
        user = _get(s, username)
        secret = totp.new_secret()
        user.totp_secret, user.totp_last_step = secret, None
        killed = sessions.revoke_all(s, user.id)
        audit.append(s, "user.reset_totp", user_id=actor_id, object_type="user", object_id=user.id,
                     details={"sessions_revoked": killed})
        return NewAccount(user.id, user.username, Role.parse(user.role), secret)


def set_password(db: Database, username: str, password: str, *, actor_id: int | None = None,
                 keep_session: str | None = None) -> int:
    """Set a new password; every other session of the account ends. Returns the sessions revoked."""
    with db.session() as s:
        user = _get(s, username)
        passwords.check_password_policy(password, user.username)
        user.password_hash = passwords.hash_password(password)
        user.password_changed_at = sessions.utcnow()
        user.failed_logins, user.locked_until = 0, None
        killed = sessions.revoke_all(s, user.id, keep=keep_session)
        audit.append(s, "user.password", user_id=actor_id if actor_id is not None else user.id,
                     object_type="user", object_id=user.id, details={"sessions_revoked": killed})
        return killed


# --- signing in -------------------------------------------------------------------------------------

class IpThrottle:
    """Failed sign-ins per client address in a sliding window, in memory (one server process)."""

    def __init__(self, limit: int = IP_LIMIT, window: float = IP_WINDOW,
                 clock: Any = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str) -> deque[float]:
        now = self.clock()
        q = self._failures.setdefault(address, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address)) >= self.limit

    def failure(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(self.clock())
            if len(self._failures) > 10_000:  # bound memory under a spray from many addresses
                for key in [k for k, q in self._failures.items() if not q][:5_000]:
                    del self._failures[key]


@dataclass(frozen=True, slots=True)
class LoginResult:
    ok: bool
    user_id: int | None = None
    needs_second_factor: bool = False
    reason: str | None = None  # coarse, for the audit log: password, locked, disabled, no_totp, code


def _fail(session: Session, user: User | None, reason: str, now: dt.datetime) -> LoginResult:
    if user is not None:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until = now + LOCK_FOR
    audit.append(session, "login.fail", user_id=user.id if user is not None else None,
                 object_type="user" if user is not None else None, object_id=user.id if user is not None else None,
                 details={"reason": reason}, now=now)
    return LoginResult(False, user.id if user is not None else None, reason=reason)


def check_password(db: Database, username: str, password: str, *, now: dt.datetime) -> LoginResult:
    """The first step of signing in. On success the caller opens a pending session (second factor
    next) or, for an account without TOTP, a full one."""
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == normalise_username(username)[:80]))
        if user is None:
            passwords.burn_time(password)
            return _fail(s, None, "password", now)
        if user.locked_until is not None and sessions.aware(user.locked_until) > now:
            passwords.burn_time(password)
            audit.append(s, "login.fail", user_id=user.id, object_type="user", object_id=user.id,
                         details={"reason": "locked"}, now=now)
            return LoginResult(False, user.id, reason="locked")
        if not passwords.verify_password(user.password_hash, password):
            return _fail(s, user, "password", now)
        if user.disabled:
            return _fail(s, user, "disabled", now)
        second = needs_second_factor(user)
        if second and not user.totp_secret:
            return _fail(s, user, "no_totp", now)
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        if not second:
            user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
            audit.append(s, "login.ok", user_id=user.id, object_type="user", object_id=user.id,
                         details={"second_factor": False}, now=now)
        else:
            audit.append(s, "login.password", user_id=user.id, object_type="user", object_id=user.id, now=now)
        return LoginResult(True, user.id, needs_second_factor=second)


def check_second_factor(db: Database, user_id: int, code: str, *, now: dt.datetime) -> LoginResult:
    """The second step: a TOTP code, each step accepted once."""
    with db.session() as s:
        user = s.get(User, user_id)
        if user is None or not user.totp_secret:
            return LoginResult(False, user_id, reason="code")
        if user.disabled:
            return _fail(s, user, "disabled", now)
        if user.locked_until is not None and sessions.aware(user.locked_until) > now:
            audit.append(s, "login.fail", user_id=user.id, object_type="user", object_id=user.id,
                         details={"reason": "locked"}, now=now)
            return LoginResult(False, user.id, reason="locked")
        step = totp.verify(user.totp_secret, code, now.timestamp(), user.totp_last_step)
        if step is None:
            return _fail(s, user, "code", now)
        user.totp_last_step = step
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        audit.append(s, "login.ok", user_id=user.id, object_type="user", object_id=user.id,
                     details={"second_factor": True}, now=now)
        return LoginResult(True, user.id)
