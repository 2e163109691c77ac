"""The boilerplate lexicon is data: it loads, compiles, and does what its examples say."""

from __future__ import annotations

import re

import pytest

from kolokol.ingest.boilerplate import is_boilerplate, load_lexicon, strip_boilerplate

LEXICON = load_lexicon()


def test_every_language_has_both_lists_of_valid_patterns():
    languages = [k for k in LEXICON if k != "examples"]
    assert {"en", "ru"} <= set(languages)
    for language in languages:
        assert set(LEXICON[language]) == {"lines", "html_lines"}, language
        for pattern in LEXICON[language]["lines"] + LEXICON[language]["html_lines"]:
            re.compile(pattern)
            assert not re.fullmatch(pattern, "", re.I), f"{language}: {pattern!r} matches an empty line"


@pytest.mark.parametrize("line", LEXICON["examples"]["lines"])
def test_examples_are_boilerplate_everywhere(line):
    assert is_boilerplate(line) and is_boilerplate(line, html=True)


@pytest.mark.parametrize("line", LEXICON["examples"]["html_lines"])
def test_html_examples_only_for_html(line):
    assert is_boilerplate(line, html=True)
    assert not is_boilerplate(line)


@pytest.mark.parametrize("line", LEXICON["examples"]["kept"])
def test_reporting_lines_are_kept(line):
    assert not is_boilerplate(line) and not is_boilerplate(line, html=True)


def test_strip_keeps_line_endings_and_everything_else():
    text = "A\r\nShare on Facebook\r\n\r\nB  \nПоделиться:\nC"
    assert strip_boilerplate(text) == "A\r\n\r\nB  \nC"
