"""Hostile input to the ingestion parsers (text with front matter, HTML, feeds, encodings, raw bytes)
and to extraction: Hypothesis-generated documents (deep nesting, huge attributes, entity bombs, YAML
alias bombs, lying charsets, control and bidi characters, binary junk) never crash a parser, never
escape as an unexpected exception, and never hang.

The properties (tests/security/hostile_inputs.py) run in a child process with a time limit: a hang
in C code (lxml, a regular expression) cannot be interrupted from Python, but a child can be killed,
and the input it was working on is then reported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# (examples, seconds): generous limits, the machine running the suite may be busy; a hang still fails.
LIMITS = {"sources": (40, 300), "parsers": (50, 300), "extraction": (40, 300)}


@pytest.mark.parametrize("which", sorted(LIMITS))
def test_hostile_documents_never_crash_or_hang(which: str, tmp_path: Path) -> None:
    examples, seconds = LIMITS[which]
    last = tmp_path / "last-input"
    env = {**os.environ, "KOLOKOL_FUZZ_LAST": str(last), "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run([sys.executable, "-m", "tests.security.hostile_inputs", str(examples), which],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        culprit = last.read_bytes()[:2000] if last.exists() else b"(none recorded)"
        pytest.fail(f"{which}: no answer within {seconds} s (a hang?); last input: {culprit!r}")
    assert done.returncode == 0, f"{which} failed:\n{done.stdout[-4000:]}\n{done.stderr[-6000:]}"


# Inputs the fuzzers found, kept as regression tests.

def _read(tmp_path: Path, name: str, data: bytes) -> list:
    from kolokol.config import Settings
    from kolokol.ingest import read_source

    path = tmp_path / name
    path.write_bytes(data)
    return list(read_source(str(path), Settings()))


def test_feed_with_an_undecodable_encoding_declaration(tmp_path: Path) -> None:
    """feedparser raised UnicodeDecodeError on it (Atheris, fuzz_feed.py)."""
    from kolokol.ingest import IngestFailure

    data = b'<?xml version="1.0" encoding="' + b"\xcc" * 20 + b'UTF-8"?>\n<rss version="2.0"><channel><item>' \
        b"<title>x</title><description>police detained a journalist</description></item></channel></rss>"
    [item] = _read(tmp_path, "feed.xml", data)
    assert isinstance(item, IngestFailure) and item.reason.startswith("malformed feed"), item


def test_feed_entry_whose_summary_is_a_bare_html_tag(tmp_path: Path) -> None:
    """lxml asserted on the fragment "<html>" and the whole feed was lost (Hypothesis, hostile_inputs.py)."""
    from kolokol.ingest import IngestFailure
    from kolokol.ingest.html import html_fragment_to_text

    assert html_fragment_to_text("<html>") == ""
    body = " ".join(["Police in Almaty detained an exiled journalist and questioned him for hours."] * 5)
    data = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
            f"<item><title>a</title><description>&lt;html&gt;</description></item>"
            f"<item><title>b</title><description>{body}</description></item></channel></rss>").encode()
    items = _read(tmp_path, "feed.rss", data)
    assert len(items) == 2 and isinstance(items[0], IngestFailure) and not isinstance(items[1], IngestFailure)
    assert not items[0].reason.startswith("internal error")


def test_feed_fragment_with_control_characters() -> None:
    """lxml refused to set a text holding a control character it had parsed (Atheris, fuzz_html.py)."""
    from kolokol.ingest.html import html_fragment_to_text

    assert html_fragment_to_text("<p>police\x15 detained\x00</p><div>him\x1d</div>") == "police detained\nhim"
