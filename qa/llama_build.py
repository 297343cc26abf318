"""llama.cpp built for this machine's CPU, when the prebuilt wheel leaves instruction sets unused.

The prebuilt xllamacpp wheel is built for AVX2 and no further. On a CPU with AVX-512 (VNNI,
BF16...), the same pinned release built from its source reads prompts about 1.7 times as fast
(docs/answering.md, "llama.cpp built for this CPU"), and reading the prompt is most of the wait for an
answer's first word. ``make run`` and ``make test`` call ``python -m qa.llama_build auto`` after
installing the package:

    python -m qa.llama_build status     # what the CPU has, what the installed llama.cpp uses
    python -m qa.llama_build auto       # build and install for this CPU, if that gains anything
    python -m qa.llama_build native     # the same, even when the setting says prebuilt
    python -m qa.llama_build prebuilt   # back to the prebuilt wheel

``auto`` does nothing when the installed build already uses every instruction set the CPU has
(an AVX2-only CPU, or a build done before), when ``QA_LLAMA_BUILD=prebuilt``, or when there is
no C++ compiler; then the prebuilt wheel stays, and says why. A build takes about 5 minutes on
2 cores, downloads only the pinned version's source release (BoringSSL and llguidance are left
out; JSON output then goes through llama.cpp's own grammar engine) and is kept as a wheel in the
model cache folder, keyed by the CPU, so reinstalling takes seconds. The wheel is installed only
once it is built and imports: a failed or interrupted build leaves the prebuilt one working.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PACKAGE = "xllamacpp"
# What the build leaves out: BoringSSL and OpenSSL (HTTPS for llama.cpp's own downloads, unused
# here) and llguidance (a Rust grammar engine whose build fetches crates).
CMAKE_ARGS = "-DGGML_NATIVE=ON -DLLAMA_LLGUIDANCE=OFF -DLLAMA_BUILD_BORINGSSL=OFF -DLLAMA_OPENSSL=OFF"
Mode = Literal["auto", "native", "prebuilt"]

# Instruction sets llama.cpp can be built for (as its system info names them), and the
# /proc/cpuinfo flag that says a CPU has each. The prebuilt xllamacpp wheel is built for AVX2.
_CPU_FEATURES = {
    "AVX512": "avx512f",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AVX512_VBMI": "avx512vbmi",
    "AVX_VNNI": "avx_vnni",
    "AMX_INT8": "amx_int8",
}
CPUINFO = Path("/proc/cpuinfo")


def _cpuinfo_field(name: str, cpuinfo: Path) -> str:
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return ""


def cpu_flags(cpuinfo: Path = CPUINFO) -> set[str]:
    """The instruction-set flags of this machine's CPU (empty where /proc/cpuinfo is missing)."""
    return set(_cpuinfo_field("flags", cpuinfo).split())


def llama_cpu_features(system_info: str) -> set[str]:
    """The CPU features llama.cpp was built with, from its system info ("... AVX2 = 1 | ...")."""
    features = set()
    for part in system_info.replace("\n", "|").split("|"):
        name, _, value = part.rpartition("=")
        name = name.split(":")[-1].strip()
        if name and value.strip() == "1":
            features.add(name)
    return features


def built_cpu_features() -> set[str]:
    """The CPU features the llama.cpp (xllamacpp) imported in this process was built with."""
    import xllamacpp

    return llama_cpu_features(xllamacpp.get_system_info())


def unused_cpu_features(flags: set[str], built: set[str]) -> list[str]:
    """The instruction sets this CPU has that llama.cpp was not built for."""
    return [name for name, flag in _CPU_FEATURES.items() if flag in flags and name not in built]


def cpu_key(cpuinfo: Path = CPUINFO) -> str:
    """Names a build for this CPU: its model, its flags and the machine type, hashed.

    A wheel built with ``-march=native`` may crash on another CPU (an illegal instruction), so
    a cached wheel is only ever installed on a CPU with the same key."""
    parts = [platform.machine(), _cpuinfo_field("model name", cpuinfo), " ".join(sorted(cpu_flags(cpuinfo)))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Plan:
    build: bool
    reason: str


def plan(mode: Mode, unused: Sequence[str], compiler: str | None) -> Plan:
    """Whether to build llama.cpp for this CPU, and why (or why not). ``auto`` and ``native``
    decide alike; only the setting ``prebuilt`` says no where they would say yes."""
    if not unused:
        return Plan(False, "llama.cpp already uses every instruction set this CPU has")
    if mode == "prebuilt":
        return Plan(
            False,
            f"QA_LLAMA_BUILD=prebuilt: not building llama.cpp for this CPU's {', '.join(unused)} "
            "(`make native` would)",
        )
    if compiler is None:
        return Plan(
            False,
            f"this CPU has {', '.join(unused)}, which the prebuilt llama.cpp does not use; building it for "
            "this CPU (prompts read about 1.7x faster) needs a C++ compiler (Debian/Ubuntu: apt install g++), "
            "then `make native`. Keeping the prebuilt one",
        )
    return Plan(True, f"this CPU has {', '.join(unused)}, which the prebuilt llama.cpp does not use")


def _python() -> list[str]:
    return [sys.executable, "-m", "pip"]


def installed_version() -> str:
    from importlib.metadata import version

    return version(PACKAGE)


def installed_system_info() -> str | None:
    """llama.cpp's system info, read in a fresh interpreter (so it is the installed build, and a
    build that cannot even be imported, say an illegal instruction, shows up as None)."""
    proc = subprocess.run(
        [sys.executable, "-c", f"import {PACKAGE}; print({PACKAGE}.get_system_info())"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None


def _run(
    cmd: list[str],
    log: Path,
    env: dict[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> bool:
    """Run ``cmd`` with its output appended to ``log`` (and each line handed to ``on_line``)."""
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, errors="replace"
        )
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                out.write(line)
                if on_line is not None:
                    on_line(line)
            return proc.wait() == 0
        finally:
            if proc.poll() is None:  # interrupted: stop the build too
                proc.kill()
                proc.wait()


# CMake's progress lines ("[ 42%] Building CXX object ...") in the verbose build output.
_PERCENT = re.compile(r"^\s*\[\s*(\d{1,3})%\]")


def build_percent(line: str) -> int | None:
    """The percentage a line of the build's output reports, if it is one of CMake's progress lines."""
    match = _PERCENT.match(line)
    return int(match.group(1)) if match else None


# After CMake's 100 %, the Python extension is compiled (about 2 of the 5 minutes here).
EXTENSION_STAGE = "compiling the Python extension"


def build_wheel(
    version: str, dest: Path, log: Path, progress: Callable[[int | None, str], None] | None = None
) -> Path | None:
    """Build the pinned xllamacpp from its source release for this CPU into ``dest``; None on failure.

    ``progress`` gets CMake's percentage and the stage as the build reports them (no percentage
    for the last stage, the Python extension)."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    if shutil.which("cmake", path=env["PATH"]) is None and not _run(
        [*_python(), "install", "--quiet", "cmake>=3.21"], log, env
    ):
        return None
    env.update({"CMAKE_ARGS": CMAKE_ARGS, "NPROC": str(os.cpu_count() or 1)})

    def on_line(line: str) -> None:
        if progress is None:
            return
        if (percent := build_percent(line)) is not None:
            progress(percent, "compiling llama.cpp")
        elif "Cythonizing" in line:
            progress(None, EXTENSION_STAGE)

    cmd = [*_python(), "wheel", "-v", "--no-deps", "--no-cache-dir", "--no-binary", PACKAGE, "-w", str(dest)]
    if not _run([*cmd, f"{PACKAGE}=={version}"], log, env, on_line):
        return None
    wheels = sorted(dest.glob(f"{PACKAGE}-*.whl"))
    return wheels[0] if wheels else None


def build_wheel_showing_progress(version: str, dest: Path, log: Path) -> Path | None:
    """:func:`build_wheel` with a progress bar on standard error (a line at the end when it is no terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("configuring", total=100)

        def show(percent: int | None, stage: str) -> None:
            # Never 100 before the wheel is there: rich stops the clock of a finished task, and
            # CMake reports 100 % for a small target first, then for the whole of llama.cpp.
            bar.update(task, description=stage, completed=99 if percent is None else min(percent, 99))

        return build_wheel(version, dest, log, show)


def install_wheel(wheel: Path, log: Path) -> bool:
    return _run([*_python(), "install", "--quiet", "--force-reinstall", "--no-deps", str(wheel)], log)


def install_prebuilt(version: str, log: Path) -> bool:
    cmd = [*_python(), "install", "--quiet", "--force-reinstall", "--no-deps", "--only-binary", PACKAGE]
    return _run([*cmd, f"{PACKAGE}=={version}"], log)


@dataclass
class Steps:
    """What :func:`ensure` does to the world; tests replace them."""

    build: Callable[[str, Path, Path], Path | None] = build_wheel_showing_progress
    install: Callable[[Path, Path], bool] = install_wheel
    install_prebuilt: Callable[[str, Path], bool] = install_prebuilt
    system_info: Callable[[], str | None] = installed_system_info


def ensure(
    mode: Mode,
    *,
    version: str,
    cache_dir: Path,
    flags: set[str],
    key: str,
    compiler: str | None,
    steps: Steps | None = None,
    say: Callable[[str], None] = print,
) -> bool:
    """Install llama.cpp built for this CPU when ``mode`` and the machine call for it.

    Returns True when the installed build uses every instruction set the CPU has afterwards.
    Never leaves a broken install: the built wheel is installed only once built, and replaced by
    the prebuilt one again if it does not import or lacks what it was built for."""
    steps = steps or Steps()
    info = steps.system_info()
    built = llama_cpu_features(info or "")
    unused = unused_cpu_features(flags, built)
    decision = plan(mode, unused, compiler)
    if not decision.build:
        say(decision.reason)
        return not unused
    folder = cache_dir / "wheels" / f"{PACKAGE}-{version}-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "build.log"
    cached = sorted(folder.glob(f"{PACKAGE}-*.whl"))
    if cached:
        wheel = cached[0]
        say(f"{decision.reason}: installing llama.cpp {version} built for it earlier ({wheel})")
    else:
        say(
            f"{decision.reason}: building llama.cpp {version} for it (about 5 minutes on 2 cores; "
            f"QA_LLAMA_BUILD=prebuilt skips this). Log: {log}"
        )
        log.write_text("", encoding="utf-8")  # this build's log only
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as tmp:
            built_wheel = steps.build(version, Path(tmp), log)
            if built_wheel is None:
                say(
                    f"The build failed (see {log}); keeping the prebuilt llama.cpp, which works, only slower."
                )
                return False
            wheel = folder / built_wheel.name
            os.replace(built_wheel, wheel)  # whole or absent: an interrupted build leaves no wheel
        say(f"Built in {time.monotonic() - started:.0f} s.")
    if steps.install(wheel, log):
        after = steps.system_info()
        if after is not None and not unused_cpu_features(flags, llama_cpu_features(after)):
            say(f"llama.cpp now uses {', '.join(unused)}.")
            return True
        say(
            f"The llama.cpp built for this CPU does not work here (see {log}); going back to the prebuilt one."
        )
    else:
        say(
            f"Installing the llama.cpp built for this CPU failed (see {log}); going back to the prebuilt one."
        )
    wheel.unlink(missing_ok=True)
    if not steps.install_prebuilt(version, log):
        say(
            f"Reinstalling the prebuilt llama.cpp failed too: run `pip install --force-reinstall {PACKAGE}=={version}`."
        )
    return False


def status(flags: set[str], info: str | None, version: str) -> str:
    """What the installed llama.cpp is built for, and what more this CPU has."""
    if info is None:
        return f"{PACKAGE} {version} is installed but does not import"
    features = llama_cpu_features(info)
    line = f"llama.cpp ({PACKAGE} {version}) built for: {', '.join(sorted(features)) or 'nothing named'}"
    if unused := unused_cpu_features(flags, features):
        return f"{line}\nthis CPU also has {', '.join(unused)}: `python -m qa.llama_build native` builds for them"
    return f"{line}\nthis CPU has no instruction set it could use beyond these"


def _settings() -> tuple[Mode, Path]:
    """The build setting and the cache folder; their defaults when the settings do not load."""
    from qa.config import default_cache_dir, load_settings
    from qa.errors import QAError

    try:
        settings = load_settings()
    except QAError as exc:  # a bad setting must not stop an install; the prebuilt wheel stays
        print(f"{exc}\nKeeping the prebuilt llama.cpp.", file=sys.stderr)
        return "prebuilt", default_cache_dir()
    return settings.llama_build, settings.model_cache_dir


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.llama_build", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["status", "auto", "native", "prebuilt"])
    args = parser.parse_args(argv)
    version = installed_version()
    flags = cpu_flags()
    if args.action == "status":
        print(status(flags, installed_system_info(), version))
        return 0
    if args.action == "prebuilt":
        log = Path(tempfile.gettempdir()) / "qa-llama-prebuilt.log"
        ok = install_prebuilt(version, log)
        print(f"Prebuilt llama.cpp {version} installed." if ok else f"Installing it failed; see {log}.")
        return 0 if ok else 1
    setting, cache_dir = _settings()
    mode: Mode = setting if args.action == "auto" else "native"
    compiler = shutil.which(os.environ.get("CXX", "c++")) or shutil.which("g++") or shutil.which("clang++")
    ok = ensure(mode, version=version, cache_dir=cache_dir, flags=flags, key=cpu_key(), compiler=compiler)
    # `auto` runs inside every install: a slower llama.cpp still works, so the install goes on.
    return 0 if ok or args.action == "auto" else 1


if __name__ == "__main__":
    sys.exit(main())
