"""Fixtures for ingestion tests: the project's own test pages, feeds and reports, and a local HTTP
server on 127.0.0.1 that serves them (plus misbehaving routes: redirects, 404s, huge bodies)."""

from __future__ import annotations

import dataclasses
import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kolokol.config import Settings

DATA = Path(__file__).resolve().parent.parent / "data" / "ingest"
PAGES = DATA / "pages"
FEEDS = DATA / "feeds"
REPORTS = DATA / "reports"
COPIES = DATA / "copies"

FEED_TYPES = {".rss": "application/rss+xml", ".atom": "application/atom+xml"}


class LocalServer:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        self.hits: list[tuple[str, dict[str, str]]] = []  # (path, request headers)

    def url(self, path: str) -> str:
        return self.base + path


def _handler(state: dict[str, LocalServer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # close-delimited bodies: lets a route omit Content-Length

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None,
                  length: bool = True) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if length:
                self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            server = state["server"]
            server.hits.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            path = self.path.split("?", 1)[0]
            if path.startswith("/pages/") and (PAGES / path[7:]).is_file():
                self._send(200, (PAGES / path[7:]).read_bytes(), "text/html; charset=utf-8")
            elif path.startswith("/feeds/") and (FEEDS / path[7:]).is_file():
                file = FEEDS / path[7:]
                body = file.read_text(encoding="utf-8").replace("{base}", server.base).encode("utf-8")
                self._send(200, body, FEED_TYPES.get(file.suffix, "application/xml"))
            elif path.startswith("/redirect/"):
                left = int(path.rsplit("/", 1)[1])
                target = f"/redirect/{left - 1}" if left > 0 else "/pages/border-monitor-en.html"
                self._send(302, b"", "text/plain", {"Location": target})
            elif path == "/loop":
                self._send(301, b"", "text/plain", {"Location": "/loop"})
            elif path == "/big-declared":
                self._send(200, b"x" * 10, "text/plain", {"Content-Length": str(10**9)}, length=False)
            elif path == "/big-streamed":
                self._send(200, b"Exiled reporter. " * 20000, "text/plain", length=False)
            elif path == "/gzip-bomb":
                body = gzip.compress(b"<p>" + b"a" * 5_000_000 + b"</p>", compresslevel=9)
                self._send(200, body, "text/html", {"Content-Encoding": "gzip"})
            elif path == "/gzip-page":
                body = gzip.compress((PAGES / "border-monitor-en.html").read_bytes())
                self._send(200, body, "text/html; charset=utf-8", {"Content-Encoding": "gzip"})
            elif path == "/pdf":
                self._send(200, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "application/pdf")
            elif path == "/report.txt":
                body = (REPORTS / "005-passport-refusal.txt").read_bytes()
                self._send(200, body, "text/plain; charset=utf-8")
            elif path == "/cp1251":
                html = (PAGES / "tyan-shan-ru.html").read_text(encoding="utf-8").replace("charset=utf-8", "")
                self._send(200, html.encode("cp1251"), "text/html; charset=windows-1251")
            else:
                self._send(404, b"not found", "text/plain")

    return Handler


@pytest.fixture(scope="session")
def http_server() -> Iterator[LocalServer]:
    state: dict[str, LocalServer] = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state["server"] = LocalServer(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["server"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings() -> Settings:
    """Package defaults: private addresses refused."""
    return Settings()


@pytest.fixture
def local_settings() -> Settings:
    """Defaults, but the local test server on 127.0.0.1 may be fetched."""
    return dataclasses.replace(Settings(), fetch_allow_private=True, fetch_timeout=5.0)
