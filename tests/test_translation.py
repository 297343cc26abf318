"""Machine translation of a cited paragraph (qa.translation): deterministic fake chat models
for the logic (streaming, checks, cache, errors), the bundled model for real (slow)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from qa.config import Settings
from qa.corpus import Corpus, load_corpus
from qa.errors import ConfigError, InputError
from qa.grounding import corpus_names
from qa.lang import answer_language
from qa.translation import (
    Translation,
    Translator,
    check_translation,
    length_limit,
    unwrap,
)
from tests.conftest import SEEDS

FRENCH = (
    "La Convention de Hanoï, composée de 9 chapitres et de 71 articles, est le fruit de près de 5 années "
    "de négociations."
)
SWEDISH = (
    "Hon betonade att konventionen markerar ett viktigt steg mot utformningen av den första globala "
    "rättsliga ramen för att stärka det internationella samarbetet för att förebygga och bekämpa "
    "it-brottslighet – en alltmer komplex gränsöverskridande utmaning."
)
SWEDISH_IN_ENGLISH = (
    "She stressed that the convention marks an important step towards the first global legal framework "
    "to strengthen international cooperation in preventing and fighting cybercrime, an increasingly "
    "complex cross-border challenge."
)
ENGLISH = "The Hanoi Convention, made up of 9 chapters and 71 articles, is the fruit of nearly 5 years of negotiations."


class RecordingFake(GenericFakeChatModel):
    """A fake chat model that counts its calls and remembers the prompts it was given."""

    prompts: list[str] = []  # noqa: RUF012 (pydantic field, copied per instance)

    def _stream(self, messages: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        self.prompts.append(str(messages[-1].content))
        yield from super()._stream(messages, *args, **kwargs)


def fake(*replies: str) -> RecordingFake:
    return RecordingFake(messages=iter(replies), prompts=[])


def run(
    translator: Translator, text: str, lang: str, names: frozenset[str] = frozenset()
) -> tuple[list[str], Translation]:
    *partial, final = list(translator.stream(text, lang, names=names))
    assert isinstance(final, Translation)
    assert all(isinstance(p, str) for p in partial)
    return [p for p in partial if isinstance(p, str)], final


def local(settings: Settings) -> Settings:
    return settings.model_copy(update={"llm": "local"})


def test_the_translation_streams_then_arrives_checked(settings: Settings) -> None:
    model = fake(f"<text>{ENGLISH}</text>")
    partial, final = run(Translator(local(settings), model=model), FRENCH, "en")
    assert final.text == ENGLISH and final.lang == "en" and final.problems == ()
    assert final.original == FRENCH and final.backend == "local"
    # The fake streams word by word: the reader sees the text grow, markers never shown.
    assert len(partial) > 3 and partial[-1] == ENGLISH
    assert all("<text>" not in p for p in partial)
    assert [len(p) for p in partial] == sorted(len(p) for p in partial)
    # The paragraph is data inside the translation prompt, with the target language named.
    assert FRENCH in model.prompts[0] and "from French into English" in model.prompts[0]


def test_a_finished_translation_is_reused(settings: Settings) -> None:
    model = fake(ENGLISH)  # one reply only: a second model call would fail
    translator = Translator(local(settings), model=model)
    _, first = run(translator, FRENCH, "en")
    partial, second = run(translator, FRENCH, "en")
    assert second == first and partial == []
    assert len(model.prompts) == 1


def test_a_translation_with_problems_is_flagged_and_asked_again(settings: Settings) -> None:
    changed = ENGLISH.replace("71", "17")
    model = fake(changed, ENGLISH)
    translator = Translator(local(settings), model=model)
    _, first = run(translator, FRENCH, "en")
    assert first.text == changed
    assert first.problems == ("numbers differ from the original: 17, 71",)
    _, second = run(translator, FRENCH, "en")  # not cached: the model is asked again
    assert second.problems == () and len(model.prompts) == 2


def test_a_runaway_translation_is_stopped_and_flagged(settings: Settings) -> None:
    loop = "of the employees " * 200
    model = fake(ENGLISH + " " + loop)
    partial, final = run(Translator(local(settings), model=model), FRENCH, "en")
    # Reading stopped soon after the limit, which stops the model (the fake has more to say).
    assert len(partial[-1]) <= length_limit(FRENCH) + len("employees ")
    assert len(final.text) < len(ENGLISH + " " + loop)
    assert any(p.startswith("cut off") for p in final.problems)


def test_a_reply_in_another_language_is_flagged(settings: Settings) -> None:
    _, final = run(Translator(local(settings), model=fake(FRENCH)), FRENCH, "en")
    assert final.problems == ("not in English",)


@pytest.mark.parametrize(
    ("original", "translated", "expected"),
    [
        (FRENCH, ENGLISH, ()),
        (FRENCH, "", ("the model returned no translation",)),
        (FRENCH, ENGLISH.replace("9 chapters", "nine chapters"), ("numbers differ from the original: 9",)),
        ("Le 24 octobre 2025.", "On 24 October 2025 and 2026.", ("numbers differ from the original: 2026",)),
        # A reply of the bundled model that was no translation (benchmarks/translate_sources.py).
        (
            SWEDISH,
            "The text is already in English.",
            ("much shorter than the original: most of the paragraph may be missing",),
        ),
        (SWEDISH, SWEDISH_IN_ENGLISH, ()),
        (SWEDISH, SWEDISH_IN_ENGLISH[: len(SWEDISH) // 2], ()),  # half as long: within the bound
    ],
)
def test_the_checks(original: str, translated: str, expected: tuple[str, ...]) -> None:
    assert check_translation(original, translated, "en", runaway=False) == expected


def test_a_translation_that_drops_a_name_of_the_articles_is_flagged(
    settings: Settings, corpus: Corpus
) -> None:
    names = corpus_names(corpus)
    original = (
        "Generalsekreterare To Lam tog emot delegationschefer från länder som deltog i undertecknandet."
    )
    # The bundled model's English for the Swedish reception paragraph (2026-12-05): who received?
    wrong = (
        "The general secretaries received heads of delegations from countries that took part in the signing."
    )
    right = (
        "General Secretary To Lam received heads of delegations from countries that took part in the signing."
    )
    assert check_translation(original, wrong, "en", runaway=False, names=names) == (
        "names of the original missing: To, Lam",
    )
    assert check_translation(original, right, "en", runaway=False, names=names) == ()
    assert check_translation(original, wrong, "en", runaway=False) == ()  # no names given: not checked
    _, final = run(Translator(local(settings), model=fake(wrong)), original, "en", names=names)
    assert final.problems == ("names of the original missing: To, Lam",)


def test_words_left_in_the_paragraphs_language_are_flagged(corpus: Corpus) -> None:
    # The bundled model's English for the Dutch article's first paragraph (benchmarks/translate_sources.py).
    original = corpus.paragraph("004_f4e3faa662122174.txt", 1).text
    translated = (
        "On 24 December 2024 the General Assembly of the United Nations in New York adopted the "
        "VN-Verdrag against cybercrime and chose Vietnam as the location of the signing ceremony."
    )
    assert check_translation(original, translated, "en", runaway=False, source_lang="nl") == (
        "words left untranslated (Dutch: VN-Verdrag)",
    )
    fixed = translated.replace("VN-Verdrag", "UN Convention")
    assert check_translation(original, fixed, "en", runaway=False, source_lang="nl") == ()


def test_unwrap_removes_markers_quotes_and_a_json_wrapper() -> None:
    assert unwrap(f"  <text>\n{ENGLISH}\n</text> ") == ENGLISH
    assert unwrap(f"«{ENGLISH}»") != ENGLISH  # different quote marks at the ends are text
    assert unwrap(f'"{ENGLISH}"') == ENGLISH
    assert unwrap('{"answer": "Nine chapters.", "sources": [], "found": true}') == "Nine chapters."


def test_unwrap_drops_a_line_announcing_the_translation() -> None:
    # The bundled model's reply to a French question's answer written in Swedish.
    reply = 'Voici la traduction en français :\n\n"Ghada Waly a estimé que le Vietnam a un rôle pionnier."'
    assert unwrap(reply) == "Ghada Waly a estimé que le Vietnam a un rôle pionnier."
    assert unwrap(f"Here is the translation into English:\n{ENGLISH}") == ENGLISH
    assert unwrap(f'Übersetzung: "{ENGLISH}"') == ENGLISH
    # A line ending in a colon is text when it does not speak of translating, or when nothing follows.
    listing = "Die Konvention umfasst:\n9 Kapitel und 71 Artikel."
    assert unwrap(listing) == listing
    assert unwrap("Here is the translation:") == "Here is the translation:"
    # A sentence about translating that is the answer itself stays.
    sentence = "Le traducteur a dit : « oui »."
    assert unwrap(sentence) == sentence


def test_bad_requests_are_clear_errors(settings: Settings) -> None:
    translator = Translator(local(settings), model=fake(ENGLISH))
    with pytest.raises(InputError, match="no text"):
        list(translator.stream("  \n", "en"))
    with pytest.raises(InputError, match="too long to translate here"):
        list(translator.stream("Lorem ipsum. " * 400, "en"))
    with pytest.raises(InputError, match="'xx'"):
        list(translator.stream(FRENCH, "xx"))
    extractive = Translator(settings.model_copy(update={"llm": "extractive"}))
    assert not extractive.available
    with pytest.raises(ConfigError, match="needs a language model"):
        list(extractive.stream(FRENCH, "en"))


@pytest.mark.slow
def test_the_bundled_model_translates_a_cited_paragraph(local_settings: Settings) -> None:
    """The bundled model for real: the French paragraph on the convention's chapters, into English.

    The 1.5B model drops a number here ("près de 5 années" became "years"): the checks must say so.
    """
    paragraph = load_corpus(SEEDS).paragraph("002_fdb1f30901b7e10f.txt", 6)
    translator = Translator(local_settings)
    partial, final = run(translator, paragraph.text, "en")
    assert partial, "the translation was not streamed"
    assert answer_language(final.text, [paragraph.text]) == "en", final.text
    assert "9" in final.text and "71" in final.text, final.text
    assert final.problems == check_translation(paragraph.text, final.text, "en", runaway=False)
    lost = [n for n in ("9", "71", "5") if n not in final.text]
    for number in lost:
        assert any(number in problem.split(": ")[-1].split(", ") for problem in final.problems), final
