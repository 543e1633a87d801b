"""Refit the extractive answerer's feature weights and decline threshold on the question sets.

Prints the best weights found by a grid search (objective: answer accuracy + 0.5 x declined-correctly,
with wrongly declined answers above 5% penalised) next to the current ones. It only reports: copy the
numbers into bot/answer/extractive.py by hand, and re-run `qabot eval` to confirm.

    .venv/bin/python bench/fit_weights.py [eval/questions-*.yaml ...]
    .venv/bin/python bench/fit_weights.py --holdout eval/questions-related.yaml   # fit on the rest, test on it

With --holdout, the weights are fitted without the held-out file and then scored on it: an honest
estimate of how the fitted weights do on questions they were not fitted to.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.answer import extractive
from bot.answer.amounts import amount_sum
from bot.answer.arithmetic import year_difference
from bot.answer.pipeline import QAPipeline
from bot.answer.query import prepare_query
from bot.eval.evaluate import load_all
from bot.eval.metrics import contains
from index.build import build_index
from index.settings import get_settings

NAMES = list(extractive.WEIGHTS)


def collect(pipeline: QAPipeline, items) -> list[tuple]:
    """Per question: (item, kind, fixed outcome or None, retrieval, candidate sentences as Scored)."""
    answerer, retriever = pipeline.extractive, pipeline.retriever
    rows = []
    for item in (i for i in items if not i.history):  # follow-ups test history handling, not the weights
        retrieval = retriever.run(prepare_query(item.question).search_text, pipeline.settings.top_k)
        kind = answerer.question_kind(item.question, retrieval)
        fixed = None
        if answerer.unknown_names(item.question, retrieval):
            fixed = "declined"
        elif computed := year_difference(item.question, retriever) or amount_sum(item.question, retriever):
            answer = answerer.compose_computed(item.question, retrieval, computed)
            fixed = "correct" if any(contains(answer.answer, a) for a in item.answers) else "wrong"
        candidates = answerer.score_sentences(item.question, retrieval, kind)
        rows.append((item, kind, fixed, retrieval, candidates))
    return rows


def outcomes(answerer, rows, weights) -> list[tuple[float, str]]:
    """Per question: the top score (declined below the threshold) and the outcome above it, through
    the answerer's own `choose`, so the fit scores exactly what the bot does."""
    results = []
    for item, kind, fixed, retrieval, candidates in rows:
        if fixed or not candidates:
            results.append((float("inf"), fixed or "declined"))
            continue
        ranked = sorted(
            (replace(c, score=sum(weights[n] * c.features[n] for n in NAMES)) for c in candidates),
            key=lambda c: c.score,
            reverse=True,
        )
        chosen, _ = answerer.choose(item.question, ranked, kind, retrieval, threshold=float("-inf"))
        if chosen is None:
            results.append((ranked[0].score, "declined"))
            continue
        text = answerer.span_text(chosen[1])
        good = item.answerable and any(contains(text, a) for a in item.answers)
        results.append((ranked[0].score, "correct" if good else "wrong"))
    return results


def score(rows, results, threshold) -> tuple[float, float, float, float]:
    final = [(r[0], "declined" if top < threshold else res) for r, (top, res) in zip(rows, results, strict=True)]
    answerable = [res for item, res in final if item.answerable]
    other = [res for item, res in final if not item.answerable]
    accuracy = answerable.count("correct") / max(1, len(answerable))
    declined = other.count("declined") / max(1, len(other))
    wrongly = answerable.count("declined") / max(1, len(answerable))
    return accuracy + 0.5 * declined - max(0.0, wrongly - 0.05), accuracy, declined, wrongly


def fit(answerer, rows) -> tuple[tuple[float, float, float, float], dict[str, float], float]:
    best = None
    for values in itertools.product(*(GRID[n] for n in NAMES)):
        weights = dict(zip(NAMES, values, strict=True))
        results = outcomes(answerer, rows, weights)
        for threshold in np.arange(0.0, 0.6, 0.01):
            result = score(rows, results, threshold)
            if best is None or result[0] > best[0][0]:
                best = (result, weights, round(float(threshold), 2))
    return best


def report(label: str, result, weights, threshold) -> None:
    print(f"{label}: weights={weights} threshold={threshold}")
    print("    objective={:.3f} accuracy={:.3f} declined={:.3f} wrongly_declined={:.3f}".format(*result))


def main() -> None:
    args = sys.argv[1:]
    holdout = Path(args[args.index("--holdout") + 1]) if "--holdout" in args else None
    files = [Path(a) for a in args if a.endswith(".yaml") and Path(a) != holdout]
    files = files or [p for p in sorted(Path("eval").glob("questions-*.yaml")) if p != holdout]
    settings = get_settings()
    build_index(settings)
    pipeline = QAPipeline.open(settings.model_copy(update={"llm_model": None}))
    answerer = pipeline.extractive
    current = extractive.WEIGHTS, extractive.DECLINE_BELOW
    rows = collect(pipeline, load_all(files, None))
    report("current", score(rows, outcomes(answerer, rows, current[0]), current[1]), *current)
    result, weights, threshold = fit(answerer, rows)
    report(f"fitted on {', '.join(map(str, files))}", result, weights, threshold)
    if holdout:
        held = collect(pipeline, load_all([holdout], None))
        fitted = score(held, outcomes(answerer, held, weights), threshold)
        report(f"  scored on held-out {holdout}", fitted, weights, threshold)
        unchanged = score(held, outcomes(answerer, held, current[0]), current[1])
        report(f"  current weights on {holdout}", unchanged, *current)


GRID = {  # each range extends past the shipped value on both sides, so an optimum at an edge shows
    "dense": [0.15, 0.25, 0.35],
    "context": [0.11, 0.21, 0.31],
    "lexical": [0.05, 0.15, 0.25],
    "typed": [0.0, 0.05],
    "rank": [0.01, 0.11, 0.21],
    "novelty": [0.06, 0.16, 0.26],
    "detail": [0.0, 0.06, 0.12],
    "coverage": [0.0, 0.06, 0.12],
}


if __name__ == "__main__":
    main()
