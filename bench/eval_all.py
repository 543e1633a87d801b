"""Every question set on its own corpus, qabot beside the LangChain baseline: the "Measured" table of the
README in one run (about two minutes on 2 cores).

Runs `qabot eval --pipeline both` for all questions over the project corpus, the dev set on `article.txt`
alone (where the issue's targets apply) and on the whole corpus, the held-out and paraphrase files, and
each `eval/unseen*/` set over its own documents, then prints one Markdown row per run: qabot's figure,
the baseline's in brackets, bold where qabot is better.

    .venv/bin/python bench/eval_all.py [--json-dir DIR]   # DIR keeps each run's per-question JSON
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

METRICS = ["answer_accuracy", "declined_correctly", "wrongly_declined", "recall_at_5", "mrr", "citation_precision"]
BETTER_WHEN_HIGHER = {"answer_accuracy", "declined_correctly", "mrr", "citation_precision"}


def runs(article_only: Path) -> list[tuple[str, list[str]]]:
    found = [
        ("all questions, project corpus", []),
        ("dev on `article.txt`", ["--questions", "eval/questions-dev.yaml", "--corpus", str(article_only)]),
        ("dev on the whole corpus", ["--questions", "eval/questions-dev.yaml"]),
        ("held-out", ["--questions", "eval/questions-heldout.yaml"]),
        ("paraphrase", ["--questions", "eval/questions-paraphrase.yaml"]),
    ]
    folders = sorted(Path("eval").glob("unseen*"), key=lambda p: int(p.name.partition("-")[2] or 1))
    found += [(f.name, ["--questions", str(f / "questions.yaml"), "--corpus", str(f / "corpus")]) for f in folders]
    return found


def row(label: str, report: dict) -> str:
    ours = report["summary"]
    theirs = next(r["summary"] for r in report["runs"] if r["pipeline"] == "baseline")
    cells = []
    for metric in METRICS:
        value = f"{ours[metric]:.3f}"
        if metric in BETTER_WHEN_HIGHER and ours[metric] > theirs[metric]:
            value = f"**{value}**"
        cells.append(value if metric == "wrongly_declined" else f"{value} ({theirs[metric]:.3f})")
    return f"| {label} ({len(report['items'])}) | " + " | ".join(cells) + f" | {ours['latency_p50_ms']:.0f} |"


def main() -> None:
    args = sys.argv[1:]
    keep = Path(args[args.index("--json-dir") + 1]) if "--json-dir" in args else None
    scratch = Path(tempfile.mkdtemp(prefix="qabot-eval-all-"))
    article_only = scratch / "article"
    article_only.mkdir()
    shutil.copy("corpus/article.txt", article_only / "article.txt")
    qabot = str(Path(sys.executable).with_name("qabot"))
    print("| set (questions) | accuracy | declined | wrongly declined | recall@5 | MRR | citation precision | p50 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for n, (label, flags) in enumerate(runs(article_only)):
            out = (keep or scratch) / f"{n:02d}.json"
            if keep:
                keep.mkdir(parents=True, exist_ok=True)
            command = [qabot, "eval", "--pipeline", "both", *flags, "--json", str(out)]
            subprocess.run(command, check=True, capture_output=True)
            print(row(label, json.loads(out.read_text())), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
