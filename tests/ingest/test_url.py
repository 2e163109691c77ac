"""Fetching URLs from a local server: success, errors, limits and the private-address guard."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket

import pytest

from kolokol.errors import IngestError
from kolokol.ingest import IngestFailure, read_source
from kolokol.ingest.url import fetch_url, refused_address


def only(items):
    assert len(items) == 1, items
    return items[0]


def failure(source, settings):
    item = only(list(read_source(source, settings)))
    assert isinstance(item, IngestFailure), item
    assert "\n" not in item.reason
    return item.reason


def test_page_fetched_and_extracted(http_server, local_settings):
    item = only(list(read_source(http_server.url("/pages/steppe-ledger-en.html"), local_settings)))
    assert not isinstance(item, IngestFailure)
    assert item.kind == "url"
    assert item.origin == http_server.url("/pages/steppe-ledger-en.html")
    assert item.url == "https://steppeledger.example/2024/02/exiled-blogger-questioned-almaty"  # canonical
    assert item.outlet == "The Steppe Ledger" and item.published == "2024-02-14"
    assert "Skip to content" not in item.text


def test_request_headers_user_agent_no_compression_no_credentials(http_server, local_settings):
    resource = fetch_url(http_server.url("/pages/border-monitor-en.html").replace("://", "://user:pw@"),
                         local_settings)
    assert resource.status == 200 and resource.content_type == "text/html" and resource.charset == "utf-8"
    assert resource.data.startswith(b"<html>")
    path, headers = http_server.hits[-1]
    assert path == "/pages/border-monitor-en.html"
    assert headers["user-agent"] == local_settings.user_agent
    assert headers["accept-encoding"] == "identity"
    assert headers["host"] == http_server.base.split("://", 1)[1]  # the name, not credentials
    assert "authorization" not in headers and "cookie" not in headers


def test_plain_text_url_with_front_matter(http_server, local_settings):
    item = only(list(read_source(http_server.url("/report.txt"), local_settings)))
    assert not isinstance(item, IngestFailure)
    assert item.kind == "url" and item.source_id == "t005"
    assert item.url == http_server.url("/report.txt")  # no url in its front matter: the fetched one


def test_http_charset_header_decodes_cp1251(http_server, local_settings):
    item = only(list(read_source(http_server.url("/cp1251"), local_settings)))
    assert not isinstance(item, IngestFailure)
    assert item.title == "В Бишкеке задержали российского музыканта, выступавшего против войны"


def test_404(http_server, local_settings):
    assert failure(http_server.url("/gone/x.html"), local_settings) == "cannot fetch URL: HTTP 404 Not Found"


def test_redirects_within_limit_are_followed(http_server, local_settings):
    settings = dataclasses.replace(local_settings, fetch_max_redirects=3)
    item = only(list(read_source(http_server.url("/redirect/2"), settings)))  # 3 redirects
    assert not isinstance(item, IngestFailure) and item.outlet == "Border Monitor"


def test_redirect_chain_over_the_limit(http_server, local_settings):
    settings = dataclasses.replace(local_settings, fetch_max_redirects=3)
    reason = failure(http_server.url("/redirect/3"), settings)
    assert reason == "cannot fetch URL: too many redirects (more than 3)"
    assert "too many redirects" in failure(http_server.url("/loop"), settings)


def test_declared_too_large(http_server, local_settings):
    reason = failure(http_server.url("/big-declared"), local_settings)
    assert reason.startswith("cannot fetch URL: response too large")


def test_streamed_body_capped(http_server, local_settings):
    settings = dataclasses.replace(local_settings, max_file_bytes=100_000)
    assert failure(http_server.url("/big-streamed"), settings) == \
        "cannot fetch URL: response too large (more than 97.7 KB)"


def test_gzip_bomb_capped_while_decompressing(http_server, local_settings):
    settings = dataclasses.replace(local_settings, max_file_bytes=1_000_000)
    assert "response too large" in failure(http_server.url("/gzip-bomb"), settings)


def test_gzip_page_decompressed(http_server, local_settings):
    item = only(list(read_source(http_server.url("/gzip-page"), local_settings)))
    assert not isinstance(item, IngestFailure) and item.outlet == "Border Monitor"


def test_pdf_refused(http_server, local_settings):
    assert failure(http_server.url("/pdf"), local_settings) == "binary file (PDF)"


def test_loopback_refused_by_default(http_server, settings):
    before = len(http_server.hits)
    reason = failure(http_server.url("/pages/border-monitor-en.html"), settings)
    assert reason.startswith("cannot fetch URL: refused private or local address 127.0.0.1")
    assert len(http_server.hits) == before  # nothing was sent


def test_localhost_name_refused_by_default(http_server, settings):
    port = http_server.base.rsplit(":", 1)[1]
    reason = failure(f"http://localhost:{port}/pages/border-monitor-en.html", settings)
    assert "refused private or local address" in reason


def test_redirect_to_private_address_refused(http_server, local_settings, monkeypatch):
    # A public-looking first hop that redirects inward: each hop is checked after DNS resolution.
    import kolokol.ingest.url as url_module

    real = url_module.resolve_host
    calls = []

    def resolve(host, port, settings):
        calls.append(host)
        if len(calls) == 1:
            return real(host, port, local_settings)  # first hop allowed
        return real(host, port, dataclasses.replace(local_settings, fetch_allow_private=False))

    monkeypatch.setattr(url_module, "resolve_host", resolve)
    reason = failure(http_server.url("/redirect/1"), local_settings)
    assert "refused private or local address" in reason and len(calls) == 2


def test_connection_refused(local_settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reason = failure(f"http://127.0.0.1:{port}/x", local_settings)
    assert reason.startswith("cannot fetch URL: ConnectError")


def test_unsupported_scheme(settings):
    assert failure("ftp://example.org/x", settings) == "unsupported URL scheme 'ftp' (use http or https)"


def test_unresolvable_host(settings, monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    assert failure("http://no-such-host.invalid/x", settings).startswith(
        "cannot fetch URL: cannot resolve host no-such-host.invalid")


@pytest.mark.parametrize(("address", "refused"), [
    ("127.0.0.1", True), ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("100.64.0.1", True), ("224.0.0.1", True), ("0.0.0.0", True),
    ("240.0.0.1", True), ("::1", True), ("fe80::1", True), ("fc00::1", True), ("::ffff:127.0.0.1", True),
    ("2002:7f00:0001::1", True), ("8.8.8.8", False), ("2001:4860:4860::8888", False),
    ("93.184.216.34", False),
])
def test_refused_addresses(address, refused):
    assert refused_address(ipaddress.ip_address(address)) is refused


def test_fetch_error_is_ingest_error(local_settings):
    with pytest.raises(IngestError, match="cannot fetch URL"):
        fetch_url("http://[::1", local_settings)
