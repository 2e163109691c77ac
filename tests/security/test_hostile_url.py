"""Hostile URLs and servers (kolokol.ingest.url): private, loopback, link-local, reserved and
multicast addresses refused in every spelling (IPv4, IPv6, IPv4 inside IPv6, decimal, octal and hex
hosts, names that resolve inward), the connection made to the address that was checked (no DNS
rebinding), redirects bounded and checked hop by hop, bodies capped as sent and after decompression
(gzip, zlib and deflate bombs, unbounded encodings refused, nothing buffered after the end of a
compressed stream), slow servers cut off, and the allowlist option. Loopback only: the local server
on 127.0.0.1 is reached through the explicit allow options in the positive tests."""

from __future__ import annotations

import dataclasses
import gzip
import ipaddress
import itertools
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kolokol.config import Settings
from kolokol.errors import IngestError
from kolokol.ingest import IngestFailure, read_source
from kolokol.ingest.url import allowed_networks, fetch_url, refused_address

PAGE = (b"<html><head><title>Exiled reporter questioned</title></head><body><article><p>"
        + b"Police questioned an exiled reporter for five hours about his articles and his family. " * 5
        + b"</p></article></body></html>")


class Server:
    def __init__(self, httpd: ThreadingHTTPServer) -> None:
        self.httpd = httpd
        self.port = httpd.server_address[1]
        self.hits: list[tuple[str, str]] = []  # (path, Host header)
        self.stopped_early: list[str] = []  # routes whose client hung up before the end

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _empty_deflate_blocks(n: int) -> bytes:
    """A zlib stream of `n` empty stored blocks and a last one holding a paragraph: many bytes as sent,
    a few once decompressed."""
    data = b"<p>x</p>"
    last = b"\x01" + len(data).to_bytes(2, "little") + (0xFFFF ^ len(data)).to_bytes(2, "little") + data
    return b"\x78\x01" + b"\x00\x00\x00\xff\xff" * n + last + zlib.adler32(data).to_bytes(4, "big")


def _handler(server: dict[str, Server]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _head(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()

        def _stream(self, route: str, chunks: Iterator[bytes]) -> None:
            try:
                for chunk in chunks:
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                server["s"].stopped_early.append(route)

        def do_GET(self) -> None:
            state = server["s"]
            path = self.path.split("?", 1)[0]
            state.hits.append((path, self.headers.get("Host", "")))
            query = self.path.split("?", 1)[1] if "?" in self.path else ""
            if path == "/page":
                self._head(headers={"Content-Length": str(len(PAGE))})
                self.wfile.write(PAGE)
            elif path == "/redirect":
                self._head(302, {"Location": query})
            elif path == "/endless":
                self._head()
                self._stream(path, (b"<p>" + b"a" * 65536 for _ in range(10**6)))
            elif path == "/zlib-bomb":
                body = zlib.compress(b"a" * 50_000_000, 9)
                self._head(headers={"Content-Encoding": "deflate", "Content-Length": str(len(body))})
                self.wfile.write(body)
            elif path == "/raw-deflate":
                c = zlib.compressobj(9, zlib.DEFLATED, -15)
                body = c.compress(PAGE) + c.flush()
                self._head(headers={"Content-Encoding": "deflate", "Content-Length": str(len(body))})
                self.wfile.write(body)
            elif path == "/br":
                self._head(headers={"Content-Encoding": "br", "Content-Length": "4"})
                self.wfile.write(b"\x0b\x02\x80x")
            elif path == "/double-gzip":
                body = gzip.compress(gzip.compress(PAGE))
                self._head(headers={"Content-Encoding": "gzip, gzip", "Content-Length": str(len(body))})
                self.wfile.write(body)
            elif path == "/gzip-then-garbage":
                self._head(headers={"Content-Encoding": "gzip"})
                first = gzip.compress(PAGE)
                self._stream(path, itertools.chain([first], (b"\x00garbage" * 8192 for _ in range(10**5))))
            elif path == "/empty-blocks":
                body = _empty_deflate_blocks(400_000)  # 2 MB as sent, a few bytes decompressed
                self._head(headers={"Content-Encoding": "deflate"})  # no length: only the stream tells
                self._stream(path, iter([body]))
            elif path == "/trickle":
                self._head()
                self._stream(path, (time.sleep(0.2) or b"a" for _ in range(200)))
            else:
                self._head(404)

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    holder: dict[str, Server] = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(holder))
    httpd.daemon_threads = True
    holder["s"] = Server(httpd)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield holder["s"]
    httpd.shutdown()
    httpd.server_close()


DEFAULTS = dataclasses.replace(Settings(), fetch_timeout=5.0)
LOCAL = dataclasses.replace(DEFAULTS, fetch_allow_networks="127.0.0.1/32")


def failure(url: str, settings: Settings) -> str:
    items = list(read_source(url, settings))
    assert len(items) == 1 and isinstance(items[0], IngestFailure), items
    return items[0].reason


# --- addresses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1",
                                  "017700000001", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
                                  "[0:0:0:0:0:ffff:7f00:1]", "localhost", "0.0.0.0", "0"])
def test_loopback_in_every_spelling_is_refused_before_anything_is_sent(server: Server, host: str) -> None:
    before = len(server.hits)
    reason = failure(server.url("/page", host), DEFAULTS)
    assert "refused private or local address" in reason, reason
    assert len(server.hits) == before


@pytest.mark.parametrize("address", [
    "10.0.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1", "127.255.255.254", "0.0.0.0",
    "192.0.0.8", "192.0.2.1", "198.18.0.1", "198.51.100.1", "203.0.113.1", "224.0.0.251", "240.0.0.1",
    "255.255.255.255", "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1", "::127.0.0.1",
    "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "::ffff:0:7f00:1",
    "2002:7f00:1::", "2002:a9fe:a9fe::", "2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:db8::1", "100::1",
])
def test_non_global_addresses_are_refused(address: str) -> None:
    assert refused_address(ipaddress.ip_address(address)), address


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111"])
def test_global_addresses_are_allowed(address: str) -> None:
    assert not refused_address(ipaddress.ip_address(address))


def _resolver(table: dict[str, list[str]], calls: list[str]) -> Any:
    """getaddrinfo answering `table[name][n]` to the n-th question about `name` (the last one after)."""
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        calls.append(name)
        if name not in table:
            return real(host, port, *args, **kwargs)
        answers = table[name]
        address = answers[min(calls.count(name), len(answers)) - 1]
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    return fake


def test_a_name_resolving_inward_is_refused(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    table = {"inward.example": ["10.1.2.3"], "metadata.example": ["169.254.169.254"]}
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(table, calls))
    for name in table:
        assert "refused private or local address" in failure(f"http://{name}:{server.port}/page", DEFAULTS)


def test_one_inward_answer_among_several_refuses_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    def both(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    assert "refused private or local address 127.0.0.1" in failure("http://mixed.example/page", DEFAULTS)


def test_the_connection_goes_to_the_checked_address(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the first answer is checked and used; a later, different answer is never asked
    for, and the name travels only in the Host header."""
    calls: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", _resolver({"rebind.example": ["127.0.0.1", "10.9.9.9"]}, calls))
    resource = fetch_url(f"http://rebind.example:{server.port}/page", LOCAL)
    assert resource.status == 200 and resource.data == PAGE
    assert calls.count("rebind.example") == 1
    assert server.hits[-1] == ("/page", f"rebind.example:{server.port}")


# --- redirects ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1:70/x", "ftp://example.org/x",
                                    "javascript:alert(1)", "data:text/html,hello"])
def test_redirects_to_other_schemes_are_refused(server: Server, target: str) -> None:
    reason = failure(server.url(f"/redirect?{target}"), LOCAL)
    assert reason.startswith("cannot fetch URL: "), reason
    assert "unsupported URL scheme" in reason or "invalid URL" in reason, reason


def test_each_redirect_hop_is_checked_again(server: Server) -> None:
    before = len(server.hits)
    reason = failure(server.url(f"/redirect?http://[::1]:{server.port}/page"), LOCAL)
    assert "refused private or local address ::1" in reason
    reason = failure(server.url("/redirect?http://169.254.169.254/latest/meta-data/"), LOCAL)
    assert "refused private or local address 169.254.169.254" in reason
    reason = failure(server.url(f"/redirect?http://0x7f.1:{server.port}/page"), DEFAULTS)
    assert "refused private or local address 127.0.0.1" in reason  # the first hop already
    assert len(server.hits) - before == 2  # only the first hops of the first two reached the server
    # A numeric spelling of an allowed address is the allowed address.
    items = list(read_source(server.url(f"/redirect?http://2130706433:{server.port}/page"), LOCAL))
    assert not isinstance(items[0], IngestFailure) and server.hits[-1][0] == "/page"


def test_redirects_are_bounded(server: Server) -> None:
    url = server.url("/page")
    for _ in range(4):
        url = server.url("/redirect?" + url)
    settings = dataclasses.replace(LOCAL, fetch_max_redirects=3)
    assert failure(url, settings) == "cannot fetch URL: too many redirects (more than 3)"
    items = list(read_source(url, dataclasses.replace(LOCAL, fetch_max_redirects=4)))
    assert not isinstance(items[0], IngestFailure)


# --- the allowlist -------------------------------------------------------------------------------------


def test_allow_networks_admits_only_what_it_lists(server: Server) -> None:
    assert fetch_url(server.url("/page"), LOCAL).data == PAGE
    other = dataclasses.replace(DEFAULTS, fetch_allow_networks="10.0.0.0/8, fd00::/8")
    assert "refused private or local address" in failure(server.url("/page"), other)
    mapped = dataclasses.replace(DEFAULTS, fetch_allow_networks="127.0.0.1")  # v4 only: not ::ffff:127.0.0.1
    assert "refused" in failure(server.url("/page", "[::ffff:127.0.0.1]"), mapped)
    assert fetch_url(server.url("/page"), dataclasses.replace(DEFAULTS, fetch_allow_private=True)).data == PAGE
    with pytest.raises(IngestError, match="fetch_allow_networks"):
        allowed_networks(dataclasses.replace(DEFAULTS, fetch_allow_networks="10.0.0.0/8, not-a-network"))
    assert [str(n) for n in allowed_networks(dataclasses.replace(DEFAULTS, fetch_allow_networks=" 10.1.0.0/16;::1 "))] \
        == ["10.1.0.0/16", "::1/128"]


# --- sizes, encodings, slow servers ------------------------------------------------------------------------


def test_an_endless_body_is_cut_at_the_limit(server: Server) -> None:
    started = time.monotonic()
    reason = failure(server.url("/endless"), dataclasses.replace(LOCAL, max_file_bytes=1_000_000))
    assert reason == "cannot fetch URL: response too large (more than 976.6 KB)"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(("path", "expected"), [
    ("/zlib-bomb", "response too large"),
    ("/raw-deflate", "corrupt compressed response"),
    ("/br", "unsupported content encoding 'br'"),
    ("/double-gzip", "unsupported content encoding 'gzip, gzip'"),
    ("/empty-blocks", "response too large"),  # 2 MB of compressed nothing: capped as sent
])
def test_compressed_bodies_are_bounded_or_refused(server: Server, path: str, expected: str) -> None:
    started = time.monotonic()
    reason = failure(server.url(path), dataclasses.replace(LOCAL, max_file_bytes=1_000_000))
    assert expected in reason, reason
    assert time.monotonic() - started < 10


def test_nothing_after_the_end_of_a_compressed_stream_is_read(server: Server) -> None:
    started = time.monotonic()
    resource = fetch_url(server.url("/gzip-then-garbage"), dataclasses.replace(LOCAL, max_file_bytes=1_000_000))
    assert resource.data == PAGE and time.monotonic() - started < 10


def test_a_trickling_server_is_cut_off(server: Server) -> None:
    started = time.monotonic()
    reason = failure(server.url("/trickle"), dataclasses.replace(LOCAL, fetch_timeout=0.5))
    assert "timed out" in reason, reason
    assert time.monotonic() - started < 5
