"""Crowd growth: many people asking at once.

1. Concurrent askers: 1, 4 and 16 threads asking the eval questions of one QAPipeline (one bot process),
   embedded or on a Chroma server: questions per second and latency p50/p95.
2. Discord load: 200 questions arriving at once through the real bot (the test harness of
   tests/discord_harness.py: dpytest plus a recorder instead of Discord). Every one must be answered; the
   largest event-loop stall is measured; then more questions arrive in bursts of 100 and the process's
   memory is read after 500 and after --total questions.

The project's corpus/ is indexed into a temporary folder (or a `chroma run` server) first.

    .venv/bin/python bench/crowd.py [--levels 1,4,16] [--per-level 160] [--modes embedded,server]
                                    [--burst 200] [--total 5000] [--skip-discord]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
sys.path[:0] = [str(PROJECT), str(BENCH), str(PROJECT / "tests")]

from index_build import synthetic_corpus  # noqa: E402
from scale import Server, make_questions  # noqa: E402

from bot.answer.pipeline import QAPipeline  # noqa: E402
from bot.eval.metrics import percentile  # noqa: E402
from bot.eval.questions import load_questions  # noqa: E402
from index.build import build_index  # noqa: E402
from index.settings import Settings  # noqa: E402

QUESTIONS = [  # the eval questions (--synthetic-mb replaces them with questions about that corpus)
    item.question
    for path in sorted((PROJECT / "eval").glob("questions-*.yaml"))
    for item in load_questions(path)
    if not item.history
]


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")) / 1024


# --- 1. concurrent askers ---------------------------------------------------------------------------------


def ask_concurrently(pipeline: QAPipeline, threads: int, total: int) -> dict:
    """`threads` askers share `total` questions; returns throughput and latency."""
    questions = itertools.cycle(QUESTIONS)
    take = threading.Lock()
    latencies: list[float] = []
    remaining = [total]

    def asker() -> None:
        while True:
            with take:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
                question = next(questions)
            started = time.perf_counter()
            answer = pipeline.answer(question)
            latencies.append((time.perf_counter() - started) * 1000)
            assert answer.answerer != "index-unavailable"

    workers = [threading.Thread(target=asker) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - started
    return {"qps": total / wall, "p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95)}


def askers_table(settings: Settings, mode: str, levels: list[int], per_level: int) -> list[str]:
    pipeline = QAPipeline.open(settings)
    for question in QUESTIONS[:10]:  # warm-up
        pipeline.answer(question)
    lines = []
    for threads in levels:
        r = ask_concurrently(pipeline, threads, per_level)
        lines.append(f"{mode:>8}  {threads:>7}  {r['qps']:>8.1f}  {r['p50']:>7.1f}  {r['p95']:>7.1f}")
    return lines


# --- 2. Discord load ----------------------------------------------------------------------------------------


class StallWatch:
    """Measures how late the event loop wakes a 10 ms sleeper: the largest lateness is the worst stall."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, loop.time() - before - 0.01)

    def __enter__(self) -> StallWatch:
        self._task = asyncio.get_running_loop().create_task(self._watch())
        return self

    def __exit__(self, *exc: object) -> None:
        self._task.cancel()


async def burst(h, size: int, offset: int) -> tuple[int, int, float]:
    """`size` questions posted at once (each mentioning the bot); returns (answered, errors, seconds)."""
    import discord.ext.test as dpytest
    import discord.ext.test.backend as back
    from discord_harness import mention

    from bot.apps.discord_bot import ERROR_REPLY

    h.sent.clear()
    h.threads.clear()
    h.pipeline.calls.clear()
    started = time.perf_counter()
    for n in range(size):
        back.make_message(f"{mention(h)} {QUESTIONS[(offset + n) % len(QUESTIONS)]}", h.member, h.channel)
    await dpytest.run_all_events()
    seconds = time.perf_counter() - started
    threads = {t["id"] for t in h.threads}
    answered = {int(p["_channel_id"]) for p in h.sent if str(p["_channel_id"]) in threads}
    errors = sum(p.get("content") == ERROR_REPLY for p in h.sent)
    await dpytest.empty_queue()
    return len(answered), errors, seconds


async def discord_load(settings: Settings, first: int, total: int, folder: Path) -> list[str]:
    from discord_harness import SpyPipeline, start_bot, stop_bot

    pipeline = SpyPipeline(QAPipeline.open(settings))
    pipeline.answer(QUESTIONS[0])
    bot, h = await start_bot(pipeline, settings, folder / "feedback.sqlite3")
    lines = []
    try:
        with StallWatch() as watch:
            answered, errors, seconds = await burst(h, first, 0)
        lines.append(
            f"{first} questions at once: {answered} answered, {errors} errors, all done in {seconds:.1f} s "
            f"({first / seconds:.1f}/s); largest event-loop stall {watch.worst * 1000:.1f} ms"
        )
        asked, memory = first, {}
        while asked < total:
            size = min(100, total - asked)
            got, errors, _ = await burst(h, size, asked)
            if got != size or errors:
                lines.append(f"burst at {asked}: only {got} of {size} answered, {errors} errors")
            asked += size
            if asked in (500, total):
                gc.collect()
                memory[asked] = rss_mb()
        growth = (memory[total] - memory[500]) / (total - 500) * 1000 if 500 in memory and total > 500 else 0
        lines.append(
            f"memory (RSS) after 500 questions {memory.get(500, 0):.0f} MB, after {total} {memory[total]:.0f} MB "
            f"({growth:+.1f} MB per 1,000 questions)"
        )
    finally:
        await stop_bot(bot)
    return lines


# --- main ---------------------------------------------------------------------------------------------------


def settings_for(folder: Path, port: int | None, corpus: Path) -> Settings:
    return Settings(
        _env_file=None,
        QABOT_CORPUS_DIR=corpus,
        QABOT_INDEX_DIR=folder / "index",
        QABOT_FEEDBACK_DB=folder / "feedback.sqlite3",
        CHROMA_HOST="127.0.0.1" if port else None,
        CHROMA_PORT=port or 8000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1,4,16", help="concurrent askers, comma-separated")
    parser.add_argument("--per-level", type=int, default=160, help="questions asked at each level")
    parser.add_argument("--modes", default="embedded,server", help="embedded, server or both")
    parser.add_argument("--burst", type=int, default=200, help="questions arriving at once on Discord")
    parser.add_argument("--total", type=int, default=5000, help="questions through the Discord bot in all")
    parser.add_argument("--skip-discord", action="store_true")
    parser.add_argument("--synthetic-mb", type=float, help="ask about a synthetic corpus of this size instead")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]

    lines = ["    mode  askers  q/s      p50 ms   p95 ms"]
    with tempfile.TemporaryDirectory(prefix="qabot-crowd-") as tmp:
        corpus = PROJECT / "corpus"
        if args.synthetic_mb:
            corpus = Path(tmp) / "synthetic"
            synthetic_corpus(corpus, args.synthetic_mb, files=max(4, round(20 * args.synthetic_mb)))
            QUESTIONS[:] = make_questions(corpus, 100)
        print(f"corpus {corpus}: {sum(f.stat().st_size for f in corpus.rglob('*') if f.is_file()) / 1e6:.2f} MB")
        for mode in args.modes.split(","):
            folder = Path(tmp) / mode
            server = Server(folder / "chroma") if mode == "server" else None
            try:
                settings = settings_for(folder, server.port if server else None, corpus)
                build_index(settings)
                lines += askers_table(settings, mode, levels, args.per_level)
            finally:
                if server:
                    server.stop()
        print(f"concurrent askers, one QAPipeline, {len(QUESTIONS)} distinct questions, {os.cpu_count()} CPUs")
        print("\n".join(lines), flush=True)
        if not args.skip_discord:
            settings = settings_for(Path(tmp) / "embedded", None, corpus)
            build_index(settings)  # a no-change run when the embedded mode was measured above
            print("\nDiscord load (embedded index, real bot through the test harness):")
            print("\n".join(asyncio.run(discord_load(settings, args.burst, args.total, Path(tmp)))))
    print(f"\n{time.strftime('%Y-%m-%d %H:%M')}, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
