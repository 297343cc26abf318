"""The count check (qa.counting): what an answer's count counts, named by the model in English.

Deterministic fakes script the model's replies (the point is the rule); the bundled model names
things for real in the slow test at the end.
"""

from __future__ import annotations

import logging

import pytest

from qa.answering import answer
from qa.config import Settings
from qa.corpus import Corpus
from qa.counting import check_counts, english, miscounts, same_thing, sentence_with, thing_words
from qa.llm import get_chat_model
from qa.models import Passage
from qa.prompts import message, render
from tests.test_answer import CHAPTERS, CHAPTERS_FR, FakeRetriever, RecordingFake, fake, reply

PAGES_FR = "Combien de pages compte le texte de la convention ?"


def passage(corpus: Corpus, ref: tuple[str, int]) -> Passage:
    p = corpus.paragraph(*ref)
    return Passage(ref[0], ref[1], p.text, 1.0, p.lang)


def recording(*replies: str) -> RecordingFake:
    return RecordingFake(messages=iter(replies))


@pytest.fixture
def model_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"llm": "openai", "llm_fallback": "none", "check_counts": "model"})


@pytest.mark.parametrize(
    ("reply_text", "words"),
    [
        ("The delegates.", ["delegates"]),
        ("Number of countries", ["countries"]),
        ("member states", ["member", "states"]),
        ("", []),
        ("?", []),
    ],
)
def test_the_named_thing_is_its_words(reply_text: str, words: list[str]) -> None:
    assert thing_words(reply_text) == words


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (["countries"], ["country"], True),
        (["days"], ["day"], True),
        (["vietnamese", "ministers"], ["ministers"], True),
        (["chapters"], ["countries"], False),
        (["member", "states"], ["countries"], False),
        (["articles"], ["pages"], False),
    ],
)
def test_things_are_the_same_when_they_share_a_word_up_to_its_ending(
    first: list[str], second: list[str], same: bool
) -> None:
    assert same_thing(first, second) is same


@pytest.mark.parametrize(
    ("words", "is_english"),
    [
        (["member", "states"], True),
        (["sessions"], True),
        (["sitzungen"], False),
        (["staaten"], False),
        ([], False),
    ],
)
def test_a_named_thing_must_be_english(words: list[str], is_english: bool) -> None:
    assert english(words) is is_english


def test_the_sentence_that_states_the_number_is_the_one_named(corpus: Corpus) -> None:
    sentence = sentence_with("71", [passage(corpus, CHAPTERS)])
    assert sentence is not None and "9 Kapiteln und 71 Artikeln" in sentence
    assert not sentence.rstrip(".").count(". ")  # one sentence, not the paragraph
    assert sentence_with("1234", [passage(corpus, CHAPTERS)]) is None


def test_a_count_of_something_else_is_found_and_the_model_asked_about_both_sides(
    corpus: Corpus, model_settings: Settings
) -> None:
    model = recording("Pages", "Articles.")
    (found,) = miscounts("71", PAGES_FR, [passage(corpus, CHAPTERS)], model, model_settings)
    assert (found.number, found.counts, found.asked) == ("71", "articles", "pages")
    assert model.prompts[0] == render("count_question", question=PAGES_FR)
    assert "71 Artikeln" in model.prompts[1] and "number 71" in model.prompts[1]
    assert 'counts "articles"' in found.describe() and '"pages"' in found.describe()


def test_a_count_of_what_was_asked_passes(corpus: Corpus, model_settings: Settings) -> None:
    model = fake("chapters", "Chapters.")
    question = "How many chapters does the Hanoi Convention have?"
    assert miscounts("9", question, [passage(corpus, CHAPTERS)], model, model_settings) == []


def test_one_count_of_what_was_asked_is_enough(corpus: Corpus, model_settings: Settings) -> None:
    model = fake("articles", "chapters", "articles")
    answer_text = "9 Kapitel und 71 Artikel"
    question = "How many articles does the Hanoi Convention have?"
    assert miscounts(answer_text, question, [passage(corpus, CHAPTERS)], model, model_settings) == []
    model = fake("pages", "chapters", "articles")
    found = miscounts(answer_text, "How many pages?", [passage(corpus, CHAPTERS)], model, model_settings)
    assert [(m.number, m.counts) for m in found] == [("9", "chapters"), ("71", "articles")]


def test_a_source_counting_with_a_word_of_the_question_needs_no_model(
    corpus: Corpus, model_settings: Settings
) -> None:
    model = recording()  # any request would fail: it has no reply
    question = "Combien d'articles compte la Convention de Hanoï ?"
    assert miscounts("71", question, [passage(corpus, CHAPTERS_FR)], model, model_settings) == []
    assert model.prompts == []


@pytest.mark.parametrize(
    ("answer_text", "question"),
    [
        ("25 Tage", "Wie lange dauerte die Zeremonie?"),  # how long: the time checks' business
        ("Tusentals delegater från 110 länder", "Hur många delegater deltog?"),  # a count in words
        ("1234", PAGES_FR),  # a number no cited paragraph states
        ("71", "Who signed the convention?"),  # not a how-many question
    ],
)
def test_the_check_stays_out_where_it_cannot_judge(
    corpus: Corpus, model_settings: Settings, answer_text: str, question: str
) -> None:
    model = recording()
    assert miscounts(answer_text, question, [passage(corpus, CHAPTERS)], model, model_settings) == []
    assert model.prompts == []


@pytest.mark.parametrize(
    "replies",
    [
        (" ", "articles"),
        ("pages", "..."),
        ("pages", "Artikeln"),  # the source's word, not translated: nothing to compare with
        ("Seiten", "articles"),  # the question's word, not translated
    ],
)
def test_a_thing_the_model_does_not_name_refuses_nothing(
    corpus: Corpus, model_settings: Settings, replies: tuple[str, str]
) -> None:
    model = fake(*replies)
    assert miscounts("71", PAGES_FR, [passage(corpus, CHAPTERS)], model, model_settings) == []


def test_a_failing_model_keeps_the_answer_with_a_warning(
    corpus: Corpus, model_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    model = fake()  # no reply: the request fails as a backend error that may pass
    with caplog.at_level(logging.WARNING, logger="qa.counting"):
        assert check_counts("71", PAGES_FR, [passage(corpus, CHAPTERS)], model, model_settings) == []
    assert "keeping the answer" in caplog.text


@pytest.mark.parametrize(("check", "found"), [("model", False), ("off", True)])
def test_the_answer_stage_abstains_on_a_count_of_something_else(
    corpus: Corpus, model_settings: Settings, check: str, found: bool
) -> None:
    retriever = FakeRetriever(corpus, [CHAPTERS_FR, ("001_5da9f8a340a8f379.txt", 4)])
    result = answer(
        "Combien de pages compte le texte de la convention ?",
        settings=model_settings.model_copy(update={"check_counts": check}),
        retriever=retriever,
        chat_model=fake(reply("71", [1]), "pages", "articles"),
    )
    assert result.found is found and ("count_check" in result.timings) is not found
    if found:
        assert result.text == "71"
    else:
        assert result.text == message("not_found", "fr")
        assert result.abstention_reason is not None and 'counts "articles"' in result.abstention_reason


@pytest.mark.slow
def test_the_bundled_model_names_what_is_counted(local_settings: Settings, corpus: Corpus) -> None:
    model = get_chat_model(local_settings)
    german = passage(corpus, CHAPTERS)
    (found,) = miscounts("71", PAGES_FR, [german], model, local_settings)
    assert "page" in found.asked and "article" in found.counts
    question = "How many chapters does the Hanoi Convention have?"
    assert miscounts("9", question, [german], model, local_settings) == []
