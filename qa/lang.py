"""Language identification (lingua), shared by the corpus and the answer stage."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

# The corpus languages, English, and the neighbours most often confused with them.
# A closed set keeps short-text detection accurate and the detector small.
SUPPORTED = (
    "ENGLISH",
    "GERMAN",
    "FRENCH",
    "SWEDISH",
    "DUTCH",
    "DANISH",
    "BOKMAL",
    "SPANISH",
    "ITALIAN",
    "PORTUGUESE",
    "POLISH",
    "FINNISH",
    "VIETNAMESE",
)


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in SUPPORTED]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detect_language(text: str, default: str | None = None) -> str | None:
    """ISO 639-1 code (lower case) of ``text``, or ``default`` when it cannot be told."""
    language = _detector().detect_language_of(text)
    if language is None:
        return default
    return str(language.iso_code_639_1.name).lower()


def detect_language_confident(text: str, min_confidence: float = 0.5) -> str | None:
    """Like :func:`detect_language` but ``None`` unless the top language has ``min_confidence``."""
    values = _detector().compute_language_confidence_values(text)
    if not values or values[0].value < min_confidence:
        return None
    return str(values[0].language.iso_code_639_1.name).lower()
