"""RSS and Atom feeds: one report per entry.

Each entry's link is fetched (with the same rules as any URL) and its page extracted; when that
fails, the entry's own content or summary is used if it has substantial text. Before feedparser
sees a feed, DOCTYPEs declaring entities are refused (defusedxml): feedparser does not resolve
external entities, but internal ones can still expand a small file into gigabytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin
from xml.etree.ElementTree import ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from kolokol.domain import ReportInput
from kolokol.errors import IngestError
from kolokol.ingest.boilerplate import strip_boilerplate
from kolokol.ingest.html import html_fragment_to_text
from kolokol.ingest.language import detect_language
from kolokol.ingest.model import IngestFailure, one_line
from kolokol.ingest.text import TITLE_MAX, first_line_title

SUBSTANTIAL_CHARS = 200  # an entry summary shorter than this is a teaser, not a report
SUBSTANTIAL_WORDS = 30
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>/]", re.IGNORECASE)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)

PageLoader = Callable[[str], ReportInput]  # fetches and extracts one entry's page; raises IngestError


def looks_like_feed(data: bytes) -> bool:
    """True when the first bytes hold an RSS, Atom or RDF root element (and no HTML before it)."""
    head = data[:4096]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        head = head.removeprefix(bom)
    head = head.replace(b"\x00", b"").lstrip()  # UTF-16 feeds: compare without the zero bytes
    if not head.startswith(b"<"):
        return False  # a text report that merely mentions <rss> is not a feed
    match = _FEED_ROOT.search(head)
    return match is not None and re.search(rb"<html[\s>]", head[: match.start()], re.IGNORECASE) is None


def check_feed_xml(data: bytes) -> bool:
    """Refuse entity declarations; return False when the XML is not well-formed (feedparser may
    still recover entries from it, as real feeds are often slightly broken)."""
    if _ENTITY_DECL.search(data) or _ENTITY_DECL.search(data[:65536].replace(b"\x00", b"")):
        raise IngestError("feed declares XML entities (refused for safety)")
    try:
        defused_fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise IngestError("feed declares XML entities or external references (refused for safety)") from None
    except (ParseError, ValueError, UnicodeError, LookupError):
        return False
    return True


def _entry_date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday).isoformat()
            except (ValueError, AttributeError):
                continue
    return None


def _entry_text(entry: Any) -> str:
    """The longest of the entry's content blocks and summary, as plain text."""
    candidates: list[str] = []
    for block in entry.get("content") or []:
        value = block.get("value") or ""
        is_html = "html" in (block.get("type") or "text/html")
        candidates.append(html_fragment_to_text(value) if is_html else value)
    summary = entry.get("summary") or ""
    if summary:
        candidates.append(html_fragment_to_text(summary))
    return max(candidates, key=len, default="")


def _substantial(text: str) -> bool:
    return len(text.strip()) >= SUBSTANTIAL_CHARS and len(text.split()) >= SUBSTANTIAL_WORDS


def _clean(value: Any, limit: int) -> str | None:
    text = " ".join(str(value or "").split())
    return text[:limit] or None


def read_feed(data: bytes, *, origin: str, base_url: str | None,
              load_page: PageLoader) -> Iterator[ReportInput | IngestFailure]:
    """Yield one ReportInput or IngestFailure per entry of the feed in `data`.

    Raises IngestError when the feed as a whole cannot be read.
    """
    well_formed = check_feed_xml(data)
    try:
        parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True, resolve_relative_uris=True,
                                  response_headers={"content-location": base_url} if base_url else None)
    except (UnicodeError, LookupError, ValueError) as exc:  # e.g. an encoding declaration in broken bytes
        raise IngestError(f"malformed feed: {type(exc).__name__}") from None
    entries = parsed.get("entries") or []
    if not entries:
        if not well_formed or parsed.get("bozo"):
            problem = parsed.get("bozo_exception")
            detail = one_line(str(problem), 120) if problem else "not well-formed XML"
            raise IngestError(f"malformed feed: {detail}")
        raise IngestError("feed has no entries")
    feed_info = parsed.get("feed") or {}
    feed_title = _clean(feed_info.get("title"), 300)
    base = base_url or _clean(feed_info.get("link"), 2000)
    for number, entry in enumerate(entries, start=1):
        link = _clean(entry.get("link"), 2000)
        if link and base:
            link = urljoin(base, link)
        if link and not link.lower().startswith(("http://", "https://")):
            link = None
        entry_origin = link or f"{origin}#entry-{number}"
        yield _read_entry(entry, origin=entry_origin, feed_origin=origin, link=link,
                          feed_title=feed_title, load_page=load_page)


def _read_entry(entry: Any, *, origin: str, feed_origin: str, link: str | None, feed_title: str | None,
                load_page: PageLoader) -> ReportInput | IngestFailure:
    title = _clean(entry.get("title"), TITLE_MAX)
    published = _entry_date(entry)
    page_error = "the entry has no http(s) link"
    if link:
        try:
            page = load_page(link)
        except IngestError as exc:
            page_error = exc.message
        else:
            page.kind = "feed-entry"
            page.origin = origin
            page.url = page.url or link
            page.title = page.title or title
            page.outlet = page.outlet or feed_title
            page.published = published or page.published  # the feed's date is structured data
            page.metadata = {**page.metadata, "feed": feed_origin, "content": "page"}
            return page
    inline = strip_boilerplate(_entry_text(entry), html=True).strip()
    if not _substantial(inline):
        return IngestFailure(origin, f"{page_error}; the feed entry has no substantial text of its own")
    raw = inline.encode("utf-8")
    return ReportInput(
        text=inline, raw=raw, kind="feed-entry", origin=origin, url=link, outlet=feed_title,
        title=title or first_line_title(inline), published=published, language=detect_language(inline),
        metadata={"feed": feed_origin, "content": "feed-entry", "page_error": page_error},
    )
