"""Server-side login sessions (OWASP ASVS 5.0 V7).

The cookie holds a random 256-bit token; the `web_sessions` table keeps only its SHA-256, so a copy
of the database cannot be replayed as a cookie. A session is *pending* between the password and
the second factor and grants nothing; passing TOTP replaces it with a new, full session (a new token:
no fixation). Every request re-reads the account, so disabling it or changing its role takes effect
at once; idle and absolute timeouts are checked on the server, and logout, disable and "sign out
everywhere" revoke rows, not just cookies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from kolokol.security.roles import Role
from kolokol.store.models import User, WebSession


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: dt.timedelta = dt.timedelta(minutes=30)
    absolute: dt.timedelta = dt.timedelta(hours=12)
    pending: dt.timedelta = dt.timedelta(minutes=5)  # from the password to the second factor
    touch_every: dt.timedelta = dt.timedelta(seconds=60)  # last_seen_at is written at most this often


@dataclass(frozen=True, slots=True)
class SessionState:
    session_id: str
    user_id: int
    username: str
    role: Role
    signed_in: bool  # False: password given, second factor still pending


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes even for timezone-aware columns: they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(session: Session, user_id: int, *, signed_in: bool, now: dt.datetime) -> str:
    """Store a new session and return its token (for the cookie; never stored)."""
    token = new_token()
    session.add(WebSession(id=token_id(token), user_id=user_id, created_at=now, last_seen_at=now,
                           second_factor=signed_in, revoked=False))
    session.flush()
    return token


def resolve(session: Session, token: str, *, now: dt.datetime, policy: SessionPolicy) -> SessionState | None:
    """The live session behind a cookie token, or None (unknown, revoked, expired, account disabled).
    Expired sessions are revoked on the way."""
    if not token or len(token) > 200:
        return None
    row = session.get(WebSession, token_id(token))
    if row is None or row.revoked:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        row.revoked = True
        return None
    created, seen = aware(row.created_at), aware(row.last_seen_at)
    limit = policy.absolute if row.second_factor else policy.pending
    if now - created > limit or now - seen > policy.idle:
        row.revoked = True
        return None
    if now - seen >= policy.touch_every:
        row.last_seen_at = now
    return SessionState(session_id=row.id, user_id=user.id, username=user.username, role=Role.parse(user.role),
                        signed_in=row.second_factor)


def revoke(session: Session, session_id: str) -> None:
    session.execute(update(WebSession).where(WebSession.id == session_id).values(revoked=True))


def revoke_all(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """Revoke every live session of an account (but `keep`); returns how many."""
    query = update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked.is_(False))
    if keep is not None:
        query = query.where(WebSession.id != keep)
    return int(session.execute(query.values(revoked=True)).rowcount or 0)  # type: ignore[attr-defined]


def prune(session: Session, *, now: dt.datetime, policy: SessionPolicy) -> int:
    """Delete revoked sessions and those past the absolute timeout."""
    cutoff = now - policy.absolute
    result = session.execute(delete(WebSession).where(or_(WebSession.revoked.is_(True),
                                                          WebSession.created_at < cutoff)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
