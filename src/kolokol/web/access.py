"""Who may do what in the web app: the current user, per-route policies, record-level filtering and
CSRF protection. Every route module imports from here.

Roles and the permission table live in kolokol.security.roles (re-exported here, all but `SYSTEM`:
the command line's operator, who sees everything, has no business in a web request; routes pass the
signed-in account, or None for an anonymous visitor, as `user=` to every library call); in short:

=============================================  ======  ======  =======  =====
                                               public  viewer  analyst  admin
=============================================  ======  ======  =======  =====
published incidents, public form (/public)      yes     yes     yes     yes
dashboard, search, incident pages (in full)     -       yes     yes     yes
internal incidents; own account, sign out       -       yes     yes     yes
restricted incidents (every new one)            -       -       yes     yes
reports (source texts, may name people)         -       -       yes     yes
review: accept, reject, edit, merge, split      -       -       yes     yes
make less visible (internal, restricted)        -       -       yes     yes
full exports, read alerts                       -       -       yes     yes
publish (reviewed incidents only)               -       -       -       yes
alert rules, accounts, audit log                -       -       -       yes
=============================================  ======  ======  =======  =====

**Every route declares a policy** with a dependency made by `require(...)`; tests/security/
test_access_matrix.py walks `app.routes` and fails for a route without one::

    from kolokol.web.access import Analyst, Anyone, Permission, require, visible_incidents

    @router.get("/things")
    def things(request: Request, user: Anyone) -> ...:           # anyone; filter what they see
        ... .where(visible_incidents(user))

    @router.post("/incidents/{incident_id}/accept")
    def accept(request: Request, incident_id: int, user: Analyst) -> ...:   # analysts and admins

    @router.post("/alert-rules", dependencies=[Depends(require(Permission.MANAGE_ALERTS))])

`require` lets the request through, or: for an anonymous visitor, redirects pages to
``/login?next=PATH`` (303) and answers /api with 401 JSON; for a signed-in account below the role,
403 (page or JSON). `Anyone`, `Viewer`, `Browser` (a signed-in account in the analysts' app),
`Analyst`, `Admin` are ready-made annotated parameters giving the `UserInfo` (None for anonymous).
Anonymous visitors see published incidents only in their public form (/public pages); a route that
lets them in must not show names; `PublicRecords` is `Anyone` on a route that shows only public
incidents whoever asks (the public pages: the access matrix then expects 404 for others, even for
analysts). Record-level rules: AND `visible_incidents(user)` into every
query that lists, searches, counts, maps or exports incidents, and answer 404 (never 403) for one
incident the user may not see (`can_read_incident`), so its existence is not confirmed.

**CSRF.** Every POST, PUT, PATCH and DELETE must carry the request's token, either in the form field
``csrf_token`` (templates: ``{{ csrf_field() }}`` inside each ``<form method="post">``) or in the
``X-CSRF-Token`` header (kolokol.js reads ``<meta name="csrf-token">``, rendered by _account.html
for signed-in users; ``{{ csrf_token() }}`` gives the bare value). `CSRFMiddleware` answers 403 to
anything else, and to a cross-origin ``Origin`` header. The token is an HMAC of the session cookie
(or, before sign-in, of a random pre-session cookie), so it is bound to the session, changes at
sign-in and cannot be derived from anything stored in the database.

**Cookies.** Session and pre-session cookies are HttpOnly, SameSite=Strict, Path=/ and, unless the
request is plain http to a loopback address (local testing at http://127.0.0.1), Secure with the
``__Host-`` prefix. `kolokol serve` on a non-loopback address forces Secure: TLS must be terminated
by a reverse proxy in front.

**Sessions.** Server-side (kolokol.security.sessions): idle timeout 30 minutes, absolute 12 hours,
5 minutes from password to second factor; logout revokes the row; disabling an account revokes all.
Tests inject `app.state.clock` and `app.state.session_policy`.

The test helper tests/web/auth_helpers.py creates accounts of each role and signs clients in.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kolokol.errors import KolokolError
from kolokol.security import audit, sessions
from kolokol.security.auth import IpThrottle
from kolokol.security.roles import (
    MIN_ROLE,
    Permission,
    Role,
    UserInfo,
    Visibility,
    can,
    can_read_incident,
    readable_visibilities,
    role_of,
    visible_incidents,
    visible_reports,
)
from kolokol.security.sessions import SessionPolicy, SessionState

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = [
    "MIN_ROLE", "Admin", "Analyst", "Anyone", "Browser", "Denied", "Permission", "Policy", "PublicRecords",
    "Role", "UserInfo", "Viewer", "Visibility", "app_routes", "audit_event", "can", "can_read_incident", "csrf_token",
    "current_user", "install", "readable_visibilities", "require", "role_of", "route_policy", "visible_incidents",
    "visible_reports",
]

SESSION_COOKIE = "__Host-kolokol-session"
SESSION_COOKIE_LOCAL = "kolokol-session"  # plain http on a loopback address only
CSRF_COOKIE = "__Host-kolokol-csrf"
CSRF_COOKIE_LOCAL = "kolokol-csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_BYTES = 2 * 1024 * 1024  # forms without the header are read whole to find the token


# --- the current user -------------------------------------------------------------------------------

def now(request: Request) -> dt.datetime:
    clock: Callable[[], dt.datetime] = getattr(request.app.state, "clock", sessions.utcnow)
    return clock()


def session_policy(request: Request) -> SessionPolicy:
    return getattr(request.app.state, "session_policy", None) or SessionPolicy()


def _loopback(host: str | None) -> bool:
    name = (host or "").strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _secure(scope: Scope) -> bool:
    """Secure cookies unless this is plain http to a loopback address (or the app says otherwise)."""
    forced = getattr(getattr(scope.get("app"), "state", None), "secure_cookies", None)
    if forced is not None:
        return bool(forced)
    if scope.get("scheme") != "http":
        return True
    host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
    return not _loopback(urlsplit("//" + host).hostname)


def cookie_secure(request: Request) -> bool:
    return _secure(request.scope)


def session_cookie_name(request: Request) -> str:
    return SESSION_COOKIE if cookie_secure(request) else SESSION_COOKIE_LOCAL


def _session_token(request: Request) -> str | None:
    return request.cookies.get(session_cookie_name(request))


_UNSET = object()


def _session_state(request: Request) -> SessionState | None:
    if getattr(request.state, "kolokol_session", _UNSET) is _UNSET:
        token = _session_token(request)
        found = None
        if token:
            with request.app.state.db.session() as s:
                found = sessions.resolve(s, token, now=now(request), policy=session_policy(request))
        request.state.kolokol_session = found
    state: SessionState | None = request.state.kolokol_session
    return state


def current_user(request: Request) -> UserInfo | None:
    """The signed-in account (password and, where required, second factor passed), or None."""
    state = _session_state(request)
    if state is None or not state.signed_in:
        return None
    return UserInfo(id=state.user_id, username=state.username, role=state.role, session_id=state.session_id)


def pending_login(request: Request) -> SessionState | None:
    """A session between the password and the second factor (it grants nothing else)."""
    state = _session_state(request)
    return state if state is not None and not state.signed_in else None


def forget_user(request: Request) -> None:
    """Drop the cached session (after signing in or out within the same request)."""
    request.state.kolokol_session = _UNSET


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(session_cookie_name(request), token, httponly=True, samesite="strict", path="/",
                        secure=cookie_secure(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(session_cookie_name(request), path="/", httponly=True, samesite="strict",
                           secure=cookie_secure(request))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def ip_throttle(request: Request) -> IpThrottle:
    """Failed sign-ins per client address (made by `install`; tests may replace it)."""
    throttle: IpThrottle = request.app.state.ip_throttle
    return throttle


def safe_next(value: str | None) -> str:
    """A local path to return to after signing in; anything else (other hosts, schemes) becomes /."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or any(
            c in value for c in "\r\n\t\\") or len(value) > 500:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return parts.path or "/"


# --- policies ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Policy:
    """What a route needs: a minimum role (PUBLIC: anyone), from a role or a permission. `records`
    narrows the incidents a route shows to these visibility levels whoever asks (the public pages show
    only public incidents, to analysts too); None: whatever the user may see."""

    minimum: Role
    permission: Permission | None = None
    records: tuple[Visibility, ...] | None = None

    def allows(self, user: UserInfo | None) -> bool:
        return role_of(user) >= self.minimum


class Denied(Exception):
    """401 (anonymous) or 403 (role too low); rendered as a redirect to /login, a page or JSON."""

    def __init__(self, status: int, policy: Policy) -> None:
        super().__init__(status)
        self.status = status
        self.policy = policy


@functools.cache
def require(need: Role | Permission, *, records: tuple[Visibility, ...] | None = None
            ) -> Callable[[Request], UserInfo | None]:
    """A FastAPI dependency admitting `need` (a minimum role or a permission of the table) and
    returning the current `UserInfo` (None for anonymous when the policy admits everyone). Declare
    `records` on a route that shows only some visibility levels to everyone (see `PublicRecords`)."""
    policy = Policy(need if isinstance(need, Role) else MIN_ROLE[need], None if isinstance(need, Role) else need,
                    records)

    def dependency(request: Request) -> UserInfo | None:
        user = current_user(request)
        if policy.allows(user):
            return user
        raise Denied(401 if user is None else 403, policy)

    dependency.kolokol_policy = policy  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{policy.permission.value if policy.permission else policy.minimum.label}"
    return dependency


Anyone = Annotated[UserInfo | None, Depends(require(Role.PUBLIC))]
Viewer = Annotated[UserInfo, Depends(require(Role.VIEWER))]
Analyst = Annotated[UserInfo, Depends(require(Role.ANALYST))]
Admin = Annotated[UserInfo, Depends(require(Role.ADMIN))]
Browser = Annotated[UserInfo, Depends(require(Permission.BROWSE))]
"""A signed-in account in the analysts' app (dashboard, search, incident pages)."""
PublicRecords = Annotated[UserInfo | None, Depends(require(Role.PUBLIC, records=(Visibility.PUBLIC,)))]
"""Anyone, on a route that shows only public incidents whoever asks (the public pages)."""


def route_policy(route: Any) -> Policy | None:
    """The policy a route declared through `require` (searched through nested dependencies), or None.
    With several, the strictest one counts."""
    found: list[Policy] = []

    def walk(dependant: Any) -> None:
        for dep in getattr(dependant, "dependencies", []):
            policy = getattr(dep.call, "kolokol_policy", None)
            if policy is not None:
                found.append(policy)
            walk(dep)

    walk(getattr(route, "dependant", None))
    return max(found, key=lambda p: p.minimum) if found else None


def app_routes(app: FastAPI) -> list[Any]:
    """Every route of `app` as served (included routers flattened, prefixes and router-level
    dependencies applied): objects with `.path`, `.methods`, `.original_route` and, for API routes,
    `.dependant`. FastAPI >= 0.16x wraps included routers; older versions list routes directly."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def audit_event(request: Request, action: str, *, object_type: str | None = None,
                object_id: int | str | None = None, details: dict[str, Any] | None = None,
                user: UserInfo | None = None) -> None:
    """Append to the audit chain in a transaction of its own, as the current user (ids only)."""
    who = user if user is not None else current_user(request)
    audit.record(request.app.state.db, action, user_id=who.id if who else None, object_type=object_type,
                 object_id=object_id, details=details, now=now(request))


# --- CSRF -------------------------------------------------------------------------------------------

def _csrf_for(binding: str) -> str:
    return hmac.new(binding.encode("utf-8"), b"kolokol-csrf-v1", hashlib.sha256).hexdigest()


class CsrfContext:
    """The token of one request, bound to its session cookie, else to its pre-session cookie (made
    here and sent back with the response only if a form used it)."""

    def __init__(self, binding: str, *, new: bool) -> None:
        self.binding, self.new, self.used = binding, new, False

    @property
    def token(self) -> str:
        self.used = True
        return _csrf_for(self.binding)

    def valid(self, candidate: str | None) -> bool:
        return bool(candidate) and not self.new and hmac.compare_digest(_csrf_for(self.binding),
                                                                        str(candidate))


def csrf_token(request: Request) -> str:
    ctx: CsrfContext = request.state.kolokol_csrf
    return ctx.token


def _deny(scope: Scope, reason: str) -> Response:
    if str(scope.get("path", "")).startswith("/api/"):
        return JSONResponse({"error": {"code": "csrf", "message": reason,
                                       "hint": f"send the X-CSRF-Token header or the {CSRF_FIELD} form field"}},
                            status_code=403)
    return Response(f"403 Forbidden: {reason}. Reload the page and try again.", status_code=403,
                    media_type="text/plain; charset=utf-8")


class CSRFMiddleware:
    """Rejects unsafe requests without the session's token (403) before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        secure = _secure(scope)
        binding = request.cookies.get(SESSION_COOKIE if secure else SESSION_COOKIE_LOCAL) or \
            request.cookies.get(CSRF_COOKIE if secure else CSRF_COOKIE_LOCAL)
        ctx = CsrfContext(binding or secrets.token_urlsafe(32), new=binding is None)
        scope.setdefault("state", {})["kolokol_csrf"] = ctx

        if scope["method"] in UNSAFE_METHODS:
            # Defence in depth before the token: browsers say where a request comes from. With our
            # no-referrer policy they send "Origin: null" for same-origin form posts, so null passes.
            origin = request.headers.get("origin")
            fetch_site = request.headers.get("sec-fetch-site")
            if fetch_site in ("cross-site", "same-site") or (
                    origin not in (None, "null") and urlsplit(origin).netloc != request.headers.get("host")):
                await _deny(scope, "cross-origin request")(scope, receive, send)
                return
            candidate = request.headers.get(CSRF_HEADER)
            body = b""
            if candidate is None:
                kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
                if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
                    chunks, size, more = [], 0, True
                    while more:
                        message = await receive()
                        if message["type"] == "http.disconnect":
                            return
                        chunk = message.get("body", b"")
                        size += len(chunk)
                        if size > MAX_FORM_BYTES:
                            await Response("413 form too large", status_code=413)(scope, receive, send)
                            return
                        chunks.append(chunk)
                        more = message.get("more_body", False)
                    body = b"".join(chunks)
                    candidate = await _form_token(scope, body, kind)
                    receive = _replay(body)
            if not ctx.valid(candidate):
                await _deny(scope, "missing or wrong CSRF token")(scope, receive, send)
                return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and ctx.new and ctx.used:
                name = CSRF_COOKIE if secure else CSRF_COOKIE_LOCAL
                cookie = f"{name}={ctx.binding}; HttpOnly; Path=/; SameSite=strict" + ("; Secure" if secure else "")
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _form_token(scope: Scope, body: bytes, kind: str) -> str | None:
    if kind == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return values[0] if values else None
    try:
        form = await Request(scope, receive=_replay(body)).form()
    except Exception:  # a malformed multipart body has no token
        return None
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


# --- wiring -----------------------------------------------------------------------------------------

def _denied_response(request: Request, exc: Denied) -> Response:
    api = request.url.path.startswith("/api/") or request.url.path == "/api"
    if exc.status == 401 and not api:
        return RedirectResponse("/login?" + urlencode({"next": safe_next(request.url.path)}), status_code=303)
    code, message = (("unauthorized", "sign in first") if exc.status == 401
                     else ("forbidden", "your account may not do this"))
    if api:
        return JSONResponse({"error": {"code": code, "message": message, "hint": None}}, status_code=exc.status)
    html = request.app.state.templates.get_template("error.html").render(
        request=request, error=KolokolError(message, code=code))
    return Response(html, status_code=exc.status, media_type="text/html; charset=utf-8")


def install(app: FastAPI, templates: Environment) -> None:
    """Add the CSRF middleware, the Denied handler and the template globals to `app`."""
    from jinja2 import pass_context

    app.add_middleware(CSRFMiddleware)
    app.state.ip_throttle = IpThrottle()

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> Response:
        return _denied_response(request, exc)

    @pass_context
    def csrf_field(context: Any) -> Markup:
        token = csrf_token(context["request"])
        return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)

    @pass_context
    def csrf_value(context: Any) -> str:
        return csrf_token(context["request"])

    @pass_context
    def account(context: Any) -> UserInfo | None:
        return current_user(context["request"])

    templates.globals.update(csrf_field=csrf_field, csrf_token=csrf_value, current_user=account,
                             can=can, Permission=Permission)
