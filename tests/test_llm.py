"""The backend factory and error translation (no network, no model)."""

from __future__ import annotations

import httpx
import openai
import pytest
from pydantic import SecretStr

from qa.config import Settings
from qa.errors import BackendError, ConfigError
from qa.llm import TransientBackendError, get_chat_model, structured_kwargs, translate_error


def test_openai_backend_needs_a_key_or_a_base_url(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        get_chat_model(settings.model_copy(update={"llm": "openai"}))


def test_openai_backend_with_base_url_only_uses_a_placeholder_key(settings: Settings) -> None:
    s = settings.model_copy(
        update={"llm": "openai", "openai_base_url": "http://127.0.0.1:9/v1", "model": "m"}
    )
    model = get_chat_model(s)
    assert model.model_name == "m"  # type: ignore[attr-defined]
    assert model.openai_api_base == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]


def test_openai_backend_passes_timeout_and_retries(settings: Settings) -> None:
    s = settings.model_copy(
        update={
            "llm": "openai",
            "openai_api_key": SecretStr("sk-x"),
            "llm_timeout": 7.0,
            "llm_max_retries": 4,
        }
    )
    model = get_chat_model(s)
    assert model.request_timeout == 7.0  # type: ignore[attr-defined]
    assert model.max_retries == 4  # type: ignore[attr-defined]


def test_extractive_has_no_chat_model(settings: Settings) -> None:
    with pytest.raises(ConfigError):
        get_chat_model(settings, "extractive")


def test_structured_output_is_sent_as_extra_body() -> None:
    kwargs = structured_kwargs({"type": "object"})
    fmt = kwargs["extra_body"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == {"type": "object"}
    assert structured_kwargs(None) == {}


def _status_error(cls: type[openai.APIStatusError], status: int) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    return cls("boom", response=httpx.Response(status, request=request), body=None)


@pytest.mark.parametrize(
    ("exc", "transient", "words"),
    [
        (_status_error(openai.AuthenticationError, 401), False, "rejected the API key"),
        (_status_error(openai.NotFoundError, 404), False, "QA_MODEL"),
        (_status_error(openai.RateLimitError, 429), True, "rate-limiting"),
        (_status_error(openai.InternalServerError, 500), True, "HTTP 500"),
        (openai.APITimeoutError(httpx.Request("POST", "http://x")), True, "did not answer in time"),
        (openai.APIConnectionError(request=httpx.Request("POST", "http://x")), True, "Cannot reach"),
        (RuntimeError("llama.cpp exploded"), True, "llama.cpp exploded"),
    ],
)
def test_errors_are_translated_with_actionable_messages(
    exc: BaseException, transient: bool, words: str
) -> None:
    error = translate_error(exc, base_url="http://127.0.0.1:8080/v1")
    assert isinstance(error, BackendError)
    assert isinstance(error, TransientBackendError) is transient
    assert words in str(error)
