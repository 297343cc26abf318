"""The known-answers set over the real backends, held to the targets in ``qa.evalset.THRESHOLDS``.

- extractive: every run (no language model), judged on its citations;
- local: slow (about 5-10 s per answer on 2 cores), the answer-stage targets;
- openai: the same targets, only when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is set (the
  settings that make ``openai`` the default backend; a local server such as Ollama or llama.cpp's
  needs no key).

Each backend's run happens once per module (a fixture); every metric has its own test so a
failure names the metric. Each failing assertion lists the failing items and where the full
report was written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings
from qa.eval import EvalReport, evaluate
from qa.evalset import THRESHOLDS
from qa.report import failure_texts, write_report
from tests.conftest import SEEDS

# Read before the autouse fixture of conftest.py hides the developer's environment from tests.
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY")
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL")


def _run(backend: str, tmp_path_factory: pytest.TempPathFactory, **extra: object) -> tuple[EvalReport, Path]:
    """Evaluate ``backend`` on the seeds with a private index, outside the developer's environment."""
    work = tmp_path_factory.mktemp(f"eval-{backend}")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("QA_") or name in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}:
                mp.delenv(name)
        mp.setenv("ANONYMIZED_TELEMETRY", "False")
        mp.chdir(work)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            sources_dir=SEEDS,
            index_dir=work / "index",
            llm=backend,
            **extra,  # type: ignore[arg-type]
        )
        report = evaluate(settings, backend=backend)
    report.command = f"pytest tests/test_eval_backends.py (backend {backend})"
    folder = work / "report"
    write_report(report, folder)
    return report, folder


def _explain(report: EvalReport, folder: Path) -> str:
    texts = failure_texts(report, markup=False)
    shown = "\n".join(texts[:15])
    more = f"\n… {len(texts) - 15} more" if len(texts) > 15 else ""
    return f"\n{len(texts)} failing items (full report: {folder / 'report.md'}):\n{shown}{more}"


# --- extractive: every run ------------------------------------------------------------------


@pytest.fixture(scope="module")
def extractive(tmp_path_factory: pytest.TempPathFactory) -> tuple[EvalReport, Path]:
    return _run("extractive", tmp_path_factory)


# Extractive targets not met yet (deterministic figures, measured 2026-12-07 on the seeds, 102 items):
# the extractive backend cites its top-ranked paragraph, so its precision follows retrieval's
# recall@1 (0.696). Strict: the test turns red as soon as a target is met, so the marker must go.
EXTRACTIVE_UNMET = {
    "citation_precision": "measured 0.727 < 0.90: extractive cites the top-ranked paragraph (recall@1 0.696)",
    "evidence_accuracy": "measured 0.696 < 0.80: extractive cites the top-ranked paragraph (recall@1 0.696)",
}


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param(m, marks=pytest.mark.xfail(reason=EXTRACTIVE_UNMET[m], strict=True))
        if m in EXTRACTIVE_UNMET
        else m
        for m in sorted(THRESHOLDS["extractive"])
    ],
)
def test_extractive_backend(extractive: tuple[EvalReport, Path], metric: str) -> None:
    report, folder = extractive
    assert report.answers is not None
    assert report.answers["errors"] == 0, _explain(report, folder)
    target = THRESHOLDS["extractive"][metric]
    assert report.answers[metric] >= target, f"{metric} {report.answers[metric]:.3f} < {target}" + _explain(
        report, folder
    )


# --- LLM backends: slow -------------------------------------------------------------------


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("local", marks=pytest.mark.slow),
        pytest.param(
            "openai",
            marks=[
                pytest.mark.slow,
                pytest.mark.skipif(
                    not (OPENAI_API_KEY or OPENAI_BASE_URL),
                    reason="neither OPENAI_API_KEY nor OPENAI_BASE_URL is set: openai backend not evaluated",
                ),
            ],
        ),
    ],
)
def llm_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EvalReport, Path]]:
    backend = request.param
    extra: dict[str, object] = {}
    if backend == "openai":
        extra = {"openai_api_key": OPENAI_API_KEY, "openai_base_url": OPENAI_BASE_URL}
    yield _run(backend, tmp_path_factory, **extra)


# Local-backend targets not met yet, with the whole-set figures measured on 2026-12-07 (102 items,
# 2-core AMD EPYC machine, `qa eval --backend local`; docs/evaluation.md), per llama.cpp build: the
# install builds llama.cpp for an AVX-512 CPU (qa/llama_build.py), whose other arithmetic changes a
# greedy 1.5B model's wording on about one answer in eight, and language match sits at its target:
# the AVX-512 build left two more answers with a word of another language ("rufe", "internationellen").
# A listed metric under its target is an expected failure that carries the figure and the failing
# items; the target itself is unchanged. Strict like xfail(strict=True): a listed metric that
# reaches its target fails, so the entry goes. Backend errors always fail. Abstention (0.848, 28 of
# 33) and, with the AVX2 build, language match (0.902) left this list on 2026-12-07, with the rule
# that an answer about a first must cite a source that speaks of one (qa/grounding/firsts.py).
LOCAL_UNMET = {
    "AVX-512": {
        "accuracy": "0.623 (43 of 69)",
        "citation_precision": "0.744",
        "language_match": "0.882 (90 of 102)",
    },
    "AVX2": {
        "accuracy": "0.638 (44 of 69)",
        "citation_precision": "0.729",
    },
}


def _local_unmet() -> tuple[str, dict[str, str]]:
    from qa.llama_build import built_cpu_features

    build = "AVX-512" if "AVX512" in built_cpu_features() else "AVX2"
    return build, LOCAL_UNMET[build]


def _check(run: tuple[EvalReport, Path], metric: str) -> None:
    report, folder = run
    assert report.answers is not None and report.backend is not None
    target = THRESHOLDS[report.backend][metric]
    value = report.answers[metric]
    build, unmet = _local_unmet() if report.backend == "local" else ("", {})
    if metric in unmet:
        assert value < target, (
            f"local {metric} {value:.3f} now meets its target {target} with the {build} build of "
            f"llama.cpp: remove it from LOCAL_UNMET[{build!r}]"
        )
        pytest.xfail(
            f"local {metric} {value:.3f} < target {target} (measured {unmet[metric]}, {build} build)"
            + _explain(report, folder)
        )
    assert value >= target, f"{report.backend} {metric} {value:.3f} < {target}" + _explain(report, folder)


def test_no_backend_errors(llm_run: tuple[EvalReport, Path]) -> None:
    report, folder = llm_run
    assert report.answers is not None
    assert report.answers["errors"] == 0, _explain(report, folder)


def test_accuracy(llm_run: tuple[EvalReport, Path]) -> None:
    _check(llm_run, "accuracy")


def test_abstention(llm_run: tuple[EvalReport, Path]) -> None:
    _check(llm_run, "abstention")


def test_citation_precision(llm_run: tuple[EvalReport, Path]) -> None:
    _check(llm_run, "citation_precision")


def test_language_match(llm_run: tuple[EvalReport, Path]) -> None:
    _check(llm_run, "language_match")


def test_every_llm_target_is_tested() -> None:
    """A target added to THRESHOLDS for an LLM backend needs a test here too."""
    tested = {"accuracy", "abstention", "citation_precision", "language_match"}
    assert set(THRESHOLDS["local"]) == tested
    assert set(THRESHOLDS["openai"]) == tested
