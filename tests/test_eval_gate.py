"""The quality gate: the offline pipeline over the project's corpus and every eval/questions-*.yaml
must meet the floors in eval/floors.yaml, for all questions together and for each file on its own
(raise them as answers improve, never lower them to pass). `pytest -s tests/test_eval_gate.py` prints
the summaries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.eval.evaluate import evaluate
from bot.eval.runner import EvalRun, summarise
from index.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
EVAL_DIR = PROJECT_DIR / "eval"
QUESTION_FILES = sorted(EVAL_DIR.glob("questions-*.yaml"))
RATES = {"answer_accuracy", "declined_correctly", "wrongly_declined", "recall_at_1", "recall_at_3", "recall_at_5"}
RATES |= {"mrr", "citation_precision"}


Floors = tuple[dict[str, float], dict[str, float]]


def checked(minimum: dict, maximum: dict, where: str) -> Floors:
    for name, value in (minimum | maximum).items():
        assert name in RATES, f"eval/floors.yaml ({where}): unknown metric {name!r} (known: {', '.join(sorted(RATES))})"
        assert isinstance(value, int | float) and 0 <= value <= 1, (
            f"eval/floors.yaml ({where}): {name} must be in [0, 1]"
        )
    return minimum, maximum


def read_floors() -> tuple[Floors, dict[str, Floors]]:
    """The floors for all questions together, and per question file."""
    data = yaml.safe_load((EVAL_DIR / "floors.yaml").read_text(encoding="utf-8"))
    overall = checked(data.get("minimum") or {}, data.get("maximum") or {}, "all questions")
    files = {
        name: checked(floors.get("minimum") or {}, floors.get("maximum") or {}, name)
        for name, floors in (data.get("files") or {}).items()
    }
    return overall, files


def misses(summary: dict, floors: Floors, where: str) -> list[str]:
    minimum, maximum = floors
    found = [
        f"{where}: {name} = {summary[name]} is below the floor {floor}"
        for name, floor in minimum.items()
        if summary[name] is None or summary[name] < floor
    ]
    return found + [
        f"{where}: {name} = {summary[name]} is above the ceiling {ceiling}"
        for name, ceiling in maximum.items()
        if summary[name] is None or summary[name] > ceiling
    ]


def file_summaries(run: EvalRun) -> dict[str, dict]:
    by_id = {item.id: item for item in run.items}
    summaries = {}
    for path in QUESTION_FILES:
        ids = [q["id"] for q in yaml.safe_load(path.read_text(encoding="utf-8"))]
        summaries[path.name] = summarise([by_id[i] for i in ids], 5)
    return summaries


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


def describe(name: str, summary: dict) -> str:
    return f"{name}: " + ", ".join(f"{k} {v}" for k, v in summary.items() if not k.startswith("latency"))


def test_floors_file_names_the_gated_metrics() -> None:
    (minimum, maximum), files = read_floors()
    assert {"answer_accuracy", "declined_correctly", "recall_at_5", "mrr", "citation_precision"} <= set(minimum)
    assert "wrongly_declined" in maximum
    assert set(files) == {p.name for p in QUESTION_FILES}, "every question file needs its own floors"


def test_quality_gate(run: EvalRun) -> None:
    overall, files = read_floors()
    per_file = file_summaries(run)
    print("\n" + describe("all questions", run.summary))
    print("\n".join(describe(name, summary) for name, summary in per_file.items()))
    found = misses(run.summary, overall, "all questions")
    for name, summary in per_file.items():
        found += misses(summary, files.get(name, ({}, {})), name)
    failing = [item for item in run.items if not item.passed]
    report = "\n".join(
        [*found, "", f"{len(failing)} failing question(s):"]
        + [f"  {i.id} ({i.kind}) {i.question!r}: {'; '.join(i.reasons)}" for i in failing]
    )
    print(report)
    assert not found, "quality gate failed:\n" + report


def gate_on_corpus(tmp_path: Path, questions: Path, documents: list[Path], floors: Floors) -> list[str]:
    """Evaluate one question file over a corpus of the given documents only; the floors it misses."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for document in documents:
        shutil.copy(document, corpus / document.name)
    settings = Settings(
        QABOT_CORPUS_DIR=corpus,
        QABOT_INDEX_DIR=tmp_path / "index",
        QABOT_LLM=None,
        CHROMA_HOST=None,
        _env_file=None,
    )
    [result] = evaluate(settings, [questions], None, 5, ["qabot"])
    print("\n" + describe(f"{questions.name} over {', '.join(d.name for d in documents)}", result.summary))
    return misses(result.summary, floors, questions.name)


def test_dev_set_on_its_own_corpus(tmp_path: Path) -> None:
    """questions-dev.yaml was written over article.txt alone; the issue's targets are about that set, so
    it is also gated on that corpus, where the related documents do not compete for the answers."""
    data = yaml.safe_load((EVAL_DIR / "floors.yaml").read_text(encoding="utf-8"))["own_corpus"]
    floors = checked(data.get("minimum") or {}, data.get("maximum") or {}, "own_corpus")
    documents = [PROJECT_DIR / "corpus" / name for name in data["documents"]]
    found = gate_on_corpus(tmp_path, EVAL_DIR / data["questions"], documents, floors)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("folder", ["unseen", *(f"unseen-{n}" for n in range(2, 26))])
def test_unseen_documents(tmp_path: Path, folder: str) -> None:
    """eval/unseen*: documents outside the bot's corpus, with questions written without running the bot;
    a check that the methods carry over to documents they were not developed on."""
    data = yaml.safe_load((EVAL_DIR / "floors.yaml").read_text(encoding="utf-8"))[folder]
    floors = checked(data.get("minimum") or {}, data.get("maximum") or {}, folder)
    documents = sorted((EVAL_DIR / folder / "corpus").iterdir())
    found = gate_on_corpus(tmp_path, EVAL_DIR / folder / "questions.yaml", documents, floors)
    assert not found, "\n".join(found)


def test_every_question_was_asked(run: EvalRun) -> None:
    ids = [item.id for item in run.items]
    expected = sum(len(yaml.safe_load(path.read_text(encoding="utf-8"))) for path in QUESTION_FILES)
    assert len(ids) == len(set(ids)) == expected == run.summary["questions"]
    assert all(item.retrieved for item in run.items if item.kind not in {"out-of-scope", "unanswerable"})
