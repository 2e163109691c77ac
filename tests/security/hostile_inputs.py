"""Hypothesis strategies for hostile ingestion inputs and the checks every parser must pass, shared
by tests/security/test_hostile_parsers.py (run in a child process with a time limit, so that a hang
fails the test instead of stalling the suite).

Run by hand for a longer, random search: python -m tests.security.hostile_inputs 2000
(under CI=true Hypothesis loads its "ci" profile: the same examples on every run, so a CI result
is reproducible; by hand each run explores new inputs.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kolokol.config import Settings
from kolokol.domain import ReportInput
from kolokol.errors import IngestError
from kolokol.ingest import IngestFailure, read_source

SETTINGS = dataclasses.replace(Settings(), max_file_bytes=256 * 1024)
LAST_INPUT = os.environ.get("KOLOKOL_FUZZ_LAST")  # the child writes each input here before parsing it

words = st.sampled_from(["police", "detained", "exile", "Бишкек", "задержали", "журналист", "Rahmonzoda", "&amp;",
                         "&#x41;", "&nbsp;", "<", ">", "\"", "'", "\u200b", "\u202e", "\ufeff", "\x00", "\r", "\t",
                         "ё", "İ", "ß", "\U0001f600", "𝕏", "a" * 300])
texts = st.lists(st.one_of(words, st.text(max_size=40)), max_size=60).map(" ".join)


def _nest(tag: str, depth: int, inner: str) -> str:
    return f"<{tag}>" * depth + inner + f"</{tag}>" * depth


html_docs = st.one_of(
    st.builds(lambda title, body, charset: f'<!DOCTYPE html><html><head><meta charset="{charset}">'
                                           f"<title>{title}</title></head><body><article><p>{body}</p>"
                                           f"</article></body></html>",
              texts, texts, st.sampled_from(["utf-8", "windows-1251", "koi8-r", "x-unknown", "utf-7", "\"><"])),
    st.builds(lambda depth, inner, tag: "<html><body>" + _nest(tag, depth, inner) + "</body></html>",
              st.integers(1, 3000), texts, st.sampled_from(["div", "p", "table", "b", "ul", "span"])),
    st.builds(lambda attr, n: f"<html><body><p {attr}=\"" + "x" * n + '">text</p></body></html>',
              st.sampled_from(["class", "data-x", "style", "href"]), st.integers(0, 200_000)),
    st.builds(lambda body: "<html><head><script>" + body + "</script><style>" + body + "</style></head><body>"
                           + body + "<!-- " + body + "</body></html>", texts),
    st.builds(lambda junk: "<html>" + junk, st.text(alphabet="<>/=\"'!-?[]&;#abcdx \n", max_size=3000)),
)

feed_docs = st.one_of(
    st.builds(lambda title, entries: '<?xml version="1.0"?><rss version="2.0"><channel><title>' + title
                                     + "</title>" + "".join(entries) + "</channel></rss>",
              texts, st.lists(st.builds(lambda t, d, link: f"<item><title>{t}</title><link>{link}</link>"
                                                           f"<description><![CDATA[{d}]]></description></item>",
                                        texts, texts, st.sampled_from(["http://127.0.0.1/x", "javascript:alert(1)",
                                                                       "file:///etc/passwd", "", "//x", "ftp://a"])),
                              max_size=20)),
    st.builds(lambda n: '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + "x" * 50 + '">'
                        + "".join(f'<!ENTITY a{i} "&a{i - 1};&a{i - 1};">' if i else "" for i in range(n))
                        + ']><rss><channel><item><description>&a' + str(max(n - 1, 0)) + ";</description></item>"
                        "</channel></rss>", st.integers(0, 30)),
    st.builds(lambda depth: "<feed xmlns='http://www.w3.org/2005/Atom'>" + _nest("entry", depth, "x") + "</feed>",
              st.integers(1, 5000)),
    st.builds(lambda junk: "<rss>" + junk, st.text(alphabet="<>/=\"'!-?[]&;#abcdx \n", max_size=3000)),
)

front_matter_docs = st.one_of(
    st.builds(lambda keys, body: "---\n" + "".join(f"{k}: {v}\n" for k, v in keys) + "---\n" + body,
              st.lists(st.tuples(st.sampled_from(["source_id", "url", "outlet", "title", "published", "lang", "x"]),
                                 st.one_of(texts.map(repr), st.sampled_from(["[1, [2, [3]]]", "{a: {b: c}}", "&a x",
                                                                              "*a", "!!python/object:os.system",
                                                                              "2024-13-45", "null", "~", "|\n  x"]))),
                       max_size=10), texts),
    st.builds(lambda depth, body: "---\nkey: " + "[" * depth + "]" * depth + "\n---\n" + body,
              st.integers(1, 3000), texts),
    st.builds(lambda n, body: "---\na: &a [x, x, x, x, x, x, x, x, x]\n"
                              + "".join(f"a{i}: &a{i} [*{'a' if i == 0 else f'a{i - 1}'}, "
                                        f"*{'a' if i == 0 else f'a{i - 1}'}]\n" for i in range(n))
                              + "---\n" + body, st.integers(0, 40), texts),
    st.builds(lambda body: "---\n" + body, texts),
)


def encoded(docs: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    return st.tuples(docs, st.sampled_from(["utf-8", "utf-16", "utf-8-sig", "cp1251", "koi8_r", "latin-1"])).map(
        lambda t: t[0].encode(t[1], errors="replace"))


payloads = st.one_of(
    st.tuples(encoded(html_docs), st.sampled_from([".html", ".htm", ".txt", ""])),
    st.tuples(encoded(feed_docs), st.sampled_from([".xml", ".rss", ".atom", ""])),
    st.tuples(encoded(front_matter_docs), st.sampled_from([".md", ".txt", ""])),
    st.tuples(st.binary(max_size=4096), st.sampled_from(["", ".html", ".xml", ".md"])),
    st.tuples(st.binary(max_size=40).map(lambda b: b'<?xml version="1.0" encoding="' + b + b'"?><rss><channel>'
                                           b"<item><description>police detained</description></item></channel></rss>"),
              st.sampled_from([".xml", ".rss"])),
    st.tuples(st.binary(max_size=40).map(lambda b: b'<html><head><meta charset="' + b + b'"></head><body><p>'
                                           + b"Police detained an exiled journalist. " * 5 + b"</p></body></html>"),
              st.sampled_from([".html", ""])),
)


def _no_network(*args: Any, **kwargs: Any) -> Any:
    raise socket.gaierror(-2, "network disabled while fuzzing")


def check_source(data: bytes, suffix: str) -> None:
    """read_source never raises, yields reports or one-line failures, and no failure is a bug."""
    if LAST_INPUT:
        Path(LAST_INPUT).write_bytes(suffix.encode() + b"\n" + data)
    with tempfile.TemporaryDirectory() as folder, mock.patch("socket.getaddrinfo", _no_network):
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        items = list(read_source(str(path), SETTINGS))
    assert items, "every input yields at least one item"
    for item in items:
        assert isinstance(item, (ReportInput, IngestFailure)), item
        if isinstance(item, IngestFailure):
            assert item.reason and "\n" not in item.reason and len(item.reason) <= 300, item.reason
            assert not item.reason.startswith("internal error"), item.reason
        else:
            assert item.text.strip() and item.raw
            assert item.url is None or item.url.lower().startswith(("http://", "https://")), item.url


def check_parsers(text: str) -> None:
    """Each parser on its own, on any text: a result or an IngestError, nothing else."""
    from kolokol.ingest.feed import check_feed_xml, looks_like_feed
    from kolokol.ingest.html import html_fragment_to_text, looks_like_html, parse_html_report
    from kolokol.ingest.text import parse_text_report, split_front_matter

    if LAST_INPUT:
        Path(LAST_INPUT).write_bytes(b"parsers\n" + text.encode("utf-8", "surrogatepass"))
    data = text.encode("utf-8", "replace")
    for call in (lambda: split_front_matter(text), lambda: parse_text_report(text, raw=data, origin="x"),
                 lambda: parse_html_report(text, raw=data, origin="x"), lambda: html_fragment_to_text(text),
                 lambda: check_feed_xml(data), lambda: looks_like_feed(data), lambda: looks_like_html(text)):
        with contextlib.suppress(IngestError):
            call()


def check_extraction(text: str) -> None:
    """The rules engine on hostile report text (ingest extracts every new report)."""
    from kolokol.extract.store import default_engine

    if LAST_INPUT:
        Path(LAST_INPUT).write_bytes(b"extract\n" + text.encode("utf-8", "surrogatepass"))
    report = ReportInput(text=text, raw=text.encode("utf-8", "replace"), kind="text", origin="fuzz",
                         published="2024-03-12", language="ru" if any("а" <= c <= "я" for c in text) else "en")
    for mention in default_engine().extract(report):
        assert mention.types


def run(examples: int, which: str = "all") -> None:
    """Run the properties (`which`: sources, parsers, extraction or all) for `examples` each."""
    common = settings(max_examples=examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
    tests: dict[str, Callable[[], None]] = {
        "sources": common(given(payloads)(lambda p: check_source(*p))),
        "parsers": common(given(st.one_of(html_docs, feed_docs, front_matter_docs, texts))(check_parsers)),
        "extraction": settings(common, max_examples=max(1, examples // 4))(given(
            st.one_of(texts, front_matter_docs, st.builds(lambda t: ("Article " * 200 + t + " police " * 300), texts),
                      st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюя .,-«»0123456789", max_size=3000))
        )(check_extraction)),
    }
    for name, test in tests.items():
        if which in ("all", name):
            test()


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 200, sys.argv[2] if len(sys.argv) > 2 else "all")
