"""The `qabot` command line: index, search, ask, chat, eval, serve, run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="qabot: answers questions about a set of documents, citing the exact passages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    from rich.markup import escape

    # Escaped: messages quote file contents (YAML errors, evidence), which may hold "[...]".
    # soft_wrap: one line per problem even when stderr is not a terminal (rich wraps at 80 columns).
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit():
    from pydantic import ValidationError

    from index.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(f"invalid setting in the environment or .env: {problems}. See .env.example.")


def run_index_build(rebuild: bool = False, quiet: bool = False):
    """Build or update the index with a progress bar; print a summary table. Returns the report."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from index.build import build_index
    from index.documents import CorpusError
    from index.manifest import IndexMismatch
    from index.store import IndexUnavailable

    settings = settings_or_exit()
    columns = (TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=errors, transient=True, disable=quiet) as bar:
        task = bar.add_task("embed", total=None)

        def advance(n: int, total: int) -> None:
            bar.update(task, advance=n, total=total)

        try:
            report = build_index(settings, rebuild=rebuild, progress=advance)
        except (CorpusError, IndexMismatch, IndexUnavailable) as exc:
            fail(str(exc))
    for problem in report.problems:
        label = "" if problem.warning else "[yellow]warning:[/] "
        errors.print(f"{label}{problem}", highlight=False)
    if not quiet:
        console.print(index_summary(report))
    return report


def update_embedded_index(settings, quiet: bool = True) -> None:
    """An embedded index is brought up to date before it is read. On a Chroma server `qabot index` does that:
    several bot processes share the index, and the build lock would turn all but one of them away."""
    if not settings.chroma_host:
        run_index_build(quiet=quiet)


def index_summary(report) -> Table:
    table = Table(title=f"Index updated in {report.seconds:.2f} s", title_justify="left")
    table.add_column("")
    for column in ("added", "updated", "removed", "unchanged"):
        table.add_column(column, justify="right")
    table.add_row("documents", *(str(report.documents[c]) for c in ("added", "updated", "removed", "unchanged")))
    table.add_row("chunks", *(str(report.chunks[c]) for c in ("added", "updated", "removed", "unchanged")))
    if report.texts_embedded:
        table.caption = f"{report.texts_embedded} texts embedded in {report.embed_seconds:.2f} s"
    skipped = sum(not p.warning for p in report.problems)
    if skipped:
        table.caption = (table.caption or "") + f"  {skipped} file(s) skipped, see warnings above"
    return table


@app.command("index")
def index_command(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Delete the index and build it from scratch.")] = False,
) -> None:
    """Build or update the index from the corpus folder (incremental: only changed files are embedded)."""
    run_index_build(rebuild=rebuild)


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="What to search for.")],
    k: Annotated[
        int, typer.Option("-k", help="How many chunks to retrieve (overlapping ones are shown merged).", min=1, max=50)
    ] = 5,
) -> None:
    """Show the top passages for a text with their scores: the debugging view of retrieval."""
    from bot.answer.retriever import open_retriever

    retriever = open_retriever_or_exit(open_retriever)
    table = Table(show_lines=True)
    for column in ("#", "fused", "dense", "bm25", "document", "chars", "text"):
        table.add_column(column, overflow="fold")
    for rank, hit in enumerate(retriever.retrieve(text, k), start=1):
        table.add_row(
            str(rank),
            f"{hit.score:.3f}",
            f"{hit.dense:.3f}",
            f"{hit.lexical:.2f}",
            f"{hit.chunk.title}\n{hit.chunk.doc_id} #{hit.chunk.number}"
            + (f"-{hit.merged[-1].rsplit('#c', 1)[-1]} (merged)" if hit.merged else ""),
            f"{hit.chunk.start}-{hit.chunk.end}",
            hit.chunk.text[:300],
        )
    console.print(table)


def open_retriever_or_exit(opener):
    from bot.answer.llm import LLMConfigError
    from index.manifest import IndexMismatch
    from index.store import IndexUnavailable

    settings = settings_or_exit()
    try:
        update_embedded_index(settings)
        return opener(settings)
    except (IndexMismatch, IndexUnavailable, LLMConfigError) as exc:
        fail(str(exc))


def open_pipeline_or_exit():
    from bot.answer.pipeline import QAPipeline

    return open_retriever_or_exit(QAPipeline.open)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer object as JSON.")] = False,
) -> None:
    """Answer one question, then show the cited passages."""
    from bot.apps.terminal import print_json, render

    answer = open_pipeline_or_exit().answer(question)
    if as_json:
        print_json(answer)
    else:
        render(answer, console)


@app.command()
def chat() -> None:
    """Chat in the terminal, with follow-up questions; reads one question per line when stdin is piped."""
    from bot.apps.terminal import chat as run_chat

    run_chat(open_pipeline_or_exit(), console)


@app.command()
def serve() -> None:
    """Run the Discord bot (needs DISCORD_TOKEN)."""
    from bot.apps.discord_bot import run_bot

    settings = settings_or_exit()
    if not settings.discord_token:
        fail(
            "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications "
            "(Bot → Reset Token), put DISCORD_TOKEN=... in .env, and run again."
        )
    update_embedded_index(settings)
    run_bot(settings)


feedback_app = typer.Typer(help="The 👍/👎 votes people gave the bot's answers on Discord.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[
        Path | None, typer.Option("--out", help="YAML file to write; default: questions-feedback.yaml by the db.")
    ] = None,
) -> None:
    """Write the voted questions in the question-set format (eval/questions-*.yaml) for review."""
    from bot.feedback import export_feedback

    settings = settings_or_exit()
    if not settings.feedback_db.is_file():
        fail(f"no feedback database at {settings.feedback_db} (QABOT_FEEDBACK_DB): nobody has voted yet.")
    out = out or settings.feedback_db.with_name("questions-feedback.yaml")
    count = export_feedback(settings.feedback_db, out)
    if count:
        console.print(f"{count} voted question(s) written to {out}; review them before adding to the fixed set.")
    else:
        console.print("No votes yet: nothing written.")


@app.command()
def run() -> None:
    """What `make run` does: update the index, then serve on Discord if DISCORD_TOKEN is set, else chat here."""
    settings = settings_or_exit()
    if settings.discord_token:
        serve()
    else:
        if sys.stdin.isatty():
            errors.print("[dim]DISCORD_TOKEN is not set: starting the terminal chat instead of the Discord bot.[/]")
        update_embedded_index(settings, quiet=not sys.stdin.isatty())
        chat()


DEFAULT_QUESTIONS = sorted((Path(__file__).resolve().parent.parent / "eval").glob("questions-*.yaml"))


@app.command("eval")
def eval_command(
    questions: Annotated[
        list[Path] | None, typer.Option("--questions", help="Question file(s); default: eval/questions-*.yaml.")
    ] = None,
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Evaluate on this folder, with an index of its own.")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="Retrieval depth for recall@k and MRR.", min=1, max=50)] = 5,
    pipeline: Annotated[str, typer.Option("--pipeline", help="qabot, baseline, or both (side by side).")] = "qabot",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write per-question detail as JSON.")] = None,
    markdown_out: Annotated[Path | None, typer.Option("--markdown", help="Write a Markdown report.")] = None,
    compare_with: Annotated[
        Path | None, typer.Option("--compare", help="An earlier --json output to compare with.")
    ] = None,
) -> None:
    """Score answers against the fixed question set: accuracy, declines, recall, MRR, citations, latency."""
    from bot.eval.evaluate import EvalSetupError, evaluate

    if pipeline not in ("qabot", "baseline", "both"):
        fail("--pipeline must be qabot, baseline or both", 2)
    try:
        runs = evaluate(
            settings_or_exit(),
            questions or DEFAULT_QUESTIONS,
            corpus,
            k,
            ["qabot", "baseline"] if pipeline == "both" else [pipeline],
            console=errors,
        )
    except EvalSetupError as exc:
        fail(str(exc), 2)
    show_eval(runs, json_out, markdown_out, compare_with)


def show_eval(runs, json_out: Path | None, markdown_out: Path | None, compare_with: Path | None) -> None:
    import json

    from bot.eval.report import compare, failures_table, kind_table, markdown, summary_table, to_json, write_atomic

    console.print(summary_table(runs))
    for run in runs:
        console.print(kind_table(run))
        if any(not item.passed for item in run.items):
            console.print(failures_table(run))
    if compare_with:
        try:
            better, worse = compare(compare_with, runs[0])
        except (OSError, ValueError) as exc:
            fail(f"cannot read {compare_with} for --compare ({exc})", 2)
        from rich.markup import escape

        console.print(f"[green]better since {escape(str(compare_with))}:[/] {escape(', '.join(better) or 'none')}")
        console.print(f"[red]worse since {escape(str(compare_with))}:[/] {escape(', '.join(worse) or 'none')}")
    if json_out:
        write_atomic(json_out, json.dumps(to_json(runs), indent=1, ensure_ascii=False))
    if markdown_out:
        write_atomic(markdown_out, markdown(runs))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        errors.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
