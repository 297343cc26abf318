"""The answer checks: from a model's raw reply to an answer whose citations and facts are checked.

Small models invent source numbers ([7] of 4), cite nothing, state numbers, dates and names that
no source contains, answer a question the articles do not settle with their most salient name,
or keep words of a source's language. The functions here catch those cases deterministically;
:mod:`qa.answering` runs them in turn. One module per kind of check:

- :mod:`~qa.grounding.reply`: the JSON reply, its source numbers and ``[n]`` markers;
- :mod:`~qa.grounding.support`: numbers and names a source must state, which sources to cite;
- :mod:`~qa.grounding.names`: names no article mentions, who-questions answered with no name;
- :mod:`~qa.grounding.foreign`: words left in a source's language;
- :mod:`~qa.grounding.questions`: the kind of question, answers that repeat it or say yes to it;
- :mod:`~qa.grounding.quantities`: counts, amounts, durations and times;
- :mod:`~qa.grounding.dates`: years and dates;
- :mod:`~qa.grounding.firsts`: questions about who or what came first;
- :mod:`~qa.grounding.vocabulary`: the articles' words, names and years, computed once per corpus;
- :mod:`~qa.grounding.words`: the word, stem and number helpers they share.
"""

from __future__ import annotations

from qa.grounding.dates import full_dates, spliced_dates, unknown_question_years, years_in
from qa.grounding.firsts import asks_about_a_first, speaks_of_a_first, unsupported_first
from qa.grounding.foreign import foreign_words, language_word, mostly_foreign
from qa.grounding.names import (
    asks_for_name,
    lost_names,
    misses_name,
    names_in,
    outside_names,
    unsupported_names,
)
from qa.grounding.quantities import (
    asks_duration,
    asks_quantity,
    asks_when,
    counts_a_word_of,
    counts_in_words,
    counts_something_else,
    digit_counts,
    echoes_question_number,
    misses_quantity,
    misses_time,
    numeral_values,
    recounts_a_source,
    states_quantity,
    states_time,
    unsupported_numerals,
)
from qa.grounding.questions import (
    asks_open_question,
    drop_yes_no,
    repeats_question,
    unverified_yes_no,
)
from qa.grounding.reply import (
    ANSWER_SCHEMA_FIELDS,
    ParsedReply,
    answer_schema,
    leaks_prompt,
    looks_like_abstention,
    map_sources,
    parse_reply,
    strip_markers,
)
from qa.grounding.support import (
    GroundingResult,
    best_support,
    ground,
    prune_citations,
    shares_nothing,
    support_score,
    unsupported_numbers,
)
from qa.grounding.vocabulary import (
    cached_for_corpus,
    corpus_capitalised,
    corpus_names,
    corpus_vocabulary,
    corpus_years,
)
from qa.grounding.words import numbers_in

__all__ = [
    "ANSWER_SCHEMA_FIELDS",
    "GroundingResult",
    "ParsedReply",
    "answer_schema",
    "asks_about_a_first",
    "asks_duration",
    "asks_for_name",
    "asks_open_question",
    "asks_quantity",
    "asks_when",
    "best_support",
    "cached_for_corpus",
    "corpus_capitalised",
    "corpus_names",
    "corpus_vocabulary",
    "corpus_years",
    "counts_a_word_of",
    "counts_in_words",
    "counts_something_else",
    "digit_counts",
    "drop_yes_no",
    "echoes_question_number",
    "foreign_words",
    "full_dates",
    "ground",
    "language_word",
    "leaks_prompt",
    "looks_like_abstention",
    "lost_names",
    "map_sources",
    "misses_name",
    "misses_quantity",
    "misses_time",
    "mostly_foreign",
    "names_in",
    "numbers_in",
    "numeral_values",
    "outside_names",
    "parse_reply",
    "prune_citations",
    "recounts_a_source",
    "repeats_question",
    "shares_nothing",
    "speaks_of_a_first",
    "spliced_dates",
    "states_quantity",
    "states_time",
    "strip_markers",
    "support_score",
    "unknown_question_years",
    "unsupported_first",
    "unsupported_names",
    "unsupported_numbers",
    "unsupported_numerals",
    "unverified_yes_no",
    "years_in",
]
