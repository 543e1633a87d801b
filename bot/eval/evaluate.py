"""Set up an eval: validate the question files, open (or build) the index, run each pipeline."""

from __future__ import annotations

import hashlib
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot.eval.questions import QuestionFileError, QuestionItem, load_questions
from bot.eval.runner import EvalRun, run_eval
from index.settings import PROJECT_ROOT, Settings


class EvalSetupError(Exception):
    """Something to fix before an eval can run; the message lists every problem."""


def eval_settings(settings: Settings, corpus: Path | None) -> Settings:
    """Settings for a corpus other than the main one: an index of its own, never the main index."""
    if corpus is None:
        return settings
    key = hashlib.sha1(str(corpus.resolve()).encode()).hexdigest()[:12]
    index_dir = PROJECT_ROOT / "data" / "eval-indexes" / key
    return settings.model_copy(update={"corpus_dir": corpus, "index_dir": index_dir})


def load_all(paths: list[Path], corpus_texts: list[str]) -> list[QuestionItem]:
    items: list[QuestionItem] = []
    problems: list[str] = []
    for path in paths:
        try:
            items += load_questions(path, corpus_texts)
        except QuestionFileError as exc:
            problems += [f"{path}: {p}" for p in exc.problems]
    ids = [i.id for i in items]
    problems += [f"duplicate id '{i}' across files" for i in sorted({i for i in ids if ids.count(i) > 1})]
    if problems:
        raise EvalSetupError("the question set has problems:\n" + "\n".join(f"  - {p}" for p in problems))
    return items


def open_pipeline(name: str, settings: Settings):
    if name == "baseline":
        from bot.answer.baseline import BaselinePipeline

        return BaselinePipeline(settings)
    from bot.answer.pipeline import QAPipeline

    return QAPipeline.open(settings.model_copy(update={"llm_model": None}) if name == "qabot" else settings)


def evaluate(
    settings: Settings,
    question_files: list[Path],
    corpus: Path | None,
    k: int,
    pipelines: list[str],
    console: Console | None = None,
) -> list[EvalRun]:
    from index.build import build_index
    from index.documents import CorpusError, load_corpus
    from index.manifest import IndexMismatch
    from index.store import IndexUnavailable

    settings = eval_settings(settings, corpus).model_copy(update={"top_k": max(k, 5)})
    try:
        documents, _ = load_corpus(settings.corpus_dir, settings.max_file_mb)
        items = load_all(question_files, [d.text for d in documents])
        build_index(settings)
    except (CorpusError, IndexMismatch, IndexUnavailable) as exc:
        raise EvalSetupError(str(exc)) from exc
    runs = []
    for name in pipelines:
        pipeline = open_pipeline(name, settings)
        columns = (TextColumn(f"eval {name}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console, transient=True, disable=console is None) as bar:
            task = bar.add_task(name, total=len(items))
            runs.append(run_eval(name, pipeline, items, k, lambda _, task=task: bar.advance(task)))
    return runs
