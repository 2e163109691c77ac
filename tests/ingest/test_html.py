"""Saved news pages: clean main text, title, date, outlet, URL; boilerplate gone."""

from __future__ import annotations

import pytest
import trafilatura

from kolokol.config import Settings
from kolokol.errors import IngestError
from kolokol.ingest import IngestFailure, read_source
from kolokol.ingest.html import html_fragment_to_text, looks_like_html, parse_html_report

from .conftest import PAGES

BOILERPLATE = [
    "Accessibility links", "Skip to content", "We use cookies", "Accept all cookies", "Share this article",
    "Share on Facebook", "Subscribe to our newsletter", "Sign up for our newsletter", "Read more:",
    "Related articles", "Start the conversation", "Comment policy", "About the author",
    "correspondent covering courts", "All rights reserved", "Human Rights\n", "Privacy policy", "Donate",
    "Перейти к содержанию", "Мы используем файлы cookie", "Поделиться", "Подпишитесь на нашу рассылку",
    "Подписывайтесь на наш Telegram-канал", "Читайте также", "Правила комментирования", "Популярное",
    "Курс доллара", "Все права защищены", "Просмотров", "Contributors, sign in", "More stories",
    "Please read our comment policy", "Newsletter: sign up", "Independent reporting on borders",
]

EXPECTED = {
    "steppe-ledger-en.html": {
        "title": "Exiled blogger questioned for six hours in Almaty after extradition request",
        "outlet": "The Steppe Ledger", "published": "2024-02-14", "language": "en",
        "url": "https://steppeledger.example/2024/02/exiled-blogger-questioned-almaty",
        "first": "Police in Almaty held a video blogger from a neighbouring country for six hours on Monday",
        "last": "asked the UN refugee agency for help.", "paragraphs": 7,
    },
    "tyan-shan-ru.html": {
        "title": "В Бишкеке задержали российского музыканта, выступавшего против войны",
        "outlet": "Вечерний Тянь-Шань", "published": "2023-09-21", "language": "ru",
        "url": "https://vts.example/news/2023/09/muzykant-zaderzhan",
        "first": "Сотрудники ГКНБ в среду вечером задержали в Бишкеке российского музыканта",
        "last": "В ГКНБ на запрос редакции не ответили.", "paragraphs": 6,
    },
    "border-monitor-en.html": {
        "title": "Activists abroad report calls from security officers back home",
        "outlet": "Border Monitor", "published": "2022-11-03", "language": "en",
        "url": "https://bordermonitor.example/stories/activists-abroad-calls",
        "first": "Members of a diaspora association in Istanbul say that at least nine of them",
        "last": "rarely reported to the host country's authorities.", "paragraphs": 6,
    },
}


def read_page(name: str):
    data = (PAGES / name).read_bytes()
    return parse_html_report(data.decode("utf-8"), raw=data, origin=name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_metadata(name):
    report, expected = read_page(name), EXPECTED[name]
    assert report.title == expected["title"]
    assert report.outlet == expected["outlet"]
    assert report.published == expected["published"]
    assert report.language == expected["language"]
    assert report.url == expected["url"]
    assert report.kind == "html"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_clean_text(name):
    report, expected = read_page(name), EXPECTED[name]
    assert expected["first"] in report.text
    assert report.text.rstrip().endswith(expected["last"])
    body = [line for line in report.text.splitlines() if len(line) > 80]
    assert len(body) == expected["paragraphs"]
    for phrase in BOILERPLATE:
        assert phrase not in report.text, f"{name}: boilerplate {phrase!r} left in the text"


def test_post_filter_is_what_removes_in_body_boilerplate():
    # trafilatura alone keeps prompts placed inside the article body; the lexicon removes them.
    html = (PAGES / "steppe-ledger-en.html").read_text(encoding="utf-8")
    raw = trafilatura.extract(html, include_comments=False, favor_precision=True) or ""
    assert "Sign up for our newsletter" in raw and "Read more:" in raw
    assert "Sign up for our newsletter" not in read_page("steppe-ledger-en.html").text


def test_byline_date_not_taken_from_body():
    # The body mentions other dates ("since 2022"); the structured date wins.
    assert read_page("steppe-ledger-en.html").published == "2024-02-14"


def test_page_without_main_text_is_an_empty_report():
    html = "<html><head><title>Nothing</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
    with pytest.raises(IngestError, match="empty report"):
        parse_html_report(html, raw=html.encode(), origin="x.html")


@pytest.mark.parametrize("html", ["<<<>>>", "", "plain words, no tags at all"])
def test_malformed_html(html):
    with pytest.raises(IngestError, match=r"malformed HTML|empty report"):
        parse_html_report(html, raw=html.encode(), origin="x.html")


def test_malformed_html_file_fails_in_one_line(tmp_path):
    (tmp_path / "broken.html").write_bytes(b"<<<<>>>> <!-- <")
    items = list(read_source(str(tmp_path / "broken.html"), Settings()))
    assert len(items) == 1 and isinstance(items[0], IngestFailure)
    assert items[0].reason == "malformed HTML: no document could be parsed"


def test_html_detected_by_content_in_a_txt_file(tmp_path):
    (tmp_path / "saved.txt").write_bytes((PAGES / "border-monitor-en.html").read_bytes())
    [item] = list(read_source(str(tmp_path / "saved.txt"), Settings()))
    assert not isinstance(item, IngestFailure)
    assert item.kind == "html" and item.outlet == "Border Monitor"


def test_cp1251_page_with_meta_charset(tmp_path):
    html = (PAGES / "tyan-shan-ru.html").read_text(encoding="utf-8")
    html = html.replace("charset=utf-8", "charset=windows-1251")
    (tmp_path / "ru.htm").write_bytes(html.encode("cp1251"))
    [item] = list(read_source(str(tmp_path / "ru.htm"), Settings()))
    assert not isinstance(item, IngestFailure)
    assert item.title == EXPECTED["tyan-shan-ru.html"]["title"]
    assert item.metadata["encoding"] == "cp1251"


def test_looks_like_html():
    assert looks_like_html("<!DOCTYPE html><html>")
    assert looks_like_html("\n  <!-- saved --><html lang='en'>")
    assert not looks_like_html("A report that mentions <html> tags.")


def test_fragment_to_text_keeps_blocks_apart():
    assert html_fragment_to_text("<p>One <b>two</b></p><p>Three</p><script>x()</script>") == "One two\nThree"
