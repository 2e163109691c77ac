"""Signing in and out, the second factor, and one's own account (password, sessions).

Sign-in is two steps for accounts with TOTP (every admin and analyst): the password opens a
*pending* session that grants nothing but the code page; the right code replaces it with a new,
full session. Every failure shows the same message; each client address and each account is
throttled (kolokol.security.auth). Accounts are created on the command line only
(`kolokol users add`): there is no sign-up page and no default account.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kolokol.errors import KolokolError
from kolokol.security import auth, passwords, sessions
from kolokol.security.roles import Role, UserInfo
from kolokol.web import access
from kolokol.web.access import Viewer, require
from kolokol.web.routes.pages import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/api", tags=["api"])
Anyone = Depends(require(Role.PUBLIC))


def _login_page(request: Request, next_path: str, *, message: str | None = None, status_code: int = 200,
                username: str = "") -> HTMLResponse:
    return render(request, "login.html", {"next": next_path, "message": message, "username": username},
                  status_code=status_code)


def _start_session(request: Request, response: Response, user_id: int, *, signed_in: bool) -> None:
    """Open a new session (revoking the one this browser had), and set its cookie."""
    db = request.app.state.db
    old = access._session_state(request)
    moment = access.now(request)
    with db.session() as s:
        if old is not None:
            sessions.revoke(s, old.session_id)
        sessions.prune(s, now=moment, policy=access.session_policy(request))
        token = sessions.create_session(s, user_id, signed_in=signed_in, now=moment)
    access.set_session_cookie(response, request, token)
    access.forget_user(request)


@router.get("/login", dependencies=[Anyone])
def login_form(request: Request, next: str | None = None) -> Response:
    target = access.safe_next(next)
    if access.current_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _login_page(request, target)


@router.post("/login", dependencies=[Anyone])
def login_submit(request: Request, username: Annotated[str, Form(max_length=200)] = "",
                 password: Annotated[str, Form(max_length=1000)] = "",
                 next: Annotated[str, Form(max_length=600)] = "/") -> Response:
    target = access.safe_next(next)
    throttle = access.ip_throttle(request)
    address = access.client_address(request)
    if throttle.blocked(address):
        return _login_page(request, target, message=auth.FAILED, status_code=429)
    result = auth.check_password(request.app.state.db, username, password, now=access.now(request))
    if not result.ok or result.user_id is None:
        throttle.failure(address)
        return _login_page(request, target, message=auth.FAILED, status_code=401,
                           username=auth.normalise_username(username)[:40])
    if result.needs_second_factor:
        response: Response = RedirectResponse("/login/code?" + urlencode({"next": target}), status_code=303)
        _start_session(request, response, result.user_id, signed_in=False)
        return response
    response = RedirectResponse(target, status_code=303)
    _start_session(request, response, result.user_id, signed_in=True)
    return response


@router.get("/login/code", dependencies=[Anyone])
def code_form(request: Request, next: str | None = None) -> Response:
    target = access.safe_next(next)
    if access.pending_login(request) is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "login_code.html", {"next": target, "message": None})


@router.post("/login/code", dependencies=[Anyone])
def code_submit(request: Request, code: Annotated[str, Form(max_length=20)] = "",
                next: Annotated[str, Form(max_length=600)] = "/") -> Response:
    target = access.safe_next(next)
    pending = access.pending_login(request)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    throttle = access.ip_throttle(request)
    address = access.client_address(request)
    if throttle.blocked(address):
        return render(request, "login_code.html", {"next": target, "message": auth.FAILED}, status_code=429)
    result = auth.check_second_factor(request.app.state.db, pending.user_id, code, now=access.now(request))
    if not result.ok:
        throttle.failure(address)
        return render(request, "login_code.html", {"next": target, "message": auth.FAILED}, status_code=401)
    response = RedirectResponse(target, status_code=303)
    _start_session(request, response, pending.user_id, signed_in=True)
    return response


@router.post("/logout", dependencies=[Anyone])
def logout(request: Request) -> Response:
    state = access._session_state(request)
    if state is not None:
        with request.app.state.db.session() as s:
            sessions.revoke(s, state.session_id)
        access.audit_event(request, "logout", object_type="user", object_id=state.user_id,
                           user=UserInfo(state.user_id, state.username, state.role, state.session_id))
    response = RedirectResponse("/", status_code=303)
    access.clear_session_cookie(response, request)
    access.forget_user(request)
    return response


def _account(request: Request, user: UserInfo, *, message: str | None = None, error: str | None = None,
             status_code: int = 200) -> HTMLResponse:
    return render(request, "account.html", {"account": account_data(user), "message": message, "error": error},
                  status_code=status_code)


def account_data(user: UserInfo) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role.label}


@router.get("/account")
def account_page(request: Request, user: Viewer) -> HTMLResponse:
    return _account(request, user)


@router.post("/account/password")
def account_password(request: Request, user: Viewer, current: Annotated[str, Form(max_length=1000)] = "",
                     new: Annotated[str, Form(max_length=1000)] = "",
                     confirm: Annotated[str, Form(max_length=1000)] = "") -> HTMLResponse:
    from sqlalchemy import select

    from kolokol.store.models import User

    with request.app.state.db.session() as s:
        stored = s.scalar(select(User.password_hash).where(User.id == user.id))
    if stored is None or not passwords.verify_password(stored, current):
        access.ip_throttle(request).failure(access.client_address(request))
        return _account(request, user, error="The current password is wrong.", status_code=400)
    if new != confirm:
        return _account(request, user, error="The two new passwords differ.", status_code=400)
    try:
        auth.set_password(request.app.state.db, user.username, new, actor_id=user.id, keep_session=user.session_id)
    except KolokolError as exc:
        return _account(request, user, error=exc.message + (f" ({exc.hint})" if exc.hint else ""), status_code=400)
    return _account(request, user, message="Password changed; your other sessions are signed out.")


@router.post("/account/sessions")
def account_sessions(request: Request, user: Viewer) -> HTMLResponse:
    """Sign out everywhere else (every other session of this account)."""
    assert user.id is not None
    with request.app.state.db.session() as s:
        killed = sessions.revoke_all(s, user.id, keep=user.session_id)
    access.audit_event(request, "user.sessions_revoked", object_type="user", object_id=user.id,
                       details={"sessions_revoked": killed}, user=user)
    return _account(request, user, message=f"Signed out of {killed} other session(s).")


@api_router.get("/account", summary="The signed-in account: id, username and role")
def api_account(request: Request, user: Viewer) -> dict[str, Any]:
    return account_data(user)
