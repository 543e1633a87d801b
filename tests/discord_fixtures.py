"""Fixtures for the Discord tests (loaded with `pytest_plugins = ("discord_fixtures",)`): the tiny corpus
indexed once per session, the real pipeline over it, and a bot in a fresh dpytest guild per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from discord_harness import Harness, SpyPipeline, start_bot, stop_bot

from bot.answer.pipeline import QAPipeline
from index.settings import Settings

CORPUS = {
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
