"""Every prompt file renders; rendering is strict both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import ConfigError
from qa.prompts import (
    default_prompts_dir,
    language_name,
    message,
    message_languages,
    render,
    render_template,
    template_fields,
)

# The variables each prompt is rendered with in qa/answering.py, qa/rerank.py, qa/translation.py and qa/counting.py.
PROMPT_VARIABLES = {
    "system": {},
    "answer": {"sources": "[1] text", "question": "Q?", "language": "German"},
    "source": {"number": 1, "text": "A paragraph."},
    "condense": {"history": "User: a\nAssistant: b", "question": "And then?"},
    "translate": {"text": "Die Konvention hat 9 Kapitel.", "source": "German", "language": "English"},
    "translate_paragraph": {
        "text": "Die Konvention hat 9 Kapitel.",
        "source": "German",
        "language": "English",
    },
    "rerank_system": {},
    "rerank": {"passage": "Die Konvention hat 9 Kapitel.", "question": "How many chapters?"},
    "count_system": {},
    "count_source": {"sentence": "Die Konvention hat 9 Kapitel.", "number": "9"},
    "count_question": {"question": "Combien de pages ?"},
}


def test_every_prompt_file_is_covered() -> None:
    assert {p.stem for p in default_prompts_dir().glob("*.txt")} == set(PROMPT_VARIABLES)


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


@pytest.mark.slow
def test_a_built_wheel_carries_every_module_and_prompt_file(tmp_path: Path) -> None:
    """A non-editable install has every module of the source tree (subpackages such as
    qa/grounding included) and finds its prompts in the package (qa/prompt_files).

    The wheel is built in pip's isolated build environment, as a user's ``pip install`` would.
    """
    import shutil
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).resolve().parent.parent
    # Build from a copy: a build writes build/ and *.egg-info beside the sources.
    project = tmp_path / "project"
    shutil.copytree(
        root,
        project,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", ".qa-index", "reports", "*.egg-info", "build", "__pycache__"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(project)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (wheel,) = (tmp_path / "dist").glob("qa_hanoi-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.name for p in default_prompts_dir().iterdir() if p.suffix in {".txt", ".toml"}}
    assert shipped >= {"system.txt", "answer.txt", "messages.toml"}
    assert {f"qa/prompt_files/{name}" for name in shipped} <= names
    modules = {p.relative_to(project).as_posix() for p in (project / "qa").rglob("*.py")}
    assert "qa/grounding/__init__.py" in modules
    assert modules <= names, f"modules missing from the wheel: {sorted(modules - names)}"

    # Installed from the wheel (no source checkout beside it), the package renders its prompts.
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    probe = (
        "import qa.prompts as p; d = p.default_prompts_dir(); "
        "assert 'prompt_files' in str(d), d; print(p.render('system')[:20]); print(p.message('not_found', 'de'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()
