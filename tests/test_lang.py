"""Language identification of answers (lingua, the real models)."""

from __future__ import annotations

import pytest

from qa.lang import answer_language, source_names

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
