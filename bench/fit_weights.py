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
from pathlib import Path

import numpy as np

from bot.answer import extractive
from bot.answer.arithmetic import year_difference
from bot.answer.pipeline import QAPipeline
from bot.answer.question import question_type
from bot.eval.evaluate import load_all
from bot.eval.metrics import contains
from index.build import build_index
from index.settings import get_settings

NAMES = list(extractive.WEIGHTS)


def collect(pipeline: QAPipeline, items) -> list[tuple]:
    """Per question: (item, kind, fixed outcome or None, [(features, window holds an answer)])."""
    answerer, retriever = pipeline.extractive, pipeline.retriever
    rows = []
    for item in (i for i in items if not i.history):  # follow-ups test history handling, not the weights
        kind = question_type(item.question)
        retrieval = retriever.run(item.question, pipeline.settings.top_k)
        fixed = None
        if answerer.unknown_names(item.question, retrieval):
            fixed = "declined"
        elif computed := year_difference(item.question, retriever):
            answer = answerer.compose_computed(item.question, retrieval, computed)
            fixed = "correct" if any(contains(answer.answer, a) for a in item.answers) else "wrong"
        candidates = []
        for scored in answerer.score_sentences(item.question, retrieval, kind):
            first, last = answerer.window(scored.sentence, retrieval)
            text = " ".join(retriever.sentences[s].text for s in range(first, last + 1))
            good = item.answerable and any(contains(text, a) for a in item.answers)
            candidates.append((scored.features, good))
        rows.append((item, kind, fixed, candidates))
    return rows


def outcome(kind, fixed, candidates, weights, threshold) -> str:
    if fixed:
        return fixed
    if not candidates:
        return "declined"
    scores = [sum(weights[n] * f[n] for n in NAMES) for f, _ in candidates]
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    top = order[0]
    if kind.name == "person":
        typed = next((i for i in order[:5] if candidates[i][0]["typed"]), None)
        if typed is not None and scores[typed] >= scores[top] - extractive.TYPED_MARGIN:
            top = typed
    if scores[top] < threshold or (kind.required and not candidates[top][0]["typed"]):
        return "declined"
    return "correct" if candidates[top][1] else "wrong"


def score(rows, weights, threshold) -> tuple[float, float, float, float]:
    answerable = [r for r in rows if r[0].answerable]
    other = [r for r in rows if not r[0].answerable]
    results = [outcome(kind, fixed, c, weights, threshold) for _, kind, fixed, c in rows]
    by_id = {r[0].id: res for r, res in zip(rows, results, strict=True)}
    accuracy = sum(by_id[r[0].id] == "correct" for r in answerable) / len(answerable)
    declined = sum(by_id[r[0].id] == "declined" for r in other) / max(1, len(other))
    wrongly = sum(by_id[r[0].id] == "declined" for r in answerable) / len(answerable)
    return accuracy + 0.5 * declined - max(0.0, wrongly - 0.05), accuracy, declined, wrongly


def fit(rows) -> tuple[tuple[float, float, float, float], dict[str, float], float]:
    best = None
    for values in itertools.product(*(GRID[n] for n in NAMES)):
        weights = dict(zip(NAMES, values, strict=True))
        for threshold in np.arange(0.0, 0.6, 0.01):
            result = score(rows, weights, threshold)
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
    rows = collect(pipeline, load_all(files, None))
    report(
        "current",
        score(rows, extractive.WEIGHTS, extractive.DECLINE_BELOW),
        extractive.WEIGHTS,
        extractive.DECLINE_BELOW,
    )
    result, weights, threshold = fit(rows)
    report(f"fitted on {', '.join(map(str, files))}", result, weights, threshold)
    if holdout:
        held = collect(pipeline, load_all([holdout], None))
        report(f"  scored on held-out {holdout}", score(held, weights, threshold), weights, threshold)
        report(
            f"  current weights on {holdout}",
            score(held, extractive.WEIGHTS, extractive.DECLINE_BELOW),
            extractive.WEIGHTS,
            extractive.DECLINE_BELOW,
        )


GRID = {
    "dense": [0.3, 0.4, 0.5, 0.6],
    "context": [0.0, 0.1, 0.2],
    "lexical": [0.1, 0.2, 0.3],
    "typed": [0.0, 0.05, 0.1],
    "rank": [0.0, 0.05, 0.1],
    "novelty": [0.0, 0.1, 0.2, 0.3],
}


if __name__ == "__main__":
    main()
