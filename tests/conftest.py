"""Test-wide setup: no network, shared embedder, temporary corpora and settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import netguard
import pytest
from helpers import TINY_CORPUS, write_corpus

from index.settings import Settings


@pytest.fixture(scope="session", autouse=True)
def network_guard() -> Iterator[None]:
    """Every socket connection outside loopback raises for the whole session."""
    netguard.install()
    yield
    netguard.uninstall()


@pytest.fixture(autouse=True)
def _no_blocked_connections(network_guard: None) -> Iterator[None]:
    """Fail a test whose code tried the network, even if a library swallowed the error."""
    netguard.attempts.clear()
    yield
    if netguard.attempts:
        tried = list(netguard.attempts)
        netguard.attempts.clear()
        pytest.fail("network use: " + "; ".join(tried))


@pytest.fixture(scope="session")
def embedder():
    """The process-wide embedder, loaded once for the session."""
    from index.embedding import get_embedder

    return get_embedder()


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def settings_factory(tmp_path: Path) -> SettingsFactory:
    """Settings for a temporary corpus and index; never reads `.env` or the project's data/.
    Keyword arguments use the environment names (QABOT_CHUNK_TOKENS=64, ...)."""

    def make(corpus: Path | None = None, index: Path | None = None, **overrides) -> Settings:
        values = {
            "QABOT_CORPUS_DIR": corpus or tmp_path / "corpus",
            "QABOT_INDEX_DIR": index or tmp_path / "index",
            "QABOT_CHUNK_TOKENS": 200,
            "QABOT_CHUNK_OVERLAP": 40,
            "QABOT_EMBED_BATCH": 16,
            "QABOT_MAX_FILE_MB": 20.0,
            "CHROMA_HOST": None,
        }
        return Settings(_env_file=None, **(values | overrides))

    return make


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """Three short documents (one in a subfolder, one with YAML front matter)."""
    return write_corpus(tmp_path / "corpus", TINY_CORPUS)
