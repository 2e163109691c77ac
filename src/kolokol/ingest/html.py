"""Saved or fetched news pages: main text with trafilatura, then a boilerplate post-filter.

Metadata: title, site name (outlet), canonical URL (canonical link or og:url) and the
publication date. The date comes from structured places only (JSON-LD, meta tags, <time>, the
URL): `extensive_search` is off because a date found in the body is usually the date of the
events reported, not of the report.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml import etree

from kolokol.domain import ReportInput
from kolokol.errors import IngestError
from kolokol.ingest.boilerplate import strip_boilerplate
from kolokol.ingest.language import detect_language, normalise_language
from kolokol.ingest.text import TITLE_MAX, first_line_title, normalise_published

# These libraries log what they choke on (dates, link texts, URLs) at WARNING/ERROR, which Python
# prints to stderr when the application configured no logging. Report content must never reach a
# log, and every problem already becomes a one-line failure reason: keep them quiet.
for _name in ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).setLevel(logging.CRITICAL)

_HTML_START = re.compile(r"\A(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body)[\s>]",
                         re.IGNORECASE | re.DOTALL)
# Fewer words than this is what extractors fall back to on pages without an article (a lone menu
# link, a caption): not a report.
MIN_WORDS = 10
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
               "section", "article", "pre", "figcaption")


def looks_like_html(head: str) -> bool:
    """True when a document starts like an HTML page (doctype, <html>, <head> or <body>)."""
    return _HTML_START.match(head[:4096]) is not None


def site_host(url: str | None) -> str | None:
    """The host of a URL without a leading "www.", or None when it has none."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _clean(value: Any, limit: int) -> str | None:
    if not value:
        return None
    text = " ".join(str(value).split())
    return text[:limit] or None


def _http_url(value: Any) -> str | None:
    text = _clean(value, 2000)
    return text if text and text.lower().startswith(("http://", "https://")) else None


def parse_html_report(html: str, *, raw: bytes, origin: str, url: str | None = None,
                      kind: Literal["html", "url", "feed-entry"] = "html") -> ReportInput:
    """A ReportInput from an HTML page. Raises IngestError for malformed or empty pages."""
    tree = trafilatura.load_html(html)
    if tree is None:
        raise IngestError("malformed HTML: no document could be parsed")
    try:
        doc = trafilatura.bare_extraction(
            tree, url=url, with_metadata=True, include_comments=False, favor_precision=True,
            include_tables=True, include_images=False, include_links=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except (ValueError, TypeError, etree.LxmlError) as exc:  # lxml/trafilatura on pathological trees
        raise IngestError(f"malformed HTML: {type(exc).__name__}") from None
    data: dict[str, Any] = doc.as_dict() if doc is not None else {}
    text = strip_boilerplate(data.get("text") or "", html=True).strip("\n")
    if len(text.split()) < MIN_WORDS:
        raise IngestError("empty report (no main text found in the page)")
    page_url = _http_url(data.get("url")) or url
    language = detect_language(text) or normalise_language(tree.get("lang"))
    return ReportInput(
        text=text,
        raw=raw,
        kind=kind,
        origin=origin,
        url=page_url,
        outlet=_clean(data.get("sitename"), 300) or site_host(page_url),
        title=_clean(data.get("title"), TITLE_MAX) or first_line_title(text),
        published=normalise_published(data.get("date")),
        language=language,
        metadata={"extractor": f"trafilatura {trafilatura.__version__}"},
    )


def html_fragment_to_text(fragment: str) -> str:
    """Plain text of a small HTML fragment (a feed entry's content), one line per block."""
    if "<" not in fragment:
        return fragment.strip()
    # Characters XML cannot hold: lxml parses them but refuses them when a text is set again.
    fragment = _NOT_XML.sub("", fragment)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
        for bad in root.xpath(".//script|.//style|.//iframe|.//noscript"):
            bad.drop_tree()
        for element in root.iter(*_BLOCK_TAGS):
            element.tail = "\n" + (element.tail or "")
        text = root.text_content()
    except (etree.ParserError, ValueError, etree.LxmlError, AssertionError):  # lxml asserts on "<html>"
        return ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
