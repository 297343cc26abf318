"""The assembled local model file, truncated or tampered with: caught by the size and hash
checks and assembled again from the installed chunk packages. The real 1.1 GB bundled model,
in a private cache folder (slow: it is written three times and hashed four)."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest

from qa.config import Settings
from qa.local_model import BUNDLED, model_path

pytestmark = pytest.mark.slow


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def test_a_damaged_model_file_is_detected_and_reassembled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec = BUNDLED["1.5b"]
    settings = Settings(_env_file=None, model_cache_dir=tmp_path / "cache", llm="local")  # type: ignore[call-arg]
    path = model_path(settings)
    assert path.stat().st_size == spec.size

    with path.open("r+b") as fh:  # truncated: an interrupted copy
        fh.truncate(spec.size // 3)
    with caplog.at_level(logging.WARNING, logger="qa.local_model"):
        assert model_path(settings) == path
    assert "truncated" in caplog.text and "assembling it again" in caplog.text
    assert path.stat().st_size == spec.size

    caplog.clear()
    stat = path.stat()
    with path.open("r+b") as fh:  # tampered: same size, one byte changed in the middle
        fh.seek(spec.size // 2)
        byte = fh.read(1)
        fh.seek(spec.size // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with caplog.at_level(logging.WARNING, logger="qa.local_model"):
        assert model_path(settings) == path
    assert "SHA-256" in caplog.text and "assembling it again" in caplog.text
    assert _sha256(path) == spec.sha256
