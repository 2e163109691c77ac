from __future__ import annotations

from kolokol.extract.names import fold_name, same_person
from kolokol.extract.segment import split_sentences


def test_sentences_keep_offsets_and_respect_abbreviations():
    text = ("Mr. Sadykov was detained on Feb. 3 in Osh. He was released.\n\n"
            "A. Nurlanova said: \"We left.\" Then ч. 2 ст. 280 УК РФ was cited. Всё.")
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "Mr. Sadykov was detained on Feb. 3 in Osh.", "He was released.",
        'A. Nurlanova said: "We left."', "Then ч. 2 ст. 280 УК РФ was cited.", "Всё."]
    assert all(text[s.start:s.end] == s.text for s in sents)
    assert [s.paragraph for s in sents] == [0, 0, 1, 1, 1]
    assert sents[2].first_in_paragraph and not sents[3].first_in_paragraph


def test_every_line_is_a_paragraph_and_empty_text_has_none():
    assert split_sentences("") == []
    assert [s.text for s in split_sentences("Caption line\nBody text here.")] == ["Caption line",
                                                                                   "Body text here."]


def test_name_folding_across_scripts_and_genders():
    assert fold_name("Алёна Крылова") == fold_name("Alyona Krylova") == fold_name("Alena Krylov")
    assert same_person("Zhaparov", "Japarov")
    assert same_person("A. Rozhkov", "Aleksei Rozhkov")
    assert same_person("Ilya Kuleshov", "Kuleshov")
    assert not same_person("Ilya Kuleshov", "Yulia Kuleshova")
    assert not same_person("Bakyt Asanov", "Bakyt Usenov")
