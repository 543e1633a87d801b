"""Citations name the section (the heading in force) where the source has one."""

from __future__ import annotations

from pathlib import Path

from bot.answer.pipeline import QAPipeline
from index.build import build_index
from index.documents import load_document
from index.settings import Settings

MARKDOWN = """---
title: Harbour guide
---
# Harbour guide

The harbour is on the north shore of the island.

## Opening hours

The harbour office opens at eight o'clock on weekdays and closes at noon on Saturdays.

## Fees

Mooring a small boat overnight costs twelve euros in the summer season.
"""

RST = """Island notes
============

The island has one school.

Transport
---------

A ferry leaves the island four times a day in summer.
"""


def test_section_at_finds_the_heading_in_force(tmp_path: Path) -> None:
    md = tmp_path / "guide.md"
    md.write_text(MARKDOWN)
    doc = load_document(md, "guide.md", 10**6)
    assert doc.section_at(doc.text.index("north shore")) == "Harbour guide"
    assert doc.section_at(doc.text.index("eight o'clock")) == "Opening hours"
    assert doc.section_at(doc.text.index("twelve euros")) == "Fees"
    rst = tmp_path / "notes.rst"
    rst.write_text(RST)
    notes = load_document(rst, "notes.rst", 10**6)
    assert notes.section_at(notes.text.index("one school")) == "Island notes"
    assert notes.section_at(notes.text.index("four times")) == "Transport"


def test_a_citation_names_its_section(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guide.md").write_text(MARKDOWN)
    settings = Settings(QABOT_CORPUS_DIR=corpus, QABOT_INDEX_DIR=tmp_path / "index", _env_file=None)
    build_index(settings)
    answer = QAPipeline.open(settings).answer("How much does it cost to moor a small boat overnight?")
    assert answer.answered, answer.answer
    assert "twelve euros" in answer.answer
    assert answer.citations[0].section == "Fees"
