"""RSS and Atom feeds: one report per entry, pages fetched, inline fallback, safety checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from kolokol.ingest import IngestFailure, read_source
from kolokol.ingest.feed import looks_like_feed

from .conftest import FEEDS


def write_feed(tmp_path: Path, name: str, base: str) -> Path:
    path = tmp_path / name
    path.write_text((FEEDS / name).read_text(encoding="utf-8").replace("{base}", base), encoding="utf-8")
    return path


def split(items):
    reports = [i for i in items if not isinstance(i, IngestFailure)]
    failures = [i for i in items if isinstance(i, IngestFailure)]
    return reports, failures


def test_rss_file_entries_fetched_with_fallback_and_failure(tmp_path, http_server, local_settings):
    feed = write_feed(tmp_path, "news.rss", http_server.base)
    reports, failures = split(list(read_source(str(feed), local_settings)))
    assert len(reports) == 3 and len(failures) == 1
    blogger, musician, inline = reports
    # Entry 1: the page itself was fetched and extracted (text longer than the one-line description).
    assert blogger.kind == "feed-entry" and blogger.metadata["content"] == "page"
    assert blogger.origin == http_server.url("/pages/steppe-ledger-en.html")
    assert "questioned him about an extradition request" in blogger.text
    assert blogger.url == "https://steppeledger.example/2024/02/exiled-blogger-questioned-almaty"
    assert blogger.published == "2024-02-14" and blogger.outlet == "The Steppe Ledger"
    assert blogger.metadata["feed"] == str(feed)
    assert musician.language == "ru" and "Тарханова" in musician.text
    # Entry 3: the link is gone (404) but the entry carries the story itself.
    assert inline.metadata["content"] == "feed-entry"
    assert inline.metadata["page_error"] == "cannot fetch URL: HTTP 404 Not Found"
    assert inline.text.startswith("Police officers visited the parents of a student")
    assert "\n" in inline.text  # one line per paragraph of the entry's HTML
    assert inline.title == "Student's family visited by police after campus protest"
    assert inline.outlet == "Regional Rights Digest" and inline.published == "2024-04-08"
    # Entry 4: link gone and only a teaser: a failure line for that entry.
    [teaser] = failures
    assert teaser.origin == http_server.url("/gone/teaser.html")
    assert teaser.reason == ("cannot fetch URL: HTTP 404 Not Found; "
                             "the feed entry has no substantial text of its own")


def test_atom_file(tmp_path, http_server, local_settings):
    feed = write_feed(tmp_path, "news.atom", http_server.base)
    reports, failures = split(list(read_source(str(feed), local_settings)))
    assert failures == [] and len(reports) == 2
    page, inline = reports
    assert page.outlet == "Border Monitor" and page.published == "2022-11-03"
    assert "nine of them have received phone calls" in page.text
    assert inline.metadata["content"] == "feed-entry"
    assert inline.text.startswith("Investigators summoned the elderly parents")
    assert inline.published == "2022-11-05"


def test_feed_detected_by_content_whatever_the_name(tmp_path, http_server, local_settings):
    feed = write_feed(tmp_path, "news.atom", http_server.base)
    renamed = feed.rename(tmp_path / "export.txt")
    reports, failures = split(list(read_source(str(renamed), local_settings)))
    assert len(reports) == 2 and not failures


def test_feed_url(http_server, local_settings):
    reports, failures = split(list(read_source(http_server.url("/feeds/news.rss"), local_settings)))
    assert len(reports) == 3 and len(failures) == 1


def test_entry_links_follow_the_same_rules(tmp_path, http_server, settings):
    # Default settings refuse loopback: every entry falls back to its own text or fails.
    feed = write_feed(tmp_path, "news.rss", http_server.base)
    reports, failures = split(list(read_source(str(feed), settings)))
    assert [r.metadata["content"] for r in reports] == ["feed-entry"]
    assert len(failures) == 3
    assert all("refused private or local address" in f.reason for f in failures)


def test_entity_declarations_refused(tmp_path, settings):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
            '<rss version="2.0"><channel><title>&b;</title><item><title>x</title></item></channel></rss>')
    (tmp_path / "bomb.rss").write_text(bomb)
    [failure] = list(read_source(str(tmp_path / "bomb.rss"), settings))
    assert isinstance(failure, IngestFailure)
    assert failure.reason == "feed declares XML entities (refused for safety)"


def test_external_entity_refused(tmp_path, settings):
    xxe = ('<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
           '<feed xmlns="http://www.w3.org/2005/Atom"><title>&x;</title></feed>')
    (tmp_path / "xxe.atom").write_text(xxe)
    [failure] = list(read_source(str(tmp_path / "xxe.atom"), settings))
    assert isinstance(failure, IngestFailure) and "refused for safety" in failure.reason


@pytest.mark.parametrize(("content", "reason"), [
    ('<?xml version="1.0"?><rss version="2.0"><channel><title>Broken', "malformed feed: "),
    ('<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title></channel></rss>',
     "feed has no entries"),
    ('<?xml version="1.0"?><catalog><book>Not a feed</book></catalog>',
     "malformed feed: no RSS or Atom root element"),
])
def test_malformed_or_empty_feeds(tmp_path, settings, content, reason):
    (tmp_path / "f.xml").write_text(content)
    [failure] = list(read_source(str(tmp_path / "f.xml"), settings))
    assert isinstance(failure, IngestFailure)
    assert failure.reason.startswith(reason) and "\n" not in failure.reason


def test_slightly_broken_feed_still_read(tmp_path, settings):
    # An unescaped ampersand makes the XML invalid; feedparser's lenient parser recovers the entry.
    text = " ".join(["Officers questioned the exiled editor's relatives & neighbours for hours."] * 6)
    content = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>T & Co</title>'
               f'<item><title>Entry</title><description>{text}</description></item></channel></rss>')
    (tmp_path / "f.rss").write_text(content)
    [item] = list(read_source(str(tmp_path / "f.rss"), settings))
    assert not isinstance(item, IngestFailure), item
    assert item.origin == f"{tmp_path / 'f.rss'}#entry-1"


def test_looks_like_feed():
    assert looks_like_feed(b'<?xml version="1.0"?>\n<rss version="2.0">')
    assert looks_like_feed(b"\xef\xbb\xbf<feed xmlns='http://www.w3.org/2005/Atom'>")
    assert looks_like_feed('<rss version="2.0">'.encode("utf-16"))
    assert not looks_like_feed(b"A report about <rss> feeds.")
    assert not looks_like_feed(b"<html><body><feed></feed></body></html>")
