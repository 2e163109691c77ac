"""Reading sources (files, directories, URLs, feeds) and storing them, one transaction per report."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from kolokol.config import Settings
from kolokol.domain import ReportInput
from kolokol.errors import IngestError, KolokolError
from kolokol.ingest.encoding import declared_charset, decode_bytes, sniff_binary
from kolokol.ingest.feed import looks_like_feed, read_feed
from kolokol.ingest.html import looks_like_html, parse_html_report
from kolokol.ingest.model import IngestFailure, IngestSummary, one_line
from kolokol.ingest.text import parse_text_report
from kolokol.ingest.url import fetch_url, human_size, is_http_url
from kolokol.store import reports as report_store  # module import: store.reports imports ingest.dedupe
from kolokol.store.db import Database
from kolokol.store.models import Report

AfterStore = Callable[[Session, Report], None]
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
# Files that sit beside reports in a folder but are data, not reports (gold annotations, exports,
# configuration): skipped when walking a folder, read only when named explicitly.
DATA_SUFFIXES = frozenset({".jsonl", ".json", ".csv", ".tsv", ".yaml", ".yml", ".toml", ".py", ".db",
                           ".sqlite", ".sqlite3", ".db-wal", ".db-shm", ".log"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                        "application/xml", "text/xml", "application/feed+json"})
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown", ""})


# ---------------------------------------------------------------------------- reading (no DB)


def iter_directory(path: Path, errors: list[OSError] | None = None) -> Iterator[Path]:
    """Every non-hidden report file under `path`, recursively, in sorted order (hidden folders and
    data files such as gold.jsonl skipped). Folders that cannot be listed are appended to `errors`
    instead of being skipped silently."""
    found: list[Path] = []
    for root, dirs, files in os.walk(path, onerror=errors.append if errors is not None else None):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in files
                     if not f.startswith(".") and Path(f).suffix.lower() not in DATA_SUFFIXES)
    yield from sorted(found, key=lambda p: p.relative_to(path).parts)


def read_source(source: str, settings: Settings) -> Iterator[ReportInput | IngestFailure]:
    """Yield a ReportInput or an IngestFailure for every report `source` holds.

    `source` is a file, a directory (read recursively) or an http(s) URL; feeds yield one item per
    entry. Never raises for a bad input: every problem becomes a one-line IngestFailure.
    """
    if not source.strip():  # Path("") is the current directory: never read that by accident
        yield IngestFailure(source, "empty source name")
        return
    if is_http_url(source):
        yield from _guard(source, lambda: _read_url(source, settings))
        return
    if "://" in source[:12]:
        scheme = source.split("://", 1)[0]
        yield IngestFailure(source, f"unsupported URL scheme {scheme!r} (use http or https)")
        return
    path = Path(source).expanduser()
    try:
        is_dir = path.is_dir()
    except (OSError, ValueError) as exc:
        yield IngestFailure(source, f"cannot read: {getattr(exc, 'strerror', None) or type(exc).__name__}")
        return
    if is_dir:
        errors: list[OSError] = []
        for file in iter_directory(path, errors):
            yield from _guard(str(file), lambda file=file: _read_file(file, settings))
        yield from _walk_failures(errors, source)
        return
    yield from _guard(source, lambda: _read_file(path, settings))


def _walk_failures(errors: list[OSError], source: str) -> Iterator[IngestFailure]:
    for error in errors:
        reason = (error.strerror or type(error).__name__).lower()
        yield IngestFailure(str(error.filename or source), f"cannot read folder: {reason}")


def _guard(origin: str, produce: Callable[[], Iterator[ReportInput | IngestFailure]]
           ) -> Iterator[ReportInput | IngestFailure]:
    """Turn errors into failures so one bad input never stops a batch."""
    try:
        yield from produce()
    except IngestError as exc:
        yield IngestFailure(origin, exc.message)
    except RecursionError:
        yield IngestFailure(origin, "malformed document (nested too deeply)")
    except MemoryError:
        yield IngestFailure(origin, "out of memory while reading")
    except Exception as exc:  # a bug or a library's surprise: report it in one line, keep going
        yield IngestFailure(origin, f"internal error while reading ({type(exc).__name__})")


def _read_file(path: Path, settings: Settings) -> Iterator[ReportInput | IngestFailure]:
    origin = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise IngestError("no such file or directory") from None
    except OSError as exc:
        raise IngestError(f"cannot read file: {(exc.strerror or type(exc).__name__).lower()}") from None
    if not stat.S_ISREG(info.st_mode):
        raise IngestError("not a regular file")
    if info.st_size > settings.max_file_bytes:
        raise IngestError(f"file too large ({human_size(info.st_size)} > "
                          f"{human_size(settings.max_file_bytes)} limit)")
    try:
        with path.open("rb") as handle:
            data = handle.read(settings.max_file_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise IngestError(f"cannot read file: {(exc.strerror or type(exc).__name__).lower()}") from None
    if len(data) > settings.max_file_bytes:
        raise IngestError(f"file too large (more than {human_size(settings.max_file_bytes)})")
    suffix = path.suffix.lower()
    hint: Literal["html", "feed", "markdown", "text"] = (
        "html" if suffix in HTML_SUFFIXES else "feed" if suffix in FEED_SUFFIXES
        else "markdown" if suffix in MARKDOWN_SUFFIXES else "text")
    yield from _read_document(data, origin=origin, hint=hint, settings=settings)


def _read_document(data: bytes, *, origin: str, hint: Literal["html", "feed", "markdown", "text"],
                   settings: Settings, url: str | None = None, charset: str | None = None,
                   from_url: bool = False, allow_feed: bool = True) -> Iterator[ReportInput | IngestFailure]:
    """Dispatch bytes to the right reader: the content decides first, the name or type second."""
    kind = sniff_binary(data)
    if kind:
        raise IngestError(f"binary file ({kind})")
    if not data.strip():
        raise IngestError("empty report")
    if looks_like_feed(data) or (hint == "feed" and not looks_like_html(data[:4096].decode("latin-1"))):
        if not allow_feed:
            raise IngestError("the link points to a feed, not a page")
        if not looks_like_feed(data):
            raise IngestError("malformed feed: no RSS or Atom root element")
        yield from read_feed(data, origin=origin, base_url=url,
                             load_page=lambda link: _load_page(link, settings))
        return
    text, encoding = decode_bytes(data, charset or declared_charset(data))
    if hint == "html" or (hint != "markdown" and looks_like_html(text)):
        report = parse_html_report(text, raw=data, origin=origin, url=url,
                                   kind="url" if from_url else "html")
    else:
        report = parse_text_report(text, raw=data, origin=origin,
                                   kind="markdown" if hint == "markdown" else "text")
        if from_url:
            report.kind = "url"
            report.url = report.url or url
    report.metadata["encoding"] = encoding
    yield report


def _hint_for(media_type: str) -> Literal["html", "feed", "markdown", "text"] | None:
    if media_type in HTML_TYPES:
        return "html"
    if media_type in FEED_TYPES or media_type.endswith(("+xml", "/xml")):
        return "feed"
    if media_type in {"text/markdown", "text/x-markdown"}:
        return "markdown"
    if media_type in TEXT_TYPES:
        return "text"
    return None


def _fetch_document(url: str, settings: Settings, *,
                    allow_feed: bool) -> Iterator[ReportInput | IngestFailure]:
    resource = fetch_url(url, settings)
    hint = _hint_for(resource.content_type)
    if hint is None:
        # Servers mislabel pages; trust the bytes when they clearly are a page or a feed.
        head = resource.data[:4096]
        if not (looks_like_feed(head) or looks_like_html(head.decode("latin-1"))):
            kind = sniff_binary(resource.data)
            raise IngestError(f"binary file ({kind})" if kind else
                              f"unsupported content type {resource.content_type}")
        hint = "text"
    yield from _read_document(resource.data, origin=url, hint=hint, settings=settings, url=resource.url,
                              charset=resource.charset, from_url=True, allow_feed=allow_feed)


def _read_url(url: str, settings: Settings) -> Iterator[ReportInput | IngestFailure]:
    yield from _fetch_document(url, settings, allow_feed=True)


def _load_page(link: str, settings: Settings) -> ReportInput:
    """A feed entry's page (never another feed: no recursion through feeds)."""
    for item in _fetch_document(link, settings, allow_feed=False):
        if isinstance(item, IngestFailure):
            raise IngestError(item.reason)
        return item
    raise IngestError("empty report")


# ---------------------------------------------------------------------------- storing


def _expand(sources: Sequence[str], summary: IngestSummary) -> list[str]:
    """Directories become their files, so progress can count units of work."""
    units: list[str] = []
    for source in sources:
        try:
            is_dir = bool(source.strip()) and not is_http_url(source) and Path(source).expanduser().is_dir()
        except (OSError, ValueError):
            is_dir = False  # read_source reports the problem
        if is_dir:
            errors: list[OSError] = []
            units.extend(str(p) for p in iter_directory(Path(source).expanduser(), errors))
            summary.failed.extend((f.origin, f.reason) for f in _walk_failures(errors, source))
        else:
            units.append(source)
    return units


def _store(db: Database, item: ReportInput, settings: Settings, summary: IngestSummary,
           after_store: AfterStore | None) -> None:
    """Save one report in its own transaction: report row, bands and after_store rows together."""
    try:
        with db.session() as session:
            result = report_store.save_report(session, item, settings=settings)
            if result.stored and after_store is not None:
                after_store(session, result.report)
            report_id = result.report.id
    except IntegrityError:
        # Another writer stored the same text between our lookup and insert: it is a duplicate.
        with db.session() as session:
            existing = report_store.find_by_hash(session, report_store.content_hash(item.text))
        if existing is None:
            summary.failed.append((item.origin, "database refused the report (integrity error)"))
        else:
            summary.duplicates.append((item.origin, existing.id))
        return
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
        summary.failed.append((item.origin, one_line(f"database error: {reason}")))
        return
    except KolokolError as exc:
        summary.failed.append((item.origin, one_line(f"processing failed: {exc.message}")))
        return
    except Exception as exc:  # after_store is someone else's code: keep the batch going
        summary.failed.append((item.origin, f"processing failed ({type(exc).__name__})"))
        return
    if result.status == "duplicate":
        summary.duplicates.append((item.origin, report_id))
    elif result.status == "copy":
        assert result.original_id is not None and result.similarity is not None
        summary.copies.append((item.origin, report_id, result.original_id, result.similarity))
    else:
        summary.new.append((item.origin, report_id))


def ingest_sources(db: Database, sources: Sequence[str], settings: Settings, *,
                   after_store: AfterStore | None = None, progress: bool = True,
                   console: Console | None = None) -> IngestSummary:
    """Read every source and store each report in its own transaction; never stops on a bad input.

    `after_store(session, report)` runs in the same transaction right after a new report or copy is
    inserted (extraction stores its mentions there), so both commit together or not at all.
    """
    summary = IngestSummary()
    units = _expand(sources, summary)
    console = console or Console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True, disable=not progress) as bar:
        task = bar.add_task("Ingesting", total=len(units))
        for unit in units:
            for item in read_source(unit, settings):
                if isinstance(item, IngestFailure):
                    summary.failed.append((item.origin, item.reason))
                else:
                    _store(db, item, settings, summary, after_store)
                # Counts only: origins and titles may name people at risk.
                bar.update(task, description=f"Ingesting: {len(summary.new)} new, "
                                             f"{len(summary.duplicates)} duplicate, "
                                             f"{len(summary.copies)} copies, {len(summary.failed)} failed")
            bar.advance(task)
    return summary
