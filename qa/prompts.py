"""Prompt text lives in ``prompts/`` as files; this module loads and renders it strictly.

Templates use ``str.format`` fields (``{question}``; literal braces are doubled). Rendering
raises :class:`~qa.errors.ConfigError` when a field has no value *or* a value has no field,
so a renamed variable can never silently turn into an empty string or vanish.
"""

from __future__ import annotations

import string
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from qa.errors import ConfigError

SOURCE_PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=1)
def default_prompts_dir() -> Path:
    """``prompts/`` of a source checkout (editable install), else the copy a wheel carries in
    the package (``qa/prompt_files``, see pyproject.toml)."""
    if (SOURCE_PROMPTS_DIR / "system.txt").is_file():
        return SOURCE_PROMPTS_DIR
    return Path(__file__).resolve().parent / "prompt_files"


def prompt_path(name: str, prompts_dir: Path | None = None) -> Path:
    return (prompts_dir or default_prompts_dir()) / f"{name}.txt"


@lru_cache(maxsize=64)
def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"Prompt file {path} is missing (prompts/ must ship with the package)") from exc


def template_fields(template: str) -> set[str]:
    """The field names a template uses (``{name}``); format specs and conversions are rejected."""
    fields: set[str] = set()
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if not field.isidentifier():
            raise ConfigError(
                f"Prompt field {{{field}}} is not a plain name (double literal braces: {{{{ }}}})"
            )
        if spec or conversion:
            raise ConfigError(f"Prompt field {{{field}}} must not carry a format spec or conversion")
        fields.add(field)
    return fields


def render_template(template: str, name: str = "<inline>", **values: Any) -> str:
    """Fill ``template`` with ``values``; every field must get a value and every value a field."""
    fields = template_fields(template)
    missing = sorted(fields - values.keys())
    unused = sorted(values.keys() - fields)
    if missing:
        raise ConfigError(f"Prompt {name!r} needs value(s) for {', '.join(missing)}")
    if unused:
        raise ConfigError(f"Prompt {name!r} has no field for {', '.join(unused)}")
    return template.format(**{k: str(v) for k, v in values.items()})


def render(name: str, prompts_dir: Path | None = None, **values: Any) -> str:
    """Render ``prompts/<name>.txt`` strictly (see :func:`render_template`)."""
    return render_template(_read(prompt_path(name, prompts_dir)), name, **values).strip()


@lru_cache(maxsize=4)
def _messages(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"Message table {path} is missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Message table {path} is not valid TOML: {exc}") from exc


def message(key: str, lang: str, prompts_dir: Path | None = None, **values: Any) -> str:
    """A fixed user-facing message (``prompts/messages.toml``) in ``lang``, English if not translated."""
    table = _messages((prompts_dir or default_prompts_dir()) / "messages.toml")
    entries = table.get(key)
    if not isinstance(entries, dict) or "en" not in entries:
        raise ConfigError(f"Message {key!r} (with an 'en' entry) is missing from prompts/messages.toml")
    return render_template(str(entries.get(lang, entries["en"])), f"messages.{key}.{lang}", **values)


def _language_names(prompts_dir: Path | None) -> dict[str, Any]:
    return dict(_messages((prompts_dir or default_prompts_dir()) / "messages.toml").get("language_names", {}))


def language_name(lang: str, prompts_dir: Path | None = None) -> str:
    """The English name of an ISO 639-1 code, for telling the model which language to answer in."""
    return str(_language_names(prompts_dir).get(lang, lang))


def has_language_name(lang: str, prompts_dir: Path | None = None) -> bool:
    """True when ``prompts/messages.toml`` names the language ``lang`` (so a prompt can ask for it)."""
    return lang in _language_names(prompts_dir)


def message_languages(key: str, prompts_dir: Path | None = None) -> list[str]:
    """Languages that have a translation of message ``key``."""
    entries = _messages((prompts_dir or default_prompts_dir()) / "messages.toml").get(key, {})
    return sorted(entries)
