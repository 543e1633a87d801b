"""Answer latency: warm time per question over every eval question (p50 / p95 / max, per stage), and
the cold-start wall time of `qabot ask` as a fresh process. Targets (issue 4): warm p50 <= 30 ms and
p95 <= 100 ms on 2 cores; cold `qabot ask` <= 3 s.

    .venv/bin/python bench/answer_latency.py [--rounds 3] [--cold-runs 3]

Uses the project's settings and index (built or updated first), offline extractive answerer."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from bot.answer.pipeline import QAPipeline  # noqa: E402
from bot.answer.types import Turn  # noqa: E402
from bot.eval.metrics import percentile  # noqa: E402
from bot.eval.questions import load_questions  # noqa: E402
from index.build import build_index  # noqa: E402
from index.settings import get_settings  # noqa: E402

COLD_QUESTION = "What did the new treaty between Russia and North Korea agree?"


def warm_latencies(rounds: int) -> tuple[dict[str, list[float]], int]:
    """Per-stage timings (ms) of every eval question, `rounds` times, after a warm-up question."""
    settings = get_settings().model_copy(update={"llm_model": None})
    build_index(settings)
    pipeline = QAPipeline.open(settings)
    items = [item for path in sorted((PROJECT_DIR / "eval").glob("questions-*.yaml")) for item in load_questions(path)]
    pipeline.answer("warm-up question about the documents")
    stages: dict[str, list[float]] = {}
    for _ in range(rounds):
        for item in items:
            started = time.perf_counter()
            answer = pipeline.answer(item.question, [Turn(q) for q in item.history])
            wall = (time.perf_counter() - started) * 1000
            for stage, ms in answer.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
            stages.setdefault("wall_ms", []).append(wall)
    return stages, len(items)


def cold_starts(runs: int, question: str) -> list[float]:
    """Wall time (s) of `qabot ask QUESTION` as a new process, `runs` times."""
    qabot = PROJECT_DIR / ".venv" / "bin" / "qabot"
    command = [str(qabot)] if qabot.exists() else [shutil.which("qabot") or "qabot"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([*command, "ask", question], capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"qabot ask failed ({done.returncode}):\n{done.stderr}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="times each eval question is asked (default 3)")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold `qabot ask` runs (default 3)")
    parser.add_argument("--question", default=COLD_QUESTION, help="question for the cold-start runs")
    args = parser.parse_args()
    console = Console()

    stages, questions = warm_latencies(args.rounds)
    order = ["prepare_ms", "retrieve_ms", "answer_ms", "total_ms", "wall_ms"]
    names = [s for s in order if s in stages] + sorted(s for s in stages if s not in order)
    table = Table(
        title=f"warm answer latency: {questions} eval questions x {args.rounds} rounds, {os.cpu_count()} CPU(s)",
        title_justify="left",
    )
    for column in ("stage", "p50 ms", "p95 ms", "max ms", "mean ms"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for name in names:
        values = stages[name]
        table.add_row(
            name.removesuffix("_ms"),
            f"{percentile(values, 0.5):.1f}",
            f"{percentile(values, 0.95):.1f}",
            f"{max(values):.1f}",
            f"{statistics.fmean(values):.1f}",
        )
    table.caption = "input-check replies (no retrieval) have only the prepare stage; wall = measured around answer()"
    console.print(table)

    times = cold_starts(args.cold_runs, args.question)
    cold = Table(title=f"cold start: qabot ask {args.question!r}", title_justify="left")
    cold.add_column("runs", justify="right")
    cold.add_column("median s", justify="right")
    cold.add_column("each s")
    cold.add_row(str(len(times)), f"{statistics.median(times):.2f}", ", ".join(f"{t:.2f}" for t in times))
    console.print(cold)

    p50, p95 = percentile(stages["wall_ms"], 0.5), percentile(stages["wall_ms"], 0.95)
    cold_median = statistics.median(times)
    verdict = [
        f"warm p50 {p50:.1f} ms (target <= 30): {'ok' if p50 <= 30 else 'MISSED'}",
        f"warm p95 {p95:.1f} ms (target <= 100): {'ok' if p95 <= 100 else 'MISSED'}",
        f"cold ask {cold_median:.2f} s (target <= 3): {'ok' if cold_median <= 3 else 'MISSED'}",
    ]
    console.print("\n".join(verdict))


if __name__ == "__main__":
    main()
