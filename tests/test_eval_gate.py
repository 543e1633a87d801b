"""The quality gate: the offline pipeline over the project's corpus and every eval/questions-*.yaml
must meet the floors in eval/floors.yaml (raise them as answers improve, never lower them to pass).
`pytest -s tests/test_eval_gate.py` prints the summary."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.eval.evaluate import evaluate
from bot.eval.runner import EvalRun
from index.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
EVAL_DIR = PROJECT_DIR / "eval"
QUESTION_FILES = sorted(EVAL_DIR.glob("questions-*.yaml"))
RATES = {"answer_accuracy", "declined_correctly", "wrongly_declined", "recall_at_1", "recall_at_3", "recall_at_5"}
RATES |= {"mrr", "citation_precision"}


def read_floors() -> tuple[dict[str, float], dict[str, float]]:
    data = yaml.safe_load((EVAL_DIR / "floors.yaml").read_text(encoding="utf-8"))
    minimum, maximum = data.get("minimum") or {}, data.get("maximum") or {}
    for name, value in (minimum | maximum).items():
        assert name in RATES, f"eval/floors.yaml: unknown metric {name!r} (known: {', '.join(sorted(RATES))})"
        assert isinstance(value, int | float) and 0 <= value <= 1, f"eval/floors.yaml: {name} must be in [0, 1]"
    return minimum, maximum


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> EvalRun:
    settings = Settings(
        QABOT_CORPUS_DIR=PROJECT_DIR / "corpus",
        QABOT_INDEX_DIR=tmp_path_factory.mktemp("gate") / "index",
        QABOT_LLM=None,
        CHROMA_HOST=None,
        _env_file=None,
    )
    [result] = evaluate(settings, QUESTION_FILES, None, 5, ["qabot"])
    return result


def describe(run: EvalRun) -> str:
    lines = [f"{len(run.items)} questions from {', '.join(p.name for p in QUESTION_FILES)}"]
    lines += [f"  {name:<20} {value}" for name, value in run.summary.items()]
    return "\n".join(lines)


def test_floors_file_names_the_gated_metrics() -> None:
    minimum, maximum = read_floors()
    assert {"answer_accuracy", "declined_correctly", "recall_at_5", "mrr", "citation_precision"} <= set(minimum)
    assert "wrongly_declined" in maximum


def test_quality_gate(run: EvalRun) -> None:
    minimum, maximum = read_floors()
    print("\n" + describe(run))
    summary = run.summary
    misses = [
        f"{name} = {summary[name]} is below the floor {floor}"
        for name, floor in minimum.items()
        if summary[name] is None or summary[name] < floor
    ]
    misses += [
        f"{name} = {summary[name]} is above the ceiling {ceiling}"
        for name, ceiling in maximum.items()
        if summary[name] is None or summary[name] > ceiling
    ]
    failing = [item for item in run.items if not item.passed]
    report = "\n".join(
        [*misses, "", f"{len(failing)} failing question(s):"]
        + [f"  {i.id} ({i.kind}) {i.question!r}: {'; '.join(i.reasons)}" for i in failing]
    )
    print(report)
    assert not misses, "quality gate failed:\n" + report


def test_every_question_was_asked(run: EvalRun) -> None:
    ids = [item.id for item in run.items]
    expected = sum(len(yaml.safe_load(path.read_text(encoding="utf-8"))) for path in QUESTION_FILES)
    assert len(ids) == len(set(ids)) == expected == run.summary["questions"]
    assert all(item.retrieved for item in run.items if item.kind not in {"out-of-scope", "unanswerable"})
