"""Names in answers and questions: full names no article mentions, who-questions answered with no name."""

from __future__ import annotations

import re
from collections.abc import Set

from qa.grounding.foreign import language_word
from qa.grounding.questions import interrogative_at
from qa.grounding.words import SENTENCE_BREAK, WORD, acronyms, is_acronym, is_capitalised, word_stems
from qa.lang import fold


def _name_candidates(answer: str) -> set[str]:
    """Capitalised words that do not start a sentence: likely names."""
    names = set()
    for sentence in re.split(r"(?<=[.!?:])\s+", answer):
        words = WORD.findall(sentence)
        for word in words[1:]:
            if len(word) >= 3 and word[0].isupper() and not word.isdigit():
                names.add(word)
    return names


def unsupported_names(answer: str, evidence: list[str], question: str = "") -> set[str]:
    """Likely names in ``answer`` whose first letters (accent- and case-folded) occur in no evidence.

    Compares 5-letter stems, so inflections ("Vietnams") and translations that keep the stem
    ("Konvention"/"convention") pass; an invented person or place does not.
    """
    known = word_stems(question)
    for text in evidence:
        known |= word_stems(text)
    return {name for name in _name_candidates(answer) if fold(name)[:5] not in known}


# Lower-case words that join the parts of one name: "Ministry of Foreign Affairs", "Ministère de
# la Sécurité publique". Not German ones: "Verwaltung von Strafen" is two nouns, not a name.
_NAME_JOINERS = frozenset({"of", "the", "de", "du", "des", "d", "la", "le", "van", "af", "di"})


# What may stand between two words of one name: spaces, hyphens, apostrophes.
_NAME_GAP = re.compile(r"[\s\-\u2010\u2011'\u2019]*")


def _name_runs(answer: str) -> list[list[str]]:
    """Runs of two or more capitalised words, in each sentence: "Emmanuel Macron", "Willem II",
    "Willem-Alexander", "Ministry of Foreign Affairs" (joiners between capitalised words keep a
    run going; other punctuation ends it). A short first word of a sentence ("The", "Die",
    "Het") is capitalised for its place, so it starts no run; nor does a word right after a
    number, which is what is counted ("90 Millionen Einwohner": German capitalises nouns)."""
    runs: list[list[str]] = []
    for sentence in SENTENCE_BREAK.split(answer):
        # Tokens, each with whether punctuation (not a space, hyphen or apostrophe) precedes it.
        tokens: list[tuple[str, bool]] = []
        end = 0
        for match in WORD.finditer(sentence):
            gap = sentence[end : match.start()]
            tokens.append((match.group(), bool(tokens) and not _NAME_GAP.fullmatch(gap)))
            end = match.end()
        run: list[str] = []
        i = 0
        while i < len(tokens):
            word, broken = tokens[i]
            if broken and run:
                if len(run) >= 2:
                    runs.append(run)
                run = []
            after_number = i > 0 and tokens[i - 1][0].isdigit() and not broken
            if is_capitalised(word) and not (i == 0 and len(word) <= 3) and not (after_number and not run):
                run.append(word)
                i += 1
                continue
            j = i
            while run and j < len(tokens) and tokens[j][0] in _NAME_JOINERS and not tokens[j][1]:
                j += 1
            if j > i and j < len(tokens) and is_capitalised(tokens[j][0]) and not tokens[j][1]:
                i = j  # the joiners link two parts of one name
                continue
            if len(run) >= 2:
                runs.append(run)
            run = []
            i += 1
        if len(run) >= 2:
            runs.append(run)
    return runs


def outside_names(
    answer: str, vocabulary: frozenset[str] | set[str], question: str = "", *, language: str | None = None
) -> list[str]:
    """Full names in ``answer`` (two or more capitalised words in a row) none of whose words
    occurs in ``vocabulary`` (the corpus's word stems, see :func:`corpus_vocabulary`):
    "Emmanuel Macron", "Olaf Scholz", "Willem II" to questions the articles do not answer. A
    person's or a place's name is not translated, so one the articles support is in them; a run
    with one word in them ("Ministry of Foreign Affairs": "Ministry", "United Nations":
    "Nations", "VN-Bureau voor drugs en misdaad": "VN", an abbreviation the articles write) may
    translate what they say and passes. A run made only of the question's words
    passes too ("No, Emmanuel Macron is not mentioned"), but one word of the question does not
    vouch for the rest ("Papst Franziskus" to "Wer ist der Papst?"). Single capitalised words
    are left alone: German capitalises every noun, and "Committee" translates "Comité".

    With ``language``, a run made only of that language's own words (:func:`language_word`)
    passes as well: "Auswärtigen Angelegenheiten" in a German translation of "minister van
    Buitenlandse Zaken". That leaves a name a language translates ("Papst Franziskus") unchecked,
    so the answer check does without it; a translation is of an answer that passed it."""
    asked = word_stems(question) | acronyms(question)
    outside = []
    for run in _name_runs(answer):
        stems = [fold(w)[:5] for w in run if len(w) >= 3 or is_acronym(w)]
        if not stems or any(s in vocabulary for s in stems) or all(s in asked for s in stems):
            continue
        if language is not None and all(language_word(w, language) for w in run):
            continue
        outside.append(" ".join(run))
    return outside


def lost_names(original: str, translated: str, names: Set[str]) -> list[str]:
    """The names (``names``, see :func:`corpus_names`) of ``original`` that ``translated`` lacks,
    compared by their first five letters ("Vietnams" is kept as "Vietnam's")."""
    have = {fold(w)[:5] for w in WORD.findall(translated)}
    return [
        w
        for w in WORD.findall(original)
        if is_capitalised(w) and fold(w) in names and fold(w)[:5] not in have
    ]


# Interrogatives that ask who, folded, by language (Dutch "wie" is who; German "wie" is how).
_WHO = {
    "en": frozenset({"who", "whom", "whose"}),
    "de": frozenset({"wer", "wen", "wem", "wessen"}),
    "fr": frozenset({"qui"}),
    "sv": frozenset({"vem", "vems"}),
    "nl": frozenset({"wie", "wiens"}),
}
# Questions that ask which country or city (folded text): the answer is a name.
_PLACE_NAME_QUESTION = re.compile(
    r"\b(?:(?:which|what) (?:country|countries|nation|city|cities|town|capital)"
    r"|welche[smnr]? (?:land|lander|staat|staaten|stadt|stadte|hauptstadt)"
    r"|quel(?:le)?s? (?:pays|ville|villes|nation|nations|capitale)"
    r"|(?:vilket|vilka) (?:land|lander)|vilken (?:stad|huvudstad)"
    r"|welke? (?:land|landen|stad|steden|hoofdstad))\b"
)
# "is" and "was" in the corpus languages and English, folded.
_COPULAS = frozenset(
    {"is", "was", "are", "were", "ist", "war", "sind", "waren", "est", "etait", "sont", "ar", "var", "zijn"}
)
# Capitalised only for opening a sentence: pronouns and determiners longer than three letters
# (shorter first words, "The", "Die", "Hon", "Het", are never taken for names), folded.
_SENTENCE_OPENERS = frozenset(
    {
        "this", "that", "these", "those", "they", "there", "dies", "diese", "dieser", "dieses", "elle",
        "elles", "cette", "celui", "celle", "ceux", "denna", "detta", "dessa", "deze", "dit",
    }
)  # fmt: skip


def asks_for_name(question: str, lang: str) -> bool:
    """True when ``question``, written in ``lang``, asks who ("Wer leitete…?", "À qui…?") or which
    country or city ("Dans quelle ville…?", "Vilka länder…?"): its answer names someone or
    somewhere."""
    tokens = WORD.findall(question)
    at = interrogative_at([fold(w) for w in tokens[:2]], _WHO.get(lang, frozenset()))
    if at is not None:
        # "Who is Ghada Waly?" asks what she is, not for a name.
        rest = tokens[at + 1 : at + 3]
        return not (len(rest) == 2 and fold(rest[0]) in _COPULAS and is_capitalised(rest[1]))
    return _PLACE_NAME_QUESTION.search(fold(question)) is not None


def names_in(answer: str) -> list[str]:
    """The capitalised words of ``answer`` (names, and in German every noun), without a sentence's
    capitalised opening word when it is short or a pronoun ("She", "Hon", "Diese")."""
    names = []
    for sentence in SENTENCE_BREAK.split(answer):
        for i, word in enumerate(WORD.findall(sentence)):
            if not is_capitalised(word) or word.isdigit():
                continue
            if i == 0 and (len(word) <= 3 or fold(word) in _SENTENCE_OPENERS):
                continue
            names.append(word)
    return names


def misses_name(answer: str, question: str, lang: str) -> bool:
    """True when ``question`` asks who or which country or city and ``answer`` names nobody and
    nowhere the question does not already name ("Hon betonade att konventionen markerar ett
    viktigt steg …" to "Which countries signed the convention on the first day?")."""
    if not asks_for_name(question, lang):
        return False
    asked = word_stems(question)
    return not any(fold(name)[:5] not in asked for name in names_in(answer))
