"""Plain-text and Markdown reports with and without YAML front matter."""

from __future__ import annotations

import pytest

from kolokol.config import Settings
from kolokol.errors import IngestError
from kolokol.ingest import IngestFailure, read_source
from kolokol.ingest.text import normalise_published, parse_text_report, split_front_matter

from .conftest import REPORTS


def parse(text: str, kind: str = "text"):
    return parse_text_report(text, raw=text.encode(), origin="mem.txt", kind=kind)  # type: ignore[arg-type]


def test_front_matter_fields_and_body_kept_exactly():
    text = ('---\nsource_id: "x1"\nurl: "https://a.example/s"\noutlet: "Outlet"\ntitle: "A title"\n'
            'published: "2023-06"\nlang: "RU"\n---\nFirst line\n\n  indented  text\twith tabs\n')
    report = parse(text)
    assert report.text == "First line\n\n  indented  text\twith tabs\n"
    assert (report.source_id, report.url, report.outlet, report.title) == ("x1", "https://a.example/s",
                                                                            "Outlet", "A title")
    assert report.published == "2023-06"
    assert report.language == "ru"  # the declared language wins over detection
    assert report.raw == text.encode()


def test_without_front_matter_title_is_first_non_empty_line():
    report = parse("\n\n   Police detain   exiled journalist  \nBody text follows here.\n")
    assert report.title == "Police detain exiled journalist"
    assert (report.source_id, report.url, report.outlet, report.published) == (None, None, None, None)
    assert report.text.startswith("\n\n   Police detain")


def test_title_is_capped_at_300_characters():
    report = parse("word " * 200)
    assert report.title is not None and len(report.title) == 300


def test_empty_strings_in_front_matter_become_none_and_title_falls_back():
    report = parse('---\nurl: ""\ntitle: ""\n---\nHeadline here\nText.\n')
    assert report.url is None
    assert report.title == "Headline here"


def test_unquoted_yaml_date_and_datetime():
    assert parse("---\npublished: 2023-05-17\n---\nText\n").published == "2023-05-17"
    assert normalise_published("2023-03-30T10:00:00Z") == "2023-03-30"
    assert normalise_published("2023") == "2023"
    assert normalise_published("2023-13") is None
    assert normalise_published("March 2023") is None


def test_markdown_rule_is_not_front_matter():
    text = "---\nJust a rule, then prose.\n---\nMore prose.\n"
    fields, body = split_front_matter(text)
    assert fields is None and body == text


def test_malformed_front_matter_is_a_clear_failure():
    with pytest.raises(IngestError, match="malformed front matter"):
        parse('---\ntitle: "unclosed\nurl: x\n---\nText\n')


def test_whole_boilerplate_lines_dropped_other_lines_verbatim():
    text = ("Headline\nSkip to content\nPolice said they would share this article with prosecutors.\n"
            "Share this article\n  Start the conversation  \nRead more: another story\n")
    report = parse(text)
    assert report.text == ("Headline\nPolice said they would share this article with prosecutors.\n"
                           "Read more: another story\n")  # "Read more" lines go only from HTML


@pytest.mark.parametrize("text", ["", "   \n\t\n", "---\ntitle: x\n---\n\n  \n", "Skip to content\n"])
def test_empty_reports_fail(text):
    with pytest.raises(IngestError, match="empty report"):
        parse(text)


def test_language_detected_when_not_declared():
    assert parse("Сотрудники полиции задержали журналиста в Бишкеке и допросили его.").language == "ru"
    assert parse("Police detained a journalist in Bishkek and questioned him for hours.").language == "en"


def test_project_reports_read_with_their_metadata():
    items = list(read_source(str(REPORTS), Settings()))
    assert not [i for i in items if isinstance(i, IngestFailure)]
    by_id = {i.source_id: i for i in items}
    assert sorted(by_id) == ["t001", "t002", "t003", "t004", "t005"]
    assert by_id["t003"].title == "Activists abroad report calls from security officers"
    assert "Skip to content" not in by_id["t003"].text and "Share this article" not in by_id["t003"].text
    assert by_id["t003"].published == "2022-11" and by_id["t003"].url is None
    assert by_id["t004"].kind == "markdown" and by_id["t004"].published == "2023-05-17"
    assert by_id["t005"].language == "en" and by_id["t005"].published == "2024"
    assert by_id["t002"].language == "ru"


def test_crlf_front_matter_and_markdown_title():
    text = '---\r\nsource_id: "w1"\r\nlanguage: "kk"\r\n---\r\n# Heading line\r\nBody.\r\n'
    report = parse(text, kind="markdown")
    assert report.source_id == "w1" and report.language == "kk"
    assert report.text == "# Heading line\r\nBody.\r\n"
    assert report.title == "Heading line"


def test_impossible_date_in_front_matter_is_a_clear_failure():
    with pytest.raises(IngestError, match="malformed front matter"):
        parse("---\ntitle: A report\npublished: 2023-05-34\n---\nText\n")


@pytest.mark.parametrize("value", ["[" * 3000 + "]" * 3000, "{a: " * 3000 + "b" + "}" * 3000])
def test_deeply_nested_front_matter_is_a_clear_failure(value):
    """The YAML composer recurses once per level; thousands of levels must not escape as RecursionError."""
    with pytest.raises(IngestError, match="nested too deeply"):
        parse(f"---\ntitle: A report\nkey: {value}\n---\nText\n")


def test_deeply_nested_front_matter_file_fails_alone_in_a_batch(tmp_path):
    (tmp_path / "a-deep.md").write_text("---\nkey: " + "[" * 3000 + "]" * 3000 + "\n---\nPolice detained him.\n")
    (tmp_path / "b-good.md").write_text("---\ntitle: Good\n---\nPolice detained a journalist.\n")
    items = list(read_source(str(tmp_path), Settings()))
    failures = [i for i in items if isinstance(i, IngestFailure)]
    assert [f.reason for f in failures] == ["malformed front matter: nested too deeply"]
    assert [i.title for i in items if not isinstance(i, IngestFailure)] == ["Good"]
