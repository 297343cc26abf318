"""Places a question names that no article mentions (qa.places), on the real articles and the
known-answers set."""

from __future__ import annotations

import pytest

from qa.corpus import Corpus
from qa.evalset import KnownAnswer
from qa.places import corpus_places, gazetteer, mentions, place_name, place_names, unknown_places


def names(text: str) -> list[str]:
    return [m.place.name for m in mentions(text)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Qui a signé la convention au nom de la France ?", ["France"]),
        ("Vem ledde Sveriges delegation vid undertecknandeceremonin?", ["Sweden"]),
        ("Wann wurde das Budapester Übereinkommen unterzeichnet?", ["Budapest"]),
        ("Qui a représenté les États-Unis à la cérémonie ?", ["United States"]),
        ("What did Poland's deputy prime minister praise?", ["Poland"]),
        ("Which organisation will run the secretariat in Vienna?", ["Vienna"]),
        ("Welche Rolle spielte Österreich, und wer kam aus Wien?", ["Austria", "Vienna"]),
        ("Wat zeiden de Verenigde Naties en Vietnam?", ["United Nations", "Vietnam"]),
        ("Die Vereinten Nationen", ["United Nations"]),
    ],
)
def test_a_place_is_found_by_any_of_its_names_and_common_endings(question: str, expected: list[str]) -> None:
    assert names(question) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Qu'a salué le vice-Premier ministre polonais Krzysztof Gawkowski ?",  # an adjective
        "the france of old",  # not capitalised
        "Welche Region ist besonders bedroht?",
        "Wie viele Kapitel hat die Konvention?",
        "Who chaired the ceremony in the Center?",  # a time zone's town in a country of many zones
        "Phoenix",
    ],
)
def test_words_that_are_not_places_are_not_taken_for_one(text: str) -> None:
    assert mentions(text) == []


def test_the_gazetteer_has_every_country_in_the_five_languages_and_english() -> None:
    places = gazetteer()
    for name in ("frankreich", "frankrike", "frankrijk", "france"):
        assert places[(name,)].key == "FR"
    assert places[("wenen",)].key == places[("vienna",)].key == "Europe/Vienna"


def test_the_articles_mention_vietnam_laos_and_the_united_nations_and_no_other_place(corpus: Corpus) -> None:
    assert {p.name for p in corpus_places(corpus)} == {"Vietnam", "Laos", "United Nations"}


def test_unknown_places_are_those_no_article_mentions_each_named_once(corpus: Corpus) -> None:
    known = corpus_places(corpus)
    question = "Hat Frankreich unterzeichnet, und was sagte Vietnam zu Frankreichs Rolle?"
    assert [m.text for m in unknown_places(question, known)] == ["Frankreich"]
    assert unknown_places("Wer vertrat Laos in Hanoi?", known) == []


def test_a_place_is_named_in_the_language_asked() -> None:
    sweden = mentions("Vem ledde Sveriges delegation?")[0].place
    vienna = mentions("Which organisation sits in Vienna?")[0].place
    assert [place_name(sweden, lang) for lang in ("sv", "de", "fr", "nl", "en")] == [
        "Sverige",
        "Schweden",
        "Suède",
        "Zweden",
        "Sweden",
    ]
    assert place_name(vienna, "nl") == "Wenen"
    assert place_name(sweden, "not a language") == "Sweden"
    assert place_names([sweden, vienna, sweden], "de") == "Schweden und Wien"
    assert place_names([sweden], "fr", lambda name: f"« {name} »") == "« Suède »"


def test_no_answerable_question_of_the_known_answers_set_names_a_place_the_articles_do_not(
    corpus: Corpus, items: list[KnownAnswer]
) -> None:
    """The rule's cost is a question that adds such a place as background; the set has none,
    and every question it does fire on is one the articles do not answer."""
    known = corpus_places(corpus)
    fired = {item.id: bool(unknown_places(item.question, known)) for item in items}
    assert {i.id for i in items if i.answerable and fired[i.id]} == set()
    assert len([i for i in items if not i.answerable and fired[i.id]]) >= 5
