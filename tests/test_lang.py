"""Language identification of answers (lingua, the real models)."""

from __future__ import annotations

import re

import pytest

from qa.corpus import Corpus
from qa.lang import answer_language, detect_language, source_names, word_list_language

SOURCE = "Die Zeremonie in Hanoi wurde von Luong Cuong geleitet; Vertreter aus 110 Ländern nahmen teil."


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The ceremony was chaired by the president of the country.", "en"),
        ("Die Zeremonie wurde vom Präsidenten des Landes geleitet.", "de"),
        ("La cérémonie a été présidée par le président du pays.", "fr"),
        ("Ceremonin leddes av landets president.", "sv"),
        ("De ceremonie werd voorgezeten door de president van het land.", "nl"),
    ],
)
def test_the_language_of_a_sentence(text: str, lang: str) -> None:
    assert answer_language(text) == lang


@pytest.mark.parametrize("text", ["110.", "Luong Cuong.", "Hanoi, 110", "Luong Cuong, Hanoi"])
def test_names_and_numbers_from_the_sources_tell_nothing(text: str) -> None:
    assert answer_language(text, [SOURCE]) is None


def test_names_from_the_sources_are_left_out_before_judging() -> None:
    # "Hanoi" and "Luong Cuong" would pull towards no language in particular; the rest is English.
    assert answer_language("Luong Cuong chaired the ceremony in Hanoi.", [SOURCE]) == "en"


def test_source_names_are_the_words_never_written_in_lower_case() -> None:
    texts = ["Har Vietnam undertecknat?", "Vietnam har undertecknat i Hanoi.", "Die Konvention, die gilt."]
    assert source_names(texts) == {"vietnam", "hanoi", "konvention"}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("is de directeur van de", "nl"),  # lingua: French
        ("Vice Premier Minister", "en"),  # lingua: French
        ("En plenardiskussion och en hög rangig diskussion", "sv"),  # lingua: German
        ("Le samedi", "fr"),
        ("Die Konvention hat neun Kapitel", "de"),
    ],
)
def test_a_few_words_are_told_by_the_word_lists(text: str, lang: str) -> None:
    assert word_list_language(text) == lang


def test_words_in_none_of_the_lists_are_left_to_lingua() -> None:
    assert word_list_language("这是一个测试句子") is None
    assert word_list_language("") is None
    swedish = "Konventionen undertecknades i Hanoi"  # only "i" and "Hanoi" are in the lists
    assert word_list_language(swedish, ["en", "fr"]) == detect_language(swedish) == "sv"


def test_word_lists_tell_short_fragments_of_the_articles_better_than_lingua(corpus: Corpus) -> None:
    """Why answers are judged by word lists: four-word windows of every paragraph (letters only,
    every seventh word on), each labelled with its article's language."""
    fragments = []
    for document in corpus.documents:
        for paragraph in document.paragraphs:
            words = re.findall(r"[^\W\d_]+", paragraph.text)
            fragments += [(document.lang, " ".join(words[i : i + 4])) for i in range(0, len(words) - 3, 7)]
    assert len(fragments) > 300
    by_lists = sum(word_list_language(text) == lang for lang, text in fragments) / len(fragments)
    by_lingua = sum(detect_language(text) == lang for lang, text in fragments) / len(fragments)
    assert by_lists >= 0.95
    assert by_lists > by_lingua


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("¿Quién es el presidente de la convención?", "es"),  # word lists alone: French
        ("Chi ha firmato la convenzione?", "it"),  # word lists alone: French
        ("Hvor blev konventionen underskrevet?", "da"),  # word lists alone: Swedish
        ("Wie won de Tour de France in 2023?", "nl"),  # lingua alone: French
    ],
)
def test_a_language_outside_the_word_lists_is_left_to_lingua_when_it_is_sure(text: str, lang: str) -> None:
    assert word_list_language(text) == lang
