"""Terminal channels: a one-shot answer and an interactive chat that also reads piped questions."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bot.answer.types import Answer, Turn

MAX_HISTORY = 6


def render(answer: Answer, console: Console) -> None:
    """The answer, then the cited passages with document and location."""
    style = "green" if answer.answered else "yellow"
    title = "answer" if answer.answered else "not in the documents"
    subtitle = f"confidence {answer.confidence:.2f} · {answer.timings_ms.get('total_ms', 0):.0f} ms · {answer.answerer}"
    console.print(Panel(escape(answer.answer), title=title, subtitle=subtitle, border_style=style))
    if answer.notice:
        console.print(f"[dim]{escape(answer.notice)}[/]")
    if answer.citations:
        table = Table(show_header=True, box=None, pad_edge=False)
        for column in ("", "source", "quote"):
            table.add_column(column, overflow="fold")
        for c in answer.citations:
            where = f"{c.title}\n{c.source}, chars {c.start}-{c.end}" + (f", page {c.page}" if c.page else "")
            if c.section:
                where += f"\n§ {c.section}"
            if c.url:
                where += f"\n{c.url}"
            table.add_row(f"[{c.n}]", escape(where), escape(c.quote))
        console.print(table)


def print_json(answer: Answer) -> None:
    print(json.dumps(answer.to_dict(), indent=1, ensure_ascii=False))


def chat(pipeline, console: Console, lines: Iterable[str] | None = None) -> None:
    """Ask questions in a loop, keeping the conversation as history. Reads stdin when it is piped."""
    interactive = lines is None and sys.stdin.isatty()
    if interactive:
        console.print("[bold]qabot[/] — ask about the documents. Empty line or Ctrl-D to quit.")
    history: list[Turn] = []
    source = lines if lines is not None else _stdin_lines(interactive, console)
    for line in source:
        question = line.strip()
        if not question:
            if interactive:
                break
            continue
        if not interactive:
            console.print(f"[bold cyan]?[/] {escape(question)}")
        answer = pipeline.answer(question, history)
        render(answer, console)
        if answer.answered:
            history = [*history, Turn(question, answer.answer)][-MAX_HISTORY:]


def _stdin_lines(interactive: bool, console: Console) -> Iterable[str]:
    while True:
        try:
            line = console.input("[bold cyan]?[/] ") if interactive else sys.stdin.readline()
        except EOFError:
            return
        if not interactive and line == "":
            return
        yield line
