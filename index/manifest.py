"""The index manifest: what the live version of the index was built with and from.

The manifest is also the pointer: `version` names the live version's collections, so switching
versions is one atomic write of the manifest (a file rename here; a record upsert in server mode)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.chunking import CHUNKER_VERSION, ENCODING
from index.embedding import MODEL_NAME

MANIFEST_NAME = "manifest.json"
FORMAT = 1


class IndexMismatch(Exception):
    """The index on disk was built with other settings than the current ones."""


@dataclass
class Manifest:
    embedding_model: str
    chunker: dict[str, Any]
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # doc_id -> hash, title, chunks
    complete: bool = False
    format: int = FORMAT
    version: int = 0  # the live version once complete; 0 names the unversioned collections of older indexes

    @property
    def corpus_fingerprint(self) -> str:
        return corpus_fingerprint({d: info["hash"] for d, info in self.documents.items()})


def corpus_fingerprint(hashes: dict[str, str]) -> str:
    joined = "\n".join(f"{doc_id}\t{h}" for doc_id, h in sorted(hashes.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


def expected_manifest(chunk_tokens: int, chunk_overlap: int) -> Manifest:
    chunker = {"encoding": ENCODING, "chunk_tokens": chunk_tokens, "overlap": chunk_overlap, "version": CHUNKER_VERSION}
    return Manifest(embedding_model=MODEL_NAME, chunker=chunker)


def manifest_json(manifest: Manifest) -> str:
    payload = asdict(manifest) | {"corpus_fingerprint": manifest.corpus_fingerprint}
    return json.dumps(payload, indent=1, sort_keys=True, default=str)


def parse_manifest(text: str, where: str) -> Manifest:
    try:
        data = json.loads(text)
        data.pop("corpus_fingerprint", None)
        return Manifest(**data)
    except (ValueError, TypeError) as exc:
        raise IndexMismatch(f"The index manifest {where} is unreadable ({exc}). Run `qabot index --rebuild`.") from exc


def read_manifest(index_dir: Path) -> Manifest | None:
    path = index_dir / MANIFEST_NAME
    if not path.exists():
        return None
    return parse_manifest(path.read_text(), str(path))


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    path = index_dir / MANIFEST_NAME
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(manifest_json(manifest))
    partial.replace(path)


def check_compatible(found: Manifest | None, wanted: Manifest) -> None:
    """Raise IndexMismatch naming each setting that differs from the one the index was built with."""
    if found is None:
        return
    differences = []
    if found.format != wanted.format:
        differences.append(f"index format {found.format} (now {wanted.format})")
    if found.embedding_model != wanted.embedding_model:
        differences.append(f"embedding model {found.embedding_model} (now {wanted.embedding_model})")
    for key, value in wanted.chunker.items():
        if found.chunker.get(key) != value:
            differences.append(f"chunker {key}={found.chunker.get(key)} (now {value})")
    if differences:
        raise IndexMismatch(
            "The index was built with other settings: "
            + "; ".join(differences)
            + ". Run `qabot index --rebuild` to rebuild it with the current settings."
        )
