"""One typed settings object for the whole package.

Built once at an entry point (CLI, web app, ``qa.answer``'s cached default) and
passed down. Values come from ``QA_*`` environment variables and an optional
``.env`` file; ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` are read under their
usual names too.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qa.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# MiB of RAM llama.cpp may fill with earlier prompts' states (Settings.local_cache_mib; the
# local backend's default too). llama.cpp's own default is 8192.
LOCAL_CACHE_MIB = 256

LLMBackend = Literal["openai", "local", "extractive"]

# Retrieved paragraphs shown to the model when QA_ANSWER_PASSAGES is unset (passages_for). Small
# models answer worse with more: the bundled 1.5B one, with five instead of three, kept its
# accuracy but abstained less often where it should and cited more wrong paragraphs, both through
# the local backend and behind an OpenAI-compatible server (benchmarks/README.md). So three for
# the local and extractive backends and for any server OPENAI_BASE_URL names (it may serve a small
# model), and five for OpenAI's own API, whose models read five paragraphs easily: a reader that
# answers right gets 64 of 69 known answers from five against 59 from three
# (benchmarks/oracle_answers.py).
SMALL_MODEL_PASSAGES = 3
OPENAI_API_PASSAGES = 5
OPENAI_API_HOST = "api.openai.com"


def _default_sources_dir() -> Path:
    return PROJECT_ROOT / "seeds"


def _default_index_dir() -> Path:
    return PROJECT_ROOT / ".qa-index"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qa-bot"


class Settings(BaseSettings):
    """Every knob of the bot. See the README's settings table for meanings."""

    model_config = SettingsConfigDict(
        env_prefix="QA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # Corpus and index
    sources_dir: Path = Field(default_factory=_default_sources_dir)
    index_dir: Path = Field(default_factory=_default_index_dir)
    chroma_url: str | None = None
    collection: str = "articles"
    embeddings: Literal["e5", "openai"] = "e5"
    openai_embedding_model: str = "text-embedding-3-small"
    embed_threads: int | None = Field(default=None, ge=1, le=256)

    # Retrieval
    top_k: int = Field(default=5, ge=1, le=50)
    max_k: int = Field(default=50, ge=1)
    max_question_chars: int = Field(default=2000, ge=10)
    rerank: Literal["none", "llm"] = "none"

    # Answering
    llm: LLMBackend | None = None
    model: str = "gpt-4.1-mini"
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("QA_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("QA_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    local_model: Literal["1.5b", "0.5b"] = "1.5b"
    local_model_path: Path | None = None
    model_cache_dir: Path = Field(default_factory=default_cache_dir)
    llm_timeout: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_threads: int | None = None
    # The local model answers a question the same whatever was asked before (see
    # qa.local_llm.prefix_request); false reuses more of llama.cpp's prompt cache: faster when
    # questions share sources, but an answer can change with the question before it.
    local_repeatable: bool = True
    # MiB of RAM llama.cpp may fill with the states of earlier prompts (its prompt cache, which
    # brings the system prompt back after another prompt used the slot). Its own default, 8 GiB,
    # let a long-running web chat grow by gigabytes; 0 turns the cache off.
    local_cache_mib: int = Field(default=LOCAL_CACHE_MIB, ge=0, le=65536)
    # Read at install time (`make run`, `make test`; qa.llama_build): "auto" builds llama.cpp
    # for this CPU when the prebuilt wheel leaves instruction sets unused and a C++ compiler is
    # there, "prebuilt" never does, "native" always tries.
    llama_build: Literal["auto", "native", "prebuilt"] = "auto"
    llm_fallback: Literal["extractive", "none"] = "extractive"
    # None: the answering backend's own number (passages_for).
    answer_passages: int | None = Field(default=None, ge=1, le=20)
    answer_source_chars: int = Field(default=500, ge=100, le=20000)
    # Names in an answer: "corpus" (full names must occur in the articles), "sources" (every
    # capitalised word in a retrieved passage), "off". true/false are the old boolean's values.
    check_names: Literal["corpus", "sources", "off"] = "corpus"
    # An answer's count to a how-many question: "model" has the language model name what the
    # question asks the number of and what the number counts in its source (qa.counting); "off".
    check_counts: Literal["model", "off"] = "model"
    # A question naming a country or city that no article mentions ("… au nom de la France ?"):
    # "corpus" answers that the articles do not say, without asking the model (qa.places); "off".
    check_places: Literal["corpus", "off"] = "corpus"

    # Web chat
    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=1, le=65535)
    auth: SecretStr | None = None
    max_concurrency: int = Field(default=2, ge=1)

    @field_validator("chroma_url", "openai_base_url", "llm", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("check_names", mode="before")
    @classmethod
    def _check_names_bool(cls, value: object) -> object:
        """``QA_CHECK_NAMES`` was a boolean: true meant the strict check, false none."""
        if isinstance(value, bool):
            return "sources" if value else "off"
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in {"true", "1", "yes", "on"}:
                return "sources"
            if lowered in {"false", "0", "no"}:
                return "off"
            return lowered
        return value

    def passages_for(self, backend: str) -> int:
        """How many retrieved paragraphs ``backend`` is shown: ``QA_ANSWER_PASSAGES`` if set, else
        five for the openai backend on OpenAI's own API and three otherwise (see
        :data:`SMALL_MODEL_PASSAGES`)."""
        if self.answer_passages is not None:
            return self.answer_passages
        if backend == "openai" and self.uses_openai_api:
            return OPENAI_API_PASSAGES
        return SMALL_MODEL_PASSAGES

    @property
    def uses_openai_api(self) -> bool:
        """True when the openai backend reaches OpenAI's API (no ``OPENAI_BASE_URL``, or one on
        api.openai.com) rather than another OpenAI-compatible server."""
        return not self.openai_base_url or urlsplit(self.openai_base_url).hostname == OPENAI_API_HOST

    @property
    def llm_backend(self) -> LLMBackend:
        """The backend in force: ``QA_LLM`` if set, else openai when a key or URL is set, else local."""
        if self.llm is not None:
            return self.llm
        if self.openai_api_key is not None or self.openai_base_url:
            return "openai"
        return "local"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (and ``.env``), turning validation errors into ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"QA_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"Invalid setting(s): {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings for the convenience API (``qa.answer``, ``qa.search``)."""
    return load_settings()
