"""Fixtures for the Discord tests (loaded with `pytest_plugins = ("discord_fixtures",)`): the tiny corpus
indexed once per session, the real pipeline over it, and a bot in a fresh dpytest guild per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from discord_harness import Harness, SpyPipeline, start_bot, stop_bot
from helpers import TINY_CORPUS

from bot.answer.pipeline import QAPipeline
from index.settings import Settings

CORPUS = TINY_CORPUS  # the same tiny corpus the index tests use


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The tiny corpus, indexed once for the whole session."""
    from index.build import build_index

    root = tmp_path_factory.mktemp("discord-corpus")
    for name, text in CORPUS.items():
        (root / "corpus" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "corpus" / name).write_text(text, encoding="utf-8")
    settings = Settings(QABOT_CORPUS_DIR=root / "corpus", QABOT_INDEX_DIR=root / "index", _env_file=None)
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def real_pipeline(corpus_settings: Settings) -> QAPipeline:
    return QAPipeline.open(corpus_settings)


@pytest_asyncio.fixture
async def harness(real_pipeline: QAPipeline, corpus_settings: Settings, tmp_path: Path) -> AsyncIterator[Harness]:
    bot, h = await start_bot(SpyPipeline(real_pipeline), corpus_settings, tmp_path / "fb" / "feedback.sqlite3")
    yield h
    await stop_bot(bot)
