"""How the extractive answerer's feature weights were refitted in session 5, when the detail and
coverage features were added: a pairwise ranking fit over every corpus with questions, checked by
leaving each corpus out, then blended with the weights it replaces and scored through the answerer.

1. Per corpus, every candidate sentence of every answerable question is labelled good when its quoted
   window holds an accepted answer.
2. A pairwise logistic model (good minus bad candidates of one question) is fitted on all corpora but
   one and scored on that one: how often its top candidate is good, against the shipped weights.
3. Fitted on all corpora (the type feature left to the typed lead, negative weights dropped, weights
   scaled to sum to 1), then blended with the weights before session 5, BLEND_BEFORE of the old to the
   new, and each blend scored through the answerer's own `choose` (accuracy / declined / wrongly
   declined per corpus).

    .venv/bin/python bench/fit_features.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from fit_weights import collect, outcomes, score
from relevance_gap import corpora

from bot.answer import extractive
from bot.answer.pipeline import QAPipeline
from bot.eval.evaluate import eval_settings, load_all
from bot.eval.metrics import contains
from index.build import build_index
from index.settings import get_settings

FEATURES = ["dense", "context", "lexical", "rank", "novelty", "detail", "coverage"]
BEFORE = {"dense": 0.30, "context": 0.20, "lexical": 0.20, "typed": 0.0, "rank": 0.10, "novelty": 0.20}
BEFORE |= {"detail": 0.0, "coverage": 0.0}
BLENDS = [0.0, 0.25, 0.5, 1.0]  # share of the fitted weights


def labelled(answerer, rows) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per answerable question with a good candidate: features, labels, shipped scores."""
    found = []
    for item, kind, fixed, retrieval, candidates in rows:
        if fixed or not item.answerable or not candidates:
            continue
        texts = [answerer.span_text(answerer.window(c.sentence, retrieval, kind)) for c in candidates]
        good = np.array([any(contains(t, a) for a in item.answers) for t in texts])
        if good.any():
            x = np.array([[c.features[n] for n in FEATURES] for c in candidates])
            found.append((x, good, np.array([c.score for c in candidates])))
    return found


def fit(questions, steps: int = 3000, rate: float = 0.5) -> np.ndarray:
    pairs = np.array([x[i] - x[j] for x, good, _ in questions for i in np.where(good)[0] for j in np.where(~good)[0]])
    w = np.zeros(len(FEATURES))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(pairs @ w, -30, 30)))
        w -= rate * (-(pairs * (1 - p)[:, None]).mean(axis=0) + 1e-3 * w)
    return w


def top_good(questions, w: np.ndarray | None) -> int:
    return sum(int(good[np.argmax(shipped if w is None else x @ w)]) for x, good, shipped in questions)


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="qabot-fit-"))
    shutil.copy("corpus/article.txt", scratch / "article.txt")
    data = {}
    try:
        for name, corpus, files in corpora(scratch):
            settings = eval_settings(get_settings(), corpus)
            build_index(settings)
            pipeline = QAPipeline.open(settings.model_copy(update={"llm_model": None}))
            rows = collect(pipeline, load_all(files, None))
            data[name] = (pipeline.extractive, rows, labelled(pipeline.extractive, rows))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("left-out corpus: top candidate good, shipped weights vs fitted without it")
    for name in data:
        held = ("project", "dev on article.txt") if name in ("project", "dev on article.txt") else (name,)
        if name == "dev on article.txt":
            continue
        w = fit([q for k, (_, _, qs) in data.items() if k not in held for q in qs])
        test = [q for k in held for q in data[k][2]]
        print(f"  {name:<20} {top_good(test, None):>3} vs {top_good(test, w):>3} of {len(test)}")
    w = np.maximum(fit([q for _, _, qs in data.values() for q in qs]), 0)
    if not w.any():
        raise SystemExit("every fitted weight is 0 or below: nothing to blend")
    fitted = {n: round(float(v), 3) for n, v in zip(FEATURES, w / w.sum(), strict=True)} | {"typed": 0.0}
    print(f"fitted on all: {fitted}")
    for blend in BLENDS:
        weights = {n: round((1 - blend) * BEFORE[n] + blend * fitted[n], 3) for n in BEFORE}
        print(f"blend {blend}: {weights}")
        for name, (answerer, rows, _) in data.items():
            _, accuracy, declined, wrongly = score(rows, outcomes(answerer, rows, weights), extractive.DECLINE_BELOW)
            print(f"  {name:<20} accuracy {accuracy:.3f}  declined {declined:.3f}  wrongly declined {wrongly:.3f}")


if __name__ == "__main__":
    main()
