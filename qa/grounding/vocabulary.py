"""What the articles say, computed once per corpus: their words, names, capitalised words and years."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from qa.grounding.dates import years_in
from qa.grounding.words import WORD, acronyms, is_capitalised, word_stems
from qa.lang import fold, source_names

if TYPE_CHECKING:
    from qa.corpus import Corpus


_T = TypeVar("_T")
_CORPUS_CACHE: dict[tuple[str, tuple[str, ...]], frozenset[Any]] = {}
_CORPUS_LOCK = threading.Lock()
_CORPUS_CACHE_SIZE = 8


def _per_corpus(corpus: Corpus, kind: str, of_text: Callable[[str], set[str]]) -> frozenset[str]:
    """The union of ``of_text`` over every paragraph of ``corpus``, computed once per ``kind`` and
    set of source files (keyed by their hashes)."""

    def union(corpus: Corpus) -> set[str]:
        found: set[str] = set()
        for doc in corpus.documents:
            for paragraph in doc.paragraphs:
                found |= of_text(paragraph.text)
        return found

    return cached_for_corpus(corpus, kind, union)


def cached_for_corpus(corpus: Corpus, kind: str, compute: Callable[[Corpus], set[_T]]) -> frozenset[_T]:
    """``compute(corpus)``, computed once per ``kind`` and set of source files (keyed by their hashes)."""
    key = (kind, tuple(sorted(d.sha256 for d in corpus.documents)))
    with _CORPUS_LOCK:
        cached = _CORPUS_CACHE.get(key)
    if cached is not None:
        return cached
    result = frozenset(compute(corpus))
    with _CORPUS_LOCK:
        while len(_CORPUS_CACHE) >= _CORPUS_CACHE_SIZE:
            _CORPUS_CACHE.pop(next(iter(_CORPUS_CACHE)))
        _CORPUS_CACHE[key] = result
    return result


def corpus_vocabulary(corpus: Corpus) -> frozenset[str]:
    """The word stems of every paragraph of ``corpus`` (as :func:`unsupported_names` compares
    them) and its two-letter abbreviations ("vn" of "VN-Verdrag", :func:`acronyms`), computed
    once per set of source files."""
    return _per_corpus(corpus, "stems", lambda text: word_stems(text) | acronyms(text))


def corpus_capitalised(corpus: Corpus) -> frozenset[str]:
    """The words ``corpus`` writes only capitalised, case-folded (:func:`qa.lang.source_names`:
    names such as "Hanoi", and German nouns; not "Har", which opens a sentence but is "har"
    elsewhere), computed once per set of source files."""

    def capitalised(corpus: Corpus) -> set[str]:
        return set(source_names(p.text for doc in corpus.documents for p in doc.paragraphs))

    return cached_for_corpus(corpus, "capitalised", capitalised)


def corpus_names(corpus: Corpus) -> frozenset[str]:
    """Words written capitalised in articles of two or more languages, folded: names ("Hanoi",
    "Luong", "Guterres", "UNODC"), which no translation changes; not German nouns ("Präsident"
    is "président", "president" elsewhere). Computed once per set of source files."""

    def shared(corpus: Corpus) -> set[str]:
        languages: dict[str, set[str]] = {}
        for doc in corpus.documents:
            for paragraph in doc.paragraphs:
                for word in WORD.findall(paragraph.text):
                    if is_capitalised(word) and not word.isdigit():
                        languages.setdefault(fold(word), set()).add(paragraph.lang)
        return {word for word, langs in languages.items() if len(langs) >= 2}

    return cached_for_corpus(corpus, "names", shared)


def corpus_years(corpus: Corpus) -> frozenset[str]:
    """Every year a paragraph of ``corpus`` states in digits, computed once per set of source
    files."""
    return _per_corpus(corpus, "years", years_in)
