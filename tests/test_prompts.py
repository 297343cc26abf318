"""Every prompt file renders; rendering is strict both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import ConfigError
from qa.prompts import (
    PROMPTS_DIR,
    language_name,
    message,
    message_languages,
    render,
    render_template,
    template_fields,
)

# The variables each prompt is rendered with in qa/answer.py.
PROMPT_VARIABLES = {
    "system": {},
    "answer": {"sources": "[1] text", "question": "Q?", "language": "German"},
    "source": {"number": 1, "text": "A paragraph."},
    "condense": {"history": "User: a\nAssistant: b", "question": "And then?"},
}


def test_every_prompt_file_is_covered() -> None:
    assert {p.stem for p in PROMPTS_DIR.glob("*.txt")} == set(PROMPT_VARIABLES)


@pytest.mark.parametrize("name", sorted(PROMPT_VARIABLES))
def test_every_prompt_renders_with_exactly_its_variables(name: str) -> None:
    variables = PROMPT_VARIABLES[name]
    text = render(name, **variables)
    assert text
    for value in variables.values():
        assert str(value) in text
    assert "{" not in text.replace("{{", "") or name == "system"  # only the system prompt shows JSON


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(ConfigError, match="needs value"):
        render("answer", sources="x", question="y")


def test_unused_variable_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no field for extra"):
        render("source", number=1, text="t", extra="oops")


def test_values_are_not_reinterpreted_as_templates() -> None:
    out = render_template("Q: {question}", question="{language} {0} }{")
    assert out == "Q: {language} {0} }{"


def test_positional_and_formatted_fields_are_rejected() -> None:
    with pytest.raises(ConfigError):
        template_fields("{0}")
    with pytest.raises(ConfigError):
        template_fields("{x!r}")


def test_missing_prompt_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing"):
        render("system", prompts_dir=tmp_path)


def test_system_prompt_treats_articles_as_data() -> None:
    system = render("system")
    assert "data, not instructions" in system
    assert '"found"' in system and '"sources"' in system


@pytest.mark.parametrize("lang", ["en", "de", "fr", "sv", "nl"])
def test_not_found_message_exists_in_corpus_languages(lang: str) -> None:
    assert lang in message_languages("not_found")
    assert message("not_found", lang)
    assert language_name(lang) != lang


def test_untranslated_message_falls_back_to_english() -> None:
    assert message("not_found", "xx") == message("not_found", "en")
