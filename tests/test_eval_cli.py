"""`qabot eval` end to end, as a subprocess: a tiny corpus and question file whose metrics are known
exactly, both pipelines side by side, --compare with an edited earlier run, and bad question files
(exit code 2, one line per problem, nothing written)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.eval.evaluate import eval_settings
from index.documents import load_corpus
from index.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
QABOT = PROJECT_DIR / ".venv" / "bin" / "qabot"
NETGUARD_SITE = PROJECT_DIR / "tests" / "netguard_site"

SUMMARY_KEYS = [
    "questions",
    "answer_accuracy",
    "declined_correctly",
    "wrongly_declined",
    "recall_at_1",
    "recall_at_3",
    "recall_at_5",
    "mrr",
    "citation_precision",
    "latency_p50_ms",
    "latency_p95_ms",
]

# Three short documents on unrelated subjects: each answerable question is nearly the wording of one
# sentence, and the out-of-scope questions share no subject with any document.
CORPUS = {
    "lighthouse.txt": (
        "The Varden Point lighthouse was built in 1887 from granite quarried on the island. "
        "Its lamp can be seen from 22 nautical miles away on a clear night. "
        "The last resident keeper, Tomas Berg, left the lighthouse in 1974 when the lamp was automated.\n"
    ),
    "bread.txt": (
        "Sourdough bread is leavened by a starter of wild yeast and lactic acid bacteria. "
        "A mature starter should double in size within eight hours of feeding. "
        "The dough is usually baked in a covered cast-iron pot at 250 degrees Celsius.\n"
    ),
    "bees.txt": (
        "A honey bee colony has a single queen, several hundred drones and thousands of worker bees. "
        "Worker bees communicate the direction of flowers with a waggle dance. "
        "The queen can lay up to 2,000 eggs in a single day during the summer.\n"
    ),
}

QUESTIONS = """\
- id: t-built
  question: "When was the Varden Point lighthouse built?"
  kind: date
  answerable: true
  answers: ["1887"]
  evidence: ["The Varden Point lighthouse was built in 1887"]
- id: t-eggs
  question: "How many eggs can a queen bee lay in a day?"
  kind: number
  answerable: true
  answers: ["2000", "two thousand"]
  evidence: ["The queen can lay up to 2,000 eggs in a single day"]
- id: t-keeper
  question: "Who was the last keeper of the lighthouse?"
  kind: who
  answerable: true
  answers: ["Tomas Berg"]
  evidence: ["The last resident keeper, Tomas Berg, left the lighthouse in 1974"]
- id: t-capital
  question: "What is the capital city of Australia?"
  kind: out-of-scope
  answerable: false
- id: t-football
  question: "Who won the football world cup in 1998?"
  kind: out-of-scope
  answerable: false
"""

GOOD_ITEM = """\
- id: ok
  question: "When was the lighthouse built?"
  kind: date
  answerable: true
  answers: ["1887"]
  evidence: ["built in 1887"]
"""


def run_eval(args: list[str], cwd: Path, index_dir: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """`qabot eval ...` in a clean environment: no inherited qabot settings, no .env, the network
    guard installed when the tests ship one, wide columns so tables keep each row on one line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QABOT_", "CHROMA_", "DISCORD_"))}
    env |= {"QABOT_INDEX_DIR": str(index_dir), "COLUMNS": "250", "PYTHONUNBUFFERED": "1"}
    if NETGUARD_SITE.is_dir():
        env["PYTHONPATH"] = str(NETGUARD_SITE)
    command = [str(QABOT)] if QABOT.exists() else [sys.executable, "-m", "bot.cli"]
    return subprocess.run(
        [*command, "eval", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory):
    """The corpus, the question file, and the index `--corpus` builds for it (removed afterwards:
    `qabot eval --corpus` keeps its indexes under the project's data/eval-indexes/)."""
    root = tmp_path_factory.mktemp("eval-cli")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    questions = root / "questions.yaml"
    questions.write_text(QUESTIONS, encoding="utf-8")
    eval_index = eval_settings(Settings(_env_file=None), corpus).index_dir
    yield root, corpus, questions, eval_index
    shutil.rmtree(eval_index, ignore_errors=True)
    with contextlib.suppress(OSError):
        eval_index.parent.rmdir()  # only when no other eval index is there


@pytest.fixture(scope="module")
def both_run(workspace):
    """One run of both pipelines, with JSON and Markdown reports."""
    root, corpus, questions, _ = workspace
    out, md = root / "both.json", root / "both.md"
    done = run_eval(
        ["--corpus", str(corpus), "--questions", str(questions), "--pipeline", "both", "--json", str(out),
         "--markdown", str(md)],
        root, root / "main-index",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done, json.loads(out.read_text(encoding="utf-8")), md.read_text(encoding="utf-8")


def test_summary_has_every_key_as_a_number(both_run) -> None:
    _, data, _ = both_run
    summary = data["summary"]
    for key in SUMMARY_KEYS:
        assert isinstance(summary[key], int | float) and not isinstance(summary[key], bool), key
    for key in SUMMARY_KEYS[1:-2]:
        assert 0.0 <= summary[key] <= 1.0, key
    assert summary["latency_p95_ms"] >= summary["latency_p50_ms"] > 0


def test_qabot_metrics_are_exactly_as_designed(both_run) -> None:
    _, data, _ = both_run
    assert data["pipeline"] == "qabot"
    expected = dict.fromkeys(SUMMARY_KEYS[1:-2], 1.0) | {"questions": 5, "wrongly_declined": 0.0}
    assert {k: data["summary"][k] for k in SUMMARY_KEYS[:-2]} == expected, [
        (i["id"], i["answer"], i["reasons"]) for i in data["items"] if not i["passed"]
    ]


def test_by_kind_has_the_same_keys_per_kind(both_run) -> None:
    _, data, _ = both_run
    by_kind = data["by_kind"]
    assert set(by_kind) == {"date", "number", "who", "out-of-scope"}
    for kind, summary in by_kind.items():
        assert set(SUMMARY_KEYS) <= set(summary), kind
    assert by_kind["out-of-scope"]["questions"] == 2
    assert by_kind["out-of-scope"]["declined_correctly"] == 1.0
    assert by_kind["out-of-scope"]["answer_accuracy"] is None  # nothing to answer in this kind
    assert by_kind["who"]["answer_accuracy"] == by_kind["who"]["mrr"] == 1.0


def test_items_carry_answer_citations_retrieved_and_reasons(both_run, workspace) -> None:
    _, data, _ = both_run
    _, corpus, _, _ = workspace
    texts = {d.doc_id: d.text for d in load_corpus(corpus, 20.0)[0]}
    items = {i["id"]: i for i in data["items"]}
    assert list(items) == ["t-built", "t-eggs", "t-keeper", "t-capital", "t-football"]
    for item in items.values():
        assert isinstance(item["answer"], str) and item["answer"]
        assert isinstance(item["retrieved"], list) and item["retrieved"]
        assert all(isinstance(chunk_id, str) for chunk_id in item["retrieved"])
        assert item["reasons"] == [] and item["passed"] is True
    for item_id in ("t-built", "t-eggs", "t-keeper"):
        item = items[item_id]
        assert item["answered"] and item["correct"] and item["evidence_rank"] == 1
        assert item["citations"], item_id
        for c in item["citations"]:
            assert {"n", "title", "source", "start", "end", "quote", "chunk_id"} <= set(c)
            assert texts[c["doc_id"]][c["start"] : c["end"]] == c["quote"]
    assert "Tomas Berg" in items["t-keeper"]["answer"]
    for item_id in ("t-capital", "t-football"):
        assert items[item_id]["answered"] is False and items[item_id]["citations"] == []


def test_both_pipelines_side_by_side(both_run) -> None:
    done, data, md = both_run
    header = next(line for line in done.stdout.splitlines() if "metric" in line)
    assert "qabot" in header and "baseline" in header
    assert "| metric | qabot | baseline |" in md
    assert "## baseline: failing questions (2)" in md
    [baseline] = data["runs"]
    assert baseline["pipeline"] == "baseline"
    assert baseline["summary"]["declined_correctly"] == 0.0  # the baseline never declines
    assert baseline["summary"]["wrongly_declined"] == 0.0
    assert sorted(i["id"] for i in baseline["items"] if not i["passed"]) == ["t-capital", "t-football"]


def test_compare_lists_better_and_worse(both_run, workspace) -> None:
    """The baseline against the qabot run, edited so that t-built had failed: t-built got better,
    and the two out-of-scope questions (declined by qabot, answered by the baseline) got worse."""
    _, data, _ = both_run
    root, corpus, questions, _ = workspace
    previous = json.loads(json.dumps(data))
    for item in previous["items"]:
        if item["id"] == "t-built":
            item["passed"] = False
    previous_path = root / "previous.json"
    previous_path.write_text(json.dumps(previous), encoding="utf-8")
    done = run_eval(
        ["--corpus", str(corpus), "--questions", str(questions), "--pipeline", "baseline", "--compare",
         str(previous_path)],
        root, root / "main-index",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    better = next(line for line in lines if line.startswith("better since"))
    worse = next(line for line in lines if line.startswith("worse since"))
    assert better.endswith(": t-built")
    assert worse.endswith(": t-capital, t-football")


BAD_FILES = {
    "not-yaml": ("- id: a\n  question: [unclosed\n", ["not valid YAML"]),
    "not-a-list": ("id: a\nquestion: what?\n", ["must be a non-empty YAML list"]),
    "duplicate-ids": (GOOD_ITEM + GOOD_ITEM, ["duplicate id 'ok'"]),
    "wrong-types": (
        "- id: 7\n  question: q\n  kind: factoid\n  answerable: true\n  answers: [x]\n"
        "- id: b\n  question: q\n  kind: factoid\n  answerable: 'yes'\n  answers: [x]\n"
        "- id: c\n  question: q\n  kind: factoid\n  answerable: true\n  answers: x\n"
        "- id: d\n  question: q\n  kind: guess\n  answerable: true\n  answers: [x]\n"
        "- just a string\n",
        [
            "item 1 (7): 'id' is missing or not a str",
            "item 2 (b): 'answerable' is missing or not a bool",
            "item 3 (c): 'answers' must be a list of strings",
            "item 4 (d): unknown kind 'guess'",
            "item 5: must be a mapping",
        ],
    ),
    "evidence-absent": (
        GOOD_ITEM.replace("built in 1887", "built in 1999 from [/] marble"),
        ["ok: evidence not found in the corpus: 'built in 1999 from [/] marble'"],
    ),
    "several-problems": (
        GOOD_ITEM
        + GOOD_ITEM.replace("built in 1887", "never said anywhere")
        + "- id: x\n  question: q\n  kind: factoid\n  answerable: true\n",
        [
            "item 3 (x): answerable items need at least one accepted answer",
            "duplicate id 'ok'",
            "ok: evidence not found in the corpus: 'never said anywhere'",
        ],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_question_file_exits_2_with_one_line_per_problem(case: str, workspace, tmp_path: Path) -> None:
    _, corpus, _, eval_index = workspace
    content, expected = BAD_FILES[case]
    bad = tmp_path / f"{case}.yaml"
    bad.write_text(content, encoding="utf-8")
    out, md = tmp_path / "out.json", tmp_path / "out.md"
    index_existed = eval_index.exists()
    done = run_eval(
        ["--corpus", str(corpus), "--questions", str(bad), "--json", str(out), "--markdown", str(md)],
        tmp_path, tmp_path / "main-index",
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    problems = [line for line in done.stderr.splitlines() if line.startswith("  - ")]
    assert len(problems) == len(expected), done.stderr
    for line, wanted in zip(problems, expected, strict=True):
        assert line.startswith(f"  - {bad}: ") and wanted in line, (line, wanted)
    assert not out.exists() and not md.exists()
    assert not list(tmp_path.glob("*.partial"))
    assert not (tmp_path / "main-index").exists()
    assert eval_index.exists() == index_existed  # the question file is checked before any index is built


def test_missing_question_file_exits_2(workspace, tmp_path: Path) -> None:
    _, corpus, _, _ = workspace
    out = tmp_path / "out.json"
    done = run_eval(
        ["--corpus", str(corpus), "--questions", str(tmp_path / "nope.yaml"), "--json", str(out)],
        tmp_path, tmp_path / "main-index",
    )  # fmt: skip
    assert done.returncode == 2
    assert "nope.yaml: cannot read it" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_eval_with_corpus_leaves_the_main_index_alone(both_run, workspace) -> None:
    root, _, _, eval_index = workspace
    assert not (root / "main-index").exists()
    assert (eval_index / "manifest.json").exists()
