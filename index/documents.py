"""Load the corpus folder into documents, reporting every file that cannot be used."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown")


class CorpusError(Exception):
    """The corpus as a whole cannot be read (for example, the folder is missing)."""


@dataclass(frozen=True)
class Document:
    """One source document. Citations point at character offsets into `text`."""

    doc_id: str  # path relative to the corpus folder, with forward slashes
    path: Path
    title: str
    text: str
    content_hash: str
    metadata: dict[str, Any] = field(default_factory=dict)  # url, date, publisher, kind, ...


@dataclass(frozen=True)
class LoadProblem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class UnusableFile(Exception):
    """Raised by a loader with a message that says what is wrong and what to do."""


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split a leading `---` YAML block from the body. Broken YAML raises UnusableFile."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for n, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            header = "\n".join(lines[1:n])
            try:
                meta = yaml.safe_load(header) or {}
            except yaml.YAMLError as exc:
                raise UnusableFile(f"its front matter is not valid YAML ({exc}); fix the block between the '---' lines") from exc
            if not isinstance(meta, dict):
                raise UnusableFile("its front matter must be a YAML mapping such as 'title: ...'")
            return meta, "\n".join(lines[n + 1 :])
    raise UnusableFile("its front matter starts with '---' but never ends; add a closing '---' line")


def decode_text(raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise UnusableFile("it looks like a binary file (it contains NUL bytes); only text documents can be indexed")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableFile(
            f"it is not valid UTF-8 (bad byte at position {exc.start}); re-save it as UTF-8"
        ) from exc


def load_plain(path: Path, raw: bytes) -> tuple[str, dict[str, Any]]:
    meta, body = split_front_matter(decode_text(raw))
    return body, meta


LOADERS: dict[str, Callable[[Path, bytes], tuple[str, dict[str, Any]]]] = {
    suffix: load_plain for suffix in SUPPORTED_SUFFIXES
}


def load_document(path: Path, doc_id: str, max_bytes: int) -> Document:
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        kinds = ", ".join(sorted(LOADERS))
        raise UnusableFile(f"unsupported file type '{path.suffix or '(none)'}'; supported: {kinds}")
    size = path.stat().st_size
    if size > max_bytes:
        raise UnusableFile(
            f"it is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit; "
            "split it or raise QABOT_MAX_FILE_MB"
        )
    raw = path.read_bytes()
    text, meta = loader(path, raw)
    if not text.strip():
        raise UnusableFile("it has no text; add content or remove the file")
    title = str(meta.get("title") or path.stem.replace("-", " ").replace("_", " "))
    meta = {k: v if isinstance(v, (str, int, float, bool)) else str(v) for k, v in meta.items() if k != "title"}
    return Document(doc_id, path, title, text, hashlib.sha256(raw).hexdigest(), meta)


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"The corpus folder {corpus_dir} does not exist. Create it and put documents in it, "
            "or set QABOT_CORPUS_DIR to the folder that holds them."
        )
    return sorted(
        p for p in corpus_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
    )


def load_corpus(corpus_dir: Path, max_file_mb: float = 20.0) -> tuple[list[Document], list[LoadProblem]]:
    """Every usable document in the folder, and a problem for each file that is not."""
    documents: list[Document] = []
    problems: list[LoadProblem] = []
    for path in corpus_files(corpus_dir):
        doc_id = path.relative_to(corpus_dir).as_posix()
        try:
            documents.append(load_document(path, doc_id, int(max_file_mb * 1e6)))
        except UnusableFile as exc:
            problems.append(LoadProblem(path, f"skipped: {exc}"))
        except OSError as exc:
            problems.append(LoadProblem(path, f"skipped: cannot read it ({exc.strerror}); check its permissions"))
    return documents, problems
