"""Reply parsing, citation markers and the grounding checks."""

from __future__ import annotations

import json

import pytest

from qa.corpus import Corpus, load_corpus
from qa.grounding import (
    answer_schema,
    asks_about_a_first,
    asks_for_name,
    asks_open_question,
    asks_when,
    best_support,
    corpus_names,
    corpus_vocabulary,
    corpus_years,
    counts_something_else,
    drop_yes_no,
    echoes_question_number,
    foreign_words,
    full_dates,
    ground,
    language_word,
    leaks_prompt,
    looks_like_abstention,
    lost_names,
    map_sources,
    misses_name,
    misses_quantity,
    misses_time,
    mostly_foreign,
    names_in,
    outside_names,
    parse_reply,
    prune_citations,
    recounts_a_source,
    repeats_question,
    shares_nothing,
    speaks_of_a_first,
    spliced_dates,
    states_time,
    strip_markers,
    unknown_question_years,
    unsupported_first,
    unsupported_names,
    unsupported_numbers,
    unsupported_numerals,
    unverified_yes_no,
    years_in,
)
from qa.models import Passage
from tests.conftest import SEEDS


def passage(n: int, text: str) -> Passage:
    return Passage(f"f{n}.txt", n, text, 1.0, "de")


P1 = passage(1, "Die Hanoi-Konvention, bestehend aus 9 Kapiteln und 71 Artikeln.")
P2 = passage(2, "Die Zeremonie fand am 25. Oktober 2025 in Hanoi statt, geleitet von Luong Cuong.")
P3 = passage(3, "Vertreter aus 110 Ländern nahmen teil.")


def test_json_reply_is_parsed() -> None:
    parsed = parse_reply(json.dumps({"answer": "9 chapters.", "sources": [1, "2", True], "found": True}))
    assert (parsed.text, parsed.sources, parsed.found, parsed.structured) == (
        "9 chapters.",
        [1, 2],
        True,
        True,
    )


def test_json_in_code_fence_and_inline_markers() -> None:
    parsed = parse_reply('```json\n{"answer": "9 chapters [3].", "sources": [1], "found": true}\n```')
    assert parsed.text == "9 chapters." and parsed.sources == [1, 3]


def test_found_false_or_empty_answer_is_abstention() -> None:
    assert not parse_reply('{"answer": "Paris", "sources": [], "found": false}').found
    assert not parse_reply('{"answer": "", "sources": [1], "found": true}').found


def test_broken_json_is_marked_malformed_not_shown_as_text() -> None:
    parsed = parse_reply('{"answer": "9 chapters [1]')
    assert parsed.malformed and not parsed.found and parsed.text == ""
    assert not parse_reply('{"answer": "9 chapters.", "sources": [1], "found": true}').malformed
    assert not parse_reply("9 chapters [1].").malformed  # plain text is not JSON at all


def test_markers_are_collected_and_removed() -> None:
    assert strip_markers("It has 9 chapters [1], [2, 3] and 71 articles [1].") == (
        "It has 9 chapters, and 71 articles.",
        [1, 2, 3],
    )


def test_abstention_phrases_in_several_languages() -> None:
    for text in [
        "I don't know.",
        "The sources do not say.",
        "Die Artikel sagen dazu nichts, keine Angaben.",
        "Les articles ne le disent pas.",
        "Det framgår inte.",
        "Dat wordt niet vermeld.",
    ]:
        assert looks_like_abstention(text), text
    assert not looks_like_abstention("The convention has 9 chapters.")


def test_invented_numbers_are_dropped_when_mapping() -> None:
    kept, dropped = map_sources([2, 7, 0, 2, 1], [P1, P2, P3])
    assert kept == [P2, P1] and dropped == [7, 0]


def test_schema_limits_source_numbers() -> None:
    schema = answer_schema(3)
    assert schema["properties"]["sources"]["items"]["enum"] == [1, 2, 3]  # type: ignore[index]
    assert list(schema["properties"]) == ["answer", "sources", "found"]  # type: ignore[call-overload]


def test_numbers_must_occur_in_evidence() -> None:
    assert unsupported_numbers("9 chapters and 71 articles", [P1.text]) == set()
    assert unsupported_numbers("12 chapters", [P1.text]) == {"12"}
    assert unsupported_numbers("On 09 May", ["am 9. Mai"]) == set()
    assert unsupported_numbers("in 2024", [P1.text], question="What happened in 2024?") == set()


def test_a_number_in_digits_is_supported_by_a_source_that_writes_it_in_words() -> None:
    # A right answer a perfect reader gave (benchmarks/oracle_answers.py) was refused: the Dutch
    # source writes the number in words.
    dutch = "Als eerste document dat in twintig jaar binnen het kader van de VN is aangenomen."
    assert unsupported_numbers("För 20 år sedan.", [dutch]) == set()
    assert unsupported_numbers("För 21 år sedan.", [dutch]) == {"21"}
    assert unsupported_numbers("Nach fünf Jahren.", ["fast fünf Jahren"]) == set()
    assert unsupported_numbers("5 ans", ["fast fünf Jahren"]) == set()
    assert unsupported_numbers("6 ans", ["fast fünf Jahren"]) == {"6"}
    # ...but a question's numeral in words does not vouch for the answer's digits (an echoed premise).
    assert unsupported_numbers("Ja, 12 Kapitel.", [P1.text], question="Hat sie zwölf Kapitel?") == {"12"}
    held = passage(4, dutch)
    result = ground("För 20 år sedan.", [P1], [P1, held], "För hur länge sedan?")
    assert result.ok and held in result.citations


def test_ground_moves_the_holder_of_a_number_into_citations() -> None:
    result = ground("It took place on 25 October 2025.", [P1], [P1, P2], "When?")
    assert result.ok and P2 in result.citations


def test_ground_fails_on_a_number_in_no_source() -> None:
    result = ground("It took place on 12 May 2019.", [P2], [P1, P2, P3], "When?")
    assert not result.ok and any("2019" in p for p in result.problems)


def test_uncited_answer_gets_best_support() -> None:
    result = ground("Delegates from 110 countries attended.", [], [P1, P2, P3], "How many countries?")
    assert result.ok and result.citations == [P3]


def test_names_check_catches_an_invented_person() -> None:
    assert unsupported_names("The ceremony was led by Luong Cuong.", [P2.text]) == set()
    assert unsupported_names("The ceremony was led by Emmanuel Macron.", [P2.text]) == {"Emmanuel", "Macron"}


@pytest.fixture(scope="module")
def vocabulary() -> frozenset[str]:
    return corpus_vocabulary(load_corpus(SEEDS))


@pytest.mark.parametrize(
    ("answer", "outside"),
    [
        ("The president of France is Emmanuel Macron.", ["Emmanuel Macron"]),
        ("Emmanuel Macron ist Präsident.", ["Emmanuel Macron"]),  # a run may start a sentence
        ("Der Bundeskanzler von Deutschland ist Olaf Scholz.", ["Olaf Scholz"]),
        ("de koning van Nederland is Willem II", ["Willem II"]),
        ("Le roi est Willem-Alexander.", ["Willem Alexander"]),
        ("Le ministre d'Emmanuel Macron.", ["Emmanuel Macron"]),
        # an abbreviation the articles never write does not vouch for the run
        ("The EU Bureau handles it.", ["EU Bureau"]),
    ],
)
def test_a_full_name_the_articles_never_mention_is_outside(
    vocabulary: frozenset[str], answer: str, outside: list[str]
) -> None:
    assert outside_names(answer, vocabulary) == outside


@pytest.mark.parametrize(
    "answer",
    [
        "António Guterres",  # in the articles (with and without the accent)
        "Antonio Guterres visited Hanoi.",
        # English translations of what the articles say: one word of the run is in them.
        "Bui Thanh Son is Deputy Prime Minister and Minister of Foreign Affairs.",
        "The Ministry of Foreign Affairs.",
        "It was held at the Party Central Committee headquarters.",
        "Le Ministère de la Sécurité publique préside.",
        "The United Nations General Assembly adopted it.",
        # A translated name with an abbreviation the articles write ("VN-Verdrag"): a perfect
        # reader's right answer, once refused (benchmarks/oracle_answers.py).
        "UNODC staat voor het VN-Bureau voor drugs en misdaad.",
        # Not names: German nouns, a sentence's first word, words split by punctuation.
        "Die Verwaltung von Strafen.",
        "The Committee negotiated it.",
        "Het motto was 'Unie' (Unie).",
        "Vietnam, Laos, Kambodscha und Thailand.",
        "Vietnam hat 90 Millionen Einwohner.",  # what a number counts, capitalised in German
    ],
)
def test_names_the_articles_support_or_that_are_not_names_pass(
    vocabulary: frozenset[str], answer: str
) -> None:
    assert outside_names(answer, vocabulary) == []


def test_a_name_from_the_question_is_not_outside(vocabulary: frozenset[str]) -> None:
    question = "Did Emmanuel Macron attend the ceremony?"
    assert outside_names("No, Emmanuel Macron is not mentioned.", vocabulary, question) == []
    # An abbreviation counts among the question's words too.
    assert outside_names("No, the EU Bureau did not.", vocabulary, "Did the EU Bureau sign it?") == []
    # One word of the question does not vouch for the rest of the name.
    assert outside_names("Der Papst ist Papst Franziskus.", vocabulary, "Wer ist der Papst?") == [
        "Papst Franziskus"
    ]


def test_ground_checks_full_names_against_the_corpus_by_default() -> None:
    vocabulary = corpus_vocabulary(load_corpus(SEEDS))
    made_up = ground(
        "The president of France is Emmanuel Macron.", [P2], [P1, P2, P3], "Who?", vocabulary=vocabulary
    )
    assert not made_up.ok and made_up.problems == ["name Emmanuel Macron is in no article"]
    # Luong Cuong is in the corpus, though not in the one passage given here.
    supported = ground("It was led by Luong Cuong.", [P1], [P1], "Who led it?", vocabulary=vocabulary)
    assert supported.ok
    # Without a vocabulary, the retrieved passages stand in for the corpus.
    assert not ground("It was led by Luong Cuong.", [P1], [P1], "Who led it?").ok
    off = ground("Emmanuel Macron.", [P2], [P2], "Who?", check_names="off")
    assert off.ok


def test_the_strict_names_check_wants_every_capitalised_word_in_a_source() -> None:
    result = ground(
        "Die Konferenz wurde von Luong Cuong geleitet.", [P2], [P2], "Wer?", check_names="sources"
    )
    assert not result.ok and result.problems == ["name Konferenz is in no source"]


def test_best_support_prefers_shared_numbers_then_rank() -> None:
    assert best_support("71 articles", [P2, P1]) == P1
    assert best_support("something else entirely", [P2, P1]) == P2


def test_prune_keeps_only_supporting_citations() -> None:
    assert prune_citations("9 Kapiteln", [P2, P1]) == [P1]
    assert prune_citations("nothing shared", [P2, P1]) == [P2]


def test_prune_drops_a_citation_that_shares_only_a_word() -> None:
    # P2 shares "Hanoi" with the answer, but not the number the best citation holds.
    assert prune_citations("Die Hanoi-Konvention hat 9 Kapitel.", [P1, P2]) == [P1]


def test_prune_prefers_the_holder_of_the_answers_number_to_a_paragraph_sharing_more_words() -> None:
    # Seen in the chat: a German paragraph sharing "die", "von", "Hanoi", "Konvention" with a
    # German answer tied with the Swedish one that holds its number, won the tie and made the
    # number's holder look like a second source; the one without the number is no source of it.
    same_language = passage(
        5, "Die Benennung einer Konvention nach Hanoi unterstreicht die Rolle von Vietnam."
    )
    holder = Passage(
        "f6.txt", 6, "Tusentals delegater från 110 länder deltog i Hanoikonventionen.", 1.0, "sv"
    )
    answer = "Die Hanoi-Konvention wurde in Hanoi unterzeichnet von 110 Ländern."
    assert prune_citations(answer, [same_language, holder]) == [holder]
    assert prune_citations(answer, [holder, same_language]) == [holder]


def test_prune_keeps_a_second_article_stating_the_same_fact() -> None:
    twin = passage(4, "La Convention de Hanoï, composée de 9 chapitres et 71 articles.")
    assert prune_citations("9 Kapiteln und 71 Artikeln", [P1, twin]) == [P1, twin]


def test_prune_keeps_the_holder_of_each_number_of_the_answer() -> None:
    # 110 is only in P3, 9 only in P1: both stay, whatever their word overlap.
    assert prune_citations("Die Hanoi-Konvention hat 9 Kapiteln; 110 Ländern nahmen teil.", [P1, P2, P3]) == [
        P1,
        P3,
    ]


def test_an_answer_sharing_nothing_with_the_sources_shares_nothing() -> None:
    assert shares_nothing("Ja.", [P1, P2])
    assert shares_nothing("Canberra.", [P1, P2])
    assert not shares_nothing("Luong Cuong.", [P1, P2])
    assert not shares_nothing("9.", [P1])
    assert not shares_nothing("Ja.", [])  # nothing to compare with: not this check's call


def test_prompt_leak_is_detected() -> None:
    system = "You answer questions about a small collection of news articles. Rules follow."
    assert leaks_prompt("Sure! You answer questions about a small collection of news articles.", system)
    assert not leaks_prompt("The convention has 9 chapters.", system)


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("Vietnam", "Uit welk land komt de vicepremier Gawkowski die Vietnam heeft bezocht?"),
        (
            "Fängelsestraff föreskriver konventionen för hackare.",
            "Vilka fängelsestraff föreskriver konventionen för hackare?",
        ),
        ("The President of Laos.", "What is the name of the President of Laos?"),
    ],
)
def test_an_answer_that_only_repeats_the_question_is_caught(answer: str, question: str) -> None:
    assert repeats_question(answer, question)


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("9", "How many chapters does the Hanoi Convention have?"),  # a number the question lacks
        ("Luong Cuong", "Who chaired the ceremony?"),  # a name the question lacks
        ("Ja, det är första gången.", "Är det första gången?"),  # yes/no is the information
        ("Nein.", "Wurde das Übereinkommen per Abstimmung angenommen?"),
    ],
)
def test_an_answer_that_adds_something_is_not_a_repetition(answer: str, question: str) -> None:
    assert not repeats_question(answer, question)


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        (
            "Vietnam uppmanar länder att ratificera Hanoi-konventionen snart.",
            "Hur många ratificeringar krävs för att konventionen ska träda i kraft?",
        ),
        ("Die Delegierten kamen aus Ländern der ganzen Welt.", "Wie viele Staaten haben unterzeichnet?"),
        ("Un nouveau cadre juridique.", "Combien de chapitres compte la convention ?"),  # "un": an article
        ("Het verdrag.", "Hoeveel landen hebben het verdrag geratificeerd?"),
        ("The ceremony in Hanoi.", "How much did the ceremony cost?"),
    ],
)
def test_an_answer_without_a_count_to_a_how_many_question_misses_it(answer: str, question: str) -> None:
    assert misses_quantity(answer, question)


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("9", "How many chapters does the Hanoi Convention have?"),
        ("Neun Kapitel und einundsiebzig Artikel.", "Wieviele Kapitel hat das Übereinkommen?"),
        ("Fyra ratificeringar.", "Hur många ratificeringar krävs?"),  # a count, right or wrong
        ("Quatre-vingt-dix-neuf.", "Combien ?"),
        ("Duizenden afgevaardigden.", "Hoeveel afgevaardigden waren er?"),
        ("Tusentals delegater.", "How many delegates attended?"),
        ("Vietnam", "Which country hosted the ceremony?"),  # not a how-many question
    ],
)
def test_a_count_or_another_kind_of_question_is_not_a_miss(answer: str, question: str) -> None:
    assert not misses_quantity(answer, question)


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        # The local model's replies, 2026-12-05 and earlier runs.
        (
            "Die Hanoi-Konvention wurde von fast fünf Jahren Verhandlungen unterzeichnet.",
            "Wie viele Staaten haben das Übereinkommen in Hanoi unterzeichnet?",
        ),
        (
            "Prise av delegationschefer från länder som deltog i undertecknandet.",
            "Hur länge förhandlade länderna om konventionen?",
        ),
        ("For en femtioårs onvermoeibare handel.", "För hur länge sedan antog FN senast ett dokument?"),
        ("La Convention compte 9 chapitres et 71 articles.", "Combien d'années de négociations ?"),
        ("Twenty-five years of talks.", "How many countries attended?"),
        ("Zwei Tage.", "Wie viele Länder haben ratifiziert?"),
        ("Drie hoofdstukken.", "Hur länge varade ceremonin?"),
        ("Het verdrag.", "Hoe lang duurde de ceremonie?"),  # a duration or a length, but neither
        # German "an" is not the French year, Swedish "är" (is) not the year "år", without a count.
        ("Die Delegierten, die an der Zeremonie teilnahmen.", "How long did the ceremony last?"),
        ("Konventionen är viktig.", "Hur länge förhandlade länderna?"),
    ],
)
def test_an_answer_that_counts_something_else_than_asked(answer: str, question: str) -> None:
    assert counts_something_else(answer, question)


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("9 Staaten", "Wie viele Staaten haben unterzeichnet?"),  # wrong perhaps, but a count of states
        ("Nästan fem år.", "Hur länge förhandlade länderna?"),
        ("Prise av 5 års nöglingar", "Hur länge förhandlade länderna?"),
        ("Près de 5 années", "Combien d'années de négociations ?"),
        ("Plusieurs années de discussions.", "Combien d'années de négociations ?"),  # vague, not wrong
        ("Il y a vingt ans.", "Depuis combien de temps ?"),
        ("För en halv år sedan.", "För hur länge sedan antog FN ett dokument?"),  # wrong, but a duration
        ("Sinds 2019.", "Hoe lang duurde het?"),  # a year states when, not what it counts
        ("Tusentals delegater van 110 landen.", "Hoeveel afgevaardigden waren er?"),  # another language
        ("9 chapters and 71 articles, after five years of talks.", "How many chapters?"),  # mixed
        ("71", "And how many articles?"),  # nothing after the number: unknown, never a mismatch
        ("Am 25. Oktober 2025 in Hanoi.", "Wie viele Staaten?"),  # a date, not a count
        ("8 in Wien.", "Wie viele Sitzungen gab es?"),
        ("Five years.", "Which country hosted the ceremony?"),  # not a how-many question
        ("Fünf Jahre.", "Wie viel Zeit nahmen die Verhandlungen in Anspruch?"),  # time without a unit
        ("9 chapters and 71 articles.", "How long is the convention?"),  # a length, not a duration
        ("Negen hoofdstukken.", "Hoe lang is het verdrag?"),
    ],
)
def test_an_answer_that_counts_what_is_asked_or_nothing_clear(answer: str, question: str) -> None:
    assert not counts_something_else(answer, question)


def test_the_articles_years_are_the_years_they_state() -> None:
    # 2024 (adoption by the General Assembly) and 2025 (signing); the source links' long digit
    # runs (…20251025212017980.htm) are not years.
    assert corpus_years(load_corpus(SEEDS)) == {"2024", "2025"}
    assert years_in("in 2022, 1975 und 2.000, 20251025, 1.5, 3000, 1500 Delegierte") == {"2022", "1975"}


@pytest.mark.parametrize(
    "question",
    [
        "Vilket land vann fotbolls-VM för herrar år 2022?",
        "Who won the Nobel Peace Prize in 2021?",
        "Was the Hanoi Convention signed in 2023?",
    ],
)
def test_a_question_about_a_year_no_article_states_cannot_be_answered_from_them(question: str) -> None:
    known = corpus_years(load_corpus(SEEDS))
    missing = unknown_question_years(question, "Vietnam", known)
    assert missing == years_in(question) and missing


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # The articles state the year.
        ("Was the convention adopted on 24/12/2024?", "Yes."),
        ("Was geschah 2025 in Hanoi?", "Die Unterzeichnung."),
        # No year in the question; other numbers are comparisons or background, not anchors.
        ("Hat die Konvention mehr als 100 Artikel?", "Nein."),
        ("Sur les 193 États membres, combien ont signé ?", "72"),
        # The answer sets a year of its own against the question's (a false premise corrected).
        ("Was the Hanoi Convention signed in 2023?", "No, it was signed in October 2025."),
    ],
)
def test_a_question_without_an_unknown_year_or_an_answer_correcting_it_passes(
    question: str, answer: str
) -> None:
    assert unknown_question_years(question, answer, corpus_years(load_corpus(SEEDS))) == set()


CHAPTERS_DE = "Die Hanoi-Konvention, bestehend aus 9 Kapiteln und 71 Artikeln, ist das Ergebnis."


@pytest.mark.parametrize(
    ("answer", "question", "echoed"),
    [
        # Answers of the local model (2026-12-05) confirming a premise no source states.
        ("Ja, die Konvention hat mehr als 100 Artikel.", "Hat die Konvention mehr als 100 Artikel?", {"100"}),
        ("Ja, die Konvention hat 50 Kapitel.", "Hat die Konvention 50 Kapitel?", {"50"}),
        ("No, it was not signed in 2023.", "Was it signed in 2023?", {"2023"}),
        # A small count (2026-12-06): the answer to a Swedish question, in German.
        ("Ja, die Hanoi-Konvention besteht aus 20 Kapiteln.", "Har konventionen 20 kapitel?", {"20"}),
    ],
)
def test_an_answer_resting_on_the_questions_number_alone_echoes_it(
    answer: str, question: str, echoed: set[str]
) -> None:
    assert echoes_question_number(answer, [CHAPTERS_DE], question) == echoed


# Counts in words the probe of 2026-12-06 got (count_thing_questions.txt): no source states 3 or 2.
@pytest.mark.parametrize(
    ("answer", "question", "unsupported"),
    [
        ("Trois pays étaient représentés à la cérémonie de signature.", "Combien de pays ?", ["trois"]),
        ("Twee ministers ondertekenden het verdrag in Hanoi.", "Hoeveel ministers?", ["twee"]),
        ("Vingt-cinq pays et neun Kapitel", "Combien ?", ["vingt-cinq"]),  # 9 in digits, 25 nowhere
        ("Seit fast fünf Jahren.", "Wie lange?", []),  # "près de 5 années": the value, in digits
        ("Die Konvention hat neun Kapitel.", "Wie viele Kapitel?", []),
        ("It has twenty chapters.", "Does it have 20 chapters?", []),  # the question's number
        ("'fyra nej'", "Which policy?", []),  # a source writes it in words
        ("Une convention.", "Combien de conventions ?", []),  # one is left out: "une" is an article
    ],
)
def test_a_count_in_words_no_source_states_is_found(
    answer: str, question: str, unsupported: list[str]
) -> None:
    sources = [CHAPTERS_DE, "près de 5 années de négociations", 'la politique de défense "fyra nej"']
    assert unsupported_numerals(answer, sources, question) == unsupported


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("Nein, sie hat 71 Artikel.", "Hat die Konvention mehr als 100 Artikel?"),  # the sources' figure
        ("Ja, genau 71 Artikel.", "Hat die Konvention genau 71 Artikel?"),  # the sources state it
        ("Ja.", "Hat die Konvention mehr als 100 Artikel?"),  # no number taken (other checks judge it)
        ("Yes, on 24/12/2024.", "Was it adopted on 24/12/2024?"),  # a date's day and month
        ("Yes, on 12 December.", "Was it adopted on 12 December?"),  # a day, not a count
        ("Ja, 9 Kapitel.", "Hat die Konvention 9 Kapitel?"),  # a small count the sources state
    ],
)
def test_an_answer_with_the_sources_number_or_without_the_questions_passes(
    answer: str, question: str
) -> None:
    assert echoes_question_number(answer, [CHAPTERS_DE, "Am 24. Dezember 2024."], question) == set()


def de(text: str) -> Passage:
    return Passage("de.txt", 1, text, 1.0, "de")


CHAPTERS_NL = Passage("nl.txt", 1, "Het verdrag telt 9 hoofdstukken en 71 artikelen.", 1.0, "nl")


@pytest.mark.parametrize(
    ("answer", "recounted"),
    [
        # The local model, 2026-12-05: the chapters' 9 given as a number of states / countries.
        ("9 Staaten haben das Übereinkommen in Hanoi unterzeichnet.", ["9 Staaten"]),
        ("Es sind 9 Länder.", ["9 Länder"]),
        ("La convention compte 9 de pays.", ["9 de pays"]),
    ],
)
def test_a_count_of_the_source_given_to_something_else_is_caught(answer: str, recounted: list[str]) -> None:
    assert recounts_a_source(answer, [de(CHAPTERS_DE)], "de") == recounted


@pytest.mark.parametrize(
    ("answer", "cited", "lang"),
    [
        ("9 Kapitel", [de(CHAPTERS_DE)], "de"),  # an inflection of the source's noun
        ("Die Konvention hat 71 Artikel.", [de(CHAPTERS_DE)], "de"),
        ("71", [de(CHAPTERS_DE)], "de"),  # nothing counted
        ("9 Staaten.", [de(CHAPTERS_DE)], "fr"),  # no source in the answer's language to compare
        ("12 Staaten.", [de(CHAPTERS_DE)], "de"),  # a number the source lacks (the number check's job)
        ("9 Staaten.", [de(CHAPTERS_DE), de("Am 9. Oktober.")], "de"),  # a 9 with no noun: left alone
        ("9 Staaten.", [de(CHAPTERS_DE), de("Es unterzeichneten 9 Staaten.")], "de"),  # another counts states
        # Copied from a cited source in another language (the language check's job).
        ("Es sind 9 hoofdstukken.", [de(CHAPTERS_DE), CHAPTERS_NL], "de"),
    ],
)
def test_a_count_that_agrees_with_a_source_or_cannot_be_compared_passes(
    answer: str, cited: list[Passage], lang: str
) -> None:
    assert recounts_a_source(answer, cited, lang) == []


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("Die Konvention wurde am 25. Oktober 2024 angenommen.", {(25, 10, "2024"): "25. Oktober 2024"}),
        ("It was adopted on December 24, 2024.", {(24, 12, "2024"): "December 24, 2024"}),
        ("Adoptée le 1er octobre 2025.", {(1, 10, "2025"): "1er octobre 2025"}),
        ("Den 25:e oktober 2025 tog han emot dem.", {(25, 10, "2025"): "25:e oktober 2025"}),
        ("Op 24 december 2024 nam de Algemene Vergadering", {(24, 12, "2024"): "24 december 2024"}),
        ("Am 2024-12-24.", {(24, 12, "2024"): "2024-12-24"}),
        # A numeric date is read both ways where both are possible; 24 cannot be a month.
        ("Le 05/10/2024.", {(5, 10, "2024"): "05/10/2024", (10, 5, "2024"): "05/10/2024"}),
        ("Am 24.12.2024.", {(24, 12, "2024"): "24.12.2024"}),
        # Not a date with a day, a month and a year.
        ("Am 25. Oktober.", {}),
        ("Im Oktober 2025.", {}),
        ("9 Kapitel und 71 Artikel, 2024 angenommen.", {}),
        ("Es waren 40 März 2024.", {}),  # 40 is no day
    ],
)
def test_full_dates_are_read_in_every_language_and_numeric_form(
    text: str, dates: dict[tuple[int, int, str], str]
) -> None:
    assert full_dates(text) == dates


ADOPTION_NL = "Op 24 december 2024 nam de Algemene Vergadering van de Verenigde Naties het verdrag aan."
RECEPTION_SV = "På eftermiddagen den 25 oktober tog generalsekreterare To Lam emot delegationschefer."


@pytest.mark.parametrize(
    ("answer", "spliced"),
    [
        # The local model, 2026-12-06, asked when the General Assembly adopted the convention:
        # the reception's day and month with the adoption's year.
        ("Die Konvention wurde am 25. Oktober 2024 angenommen.", ["25. Oktober 2024"]),
        ("Adopted on October 25, 2024.", ["October 25, 2024"]),
        ("Le 25/10/2024.", ["25/10/2024"]),
        # A day the sources give another month ("24 december", not "24 oktober").
        ("Am 24. Oktober 2024.", ["24. Oktober 2024"]),
    ],
)
def test_a_date_joining_a_day_and_a_year_from_different_sources_is_caught(
    answer: str, spliced: list[str]
) -> None:
    assert spliced_dates(answer, [ADOPTION_NL, RECEPTION_SV]) == spliced


@pytest.mark.parametrize(
    ("answer", "sources"),
    [
        ("24. Dezember 2024", [ADOPTION_NL, RECEPTION_SV]),
        ("On December 24, 2024.", [ADOPTION_NL]),
        ("Am 24.12.2024.", [ADOPTION_NL]),
        ("24. Dezember 2024", ["Am 24.12.2024 angenommen."]),  # a numeric date in the source
        ("Am 25. Oktober.", [ADOPTION_NL, RECEPTION_SV]),  # no year: the number check's job alone
        # The day and month in one place of the paragraph, the year in another.
        ("Le 25 octobre 2025.", ["Le 25 octobre, To Lam a reçu les délégations. La cérémonie de 2025 …"]),
        # A range: "vom 24. bis 25. Oktober 2025" states both days.
        ("Am 24. Oktober 2025.", ["Guterres besuchte Vietnam vom 24. bis 25. Oktober 2025."]),
        ("Den 24:e oktober 2025.", ["Han besökte Vietnam den 24:e till 25:e oktober 2025."]),
        ("On 25 October 2025.", ["He visited Vietnam from October 24 to 25, 2025."]),
    ],
)
def test_a_date_one_source_states_passes(answer: str, sources: list[str]) -> None:
    assert spliced_dates(answer, sources) == []


@pytest.mark.parametrize(
    "question",
    [
        "When did the UN General Assembly adopt it?",
        "Wann wurde die Konvention angenommen?",
        "An welchem Tag nahm die UN-Generalversammlung das Übereinkommen an?",
        "Und zu welcher Tageszeit fand dieses Treffen statt?",
        "Seit wann wird verhandelt?",
        "Quel jour To Lam a-t-il reçu les chefs de délégation ?",
        "Et à quelle date entrera-t-elle en vigueur ?",
        "La convention a été signée quand ?",
        "Vilket år skulle undertecknandeceremonin äga rum?",
        "När inleddes förhandlingarna?",
        "Wanneer nam de Algemene Vergadering het verdrag aan?",
        "En op welke datum werd de ceremonie gehouden?",
        "Which day did Guterres arrive?",
    ],
)
def test_questions_asking_when(question: str) -> None:
    assert asks_when(question)


@pytest.mark.parametrize(
    "question",
    [
        # A when-word inside the question is a conjunction: these ask what.
        "What did To Lam say when he received the delegations?",
        "Vad sa To Lam när han tog emot delegationerna?",
        "Qu'a dit To Lam quand il a reçu les délégations ?",
        "Vilket är Vietnams roll?",  # "är" (is), not "år" (year)
        "Who chaired the ceremony?",
        "Hur länge förhandlade länderna?",  # how long: the duration checks' question
    ],
)
def test_questions_not_asking_when(question: str) -> None:
    assert not asks_when(question)


@pytest.mark.parametrize(
    ("answer", "timed"),
    [
        ("24. Dezember 2024", True),
        ("2025", True),
        ("Le samedi", True),
        ("Am Samstagnachmittag", True),  # a compound
        ("På lördagseftermiddagen", True),
        ("Das Treffen fand am Nachmittag statt.", True),
        ("Im Oktober", True),
        ("vor fünf Jahren", True),
        ("gisteren", True),
        # The local model, 2026-12-06, to "Wann fand die Unterzeichnungszeremonie in Hanoi statt?"
        (
            "Die Unterzeichnungszeremonie der Hanoi-Konvention ist ein wichtiges internationales Ereignis.",
            False,
        ),
        ("Vietnam uppmanar länder att snart ratificera konventionen.", False),  # "soon" is no date
        ("Hier in Hanoi.", False),  # German "hier" is "here", not French "yesterday"
    ],
)
def test_an_answer_places_something_in_time(answer: str, timed: bool) -> None:
    assert states_time(answer) is timed
    assert misses_time(answer, "Wann fand es statt?") is not timed
    assert not misses_time(answer, "Was fand statt?")


@pytest.mark.parametrize(
    ("question", "lang", "is_open"),
    [
        ("Und wo hat er sie empfangen?", "de", True),
        ("Was würdigte Krzysztof Gawkowski?", "de", True),
        ("Mit welchen Mitteln will Vietnam Streitigkeiten lösen?", "de", True),
        ("Wie einig waren sich die UN-Mitglieder?", "de", True),
        ("Hat die Konvention 50 Kapitel?", "de", False),
        ("En waar staat die afkorting voor?", "nl", True),
        ("Van welke geest getuigde de deelname?", "nl", True),
        ("Is het verdrag al in werking?", "nl", False),
        ("Qu'est-ce que le Vietnam demande ?", "fr", True),
        ("Dans quelle ville l'Assemblée l'a-t-elle adoptée ?", "fr", True),
        ("Est-ce que le Vietnam a signé ?", "fr", False),
        ("För hur länge sedan antog FN ett sådant dokument?", "sv", True),
        ("Är det första gången som Vietnam står värd?", "sv", False),
        ("Var det Vietnam som skrev under först?", "sv", False),  # "var": was, here
        ("Who chaired the ceremony?", "en", True),
        ("Was it signed in 2023?", "en", False),  # "was": a verb, here
        ("Did the United States sign?", "en", False),
    ],
)
def test_open_questions_ask_more_than_yes_or_no(question: str, lang: str, is_open: bool) -> None:
    assert asks_open_question(question, lang) is is_open


@pytest.mark.parametrize(
    ("answer", "question", "shown"),
    [
        (
            "Ja, KPV-Generalsekretär To Lam empfing die Delegationsleiter.",
            "Und wo hat er sie empfangen?",
            "KPV-Generalsekretär To Lam empfing die Delegationsleiter.",
        ),
        ("Ja.", "Und wo hat er sie empfangen?", ""),
        ("Ja, 9 Kapitel.", "Hat die Konvention 9 Kapitel?", "Ja, 9 Kapitel."),
        ("Japan.", "Wer hat zuerst unterzeichnet?", "Japan."),  # a word, not "ja"
    ],
)
def test_a_yes_or_no_opening_an_answer_to_an_open_question_is_dropped(
    answer: str, question: str, shown: str
) -> None:
    assert drop_yes_no(answer, question, "de") == shown


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Who presided over the signing ceremony?", "en"),
        ("At whose invitation did Guterres visit Vietnam?", "en"),
        ("Wer leitete die Unterzeichnungszeremonie?", "de"),
        ("Und wem dankte er?", "de"),
        ("Qui a accordé une interview à la presse ?", "fr"),
        ("À qui Ghada Waly a-t-elle rendu hommage ?", "fr"),
        ("Vem tog emot delegationscheferna?", "sv"),
        ("Wie ontving de delegatieleiders?", "nl"),
        ("Who is the UN Secretary-General?", "en"),  # a role: the answer is the name
        ("Which countries signed the convention on the first day?", "en"),
        ("In welcher Stadt empfing To Lam die Delegationsleiter?", "de"),
        ("Dans quelle ville la convention a-t-elle été adoptée ?", "fr"),
        ("Vilka länder undertecknade konventionen?", "sv"),
        ("In welke stad werd het verdrag aangenomen?", "nl"),
    ],
)
def test_questions_asking_for_a_name(question: str, lang: str) -> None:
    assert asks_for_name(question, lang)


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Who is Ghada Waly?", "en"),  # asks what she is: a role, not a name
        ("Qui est António Guterres ?", "fr"),
        ("Wie viele Kapitel hat die Konvention?", "de"),  # German "wie" is how
        ("Wie einig waren sich die UN-Mitglieder?", "de"),
        ("What did To Lam say about the countries?", "en"),
        ("Vilken roll spelar Vietnam?", "sv"),
        ("Qu'est-ce qui rend la convention importante ?", "fr"),
        ("", "en"),
    ],
)
def test_questions_not_asking_for_a_name(question: str, lang: str) -> None:
    assert not asks_for_name(question, lang)


@pytest.mark.parametrize(
    ("answer", "names"),
    [
        ("Vietnam", ["Vietnam"]),
        ("Le président Luong Cuong.", ["Luong", "Cuong"]),
        ("generalsekreterare To Lam", ["To", "Lam"]),
        ("To Lam", ["Lam"]),  # a short first word is taken as capitalised for its place
        ("Elle dirige l'ONUDC.", ["ONUDC"]),
        ("She is the executive director. They met in Hanoi.", ["Hanoi"]),
        ("Präsident Luong Cuong", ["Präsident", "Luong", "Cuong"]),  # German nouns count
        # The local model, 2026-12-06, to "Which countries signed the convention on the first day?"
        ("Hon betonade att konventionen markerar ett viktigt steg mot den första globala ramen.", []),
    ],
)
def test_names_in_an_answer(answer: str, names: list[str]) -> None:
    assert names_in(answer) == names


@pytest.mark.parametrize(
    ("answer", "question", "lang", "misses"),
    [
        (
            "Hon betonade att konventionen markerar ett viktigt steg.",
            "Which countries signed it first?",
            "en",
            True,
        ),
        # Names, but only the question's own: nothing answers who.
        (
            "The heads of delegations were received at the Hanoi Convention.",
            "Who received the heads of delegations of the Hanoi Convention?",
            "en",
            True,
        ),
        ("Elle est directrice exécutive.", "Qui a dirigé la cérémonie ?", "fr", True),
        ("President Luong Cuong", "Who presided over the ceremony?", "en", False),
        ("Vietnam", "Welk land organiseerde de ceremonie?", "nl", False),
        ("in Hanoi", "In welcher Stadt empfing To Lam die Delegationsleiter?", "de", False),
        # Not asked for a name: the rule stays out of it.
        ("Elle est directrice exécutive.", "Qui est Ghada Waly ?", "fr", False),
        ("Hon betonade att konventionen markerar ett viktigt steg.", "What did she stress?", "en", False),
    ],
)
def test_an_answer_to_a_name_question_names_someone(
    answer: str, question: str, lang: str, misses: bool
) -> None:
    assert misses_name(answer, question, lang) is misses


def test_names_are_the_words_capitalised_in_two_languages(corpus: Corpus) -> None:
    names = corpus_names(corpus)
    assert {"hanoi", "vietnam", "luong", "cuong", "guterres", "lam", "unodc"} <= names
    # German nouns are capitalised in German only; a translation changes them.
    assert not {"präsident", "prasident", "konvention", "unterzeichnungszeremonie"} & names


@pytest.mark.parametrize(
    ("original", "translated", "lost"),
    [
        # The bundled model's English for the Swedish reception paragraph (2026-12-05).
        (
            "Generalsekreterare To Lam tog emot delegationschefer.",
            "The general secretaries received delegates.",
            ["To", "Lam"],
        ),
        (
            "Präsident Luong Cuong leitete die Zeremonie.",
            "The text is already in English.",
            ["Luong", "Cuong"],
        ),
        ("Präsident Luong Cuong leitete die Zeremonie.", "President Luong Cuong chaired the ceremony.", []),
        ("Vietnams pionjärroll", "Vietnam's pioneering role", []),  # compared by five letters
        ("Hanoï", "Hanoi", []),
    ],
)
def test_names_a_translation_lost(corpus: Corpus, original: str, translated: str, lost: list[str]) -> None:
    assert lost_names(original, translated, corpus_names(corpus)) == lost


# --- words left in another language ----------------------------------------------------------

BUI_THANH_SON_NL = ("004_f4e3faa662122174.txt", 7)  # "Vicepremier en minister van Buitenlandse Zaken …"
NEW_CHAPTER_SV = ("001_5da9f8a340a8f379.txt", 22)  # "… ett nytt kapitel i globalt cybersamarbete …"
CEREMONY_DE = ("000_471dacd1b07f6ea5.txt", 2)  # "… Generalsekretär Antonio Guterres …"
LEGAL_FRAMEWORK_DE = ("000_471dacd1b07f6ea5.txt", 6)  # "… einen umfassenden multilateralen Rechtsrahmen …"
UNODC_SUPPORT_SV = ("001_5da9f8a340a8f379.txt", 7)  # "… tekniskt bistånd, kapacitetsuppbyggnad …"
RECEPTION_DE = ("003_736721b06ed10590.txt", 3)  # "(VOVWORLD) - KPV-Generalsekretär To Lam …"


def _sources(corpus: Corpus, *refs: tuple[str, int]) -> list[Passage]:
    return [Passage(f, n, corpus.paragraph(f, n).text, 1.0, corpus.paragraph(f, n).lang) for f, n in refs]


@pytest.mark.parametrize(
    ("answer", "lang", "refs", "expected"),
    [
        # Answers the bundled model gave in stored runs of the known-answers set.
        (
            "Le vicepremier et le minister de Buitenlandse Zaken Bui Thanh Son ont accordé une interview "
            "à la presse au sujet de l'adoption de la convention par l'ONU.",
            "fr",
            [BUI_THANH_SON_NL],
            {"nl": ["vicepremier", "Buitenlandse", "Zaken"]},
        ),
        (
            "Vicepremierminister und Minister von Buitenlandse Zaken",
            "de",
            [BUI_THANH_SON_NL],
            {"nl": ["Buitenlandse", "Zaken"]},
        ),
        ("Generalsekretär", "sv", [CEREMONY_DE], {"de": ["Generalsekretär"]}),
        ("Tusentals delegater van 110 landen", "nl", [], {"sv": ["Tusentals", "delegater"]}),
        ("La région Azië-Pacific est particulièrement menacée.", "fr", [], {"nl": ["Azië-Pacific"]}),
        ("En plenary och high-level diskussion", "sv", [], {"en": ["plenary"]}),
        # A compound in no word list, copied from the Swedish source into a Dutch answer
        # ("styring", which no source writes, is not flagged).
        (
            "Een nieuw kapitel in de globale cybersamarbete en styring",
            "nl",
            [NEW_CHAPTER_SV],
            {"sv": ["cybersamarbete"]},
        ),
        # What the bundled model answered (2026-12-06, afternoon): a German noun copied as written
        # (capitalised, and rarer in German than the common-word threshold), and a compound
        # in no word list whose Swedish ending is inside a word of the Swedish source.
        (
            "La Convention a pour objectifs de créer un multilateralien Rechtsrahmen pour la défense "
            "de l'internet contre les cybercriminels.",
            "fr",
            [LEGAL_FRAMEWORK_DE],
            {"de": ["Rechtsrahmen"]},
        ),
        (
            "Das UNODC spielt eine wichtige Rolle in Vietnam, indem es technische Hilfe, "
            "Kapacitätsuppbyggnad und die Möglichkeit der Einrichtung eines regionalen "
            "Cybercrime-Schulungszentrums in Hanoi prüft.",
            "de",
            [UNODC_SUPPORT_SV],
            {"sv": ["Kapacitätsuppbyggnad"]},
        ),
        # Neither without the source it came from.
        ("La Convention crée un multilateralien Rechtsrahmen.", "fr", [], {}),
        ("Technische Hilfe und Kapacitätsuppbyggnad.", "de", [], {}),
        # A capitalised word of one source that no word list has is taken for a name.
        ("Selon VOVWORLD, To Lam a reçu les chefs de délégation.", "fr", [RECEPTION_DE], {}),
        # Right answers: every word is one of the answer's language, or a name.
        ("Die Hanoi-Konvention besteht aus 9 Kapiteln und 71 Artikeln.", "de", [CEREMONY_DE], {}),
        ("Le président Luong Cuong a présidé la cérémonie de signature.", "fr", [CEREMONY_DE], {}),
        ("Generalsekreterare To Lam tog emot delegationscheferna.", "sv", [NEW_CHAPTER_SV, CEREMONY_DE], {}),
        (
            "UN Secretary-General António Guterres attended the signing ceremony in Hanoi.",
            "en",
            [CEREMONY_DE],
            {},
        ),
        ("Vicepremier en minister van Buitenlandse Zaken Bui Thanh Son", "nl", [BUI_THANH_SON_NL], {}),
        ("Krzysztof Gawkowski ontmoette Bui Thanh Son op 24 oktober.", "nl", [BUI_THANH_SON_NL], {}),
    ],
)
def test_words_left_in_another_language_are_found(
    corpus: Corpus, answer: str, lang: str, refs: list[tuple[str, int]], expected: dict[str, list[str]]
) -> None:
    found = foreign_words(answer, lang, _sources(corpus, *refs), names=corpus_names(corpus))
    assert found == expected


def test_words_of_the_question_and_names_are_not_foreign(corpus: Corpus) -> None:
    sources = _sources(corpus, BUI_THANH_SON_NL)
    answer = "« Buitenlandse Zaken » signifie Affaires étrangères."
    assert foreign_words(answer, "fr", sources) == {"nl": ["Buitenlandse", "Zaken"]}
    assert foreign_words(answer, "fr", sources, asked="Que veut dire « Buitenlandse Zaken » ?") == {}
    # "Vietnams" is German and Swedish for "Vietnam's"; as an article name it passes.
    assert foreign_words("Vietnams role", "en", []) == {"de": ["Vietnams"]}
    assert foreign_words("Vietnams role", "en", [], names=corpus_names(corpus)) == {}


def test_a_language_without_a_word_list_has_no_foreign_words() -> None:
    assert foreign_words("Buitenlandse Zaken", "xx", []) == {}


@pytest.mark.parametrize(
    ("answer", "lang", "refs", "written_in"),
    [
        # What the bundled model answered (2026-12-06): a source's words, too few for lingua.
        ("Vicepremier en minister van Buitenlandse Zaken", "de", [BUI_THANH_SON_NL], "nl"),
        ("Generalsekretär", "sv", [CEREMONY_DE], "de"),
        ("Generalsekreterare", "nl", [NEW_CHAPTER_SV], "sv"),
        ("Tusentals delegater van 110 landen", "nl", [NEW_CHAPTER_SV], "sv"),  # two of three
        # A few words of another language in an answer that is mostly in its own: not mostly foreign.
        (
            "Le vicepremier et le minister de Buitenlandse Zaken Bui Thanh Son ont accordé une "
            "interview à la presse.",
            "fr",
            [BUI_THANH_SON_NL],
            None,
        ),
        ("Een nieuw kapitel in de globale cybersamarbete en styring", "nl", [NEW_CHAPTER_SV], None),
        # In the question's language, or nothing to judge.
        ("Vizepremier und Minister der Auswärtigen Angelegenheiten", "de", [BUI_THANH_SON_NL], None),
        ("Generalsekretär", "de", [CEREMONY_DE], None),
        ("Guterres", "sv", [CEREMONY_DE], None),
        ("9", "en", [CEREMONY_DE], None),
    ],
)
def test_an_answer_mostly_in_another_language_is_told_by_its_words(
    corpus: Corpus, answer: str, lang: str, refs: list[tuple[str, int]], written_in: str | None
) -> None:
    assert mostly_foreign(answer, lang, _sources(corpus, *refs), names=corpus_names(corpus)) == written_in


@pytest.mark.parametrize(
    ("word", "lang", "own"),
    [
        ("Angelegenheiten", "de", True),
        ("Auswärtigen", "de", True),
        ("Buitenlandse", "nl", True),
        # Names: news in every language writes them.
        ("Macron", "fr", False),
        ("Scholz", "de", False),
        ("Stockholm", "sv", False),
        # English words are in every list: not English's own.
        ("Affairs", "en", False),
        # Common in its language, but in another language's list too.
        ("Affaires", "fr", False),
        ("Angelegenheiten", "fr", False),
    ],
)
def test_a_language_word_is_common_in_its_language_only(word: str, lang: str, own: bool) -> None:
    assert language_word(word, lang) is own


def test_a_translation_may_write_a_languages_own_words_capitalised(vocabulary: frozenset[str]) -> None:
    german = "Vizepremier und Minister der Auswärtigen Angelegenheiten"
    assert outside_names(german, vocabulary) == ["Auswärtigen Angelegenheiten"]
    assert outside_names(german, vocabulary, language="de") == []
    # Names are still checked.
    assert outside_names("Le président est Emmanuel Macron.", vocabulary, language="fr") == [
        "Emmanuel Macron"
    ]
    assert outside_names("Der Kanzler ist Olaf Scholz.", vocabulary, language="de") == ["Olaf Scholz"]


# --- yes and no that only repeat the question ---------------------------------------------------

GENEVA_DE = "Wurde die Konvention in Genf unterzeichnet?"
CHAIR_DE = "Wurde die Unterzeichnungszeremonie von Präsident Luong Cuong geleitet?"


@pytest.mark.parametrize(
    ("answer", "question", "lang", "unverified"),
    [
        # What the bundled model answered (2026-12-06): yes to a false premise, repeating it.
        ("Ja, die Konvention wurde in Genf unterzeichnet.", GENEVA_DE, "de", True),
        (
            "Yes, the United States signed the convention in Hanoi.",
            "Did the United States sign the convention in Hanoi?",
            "en",
            True,
        ),
        ("Ja.", "Hat die Europäische Union die Konvention unterzeichnet?", "de", True),
        # The German source says so in these words ("… wird von Präsident Luong Cuong geleitet").
        ("Ja, die Unterzeichnungszeremonie wurde von Präsident Luong Cuong geleitet.", CHAIR_DE, "de", False),
        # An answer that adds something of its own is left to the other checks.
        ("Nein, die Konvention wurde in Hanoi unterzeichnet.", GENEVA_DE, "de", False),
        ("Nein, 9 Kapitel.", "Hat die Konvention 12 Kapitel?", "de", False),
        # Not a yes or no, or not a yes/no question.
        ("Die Konvention wurde in Genf unterzeichnet.", GENEVA_DE, "de", False),
        ("Ja, in Genf.", "Wo wurde die Konvention unterzeichnet?", "de", False),
    ],
)
def test_a_yes_or_no_that_only_repeats_the_question_needs_a_source_in_those_words(
    corpus: Corpus, answer: str, question: str, lang: str, unverified: bool
) -> None:
    sources = [p.text for p in _sources(corpus, CEREMONY_DE, ("000_471dacd1b07f6ea5.txt", 6))]
    assert unverified_yes_no(answer, question, lang, sources) is unverified
    if answer.startswith("Ja, die Unterzeichnungszeremonie"):  # without the German source, unverified
        assert unverified_yes_no(answer, question, lang, [])


@pytest.mark.parametrize(
    ("answer", "question", "lang"),
    [
        # What the bundled model answered (2026-12-06) to questions the articles do not settle.
        (
            "Oui, le Brésil a signé la Convention de Hanoï.",
            "Est-ce que le Brésil a signé la convention ?",
            "fr",
        ),
        ("Ja, Kina undertecknat Hanoi-konventionen.", "Har Kina undertecknat konventionen?", "sv"),
    ],
)
def test_an_articles_name_added_to_the_repeated_question_is_no_word_of_the_answers_own(
    corpus: Corpus, answer: str, question: str, lang: str
) -> None:
    names = corpus_names(corpus)
    sources = [p.text for p in _sources(corpus, CEREMONY_DE, ("000_471dacd1b07f6ea5.txt", 6))]
    assert "hanoi" in names
    assert unverified_yes_no(answer, question, lang, sources, names)
    assert not unverified_yes_no(answer, question, lang, sources)  # "Hanoi" counted as its own word
    # A correction naming a place of the articles still has a source in its words.
    assert not unverified_yes_no("Nein, in Hanoi.", GENEVA_DE, "de", sources, names)


def test_a_language_without_a_word_list_counts_every_word_as_content() -> None:
    # No list to tell function words: "die" and "wurde" must then be in a source too.
    question = "Wurde die Konvention in Genf unterzeichnet?"
    answer = "Ja, die Konvention wurde in Genf unterzeichnet."
    assert unverified_yes_no(answer, question, "xx", ["Die Konvention in Genf unterzeichnet."])
    assert not unverified_yes_no(answer, question, "xx", ["Die Konvention wurde in Genf unterzeichnet."])


# --- questions about a first -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Which country was the first to sign the Hanoi Convention?", "en"),
        ("Welche Länder unterzeichneten die Konvention am ersten Tag?", "de"),
        ("Wer hat die Konvention zuerst ratifiziert?", "de"),
        ("Quel pays a ratifié la Convention de Hanoï en premier ?", "fr"),
        ("Quelle est la première organisation à saluer la Convention ?", "fr"),
        ("Är det första gången som Vietnam står värd för en undertecknandeceremoni?", "sv"),
        ("Welk land ondertekende het verdrag als eerste?", "nl"),
    ],
)
def test_questions_about_a_first(question: str, lang: str) -> None:
    assert asks_about_a_first(question, lang)


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Which country signed the Hanoi Convention?", "en"),
        ("Qui a rencontré le vice-Premier ministre Bui Thanh Son ?", "fr"),
        ("Que pense le Premier ministre de la Convention ?", "fr"),
        # Dutch "premier" is a prime minister, not French "premier".
        ("Wat zei de premier over het verdrag?", "nl"),
        ("Hur länge förhandlade länderna om konventionen?", "sv"),
    ],
)
def test_questions_not_about_a_first(question: str, lang: str) -> None:
    assert not asks_about_a_first(question, lang)


def test_the_paragraphs_that_speak_of_a_first(corpus: Corpus) -> None:
    def text(file: str, number: int) -> str:
        return corpus.paragraph(file, number).text

    # "Dit is de eerste keer dat Vietnam een ondertekeningsceremonie organiseert …"
    assert speaks_of_a_first([text("004_f4e3faa662122174.txt", 10)])
    # "… den första globala rättsliga ramen …"
    assert speaks_of_a_first([text("001_5da9f8a340a8f379.txt", 6)])
    # "… le vice-Premier ministre Bui Thanh Son …": a title, no order.
    assert "Premier" in text("002_fdb1f30901b7e10f.txt", 4)
    assert not speaks_of_a_first([text("002_fdb1f30901b7e10f.txt", 4)])
    assert not speaks_of_a_first([text("000_471dacd1b07f6ea5.txt", 6)])  # 9 chapters and 71 articles


def test_an_answer_about_a_first_needs_a_cited_source_that_speaks_of_one() -> None:
    question = "Which country was the first to sign the Hanoi Convention?"
    ceremony = "The signing ceremony took place in Hanoi, hosted by Vietnam."
    first_time = "It is the first time that Vietnam hosts the signing of a UN convention."
    assert unsupported_first("Vietnam", question, "en", [ceremony])
    assert not unsupported_first("Vietnam", question, "en", [ceremony, first_time])
    # Not a question about a first: nothing to check.
    assert not unsupported_first("Vietnam", "Which country hosted the ceremony?", "en", [ceremony])
