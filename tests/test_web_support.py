"""The pure text functions behind the chat's highlighting and citation markers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qa.models import Citation
from qa.web_support import (
    claim_for_marker,
    content_terms,
    normalize_markers,
    sentence_spans,
    strip_markers,
    support_spans,
)

GERMAN = (
    "Die Hanoi-Konvention, bestehend aus 9 Kapiteln und 71 Artikeln, ist das Ergebnis von fast fünf "
    "Jahren Verhandlungen. Sie wurde am 25. Oktober in Hanoi unterzeichnet. Präsident Luong Cuong "
    "leitete die Zeremonie, z.B. die Plenardiskussion."
)


def sentences(text: str) -> list[str]:
    return [text[b:e] for b, e in sentence_spans(text)]


def test_sentences_split_at_full_stops_but_not_after_ordinals_or_abbreviations() -> None:
    assert sentences(GERMAN) == [
        "Die Hanoi-Konvention, bestehend aus 9 Kapiteln und 71 Artikeln, ist das Ergebnis von fast fünf "
        "Jahren Verhandlungen.",
        "Sie wurde am 25. Oktober in Hanoi unterzeichnet.",
        "Präsident Luong Cuong leitete die Zeremonie, z.B. die Plenardiskussion.",
    ]


def test_sentences_keep_questions_quotes_and_unterminated_tails() -> None:
    text = "Who signed it? “Vietnam did.” And then   more text without a stop"
    assert sentences(text) == ["Who signed it?", "“Vietnam did.”", "And then   more text without a stop"]


def test_sentences_of_blank_text_are_empty() -> None:
    assert sentence_spans("   ") == []


@given(st.text(alphabet=st.sampled_from("ab .?!\n1Z»"), max_size=60))
def test_sentence_spans_are_ordered_trimmed_and_inside_the_text(text: str) -> None:
    spans = sentence_spans(text)
    previous_end = 0
    for begin, end in spans:
        assert previous_end <= begin < end <= len(text)
        piece = text[begin:end]
        assert piece == piece.strip()
        previous_end = end
    # Nothing but whitespace is left out.
    covered = "".join(text[b:e] for b, e in spans)
    assert "".join(covered.split()) == "".join(text.split())


def test_support_prefers_the_sentence_with_the_answers_numbers() -> None:
    spans = support_spans(GERMAN, "The convention has 9 chapters and 71 articles [1].")
    assert [GERMAN[b:e] for b, e in spans] == [sentences(GERMAN)[0]]


def test_support_finds_names_across_languages() -> None:
    spans = support_spans(GERMAN, "President Luong Cuong chaired the ceremony.")
    assert [GERMAN[b:e] for b, e in spans] == [sentences(GERMAN)[2]]


def test_support_is_empty_without_real_overlap() -> None:
    assert support_spans(GERMAN, "What is the weather like in Paris?") == []
    assert support_spans(GERMAN, "") == []
    assert support_spans("", "9 Kapitel") == []


def test_support_ignores_marker_numbers() -> None:
    # "[1]" must not count as the number 1, "¶2" not as 2.
    text = "Es gibt 1 Ziel. Es gibt 2 Wege."
    assert support_spans(text, "Siehe [1] und [Datei.txt ¶2].") == []


def test_content_terms_stem_and_drop_function_words() -> None:
    assert content_terms("The chapters of the Convention, with 71 articles") == {
        "chapte",
        "conven",
        "71",
        "articl",
    }
    assert content_terms("chapter") == content_terms("chapters")


def test_strip_markers() -> None:
    assert "1" not in strip_markers("Yes [1][2] and [a.txt ¶3].").replace(" ", "")


CITES = [Citation("a.txt", 3, "x"), Citation("b.txt", 7, "y")]


def test_normalize_keeps_numbered_markers() -> None:
    assert normalize_markers("It has 9 chapters [1] and was signed in Hanoi [2].", CITES) == (
        "It has 9 chapters [1] and was signed in Hanoi [2]."
    )


def test_normalize_turns_file_markers_into_numbers() -> None:
    assert normalize_markers("Nine chapters [b.txt ¶7].", CITES) == "Nine chapters [2]."
    # A file marker that names no citation stays as written (and then every citation is appended).
    assert normalize_markers("See [c.txt ¶1].", CITES) == "See [c.txt ¶1]. [1][2]"


def test_normalize_appends_markers_when_the_text_has_none() -> None:
    assert normalize_markers("Nine chapters.", CITES) == "Nine chapters. [1][2]"
    assert normalize_markers("Out of range [5].", CITES) == "Out of range [5]. [1][2]"
    assert normalize_markers("No citations.", []) == "No citations."


def test_claim_for_marker_takes_the_citing_sentences() -> None:
    text = "It has 9 chapters [1]. It was signed in Hanoi. [2] Vietnam hosted it [2]."
    assert claim_for_marker(text, 1) == "It has 9 chapters [1]."
    assert claim_for_marker(text, 2) == "It was signed in Hanoi. [2] Vietnam hosted it [2]."
    assert claim_for_marker(text, 3) == text
