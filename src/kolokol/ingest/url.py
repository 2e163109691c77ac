"""Fetching a URL the user asked for, and nothing else, defensively.

- Only http(s). Each hop's host is resolved once, every address checked (private, loopback,
  link-local, site-local, multicast, reserved and other non-global addresses, IPv4 embedded in IPv6
  included, are refused unless settings.fetch_allow_private, or the address lies in one of the
  networks of settings.fetch_allow_networks), and the connection goes to that checked address (the
  Host header and TLS SNI keep the name), so a DNS answer cannot change between the check and the
  connection. Numeric host forms (2130706433, 0x7f.1, 0177.0.0.1) resolve to the address they mean
  and are checked like any other.
- Redirects are followed by hand, at most settings.fetch_max_redirects, each hop checked again.
- The body is streamed and capped at settings.max_file_bytes, both as sent and after
  decompression (we ask for no compression, bound the decompressor when a server compresses
  anyway, refuse encodings we do not bound, such as br, and stop at the end of the compressed
  stream instead of buffering whatever follows it).
- No cookies, no proxies or .netrc from the environment, a fixed user agent.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import zlib
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from kolokol.config import Settings
from kolokol.errors import IngestError
from kolokol.ingest.model import one_line

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class FetchedResource:
    """A successfully fetched response body, capped in size."""

    url: str  # the final URL after redirects
    status: int
    content_type: str  # lower-case media type without parameters, "" when absent
    charset: str | None
    data: bytes


def fetch_error(reason: str) -> IngestError:
    return IngestError(f"cannot fetch URL: {one_line(reason, 200)}")


def is_http_url(source: str) -> bool:
    return source[:8].lower().startswith(("http://", "https://"))


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{n} bytes"


# Special-purpose blocks that some Python versions still call global (IANA registries; Python 3.13
# corrected most of them): IETF protocol assignments, benchmarking, documentation, NAT64, discard.
ALSO_REFUSED = tuple(ipaddress.ip_network(n) for n in (
    "192.0.0.0/24", "198.18.0.0/15", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
    "2001::/23", "2001:db8::/32", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "fec0::/10"))


def refused_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for addresses a crawler must not reach on a user's behalf (SSRF guard)."""
    if any(ip.version == net.version and ip in net for net in ALSO_REFUSED):
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if mapped is not None and refused_address(mapped):
            return True
        if ip.is_site_local:  # fec0::/10: deprecated, still routed inside some networks
            return True
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


def allowed_networks(settings: Settings) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """settings.fetch_allow_networks ("10.8.0.0/16, 127.0.0.1") as networks; raises IngestError for a bad one."""
    out = []
    for item in (settings.fetch_allow_networks or "").replace(";", ",").split(","):
        if item.strip():
            try:
                out.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise fetch_error(f"fetch_allow_networks: {item.strip()!r} is not an address or network") from None
    return out


def _allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, settings: Settings) -> bool:
    if settings.fetch_allow_private or not refused_address(ip):
        return True
    return any(ip.version == net.version and ip in net for net in allowed_networks(settings))


def resolve_host(host: str, port: int, settings: Settings) -> str:
    """One checked IP address for `host`; raises IngestError when it is refused or unknown."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise fetch_error(f"cannot resolve host {host} ({getattr(exc, 'strerror', None) or exc})") from None
    addresses = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 scope id
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        if not _allowed(ip, settings):
            # One bad answer refuses the host: a name that also points inward is not trusted.
            raise fetch_error(f"refused private or local address {ip} for host {host} "
                              "(list it in fetch_allow_networks to allow)")
        addresses.append(str(ip))
    if not addresses:
        raise fetch_error(f"cannot resolve host {host}")
    return addresses[0]


def _pinned_request(client: httpx.Client, url: str, settings: Settings) -> httpx.Request:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise fetch_error(f"invalid URL ({exc})") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise fetch_error(f"unsupported URL scheme {parts.scheme!r}")
    if not host:
        raise fetch_error("URL has no host")
    ip = resolve_host(host, port, settings)
    netloc_ip = f"[{ip}]" if ":" in ip else ip
    if parts.port:
        netloc_ip += f":{parts.port}"
    host_header = parts.netloc.rsplit("@", 1)[-1]  # never forward credentials embedded in a URL
    target = urlunsplit((parts.scheme.lower(), netloc_ip, parts.path or "/", parts.query, ""))
    extensions = {"sni_hostname": host} if parts.scheme.lower() == "https" else {}
    try:
        return client.build_request("GET", target, headers={"Host": host_header}, extensions=extensions)
    except (httpx.InvalidURL, ValueError) as exc:
        raise fetch_error(f"invalid URL ({exc})") from None


def _parse_content_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    message = Message()
    message["content-type"] = header
    charset = message.get_param("charset")
    return message.get_content_type().lower(), str(charset) if isinstance(charset, str) else None


class _Body:
    """Accumulates a response body up to a limit, undoing gzip/deflate with a bounded decompressor.
    The bytes as sent are capped too, and nothing after the end of a compressed stream is kept."""

    def __init__(self, limit: int, encoding: str) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        self.received = 0
        self.done = False  # the compressed stream ended: what follows is ignored, not buffered
        encoding = encoding.strip().lower()
        if encoding in {"", "identity"}:
            self.decompressor = None
        elif encoding in {"gzip", "x-gzip", "deflate"}:
            self.decompressor = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header
        else:
            raise fetch_error(f"unsupported content encoding {encoding!r}")

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise fetch_error(f"response too large (more than {human_size(self.limit)})")
        self.parts.append(data)

    def feed(self, chunk: bytes) -> bool:
        """Take one chunk as received; False once nothing more is wanted."""
        self.received += len(chunk)
        if self.received > self.limit:
            raise fetch_error(f"response too large (more than {human_size(self.limit)})")
        if self.decompressor is None:
            self._add(chunk)
            return True
        try:
            data = chunk
            while data and not self.decompressor.eof:
                # max_length bounds the output of one call: a bomb never expands past the limit.
                self._add(self.decompressor.decompress(data, self.limit - self.size + 1))
                data = self.decompressor.unconsumed_tail
        except zlib.error:
            raise fetch_error("corrupt compressed response") from None
        self.done = self.decompressor.eof
        return not self.done

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def fetch_url(url: str, settings: Settings) -> FetchedResource:
    """GET `url` under the rules above. Raises IngestError("cannot fetch URL: ...") on any failure."""
    timeout = httpx.Timeout(settings.fetch_timeout)
    deadline = time.monotonic() + settings.fetch_timeout * 3  # a trickling server cannot hold us
    headers = {"User-Agent": settings.user_agent, "Accept-Encoding": "identity",
               "Accept": "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
                         "application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"}
    current = url
    try:
        with httpx.Client(timeout=timeout, headers=headers, follow_redirects=False,
                          trust_env=False) as client:
            for _hop in range(settings.fetch_max_redirects + 1):
                request = _pinned_request(client, current, settings)
                response = client.send(request, stream=True)
                try:
                    if response.status_code in REDIRECT_STATUSES and response.headers.get("location"):
                        current = urljoin(current, response.headers["location"])
                        continue
                    if not 200 <= response.status_code < 300:
                        phrase = response.reason_phrase or ""
                        raise fetch_error(f"HTTP {response.status_code} {phrase}".strip())
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > settings.max_file_bytes:
                        raise fetch_error(f"response too large ({human_size(int(declared))} > "
                                          f"{human_size(settings.max_file_bytes)} limit)")
                    body = _Body(settings.max_file_bytes, response.headers.get("content-encoding", ""))
                    # No chunk size: a chunk per network read, so the deadline is checked as bytes trickle
                    # in (with a size, httpx waits for a full chunk and a server sending a byte now and
                    # then would hold the fetch for as long as it likes).
                    for chunk in response.iter_raw():
                        if not body.feed(chunk):
                            break
                        if time.monotonic() > deadline:
                            raise fetch_error("timed out while reading the response")
                    media_type, charset = _parse_content_type(response.headers.get("content-type"))
                    return FetchedResource(url=current, status=response.status_code,
                                           content_type=media_type, charset=charset, data=body.bytes())
                finally:
                    response.close()
            raise fetch_error(f"too many redirects (more than {settings.fetch_max_redirects})")
    except httpx.TimeoutException:
        raise fetch_error("timed out") from None
    except httpx.InvalidURL as exc:  # e.g. a redirect to "javascript:..." that httpx cannot even parse
        raise fetch_error(f"invalid URL ({exc})") from None
    except httpx.HTTPError as exc:
        raise fetch_error(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
    except OSError as exc:  # e.g. too many open files; never a traceback for the user
        raise fetch_error(f"{type(exc).__name__}: {exc.strerror or exc}") from None
