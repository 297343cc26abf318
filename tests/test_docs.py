"""The documentation stays true to the code: every setting is in the README's table, and every
link between the README, docs/ and benchmarks/README.md leads to a file and a heading that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import AliasChoices

from qa.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)


def _settings_table(readme: str) -> str:
    start = readme.index("\n## Settings\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


def _env_names(name: str, alias: object) -> list[str]:
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"QA_{name.upper()}"]


def test_every_setting_is_in_the_readme_settings_table() -> None:
    table = _settings_table((ROOT / "README.md").read_text(encoding="utf-8"))
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    missing = [
        " / ".join(names)
        for name, field in Settings.model_fields.items()
        if not (set(names := _env_names(name, field.validation_alias)) & documented)
    ]
    assert not missing, f"settings missing from the README's settings table: {missing}"


def test_the_readme_settings_table_names_no_setting_that_does_not_exist() -> None:
    table = _settings_table((ROOT / "README.md").read_text(encoding="utf-8"))
    known = {
        env
        for name, field in Settings.model_fields.items()
        for env in _env_names(name, field.validation_alias)
    }
    known |= {"OPENAI_API_KEY", "OPENAI_BASE_URL"}
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", table, flags=re.MULTILINE)
    assert rows, "no settings rows found"
    assert set(rows) <= known, f"rows for unknown settings: {sorted(set(rows) - known)}"


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.replace("`", "").strip().lower())
    return text.replace(" ", "-")


def test_slug_follows_github() -> None:
    assert slug("Backends (`QA_LLM`)") == "backends-qa_llm"
    assert slug("The answer's language") == "the-answers-language"
    assert slug("Measured (local backend, known-answers set)") == "measured-local-backend-known-answers-set"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_between_the_docs_lead_somewhere(doc: Path) -> None:
    broken = []
    for target in _LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        path = (doc.parent / path_part).resolve() if path_part else doc
        if not path.exists():
            broken.append(target)
            continue
        if anchor and path.suffix == ".md":
            anchors = {slug(h) for h in _HEADING.findall(path.read_text(encoding="utf-8"))}
            if anchor not in anchors:
                broken.append(target)
    assert not broken, f"{doc.name}: links to nothing: {broken}"
