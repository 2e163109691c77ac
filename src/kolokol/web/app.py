"""The FastAPI application and `kolokol serve`.

Access control, sessions and CSRF protection come from web/access.py (every route declares a
policy). The server listens on the loopback interface by default; it accepts another address only
once an admin account exists, and then marks every cookie Secure: TLS must be terminated by a
reverse proxy in front of it (which passes X-Forwarded-Proto; uvicorn trusts it from 127.0.0.1).
Every response carries strict security headers; pages load nothing but this
server's own /static files (no CDN, no fonts from elsewhere); FastAPI's Swagger and ReDoc pages are
turned off because they load scripts from a CDN (the schema stays at /openapi.json). The access
log is off: query strings may hold search words (names).
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from kolokol import __version__
from kolokol.errors import KolokolError, NotFound
from kolokol.security.roles import AccessDenied
from kolokol.store.db import Database
from kolokol.web import access

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class ServeError(KolokolError):
    code = "serve"


def listen_address(host: str) -> tuple[str, bool]:
    """The address to bind and whether it is a loopback one."""
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return "127.0.0.1", True
    try:
        return name, ipaddress.ip_address(name).is_loopback
    except ValueError:
        return name, False


def check_host(host: str, admins: int = 0) -> str:
    """Loopback addresses always; any other only once an admin account exists (without accounts,
    nobody could sign in, and the public would see only published incidents anyway)."""
    address, loopback = listen_address(host)
    if not loopback and admins < 1:
        raise ServeError(f"refusing to listen on {host}: no admin account exists yet, so Kolokol serves only "
                         "on the loopback interface",
                         hint="create one with `kolokol users add NAME --role admin`, or use --host 127.0.0.1")
    return address


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        own_policy = response.headers.get("Content-Security-Policy")  # routes/charts.py: tile server images
        response.headers.update(SECURITY_HEADERS)
        if own_policy and own_policy.startswith(SECURITY_HEADERS["Content-Security-Policy"]):
            response.headers["Content-Security-Policy"] = own_policy
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # pages hold names: keep them out of caches
        return response


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    from kolokol.web import i18n

    i18n.install(env)  # English and Russian, per request
    env.globals["version"] = __version__
    return env


def create_app(db: Database, *, secure_cookies: bool | None = None) -> FastAPI:
    """The application over an open database (the caller closes it). `secure_cookies`: True forces
    Secure cookies (`serve` on a public address), None decides per request (see web/access.py)."""
    app = FastAPI(title="Kolokol", version=__version__, docs_url=None, redoc_url=None,
                  description="Incidents of transnational repression: each HTML page has a JSON twin under /api.")
    app.state.db = db
    app.state.templates = templates()
    app.state.secure_cookies = secure_cookies  # None: Secure except plain http on a loopback address
    access.install(app, app.state.templates)  # CSRF middleware (inside the headers), Denied handler
    app.add_middleware(SecurityHeaders)
    from kolokol.web.i18n import LanguageMiddleware

    app.add_middleware(LanguageMiddleware)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    from kolokol.web.routes import api, auth, pages, public

    app.include_router(auth.api_router)
    app.include_router(api.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(public.router)  # anonymous: published incidents, public form only
    from kolokol.web.routes import actors, alerts, charts, language, review

    for module in (review, charts, actors, alerts):  # the analysts' app: queue, charts, map, alerts
        app.include_router(module.api_router)
        app.include_router(module.router)
    app.include_router(language.router)

    @app.exception_handler(KolokolError)
    async def kolokol_error(request: Request, exc: KolokolError) -> Response:
        status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, AccessDenied) else 400
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.to_dict()}, status_code=status)
        return pages.render(request, "error.html", {"error": exc}, status_code=status)

    async def id_out_of_range(request: Request, exc: Exception) -> Response:
        # an id beyond the database's integers names no record: not found, not a server error.
        # SQLite raises OverflowError while binding it; PostgreSQL a DataError "integer out of
        # range". Any other DataError is a real fault and stays a 500.
        if isinstance(exc, DataError) and getattr(exc.orig, "sqlstate", None) != NUMERIC_VALUE_OUT_OF_RANGE:
            raise exc
        return await kolokol_error(request, NotFound("no such record"))

    from sqlalchemy.exc import DataError

    app.add_exception_handler(OverflowError, id_out_of_range)
    app.add_exception_handler(DataError, id_out_of_range)

    return app


NUMERIC_VALUE_OUT_OF_RANGE = "22003"  # the SQLSTATE PostgreSQL gives an integer beyond its column


def serve(db_url: str, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the web interface until interrupted."""
    import uvicorn

    from kolokol.store.db import open_database

    address, loopback = listen_address(host)
    if not loopback:
        admins = _admins(db_url)
        address = check_host(host, admins)
    db = open_database(db_url)
    try:
        app = create_app(db, secure_cookies=True if not loopback else None)
        config: dict[str, Any] = {"host": address, "port": port, "access_log": False, "server_header": False,
                                  "log_level": "warning"}
        shown = address if ':' not in address else f'[{address}]'
        if loopback:
            print(f"Kolokol on http://{shown}:{port}/ (Ctrl+C to stop)")
        else:
            print(f"Kolokol on {shown}:{port}, plain HTTP with Secure cookies: put a reverse proxy with TLS in "
                  "front of it (it must pass X-Forwarded-Proto); browsers will not sign in over plain http. "
                  "Ctrl+C to stop.", file=sys.stderr)
        uvicorn.run(app, **config)
    finally:
        db.close()


def _admins(db_url: str) -> int:
    """Enabled admin accounts in the database, without creating it if it does not exist."""
    from sqlalchemy.engine import make_url

    from kolokol.security.auth import count_admins
    from kolokol.store.db import normalise_url, open_database

    url = make_url(normalise_url(db_url))
    if url.get_backend_name() == "sqlite" and (not url.database or not Path(url.database).expanduser().exists()):
        return 0
    db = open_database(db_url)
    try:
        return count_admins(db)
    finally:
        db.close()
