"""Atheris harness: bytes to text (kolokol.ingest.encoding) and plain-text or Markdown reports with
YAML front matter (kolokol.ingest.text)."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["kolokol"]):
    from kolokol.errors import IngestError
    from kolokol.ingest.encoding import declared_charset, decode_bytes, sniff_binary
    from kolokol.ingest.text import parse_text_report, split_front_matter


def test_one_input(data: bytes) -> None:
    sniff_binary(data)
    try:
        text, _encoding = decode_bytes(data, declared_charset(data))
    except IngestError:
        return
    try:
        split_front_matter(text)
        report = parse_text_report(text, raw=data, origin="fuzz.md", kind="markdown")
    except IngestError:
        return
    assert report.text.strip()
    assert report.url is None or report.url.lower().startswith(("http://", "https://")), report.url


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
