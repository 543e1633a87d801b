"""Eval output: a terminal table, a Markdown report, JSON, and a comparison with an earlier run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from bot.eval.runner import EvalRun

METRICS = [
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
KIND_METRICS = ["questions", "answer_accuracy", "declined_correctly", "recall_at_5", "citation_precision"]


def fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "–"
    if metric.endswith("_ms"):
        return f"{value:.1f}"
    if metric == "questions":
        return str(int(value))
    return f"{value:.3f}"


def summary_table(runs: list[EvalRun]) -> Table:
    table = Table(title=f"qabot eval: {int(runs[0].summary['questions'])} questions", title_justify="left")
    table.add_column("metric")
    for run in runs:
        table.add_column(run.pipeline, justify="right")
    for metric in METRICS:
        table.add_row(metric, *(fmt(run.summary[metric], metric) for run in runs))
    return table


def kind_table(run: EvalRun) -> Table:
    table = Table(title=f"{run.pipeline}: by kind", title_justify="left")
    table.add_column("kind")
    for metric in KIND_METRICS:
        table.add_column(metric, justify="right")
    for kind, summary in run.by_kind.items():
        table.add_row(kind, *(fmt(summary[m], m) for m in KIND_METRICS))
    return table


def failures_table(run: EvalRun) -> Table:
    table = Table(title=f"{run.pipeline}: failing questions", title_justify="left", show_lines=True)
    for column in ("id", "kind", "question", "why", "answer"):
        table.add_column(column, overflow="fold")
    for item in run.items:
        if not item.passed:
            cells = (item.id, item.kind, item.question, "; ".join(item.reasons), item.answer[:160])
            table.add_row(*(escape(cell) for cell in cells))  # document text may hold "[/...]"
    return table


def markdown(runs: list[EvalRun]) -> str:
    lines = [
        f"# qabot eval: {int(runs[0].summary['questions'])} questions",
        "",
        "| metric | " + " | ".join(r.pipeline for r in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    lines += [f"| {m} | " + " | ".join(fmt(r.summary[m], m) for r in runs) + " |" for m in METRICS]
    for run in runs:
        lines += [
            "",
            f"## {run.pipeline}: by kind",
            "",
            "| kind | " + " | ".join(KIND_METRICS) + " |",
            "|---|" + "---:|" * len(KIND_METRICS),
        ]
        lines += [f"| {k} | " + " | ".join(fmt(s[m], m) for m in KIND_METRICS) + " |" for k, s in run.by_kind.items()]
        failing = [i for i in run.items if not i.passed]
        lines += ["", f"## {run.pipeline}: failing questions ({len(failing)})", ""]
        lines += [f"- **{i.id}** ({i.kind}) {i.question} — {'; '.join(i.reasons)}" for i in failing]
    return "\n".join(lines) + "\n"


def to_json(runs: list[EvalRun]) -> dict[str, Any]:
    """The first run's summary at the top level (for scripts), every run under `runs`."""
    first = runs[0].to_dict()
    return first | {"runs": [r.to_dict() for r in runs[1:]]}


def compare(previous_path: Path, run: EvalRun) -> tuple[list[str], list[str]]:
    """(questions that now pass but failed before, questions that now fail but passed before)."""
    previous = json.loads(previous_path.read_text())
    before = {item["id"]: item["passed"] for item in previous.get("items", [])}
    better = [i.id for i in run.items if i.passed and before.get(i.id) is False]
    worse = [i.id for i in run.items if not i.passed and before.get(i.id) is True]
    return better, worse


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)
