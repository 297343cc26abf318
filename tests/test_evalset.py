"""The known-answers set itself: well-formed, grounded in the articles, covering what it should."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from qa.corpus import Corpus
from qa.evalset import (
    FRESH_PATH,
    HELDOUT_PATH,
    LANGUAGES,
    KnownAnswer,
    answer_matches,
    evidence_paragraphs,
    load_known_answers,
    validate,
)
from qa.lang import detect_language

MIN_ITEMS = 60
MIN_UNANSWERABLE = 10
MIN_FOLLOW_UPS = 5
MIN_PER_LANGUAGE = 8


@pytest.fixture(scope="module", params=["known_answers", "heldout", "fresh"])
def any_set(request: pytest.FixtureRequest, items: list[KnownAnswer]) -> list[KnownAnswer]:
    """The main set and the two held-out ones: all must be well-formed and grounded in the articles."""
    if request.param == "known_answers":
        return items
    return load_known_answers(HELDOUT_PATH if request.param == "heldout" else FRESH_PATH)


def test_every_evidence_phrase_is_in_exactly_one_content_paragraph(
    any_set: list[KnownAnswer], corpus: Corpus
) -> None:
    assert validate(any_set, corpus) == []


def test_evidence_paragraphs_state_the_answer(any_set: list[KnownAnswer], corpus: Corpus) -> None:
    """Each cited evidence paragraph, read with the item's own matching rules, holds the answer."""
    problems = []
    for item in any_set:
        for file, number in sorted(evidence_paragraphs(item, corpus)):
            if not answer_matches(item, corpus.paragraph(file, number).text):
                problems.append(f"{item.id}: {file} ¶{number}")
    assert problems == []


def test_every_answerable_item_has_one_evidence_paragraph_per_phrase(
    any_set: list[KnownAnswer], corpus: Corpus
) -> None:
    for item in any_set:
        assert len(evidence_paragraphs(item, corpus)) == len({(e.file, e.contains) for e in item.evidence})


def test_ids_are_unique(any_set: list[KnownAnswer]) -> None:
    counts = Counter(item.id for item in any_set)
    assert [i for i, n in counts.items() if n > 1] == []


def test_question_language_is_what_the_detector_says(any_set: list[KnownAnswer]) -> None:
    wrong = [
        (i.id, i.lang, detect_language(i.question)) for i in any_set if detect_language(i.question) != i.lang
    ]
    assert wrong == []


@pytest.mark.parametrize("path", [HELDOUT_PATH, FRESH_PATH], ids=["heldout", "fresh"])
def test_a_heldout_set_shares_no_item_with_the_other_sets(items: list[KnownAnswer], path: Path) -> None:
    heldout = load_known_answers(path)
    others = [*items, *(i for p in (HELDOUT_PATH, FRESH_PATH) if p != path for i in load_known_answers(p))]
    assert {i.id for i in heldout} & {i.id for i in others} == set()
    assert {i.question for i in heldout} & {i.question for i in others} == set()
    assert sum(not i.answerable for i in heldout) >= 5 and {i.lang for i in heldout} == set(LANGUAGES)


def test_size_and_balance(items: list[KnownAnswer]) -> None:
    assert len(items) >= MIN_ITEMS
    assert sum(not i.answerable for i in items) >= MIN_UNANSWERABLE
    per_lang = Counter(i.lang for i in items)
    assert set(per_lang) == set(LANGUAGES)
    assert min(per_lang.values()) >= MIN_PER_LANGUAGE, per_lang
    # roughly balanced: no language has more than twice the questions of another
    assert max(per_lang.values()) <= 2 * min(per_lang.values()), per_lang
    unanswerable_langs = {i.lang for i in items if not i.answerable}
    assert unanswerable_langs == set(LANGUAGES)


def test_every_article_is_evidence(items: list[KnownAnswer], corpus: Corpus) -> None:
    used = {ev.file for item in items for ev in item.evidence}
    assert used == {doc.file for doc in corpus.documents}


def test_most_items_are_cross_lingual(items: list[KnownAnswer], corpus: Corpus) -> None:
    """Asked in a language none of its evidence articles is written in."""
    doc_lang = {doc.file: doc.lang for doc in corpus.documents}
    answerable = [i for i in items if i.answerable]
    cross = [i for i in answerable if all(doc_lang[ev.file] != i.lang for ev in i.evidence)]
    assert len(cross) > len(answerable) / 2
    tagged = {i.id for i in answerable if "cross-lingual" in i.tags}
    assert tagged == {i.id for i in cross}


def test_many_answers_are_told_by_two_articles(items: list[KnownAnswer]) -> None:
    multi = [i for i in items if len({ev.file for ev in i.evidence}) >= 2]
    assert len(multi) >= 15
    assert {i.id for i in multi} == {i.id for i in items if "two-articles" in i.tags}


def test_kinds_of_answers_are_covered(items: list[KnownAnswer]) -> None:
    kinds = Counter(tag for i in items if i.answerable for tag in i.tags)
    for kind in ("name", "number", "date", "place", "reason", "role"):
        assert kinds[kind] >= 3, kind


def test_follow_ups_carry_their_history(items: list[KnownAnswer]) -> None:
    follow_ups = [i for i in items if i.is_follow_up]
    assert len(follow_ups) >= MIN_FOLLOW_UPS
    assert {i.id for i in follow_ups} == {i.id for i in items if "follow-up" in i.tags}
    for item in follow_ups:
        for question, answer in item.history:
            assert question.strip() and answer.strip()
        # a follow-up is scored for retrieval by its standalone form
        assert item.standalone and item.standalone != item.question
        assert detect_language(item.standalone) == item.lang


def test_unanswerable_items_are_tagged(items: list[KnownAnswer]) -> None:
    assert {i.id for i in items if not i.answerable} == {i.id for i in items if "unanswerable" in i.tags}
