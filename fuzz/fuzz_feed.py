"""Atheris harness: RSS, Atom and RDF feeds (kolokol.ingest.feed). Entry pages are never fetched:
the page loader refuses, so each entry falls back to its own text, as when a page is gone."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["kolokol"]):
    from kolokol.domain import ReportInput
    from kolokol.errors import IngestError
    from kolokol.ingest.feed import looks_like_feed, read_feed
    from kolokol.ingest.model import IngestFailure

from _common import no_network


def refuse_page(link: str) -> ReportInput:
    raise IngestError("pages are not fetched while fuzzing")


def test_one_input(data: bytes) -> None:
    looks_like_feed(data)
    try:
        for item in read_feed(data, origin="fuzz.xml", base_url="https://example.org/", load_page=refuse_page):
            assert isinstance(item, (ReportInput, IngestFailure)), item
            if isinstance(item, IngestFailure):
                assert "\n" not in item.reason
            else:
                assert item.url is None or item.url.lower().startswith(("http://", "https://")), item.url
    except IngestError:
        return


def main() -> None:
    no_network()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
