"""Language-model backends behind one factory, and their errors in our own terms.

``get_chat_model(settings)`` returns a LangChain chat model for ``openai`` or ``local``
(``extractive`` needs none). The answer stage only calls :func:`stream_chat`, so a
LangChain API change touches this file and nothing else.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

from qa.config import Settings
from qa.errors import BackendError, ConfigError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

DEFAULT_MAX_TOKENS = 256


class TransientBackendError(BackendError):
    """The backend failed in a way that may pass (unreachable, timeout, rate limit, server error,
    unusable output). The answer stage may fall back to an extractive answer for these."""


class SchemaRefusedError(BackendError):
    """The server rejected JSON-schema output (``response_format``): some OpenAI-compatible
    servers and models take only free-form or ``json_object`` replies. :func:`stream_chat` then
    asks again without it."""


# Servers that refused JSON-schema output, by (base URL, model): asked without it from then on,
# so each answer does not pay for a rejected request first.
_schema_refused: set[tuple[str, str]] = set()
_schema_refused_lock = threading.Lock()


def _model_key(model: BaseChatModel) -> tuple[str, str]:
    return (
        str(getattr(model, "openai_api_base", None) or type(model).__name__),
        str(getattr(model, "model_name", None) or ""),
    )


def get_chat_model(settings: Settings, backend: str | None = None) -> BaseChatModel:
    """The chat model for ``backend`` (default: the one ``settings`` selects)."""
    backend = backend or settings.llm_backend
    if backend == "openai":
        return _openai_model(settings)
    if backend == "local":
        from qa.local_llm import LocalChatModel

        return LocalChatModel.from_settings(settings)
    raise ConfigError(f"QA_LLM={backend!r} has no chat model; use 'openai' or 'local'")


def _openai_model(settings: Settings) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ConfigError("QA_LLM=openai needs langchain-openai: pip install langchain-openai") from exc
    if settings.openai_api_key is not None:
        api_key = settings.openai_api_key.get_secret_value()
    elif settings.openai_base_url:
        api_key = "not-needed"  # local OpenAI-compatible servers usually ignore the key
    else:
        raise ConfigError(
            "QA_LLM=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local OpenAI-compatible server)"
        )
    return ChatOpenAI(
        model=settings.model,
        api_key=api_key,  # type: ignore[arg-type]
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        temperature=0,
        max_completion_tokens=DEFAULT_MAX_TOKENS,
    )


def structured_kwargs(schema: dict[str, Any] | None) -> dict[str, Any]:
    """Call options that ask for JSON matching ``schema``, in a form every backend accepts.

    Sent as ``extra_body`` so ChatOpenAI streams normally (its own ``response_format``
    path re-emits the whole completion at the end of a stream).
    """
    if schema is None:
        return {}
    return {
        "extra_body": {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "strict": True, "schema": schema},
            }
        }
    }


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """The secret values of ``settings`` that must never reach a message, log or page."""
    values = [settings.openai_api_key, settings.auth]
    return tuple(v.get_secret_value() for v in values if v is not None and v.get_secret_value())


_SECRET_PATTERNS = (
    (re.compile(r"(?i)\b(bearer\s+)[\w.~+/=-]{6,}"), r"\1***"),
    (re.compile(r"\bsk-[\w-]{6,}"), "sk-***"),
    (re.compile(r"(?i)\b(api[_-]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;]{6,}"), r"\1***"),
    (re.compile(r"(://)[^/@\s:]+:[^/@\s]+@"), r"\1***@"),  # user:password@ in a URL
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the given secret values, bearer tokens, ``sk-`` keys, ``api_key=`` values and
    passwords in URLs replaced by ``***`` (servers echo request headers in error bodies)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def stream_chat(
    model: BaseChatModel,
    messages: list[tuple[str, str]],
    *,
    schema: dict[str, Any] | None = None,
    deadline: float | None = None,
    base_url: str | None = None,
    secrets: Iterable[str] = (),
) -> Generator[str, None, None]:
    """Stream the text of ``model``'s reply to ``messages`` ((role, content) pairs).

    Errors come out as BackendError (setup problems) or TransientBackendError (may pass).
    ``deadline`` (a ``time.monotonic()`` value) bounds the whole reply, not just each read.
    A server that rejects the JSON ``schema`` (HTTP 400 naming ``response_format``) is asked
    again without it, and from then on without it (per base URL and model).
    """
    key = _model_key(model)
    if schema is not None and key in _schema_refused:
        schema = None
    texts = _stream_texts(model, messages, structured_kwargs(schema), deadline, base_url, secrets)
    started = False
    try:
        with contextlib.closing(texts):  # a reader that stops early stops the model too
            for text in texts:
                started = True
                yield text
        return
    except SchemaRefusedError as exc:
        if started:  # pragma: no cover - a server refuses a request before it streams anything
            raise
        with _schema_refused_lock:
            _schema_refused.add(key)
        log.warning("%s; asking without a JSON schema from now on (the prompt still asks for JSON)", exc)
    texts = _stream_texts(model, messages, {}, deadline, base_url, secrets)
    with contextlib.closing(texts):
        yield from texts


def _stream_texts(
    model: BaseChatModel,
    messages: list[tuple[str, str]],
    options: dict[str, Any],
    deadline: float | None,
    base_url: str | None,
    secrets: Iterable[str],
) -> Generator[str, None, None]:
    chunks = _stream_chunks(model, messages, options, deadline=deadline, base_url=base_url, secrets=secrets)
    with contextlib.closing(chunks):
        for chunk in chunks:
            text = _chunk_text(chunk)
            if text:
                yield text


def chat(
    model: BaseChatModel, messages: list[tuple[str, str]], settings: Settings, **options: Any
) -> Generator[str, None, None]:
    """:func:`stream_chat` with what every call takes from the settings: the server named in
    error messages, and the secrets masked in them."""
    return stream_chat(
        model, messages, base_url=settings.openai_base_url, secrets=secrets_of(settings), **options
    )


def complete(
    model: BaseChatModel, messages: list[tuple[str, str]], settings: Settings, *, max_tokens: int
) -> str:
    """``model``'s whole reply to ``messages``, at most ``max_tokens`` tokens (a short judgement or
    label, not an answer to stream). Errors as in :func:`stream_chat`."""
    chunks = _stream_chunks(
        model,
        messages,
        {"max_tokens": max_tokens},
        base_url=settings.openai_base_url,
        secrets=secrets_of(settings),
    )
    with contextlib.closing(chunks):
        return "".join(_chunk_text(c) for c in chunks)


def _chunk_text(chunk: Any) -> str:
    """The text of a streamed message chunk (its content as a string when ``text`` is not one)."""
    return chunk.text if isinstance(chunk.text, str) else str(chunk.content)


def first_token_alternatives(
    model: BaseChatModel,
    messages: list[tuple[str, str]],
    *,
    top: int = 10,
    base_url: str | None = None,
    secrets: Iterable[str] = (),
) -> dict[str, float]:
    """The ``top`` most likely first tokens of ``model``'s reply to ``messages``, with their
    log-probabilities (``{token: logprob}``); one token is generated.

    Works with any chat model that reports OpenAI-style ``logprobs`` in its response metadata
    (ChatOpenAI and OpenAI-compatible servers that support them, the local llama.cpp model).
    A server that returns none is a TransientBackendError. Errors as in :func:`stream_chat`.
    """
    options = {"max_tokens": 1, "logprobs": True, "top_logprobs": top}
    tokens: list[dict[str, Any]] = []
    for chunk in _stream_chunks(model, messages, options, base_url=base_url, secrets=secrets):
        tokens += ((chunk.response_metadata or {}).get("logprobs") or {}).get("content") or []
    if not tokens:
        raise TransientBackendError("The language model returned no token log-probabilities")
    first = tokens[0]
    alternatives = {
        str(alt.get("token", "")): float(alt["logprob"]) for alt in first.get("top_logprobs") or []
    }
    alternatives.setdefault(str(first.get("token", "")), float(first.get("logprob", 0.0)))
    return alternatives


def _stream_chunks(
    model: BaseChatModel,
    messages: list[tuple[str, str]],
    options: dict[str, Any],
    *,
    deadline: float | None = None,
    base_url: str | None = None,
    secrets: Iterable[str] = (),
) -> Generator[Any, None, None]:
    """The message chunks of ``model.stream`` for ``messages`` ((role, content) pairs) and
    ``options``, with the deadline enforced and errors translated (see :func:`stream_chat`)."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    lc_messages = [kinds[role](content=content) for role, content in messages]
    try:
        for chunk in model.stream(lc_messages, **options):
            yield chunk
            if deadline is not None and time.monotonic() > deadline:
                raise TransientBackendError("The language model took too long to answer (QA_LLM_TIMEOUT)")
    except BackendError:
        raise
    except Exception as exc:
        log.debug("backend call failed: %s", type(exc).__name__)
        # Not chained: the original exception's text may hold a key a server echoed back.
        error = translate_error(exc, base_url=base_url, secrets=secrets)
        if "response_format" in (options.get("extra_body") or {}) and _refuses_schema(exc):
            error = SchemaRefusedError(str(error))
        raise error from None


_SCHEMA_WORDS = re.compile(r"response_format|json_schema|structured output", re.IGNORECASE)


def _refuses_schema(exc: BaseException) -> bool:
    """Whether ``exc`` is an HTTP 400 that names the JSON-schema output request."""
    try:
        import openai
    except ImportError:  # pragma: no cover
        return False
    if not isinstance(exc, openai.BadRequestError):
        return False
    return bool(_SCHEMA_WORDS.search(f"{exc} {getattr(exc, 'param', '') or ''}"))


def translate_error(
    exc: BaseException, *, base_url: str | None = None, secrets: Iterable[str] = ()
) -> BackendError:
    """Turn an openai/httpx/llama.cpp exception into a BackendError with a message a user can act
    on, with secrets masked (see :func:`redact`)."""
    error = _translate_error(exc, base_url)
    return type(error)(redact(str(error), secrets))


def _translate_error(exc: BaseException, base_url: str | None) -> BackendError:
    try:
        import openai
    except ImportError:  # pragma: no cover
        openai = None  # type: ignore[assignment]
    where = base_url or "the OpenAI API"
    if openai is not None:
        if isinstance(exc, openai.AuthenticationError):
            return BackendError(
                f"{where} rejected the API key (HTTP 401). Check OPENAI_API_KEY (and OPENAI_BASE_URL)."
            )
        if isinstance(exc, openai.PermissionDeniedError):
            return BackendError(f"{where} refused access (HTTP 403). Check the API key's permissions.")
        if isinstance(exc, openai.NotFoundError):
            return BackendError(
                f"{where} does not know the model or endpoint (HTTP 404). Check QA_MODEL and OPENAI_BASE_URL."
            )
        if isinstance(exc, openai.APITimeoutError):
            return TransientBackendError(
                f"{where} did not answer in time (QA_LLM_TIMEOUT), even after retries (QA_LLM_MAX_RETRIES)."
            )
        if isinstance(exc, openai.APIConnectionError):
            return TransientBackendError(
                f"Cannot reach {where}. Check OPENAI_BASE_URL and that the server is running."
            )
        if isinstance(exc, openai.RateLimitError):
            return TransientBackendError(
                f"{where} is rate-limiting requests (HTTP 429), even after retries (QA_LLM_MAX_RETRIES). "
                "Wait a moment or check your quota."
            )
        if isinstance(exc, openai.BadRequestError):
            return BackendError(f"{where} rejected the request (HTTP 400): {_short(exc)}")
        if isinstance(exc, openai.APIStatusError):
            return TransientBackendError(f"{where} failed (HTTP {exc.status_code}): {_short(exc)}")
        if isinstance(exc, openai.OpenAIError):
            return BackendError(f"OpenAI client error: {_short(exc)}")
    return TransientBackendError(f"The language model failed: {type(exc).__name__}: {_short(exc)}")


def _short(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
