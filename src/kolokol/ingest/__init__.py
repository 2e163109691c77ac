"""Ingestion: files, directories, URLs and feeds -> clean reports in the database.

    summary = ingest_sources(db, ["reports/", "https://example.org/feed.xml"], settings)
    render_summary(summary, console)
    raise SystemExit(summary.exit_code)

Each report is stored in its own transaction (with whatever `after_store` adds), exact duplicates
are skipped and syndicated copies are linked to their original. Nothing here logs or prints
report text or names: failures mention the origin (path or URL) and a one-line reason only.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from kolokol.ingest.model import IngestFailure, IngestSummary
from kolokol.ingest.runner import AfterStore, ingest_sources, read_source

__all__ = ["AfterStore", "IngestFailure", "IngestSummary", "ingest_sources", "read_source", "render_summary"]


def _printable(origin: str) -> str:
    """A file name may hold line breaks or terminal escapes: show them escaped, on one line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in origin)


def render_summary(summary: IngestSummary, console: Console) -> None:
    """Counts of new / duplicate / copy-of / failed, then one line per copy and per failure."""
    counts = Text.assemble(
        (f"new: {len(summary.new)}", "green"), ", ",
        (f"duplicate: {len(summary.duplicates)}", "yellow"), ", ",
        (f"copy-of: {len(summary.copies)}", "cyan"), ", ",
        (f"failed: {len(summary.failed)}", "red" if summary.failed else ""),
    )
    console.print(counts, highlight=False)
    for origin, report_id, original_id, similarity in summary.copies:
        # Text objects: an origin like "a[b]" must not be read as console markup.
        line = (f"copy: {_printable(origin)} -> report {original_id} "
                f"(similarity {similarity:.2f}; stored as {report_id})")
        console.print(Text(line), highlight=False)
    for origin, reason in summary.failed:
        console.print(Text(f"failed: {_printable(origin)}: {reason}"), highlight=False)
