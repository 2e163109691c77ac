"""The FastAPI application and `kolokol serve`.

There are no accounts yet, so the server listens on the loopback interface only and refuses any
other address. Every response carries strict security headers; pages load nothing but this
server's own /static files (no CDN, no fonts from elsewhere); FastAPI's Swagger and ReDoc pages are
turned off because they load scripts from a CDN (the schema stays at /openapi.json). The access
log is off: query strings may hold search words (names).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from kolokol import __version__
from kolokol.errors import KolokolError, NotFound
from kolokol.store.db import Database

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


def check_host(host: str) -> str:
    """Accept only loopback addresses: without accounts, anyone who can reach the server reads it all."""
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ServeError(f"refusing to listen on {host}: accounts are not implemented yet, so Kolokol serves "
                         "only on the loopback interface", hint="use --host 127.0.0.1 (the default)")
    return name


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # pages hold names: keep them out of caches
        return response


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]  # catalogues: web/i18n.py
    env.globals["version"] = __version__
    return env


def create_app(db: Database) -> FastAPI:
    """The application over an open database (the caller closes it)."""
    app = FastAPI(title="Kolokol", version=__version__, docs_url=None, redoc_url=None,
                  description="Incidents of transnational repression: each HTML page has a JSON twin under /api.")
    app.state.db = db
    app.state.templates = templates()
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    from kolokol.web.routes import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(KolokolError)
    async def kolokol_error(request: Request, exc: KolokolError) -> Response:
        status = 404 if isinstance(exc, NotFound) else 400
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.to_dict()}, status_code=status)
        return pages.render(request, "error.html", {"error": exc}, status_code=status)

    return app


def serve(db_url: str, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the web interface until interrupted."""
    import uvicorn

    from kolokol.store.db import open_database

    address = check_host(host)
    db = open_database(db_url)
    try:
        app = create_app(db)
        config: dict[str, Any] = {"host": address, "port": port, "access_log": False, "server_header": False,
                                  "log_level": "warning"}
        print(f"Kolokol on http://{address if ':' not in address else f'[{address}]'}:{port}/ (Ctrl+C to stop)")
        uvicorn.run(app, **config)
    finally:
        db.close()
