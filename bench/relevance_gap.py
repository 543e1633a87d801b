"""Where the relevance floor sits: how "about the question" the sentence the bot would quote is, for
out-of-scope questions and for the answers it gets right, over every corpus with questions.

Each question's sentence to quote (the one `choose` checks against the floor) gets its relevance (cosine
plus its share of the question's words, numbers not counting). The floor (`RELEVANCE_FLOOR`) belongs in the gap between
the highest out-of-scope question and the lowest correct answer.

    .venv/bin/python bench/relevance_gap.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fit_weights import collect

from bot.answer import extractive
from bot.answer.pipeline import QAPipeline
from bot.eval.evaluate import eval_settings, load_all
from bot.eval.metrics import contains
from index.build import build_index
from index.settings import get_settings

SHOWN = 6


def corpora(article_only: Path) -> list[tuple[str, Path | None, list[Path]]]:
    """Every corpus with questions: the project's, the dev set on article.txt alone, each eval/unseen*."""
    found = [
        ("project", None, sorted(Path("eval").glob("questions-*.yaml"))),
        ("dev on article.txt", article_only, [Path("eval/questions-dev.yaml")]),
    ]
    for folder in sorted(Path("eval").glob("unseen*")):
        found.append((folder.name, folder / "corpus", [folder / "questions.yaml"]))
    return found


def relevance_of_choices(corpus: Path | None, files: list[Path]) -> list[tuple[float, str, str]]:
    """(relevance, outcome, question) for every question the floor alone would decide."""
    settings = eval_settings(get_settings(), corpus)
    build_index(settings)
    pipeline = QAPipeline.open(settings.model_copy(update={"llm_model": None}))
    answerer, rows = pipeline.extractive, []
    for item, kind, fixed, retrieval, candidates in collect(pipeline, load_all(files, None)):
        if fixed or not candidates:
            continue
        if candidates[0].score < extractive.DECLINE_BELOW:
            continue
        best = answerer.lead(candidates, kind, retrieval)  # the sentence the floor is checked on in `choose`
        quoted = answerer.span_text(answerer.window(best.sentence, retrieval, kind))
        good = item.answerable and any(contains(quoted, a) for a in item.answers)
        outcome = "correct" if good else ("wrong" if item.answerable else item.kind)
        rows.append((extractive.relevance(best), outcome, item.question))
    return rows


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy("corpus/article.txt", folder)
        for label, corpus, files in corpora(Path(folder)):
            rows += [(r, o, f"{label}: {q}") for r, o, q in relevance_of_choices(corpus, files)]
    declines = sorted((r for r in rows if r[1] == "out-of-scope"), reverse=True)[:SHOWN]
    corrects = sorted(r for r in rows if r[1] == "correct")[:SHOWN]
    print(f"shipped RELEVANCE_FLOOR = {extractive.RELEVANCE_FLOOR}")
    print("highest out-of-scope questions (unanswerable ones about the documents' subjects are no floor's job):")
    for relevance, _, question in declines:
        print(f"  {relevance:.3f}  {question[:90]}")
    print("lowest correct answers:")
    for relevance, _, question in corrects:
        print(f"  {relevance:.3f}  {question[:90]}")


if __name__ == "__main__":
    main()
