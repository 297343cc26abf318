"""llama.cpp built for this CPU at install time (qa.llama_build).

The decisions and the never-leave-a-broken-install rules are tested with the build, install and
import steps replaced (a real build takes 5 minutes; `make test` itself runs `auto` for real on
every fresh machine). The command line is run for real where it changes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.llama_build import (
    Steps,
    _run,
    build_percent,
    cpu_flags,
    cpu_key,
    ensure,
    llama_cpu_features,
    plan,
    status,
    unused_cpu_features,
)

# llama.cpp's system info as the prebuilt xllamacpp wheel and a build for an AVX-512 machine
# print it (2026-12-05).
PREBUILT_INFO = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | LLAMAFILE = 1 "
    "| OPENMP = 1 | REPACK = 1 | "
)
NATIVE_INFO = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 "
    "| AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
AVX512_FLAGS = {"sse3", "avx2", "fma", "avx512f", "avx512dq", "avx512vbmi", "avx512_vnni", "avx512_bf16"}
ROOT = Path(__file__).resolve().parent.parent


def _cpuinfo(tmp_path: Path, model: str, flags: str, name: str = "cpuinfo") -> Path:
    path = tmp_path / name
    text = f"processor\t: 0\nmodel name\t: {model}\nflags\t\t: {flags}\n\nprocessor\t: 1\n"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_instruction_sets_llama_cpp_was_not_built_for(tmp_path: Path) -> None:
    flags = cpu_flags(
        _cpuinfo(
            tmp_path, "AMD EPYC", "fpu sse3 avx2 fma avx512f avx512dq avx512vbmi avx512_vnni avx512_bf16"
        )
    )
    assert {"avx2", "avx512f", "avx512_vnni"} <= flags
    prebuilt = llama_cpu_features(PREBUILT_INFO)
    assert "AVX2" in prebuilt and "AVX512" not in prebuilt
    assert unused_cpu_features(flags, prebuilt) == ["AVX512", "AVX512_VNNI", "AVX512_BF16", "AVX512_VBMI"]
    assert unused_cpu_features(flags, llama_cpu_features(NATIVE_INFO)) == []
    assert unused_cpu_features({"avx2", "fma"}, prebuilt) == []  # an AVX2 CPU: nothing to gain
    assert cpu_flags(tmp_path / "missing") == set()  # no /proc (macOS, Windows): nothing to build for


def test_a_cached_build_belongs_to_one_cpu(tmp_path: Path) -> None:
    epyc = _cpuinfo(tmp_path, "AMD EPYC", "sse3 avx2 avx512f", "a")
    assert cpu_key(epyc) == cpu_key(_cpuinfo(tmp_path, "AMD EPYC", "avx512f sse3 avx2", "b"))  # order aside
    assert cpu_key(epyc) != cpu_key(_cpuinfo(tmp_path, "AMD EPYC", "sse3 avx2", "c"))
    assert cpu_key(epyc) != cpu_key(_cpuinfo(tmp_path, "Intel Xeon", "sse3 avx2 avx512f", "d"))


def test_when_to_build() -> None:
    unused = ["AVX512", "AVX512_VNNI"]
    assert plan("auto", unused, "/usr/bin/c++").build
    assert plan("native", unused, "/usr/bin/c++").build
    nothing = plan("auto", [], "/usr/bin/c++")
    assert not nothing.build and "already uses every instruction set" in nothing.reason
    skipped = plan("prebuilt", unused, "/usr/bin/c++")
    assert (
        not skipped.build and "QA_LLAMA_BUILD=prebuilt" in skipped.reason and "AVX512_VNNI" in skipped.reason
    )
    no_compiler = plan("auto", unused, None)
    assert not no_compiler.build
    assert "C++ compiler" in no_compiler.reason and "make native" in no_compiler.reason


class FakeSteps(Steps):
    """Build, install and import recorded instead of done; the 'installed' build is a variable."""

    def __init__(self, *, builds: bool = True, works: bool = True, installs: bool = True) -> None:
        self.info: str | None = PREBUILT_INFO
        self.calls: list[str] = []
        self._builds, self._works, self._installs = builds, works, installs
        super().__init__(
            build=self._build,
            install=self._install,
            install_prebuilt=self._prebuilt,
            system_info=lambda: self.info,
        )

    def _build(self, version: str, dest: Path, log: Path) -> Path | None:
        self.calls.append("build")
        assert dest.is_dir() and dest.parent == log.parent  # built next to where it is kept
        if not self._builds:
            return None
        wheel = dest / f"xllamacpp-{version}-cp310-abi3-linux_x86_64.whl"
        wheel.write_bytes(b"built")
        return wheel

    def _install(self, wheel: Path, log: Path) -> bool:
        self.calls.append(f"install {wheel.name}")
        assert wheel.read_bytes() == b"built"
        if self._installs:
            self.info = NATIVE_INFO if self._works else None
        return self._installs

    def _prebuilt(self, version: str, log: Path) -> bool:
        self.calls.append("prebuilt")
        self.info = PREBUILT_INFO
        return True


def _ensure(
    steps: FakeSteps, tmp_path: Path, mode: str = "auto", compiler: str | None = "c++"
) -> tuple[bool, list[str]]:
    said: list[str] = []
    ok = ensure(
        mode,  # type: ignore[arg-type]
        version="2026.10.1",
        cache_dir=tmp_path / "cache",
        flags=AVX512_FLAGS,
        key="cpu1",
        compiler=compiler,
        steps=steps,
        say=said.append,
    )
    return ok, said


def _kept(tmp_path: Path) -> list[str]:
    folder = tmp_path / "cache" / "wheels" / "xllamacpp-2026.10.1-cpu1"
    return sorted(p.name for p in folder.iterdir() if p.name != "build.log") if folder.exists() else []


def test_builds_installs_and_keeps_the_wheel_then_reuses_it(tmp_path: Path) -> None:
    steps = FakeSteps()
    ok, said = _ensure(steps, tmp_path)
    assert ok and steps.calls == ["build", "install xllamacpp-2026.10.1-cp310-abi3-linux_x86_64.whl"]
    assert steps.info == NATIVE_INFO
    assert _kept(tmp_path) == ["xllamacpp-2026.10.1-cp310-abi3-linux_x86_64.whl"]  # no build folder left
    assert "about 5 minutes" in said[0] and "QA_LLAMA_BUILD=prebuilt" in said[0]
    assert "AVX512" in said[-1]

    assert _ensure(steps, tmp_path)[0]  # installed and working: nothing to do
    assert steps.calls == ["build", "install xllamacpp-2026.10.1-cp310-abi3-linux_x86_64.whl"]

    steps.info = PREBUILT_INFO  # a new venv: the prebuilt wheel again
    ok, said = _ensure(steps, tmp_path)
    assert ok and steps.calls[2:] == ["install xllamacpp-2026.10.1-cp310-abi3-linux_x86_64.whl"]  # no rebuild
    assert "built for it earlier" in said[0]


def test_a_failed_build_keeps_the_prebuilt_one(tmp_path: Path) -> None:
    steps = FakeSteps(builds=False)
    ok, said = _ensure(steps, tmp_path)
    assert not ok and steps.calls == ["build"] and steps.info == PREBUILT_INFO
    assert "keeping the prebuilt llama.cpp" in said[-1] and "build.log" in said[-1]
    assert _kept(tmp_path) == []  # nothing half-built is kept, only the log


def test_an_interrupted_build_leaves_nothing_installed_or_kept(tmp_path: Path) -> None:
    steps = FakeSteps()

    def interrupted(version: str, dest: Path, log: Path) -> Path | None:
        (dest / "xllamacpp-2026.10.1-cp310-abi3-linux_x86_64.whl").write_bytes(b"half")
        raise KeyboardInterrupt

    steps.build = interrupted
    with pytest.raises(KeyboardInterrupt):
        _ensure(steps, tmp_path)
    assert steps.calls == [] and steps.info == PREBUILT_INFO
    assert _kept(tmp_path) == []
    assert _ensure(FakeSteps(), tmp_path)[0]  # the next install builds it whole


@pytest.mark.parametrize(("works", "installs"), [(False, True), (True, False)])
def test_a_build_that_does_not_work_is_replaced_by_the_prebuilt_one(
    tmp_path: Path, works: bool, installs: bool
) -> None:
    steps = FakeSteps(works=works, installs=installs)
    ok, said = _ensure(steps, tmp_path)
    assert not ok and steps.calls[-1] == "prebuilt" and steps.info == PREBUILT_INFO
    assert "going back to the prebuilt one" in said[-1]
    assert _kept(tmp_path) == []  # and it is not installed again next time


def test_no_build_without_a_compiler_or_when_told_not_to(tmp_path: Path) -> None:
    for mode, compiler, expected in [
        ("auto", None, "C++ compiler"),
        ("native", None, "C++ compiler"),
        ("prebuilt", "c++", "QA_LLAMA_BUILD=prebuilt"),
    ]:
        steps = FakeSteps()
        ok, said = _ensure(steps, tmp_path, mode, compiler)
        assert not ok and steps.calls == [] and expected in said[0]


def test_status_says_what_the_cpu_has_beyond_the_build() -> None:
    text = status(AVX512_FLAGS, PREBUILT_INFO, "2026.10.1")
    assert "AVX2" in text.splitlines()[0] and "AVX512_VNNI" in text.splitlines()[1]
    assert "python -m qa.llama_build native" in text
    assert "no instruction set it could use" in status(AVX512_FLAGS, NATIVE_INFO, "2026.10.1")
    assert "does not import" in status(AVX512_FLAGS, None, "2026.10.1")


def _command(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    return subprocess.run(
        [sys.executable, "-m", "qa.llama_build", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**environ, **env},
        timeout=120,
        check=False,
    )


def test_status_of_the_installed_build() -> None:
    from importlib.metadata import version

    import xllamacpp

    proc = _command("status")
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert f"(xllamacpp {version('xllamacpp')}) built for:" in first
    assert all(feature in first for feature in llama_cpu_features(xllamacpp.get_system_info()))


def test_told_not_to_build_it_changes_nothing(tmp_path: Path) -> None:
    import xllamacpp

    before = xllamacpp.get_system_info()
    proc = _command("auto", QA_LLAMA_BUILD="prebuilt", QA_MODEL_CACHE_DIR=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "already uses every instruction set" in proc.stdout or "QA_LLAMA_BUILD=prebuilt" in proc.stdout
    assert not (tmp_path / "wheels").exists()
    assert _command("status").stdout.splitlines()[0].endswith(", ".join(sorted(llama_cpu_features(before))))


def test_a_bad_setting_is_named_and_the_install_goes_on(tmp_path: Path) -> None:
    proc = _command("auto", QA_LLAMA_BUILD="fastest", QA_MODEL_CACHE_DIR=str(tmp_path))
    assert proc.returncode == 0
    assert "QA_LLAMA_BUILD" in proc.stderr and "Keeping the prebuilt llama.cpp" in proc.stderr
    assert not (tmp_path / "wheels").exists()


def test_the_build_progress_is_read_from_cmake_lines() -> None:
    # Lines as `pip wheel -v` shows the build's output (2026-12-07).
    assert build_percent("  [ 46%] Building CXX object src/CMakeFiles/llama.dir/llama-memory.cpp.o") == 46
    assert build_percent("  [100%] Linking CXX static library libllama-common-base.a") == 100
    assert build_percent("[  0%] Building C object ggml/src/CMakeFiles/ggml-base.dir/ggml.c.o") == 0
    assert build_percent("  -- Configuring done (2.1s)") is None
    assert build_percent("  [12/345] Building CXX object x.o") is None  # Ninja's counter: no percentage


def test_a_step_logs_its_output_and_hands_over_each_line(tmp_path: Path) -> None:
    log, seen = tmp_path / "build.log", []
    script = "import sys; print('[ 10%] a'); print('[ 90%] b'); sys.exit(3)"
    assert not _run([sys.executable, "-c", script], log, None, seen.append)
    assert [build_percent(line) for line in seen] == [10, 90]
    assert "[ 90%] b" in log.read_text(encoding="utf-8")
    assert _run([sys.executable, "-c", "print('ok')"], log)
    assert log.read_text(encoding="utf-8").count("$ ") == 2  # appended, each command named


def test_an_interrupted_step_stops_its_process(tmp_path: Path) -> None:
    pids: list[int] = []

    def interrupt(line: str) -> None:
        pids.append(int(line))
        raise KeyboardInterrupt

    script = "import os, time; print(os.getpid(), flush=True); time.sleep(120)"
    with pytest.raises(KeyboardInterrupt):
        _run([sys.executable, "-c", script], tmp_path / "build.log", None, interrupt)
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)
