"""Source files → numbered paragraphs.

The citation contract: a paragraph is one non-empty line (after stripping), numbered
from 1 in file order counting every non-empty line, boilerplate included. So
``000_471dacd1b07f6ea5.txt ¶6`` is the sixth non-empty line of that file.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import SourceError
from qa.lang import detect_language, detect_language_confident

log = logging.getLogger(__name__)

SOURCE_SUFFIXES = (".txt", ".md")
MAX_SOURCE_BYTES = 20 * 1024 * 1024

# Lines that carry no content of their own. Each pattern matches a whole stripped line.
_BOILERPLATE_PATTERNS = [
    re.compile(r"^[\w\s]{1,30}\(\s*\d+\s*\)$"),  # comment counters: "Kommentar (0)"
    re.compile(r"^(chia sẻ|share|teilen|partager|dela|delen|compartir|condividi)$", re.I),
    re.compile(r"^(https?://)?[\w-]+(\.[\w-]+)+(/\S*)?$", re.I),  # bare site name or URL
    re.compile(r"^(quelle|source|sources|källa|bron|nguồn|fonte|fuente)\s*:", re.I),
    re.compile(r"\((foto|photo|ảnh|bild|fotó)\s*:[^)]*\)\.?$", re.I),  # photo captions
]
_MIN_CONTENT_WORDS = 3
# Language detection reads this much of a paragraph: plenty to tell, and a 1 MB line stays cheap.
_LANG_SAMPLE_CHARS = 2000


def is_boilerplate(text: str) -> bool:
    """True for lines such as "Kommentar (0)", "Chia sẻ", "Vietnam.vn", "Källa: https://…",
    photo captions ending in "(Foto: …)", and lines too short to say anything."""
    stripped = text.strip()
    if any(p.search(stripped) for p in _BOILERPLATE_PATTERNS):
        return True
    words = re.findall(r"\w+", stripped)
    return len(words) < _MIN_CONTENT_WORDS


@dataclass(frozen=True)
class Paragraph:
    """One non-empty line of a source file."""

    file: str
    number: int
    text: str
    lang: str
    boilerplate: bool

    @property
    def id(self) -> str:
        """Stable id of this paragraph's position: ``file#number``."""
        return f"{self.file}#{self.number}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def label(self) -> str:
        """The human citation: ``file ¶n``."""
        return f"{self.file} ¶{self.number}"


@dataclass(frozen=True)
class Document:
    """One source file, split into its paragraphs."""

    file: str
    path: Path
    lang: str
    paragraphs: tuple[Paragraph, ...]
    sha256: str

    @property
    def title(self) -> str:
        """The first content paragraph (news headline or lead), used as article context."""
        for p in self.paragraphs:
            if not p.boilerplate:
                return p.text
        return ""

    def paragraph(self, number: int) -> Paragraph:
        """Paragraph ``number`` (1-based) of this document."""
        if not 1 <= number <= len(self.paragraphs):
            raise SourceError(f"{self.file} has no paragraph {number} (it has {len(self.paragraphs)})")
        return self.paragraphs[number - 1]


@dataclass
class Corpus:
    """All readable documents under a sources folder, plus what was skipped and why."""

    root: Path
    documents: list[Document]
    skipped: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterable[Document]:  # type: ignore[override]
        return iter(self.documents)

    def document(self, file: str) -> Document:
        for doc in self.documents:
            if doc.file == file:
                return doc
        raise SourceError(f"No source file named {file!r} in {self.root}")

    def paragraph(self, file: str, number: int) -> Paragraph:
        return self.document(file).paragraph(number)

    def content_paragraphs(self) -> list[Paragraph]:
        """Every paragraph that is indexed (boilerplate excluded), in file order."""
        return [p for d in self.documents for p in d.paragraphs if not p.boilerplate]


def split_paragraphs(text: str) -> list[str]:
    """The non-empty stripped lines of ``text``, in order: the paragraph contract."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def read_source(path: Path, root: Path | None = None) -> Document | None:
    """Read one source file. ``None`` (with a warning) for an empty file; SourceError if unreadable."""
    name = path.name if root is None else path.relative_to(root).as_posix()
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:  # undecodable bytes in the name: it cannot be stored or cited
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise SourceError(f"{shown}: the file name is not valid UTF-8; rename the file") from exc
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise SourceError(
                f"{name}: file is {size / 1e6:.1f} MB, over the {MAX_SOURCE_BYTES // 2**20} MiB limit for a source"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    if _looks_binary(data):
        raise SourceError(f"{name}: looks like a binary file (contains NUL bytes), not UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{name}: is not valid UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r}); "
            "re-save it as UTF-8"
        ) from exc
    lines = split_paragraphs(text)
    if not lines:
        log.warning("%s: empty file, skipped", name)
        return None
    doc_lang = detect_language(" ".join(lines)[:5000], default="und") or "und"
    paragraphs = []
    for number, line in enumerate(lines, start=1):
        boiler = is_boilerplate(line)
        lang = doc_lang if boiler else (detect_language_confident(line[:_LANG_SAMPLE_CHARS]) or doc_lang)
        paragraphs.append(Paragraph(name, number, line, lang, boiler))
    return Document(name, path, doc_lang, tuple(paragraphs), hashlib.sha256(data).hexdigest())


def iter_source_paths(root: Path) -> list[Path]:
    """Source files under ``root`` (recursively), sorted, skipping hidden files and links that leave it."""
    resolved_root = root.resolve()
    paths = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() not in SOURCE_SUFFIXES:
            continue
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(resolved_root):
                log.warning("%s: symlink pointing outside the sources folder, not followed", rel)
                continue
        if path.is_file():
            paths.append(path)
    return paths


def load_corpus(sources_dir: Path) -> Corpus:
    """Read every source under ``sources_dir``.

    A missing or empty folder is an error. A single bad file is skipped with its reason
    recorded in ``Corpus.skipped`` (and logged), so the others still load.
    """
    if not sources_dir.exists():
        raise SourceError(f"Sources folder {sources_dir} does not exist (setting QA_SOURCES_DIR)")
    if not sources_dir.is_dir():
        raise SourceError(f"Sources path {sources_dir} is not a folder (setting QA_SOURCES_DIR)")
    paths = iter_source_paths(sources_dir)
    if not paths:
        raise SourceError(f"Sources folder {sources_dir} has no .txt or .md files (setting QA_SOURCES_DIR)")
    documents: list[Document] = []
    skipped: dict[str, str] = {}
    for path in paths:
        # Printable even when the name holds undecodable bytes (then read_source refuses the file).
        name = (
            path.relative_to(sources_dir)
            .as_posix()
            .encode("utf-8", "surrogateescape")
            .decode("utf-8", "replace")
        )
        try:
            doc = read_source(path, sources_dir)
        except SourceError as exc:
            log.warning("%s", exc)
            skipped[name] = str(exc)
            continue
        if doc is None:
            skipped[name] = f"{name}: empty file"
            continue
        documents.append(doc)
    if not documents:
        raise SourceError(f"Sources folder {sources_dir} has no usable files: " + "; ".join(skipped.values()))
    return Corpus(sources_dir, documents, skipped)
