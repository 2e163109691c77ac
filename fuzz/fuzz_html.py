"""Atheris harness: saved or fetched HTML pages (kolokol.ingest.html)."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["kolokol"]):
    from kolokol.errors import IngestError
    from kolokol.ingest.html import html_fragment_to_text, looks_like_html, parse_html_report

from _common import as_text


def test_one_input(data: bytes) -> None:
    text = as_text(data)
    looks_like_html(text)
    html_fragment_to_text(text)
    try:
        report = parse_html_report(text, raw=data, origin="fuzz")
    except IngestError:
        return
    assert report.text.strip()
    assert report.url is None or report.url.lower().startswith(("http://", "https://")), report.url


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
