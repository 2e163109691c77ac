"""Property: read_source on arbitrary bytes never raises; it yields only inputs or one-line failures."""

from __future__ import annotations

import dataclasses
import socket
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kolokol.config import Settings
from kolokol.domain import ReportInput
from kolokol.ingest import IngestFailure, read_source

SETTINGS = dataclasses.replace(Settings(), max_file_bytes=64 * 1024)
SUFFIXES = ["", ".txt", ".md", ".html", ".htm", ".xml", ".rss", ".atom", ".pdf"]
PREFIXES = [b"", b"---\n", b"---\ntitle: x\n---\n", b"\xef\xbb\xbf", b"\xff\xfe",
            b"<!DOCTYPE html><html><body><p>",
            b'<?xml version="1.0"?><rss version="2.0"><channel><item><description>',
            b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><content type='html'>", b"%PDF-", b"\x1f\x8b"]

texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=400)
payloads = st.one_of(
    st.binary(max_size=2048),
    st.tuples(st.sampled_from(PREFIXES), st.binary(max_size=1024)).map(lambda t: t[0] + t[1]),
    st.tuples(st.sampled_from(PREFIXES), texts, st.sampled_from(["utf-8", "utf-16", "cp1251", "latin-1"]))
    .map(lambda t: t[0] + t[1].encode(t[2], errors="replace")),
)


def no_network(*args, **kwargs):
    raise socket.gaierror(-2, "network disabled in property tests")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=payloads, suffix=st.sampled_from(SUFFIXES))
def test_read_source_never_raises(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder, mock.patch("socket.getaddrinfo", no_network):
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        items = list(read_source(str(path), SETTINGS))
    assert items, "every input yields at least one item"
    for item in items:
        assert isinstance(item, (ReportInput, IngestFailure))
        if isinstance(item, IngestFailure):
            assert item.reason and "\n" not in item.reason and len(item.reason) <= 300
            assert not item.reason.startswith("internal error"), item.reason
        else:
            assert item.text.strip() and item.raw
