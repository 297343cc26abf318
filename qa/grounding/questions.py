"""What kind of question was asked, and answers that only repeat it or say yes to it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Set

from qa.grounding.words import WORD, numbers_in, word_stems
from qa.lang import fold

# Words that give a yes/no answer its information, in the corpus languages and English.
_POLARITY = frozenset({"yes", "no", "ja", "nein", "nej", "nee", "neen", "oui", "non", "si"})


def repeats_question(answer: str, question: str) -> bool:
    """True when ``answer`` adds nothing to ``question``: no yes/no, no number the question lacks,
    and every word stem of it is in the question ("Vietnam" to "Which country, other than
    Vietnam, …?", "Prison sentences are set for hackers." to "What prison sentences …?").
    Small models answer that way when the sources do not say; it is never a supported answer."""
    if {fold(w) for w in WORD.findall(answer)} & _POLARITY:
        return False
    if numbers_in(answer) - numbers_in(question):
        return False
    return not (word_stems(answer) - word_stems(question))


# Interrogative words, folded, by language: a question that opens with one (or with a preposition
# or "and" and then one: "Mit welchen Mitteln…?", "Dans quelle ville…?") asks for more than yes or
# no. Per language, since English "was" and Swedish "var" also open yes/no questions ("Was it…?",
# "Var det…?"), and French "Est-ce que…?" is one.
_INTERROGATIVES = {
    "en": frozenset({"what", "who", "whom", "whose", "which", "where", "why", "how", "when"}),
    "de": frozenset(
        {
            "was", "wer", "wen", "wem", "wessen", "welche", "welchem", "welchen", "welcher", "welches",
            "wo", "woher", "wohin", "womit", "wofur", "woruber", "warum", "weshalb", "wieso", "wie", "wann",
        }
    ),
    "fr": frozenset(
        {
            "que", "qu", "quoi", "qui", "quel", "quelle", "quels", "quelles", "ou", "pourquoi", "comment",
            "quand", "combien", "lequel", "laquelle",
        }
    ),
    "sv": frozenset({"vad", "vem", "vems", "vilken", "vilket", "vilka", "varifran", "vart", "varfor", "hur", "nar"}),
    "nl": frozenset(
        {"wat", "wie", "wiens", "welk", "welke", "waar", "waarom", "hoe", "wanneer", "waarmee", "waarvoor", "hoeveel"}
    ),
}  # fmt: skip
_QUESTION_LEADS = frozenset(
    {
        "and", "in", "on", "at", "for", "from", "with", "by", "of", "since", "to", "und", "mit", "an",
        "zu", "fur", "von", "aus", "bei", "nach", "seit", "bis", "um", "uber", "et", "dans", "a", "en",
        "de", "du", "par", "pour", "avec", "sur", "depuis", "och", "i", "pa", "fran", "med", "av",
        "till", "sedan", "op", "van", "met", "voor", "uit", "naar", "bij", "sinds", "tot",
    }
)  # fmt: skip
_LEADING_POLARITY = re.compile(rf"^\W*(?:{'|'.join(sorted(_POLARITY))})\b[\s,.;:!–—-]*", re.IGNORECASE)


def interrogative_at(words: list[str], interrogatives: frozenset[str]) -> int | None:
    """Where the interrogative opening a question's folded ``words`` is: the first word, or the
    second after a preposition or "and" ("Und wo…?", "Dans quelle ville…?"); None when there is none."""
    if len(words) > 1 and words[0] in _QUESTION_LEADS:
        return 1 if words[1] in interrogatives else None
    return 0 if words[:1] and words[0] in interrogatives else None


def asks_open_question(question: str, lang: str) -> bool:
    """True when ``question``, written in ``lang``, opens with an interrogative ("Wo hat er sie
    empfangen?", "Und wo…?", "Dans quelle ville…?"): it asks for more than yes or no."""
    words = WORD.findall(fold(question))[:2]
    return interrogative_at(words, _INTERROGATIVES.get(lang, frozenset())) is not None


# Words this frequent in the answer's language (Zipf, see foreign_words: about once in 100,000
# words and more often: "die", "wurde", "the", "was", "är") carry no fact, so an answer need not
# find them in a source.
_FUNCTION_ZIPF = 5.0


def _content_words(text: str, lang: str) -> set[str]:
    """The folded words of ``text`` that may carry a fact: not yes/no, not numbers, not as
    frequent as function words (every word, when wordfreq has no list for ``lang``)."""
    from wordfreq import available_languages, zipf_frequency

    listed = lang in available_languages()
    return {
        fold(w)
        for w in WORD.findall(text)
        if len(w) >= 3
        and not w.isdigit()
        and fold(w) not in _POLARITY
        and not (listed and zipf_frequency(w, lang) >= _FUNCTION_ZIPF)
    }


def unverified_yes_no(
    answer: str, question: str, lang: str, sources: Iterable[str], names: Set[str] = frozenset()
) -> bool:
    """True when ``answer`` says yes or no to a yes/no ``question`` (written in ``lang``) and
    otherwise only repeats it ("Ja, die Konvention wurde in Genf unterzeichnet." to "Wurde die
    Konvention in Genf unterzeichnet?"), and no source (``sources``) has all its content words
    (compared by their first five letters; words as frequent as "die" or "wurde" are left out).

    The bundled model says yes to nearly every yes/no question, false premises included, so
    such an answer tells nothing unless a source in the answer's language states the same words.
    The articles' ``names`` (see :func:`corpus_names`) count as repeated too: "Oui, le Brésil a
    signé la Convention de Hanoï." to "Est-ce que le Brésil a signé la convention ?" adds only
    the convention's name. An answer that adds a word of its own is left to the other checks.
    """
    if not {fold(w) for w in WORD.findall(answer)} & _POLARITY or asks_open_question(question, lang):
        return False
    content = _content_words(answer, lang)
    asked = {w[:4] for w in WORD.findall(fold(question))}
    own = {w[:4] for w in content if w not in names}
    if own - asked or numbers_in(answer) - numbers_in(question):
        return False
    stems = {w[:5] for w in content}
    # A bare "Ja." has nothing a source could state.
    return not stems or not any(stems <= {w[:5] for w in WORD.findall(fold(text))} for text in sources)


def drop_yes_no(answer: str, question: str, lang: str) -> str:
    """``answer`` without the yes or no it opens with when ``question`` asks for something else:
    "Ja, To Lam empfing die Delegationsleiter im Parteihauptquartier." to "Und wo hat er sie
    empfangen?" becomes "To Lam empfing …". A small model starts answers that way; the rest is the
    answer (and may be empty: then there is none)."""
    if not asks_open_question(question, lang):
        return answer
    match = _LEADING_POLARITY.match(answer)
    if match is None:
        return answer
    rest = answer[match.end() :]
    return rest[:1].upper() + rest[1:]
