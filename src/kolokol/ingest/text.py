"""Plain-text and Markdown reports, with or without YAML front matter (GUIDELINES.md format).

The text after the closing `---` is kept exactly as received, except whole lines that are known
site furniture (lexicon/boilerplate.yaml): evidence offsets point into this text.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

import yaml

from kolokol.domain import ReportInput, parse_partial_date
from kolokol.errors import IngestError
from kolokol.ingest.boilerplate import strip_boilerplate
from kolokol.ingest.language import detect_language, normalise_language

FRONT_MATTER_FIELDS = ("source_id", "url", "outlet", "title", "published", "lang")
TITLE_MAX = 300
_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)
_KEY_LINE = re.compile(r"^\s*[A-Za-z_][\w-]*\s*:", re.MULTILINE)
_ISO_PREFIX = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """Split `---\\n<yaml>\\n---\\n<body>` into (fields, body); (None, text) when there is none.

    A block that does not hold a YAML mapping (a Markdown horizontal rule, say) is not front
    matter. A block that looks like `key: value` lines but is not valid YAML is an error: silently
    storing it as report text would lose the metadata.
    """
    opening = _OPEN.match(text)
    if not opening:
        return None, text
    closing = _CLOSE.search(text, opening.end())
    if not closing:
        return None, text
    block = text[opening.end():closing.start()]
    try:
        data = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as exc:
        if _KEY_LINE.search(block):
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 2}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "invalid YAML"
            raise IngestError(f"malformed front matter{where}: {problem}") from None
        return None, text
    except ValueError as exc:  # a value YAML types but cannot build, e.g. the date 2023-05-34
        raise IngestError(f"malformed front matter: {str(exc).splitlines()[0][:80]}") from None
    except RecursionError:  # `key: [[[[...]]]]` thousands deep: the YAML composer recurses per level
        raise IngestError("malformed front matter: nested too deeply") from None
    if not isinstance(data, dict):
        return None, text
    return data, text[closing.end():]


def _field(data: dict[str, Any], name: str, limit: int) -> str | None:
    value = data.get(name)
    if value is None or isinstance(value, (dict, list)):
        return None
    text = " ".join(str(value).split())
    return text[:limit] or None


def http_url(value: object, limit: int = 2000) -> str | None:
    """An http(s) URL, else None: a report's URL becomes a link on pages, so a `javascript:` or
    `data:` URL from front matter must never be stored."""
    text = "".join(str(value or "").split())[:limit]
    return text if re.match(r"https?://[^/?#\s]", text, re.IGNORECASE) else None


def normalise_published(value: object) -> str | None:
    """ISO date, possibly partial ('2023', '2023-06', '2023-06-05'); None if it is not one."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    match = _ISO_PREFIX.match(str(value).strip())
    if not match:
        return None
    iso = match.group(0)
    return iso if parse_partial_date(iso) else None


def first_line_title(text: str, *, markdown: bool = False) -> str | None:
    """The first non-empty line, trimmed to TITLE_MAX characters (without a Markdown "# ")."""
    for line in text.splitlines():
        stripped = " ".join(line.split())
        if markdown:
            stripped = re.sub(r"^#{1,6}\s+", "", stripped)
        if stripped:
            return stripped[:TITLE_MAX]
    return None


def parse_text_report(text: str, *, raw: bytes, origin: str,
                      kind: Literal["text", "markdown"] = "text") -> ReportInput:
    """A ReportInput from decoded text. Raises IngestError for empty reports or bad front matter."""
    fields, body = split_front_matter(text)
    body = strip_boilerplate(body)
    if not body.strip():
        raise IngestError("empty report")
    data = fields or {}
    language = normalise_language(data.get("lang") or data.get("language")) or detect_language(body)
    metadata: dict[str, Any] = {"front_matter": fields is not None}
    published_raw = data.get("published")
    published = normalise_published(published_raw)
    if published_raw not in (None, "") and published is None:
        metadata["published_unparsed"] = True
    if _field(data, "url", 2000) and http_url(_field(data, "url", 2000)) is None:
        metadata["url_refused"] = True  # not http(s): kept out of the report's links
    return ReportInput(
        text=body,
        raw=raw,
        kind=kind,
        origin=origin,
        source_id=_field(data, "source_id", 200),
        url=http_url(_field(data, "url", 2000)),
        outlet=_field(data, "outlet", 300),
        title=_field(data, "title", TITLE_MAX) or first_line_title(body, markdown=kind == "markdown"),
        published=published,
        language=language,
        metadata=metadata,
    )
