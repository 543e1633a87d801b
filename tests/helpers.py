"""Shared helpers for the index tests: corpora, store inspection, running the CLI."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

from index.chunking import chunk_text, split_sentences
from index.documents import load_corpus
from index.settings import Settings
from index.store import Catalog, IndexStore

TESTS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = TESTS_DIR.parent
QABOT = PROJECT_DIR / ".venv" / "bin" / "qabot"

TINY_CORPUS = {
    "hull.txt": (
        "The University of Hull is a public research university in Kingston upon Hull. "
        "It was founded in 1927 as University College Hull. Dr. Smith teaches chemistry there. "
        "The main campus is on Cottingham Road.\n\n"
        "Philip Larkin worked as the librarian of the university for thirty years. "
        "The Brynmor Jones Library was extended in 1970. Students can borrow two million items."
    ),
    "baking.md": (
        "---\ntitle: Banana bread\nkind: recipe\n---\n"
        "Banana bread is a quick bread made with mashed ripe bananas. "
        "Mix flour, sugar, eggs and butter in a large bowl. "
        "Bake it at 180 degrees for about an hour.\n\n"
        "Over-ripe bananas with black skins give the sweetest loaf. "
        "Walnuts or chocolate chips are common additions."
    ),
    "treaty/pact.txt": (
        "Russia and North Korea signed a comprehensive strategic partnership treaty in June 2024. "
        "The treaty commits each side to provide military assistance if the other is attacked. "
        "It replaced the 2000 treaty of friendship.\n"
        "Officials in Seoul and Tokyo expressed concern about the agreement. "
        "Analysts said it revived a Cold War era mutual defence clause."
    ),
}

_VOCABULARY = """
river harbour treaty council summit border railway winter garden market engine signal library
harvest captain village museum ocean forest bridge letter coast island valley minister army
factory school doctor voyage garrison palace archive beacon lantern mill quickly slowly quietly
openly carefully rarely often never always suddenly builds carries opens signs watches crosses
writes reads follows guards reaches leaves old new northern southern ancient modern narrow wide
distant local silent bright
"""
WORDS = _VOCABULARY.split()


def write_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def offline_settings(root: Path, files: dict[str, str | bytes]) -> Settings:
    """Settings for an embedded index of `files` under `root`, offline answerer, no .env; index built."""
    from index.build import build_index

    corpus = write_corpus(root / "corpus", files)
    settings = Settings(
        QABOT_CORPUS_DIR=corpus, QABOT_INDEX_DIR=root / "index", QABOT_LLM=None, CHROMA_HOST=None, _env_file=None
    )
    build_index(settings)
    return settings


def synthetic_text(rng: random.Random, words: int) -> str:
    """Paragraphs of varied sentences, about `words` words long."""
    paragraphs, sentences, count = [], [], 0
    while count < words:
        n = rng.randint(5, 22)
        sentence = " ".join(rng.choice(WORDS) for _ in range(n))
        sentences.append(sentence[0].upper() + sentence[1:] + rng.choice(".....!?"))
        count += n
        if len(sentences) >= rng.randint(3, 8):
            paragraphs.append(" ".join(sentences))
            sentences = []
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs) + "\n"


def synthetic_corpus(folder: Path, files: int, words_per_file: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    return write_corpus(folder, {f"doc-{n:03d}.txt": synthetic_text(rng, words_per_file) for n in range(files)})


def expected_parts(settings: Settings) -> dict[str, tuple[int, int]]:
    """(chunks, sentences) per readable document, as a clean build produces them."""
    documents, _ = load_corpus(settings.corpus_dir, settings.max_file_mb)
    return {
        d.doc_id: (len(chunk_text(d.text, settings.chunk_tokens, settings.chunk_overlap)), len(split_sentences(d.text)))
        for d in documents
    }


def all_ids(store: IndexStore) -> tuple[list[str], list[str]]:
    return store.chunks.get(include=[])["ids"], store.sentences.get(include=[])["ids"]


def assert_index_matches_corpus(settings: Settings, extra_docs: dict[str, tuple[int, int]] | None = None) -> IndexStore:
    """The store holds exactly the chunks and sentences of every readable document (plus
    `extra_docs`, documents kept from earlier builds), each once, with offsets that point
    at the right text; the manifest says the build completed."""
    documents, _ = load_corpus(settings.corpus_dir, settings.max_file_mb)
    texts = {d.doc_id: d.text for d in documents}
    expected = expected_parts(settings) | (extra_docs or {})
    store = IndexStore(settings)
    chunk_ids, sentence_ids = all_ids(store)
    assert not [i for i, n in Counter(chunk_ids + sentence_ids).items() if n > 1]
    want_chunks = {f"{doc}#c{n}" for doc, (c, _) in expected.items() for n in range(c)}
    want_sentences = {f"{doc}#s{n}" for doc, (_, s) in expected.items() for n in range(s)}
    assert set(chunk_ids) == want_chunks
    assert set(sentence_ids) == want_sentences
    got = store.chunks.get(include=["documents", "metadatas"])
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        if meta["doc_id"] in texts:
            assert texts[meta["doc_id"]][meta["start"] : meta["end"]] == text
    manifest = Catalog(settings).read_manifest()  # the file, or the pointer record on a server
    assert manifest is not None and manifest.complete
    assert set(manifest.documents) == set(expected)
    return store


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """An environment for `qabot` as a subprocess: this test's folders, no inherited qabot
    settings, and the network guard installed at interpreter start-up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QABOT_", "CHROMA_", "DISCORD_"))}
    env |= {
        "QABOT_CORPUS_DIR": str(settings.corpus_dir),
        "QABOT_INDEX_DIR": str(settings.index_dir),
        "QABOT_CHUNK_TOKENS": str(settings.chunk_tokens),
        "QABOT_CHUNK_OVERLAP": str(settings.chunk_overlap),
        "PYTHONPATH": str(TESTS_DIR / "netguard_site"),
        "COLUMNS": "400",  # rich wraps stderr at 80 columns otherwise
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


def run_qabot(args: list[str], settings: Settings, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed `qabot` console script. cwd must not hold a .env file."""
    command = [str(QABOT)] if QABOT.exists() else [sys.executable, "-m", "bot.cli"]
    return subprocess.run(
        command + args, env=cli_env(settings), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
