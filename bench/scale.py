"""Corpus growth: build and query cost of synthetic corpora of growing size, embedded and server mode side by side.

For each size (MB) and mode, a fresh worker process builds the index (build seconds, chunks/s, peak RSS of the
build), a second one opens the bot's pipeline and asks questions (open seconds, query p50/p95, peak RSS of a
bot process). Server mode runs `chroma run` on a free loopback port; its folder size and peak RSS are measured
too. "1 file changed" is a re-index after one file changed: a new version, one file embedded and every
other document copied with its vectors. Results merge into bench/out/scale.json (so sizes can be run
separately); a table is printed and bench/out/scale.png plotted.

    .venv/bin/python bench/scale.py [--sizes 0.2,2] [--modes embedded,server] [--questions 100]
    .venv/bin/python bench/scale.py --sizes 10      # long: ~20 min per mode on 2 cores
    .venv/bin/python bench/scale.py --plot-only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(BENCH))

from index_build import run_json_worker, synthetic_corpus  # noqa: E402  (the ~2 MB generator of bench/index_build.py)

CHROMA = Path(sys.executable).parent / "chroma"


# --- workers (each in its own process, so peak RSS is theirs alone) ----------------------------------


def make_settings(config: dict):
    from index.settings import Settings

    return Settings(
        _env_file=None,
        QABOT_CORPUS_DIR=config["corpus"],
        QABOT_INDEX_DIR=config["index"],
        CHROMA_HOST="127.0.0.1" if config.get("port") else None,
        CHROMA_PORT=config.get("port") or 8000,
    )


def build_worker(config: dict) -> dict:
    from index.build import build_index

    settings = make_settings(config)
    report = build_index(settings)
    rerun = build_index(settings)
    return {
        "build_s": report.seconds,
        "embed_s": report.embed_seconds,
        "chunks": report.chunks["added"],
        "texts": report.texts_embedded,
        "rerun_s": rerun.seconds,
        "build_rss_mb": peak_rss_mb(),
    }


def change_worker(config: dict) -> dict:
    """Re-index after one file changed: a new version, one file embedded and the rest copied."""
    from index.build import build_index

    changed = sorted(Path(config["corpus"]).glob("*.txt"))[0]
    changed.write_text(changed.read_text() + "\nThe harbour council signed a new agreement in 2031.\n")
    report = build_index(make_settings(config))
    return {"one_change_s": report.seconds, "one_change_embed_s": report.embed_seconds}


def query_worker(config: dict) -> dict:
    from bot.answer.pipeline import QAPipeline
    from bot.eval.metrics import percentile

    started = time.perf_counter()
    pipeline = QAPipeline.open(make_settings(config))
    open_s = time.perf_counter() - started
    pipeline.answer("warm-up question about the harbour")
    latencies = []
    for question in config["questions"]:
        started = time.perf_counter()
        answer = pipeline.answer(question)
        latencies.append((time.perf_counter() - started) * 1000)
        assert answer.answerer != "index-unavailable", answer.answer
    return {
        "open_s": open_s,
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "bot_rss_mb": peak_rss_mb(),
        "sentences": len(pipeline.retriever.sentences),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(kind: str, config: dict) -> dict:
    return run_json_worker(__file__, [kind, json.dumps(config)], kind)


# --- the Chroma server ----------------------------------------------------------------------------------


class Server:
    def __init__(self, path: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        for _ in range(300):
            try:
                opener.open(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("chroma run did not start")

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")) / 1024

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


# --- one measurement ------------------------------------------------------------------------------------


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def make_questions(corpus: Path, count: int, seed: int = 5) -> list[str]:
    """Questions made of a few consecutive words of random corpus sentences, so each has a true source."""
    rng = random.Random(seed)
    files = sorted(corpus.glob("*.txt"))
    questions = []
    while len(questions) < count:
        sentences = rng.choice(files).read_text().replace("!", ".").replace("?", ".").split(".")
        words = rng.choice(sentences).split()
        if len(words) >= 8:
            start = rng.randrange(len(words) - 6)
            questions.append("What about " + " ".join(words[start : start + 6]) + "?")
    return questions


def measure(mb: float, mode: str, questions: int, tmp: Path) -> dict:
    corpus = tmp / f"corpus-{mb:g}"
    if not corpus.exists():
        synthetic_corpus(corpus, mb, files=max(4, round(20 * mb)))
    config = {"corpus": str(corpus), "index": str(tmp / f"index-{mb:g}-{mode}")}
    data = tmp / f"chroma-{mb:g}" if mode == "server" else Path(config["index"])
    server = Server(data) if mode == "server" else None
    try:
        if server:
            config["port"] = server.port
        print(f"{mb:g} MB, {mode}: building ...", file=sys.stderr, flush=True)
        row = run_worker("build", config)
        row["index_mb"] = folder_mb(data)
        row |= run_worker("change", config)
        row["index_2v_mb"] = folder_mb(data)  # the live version and the previous one
        print(f"{mb:g} MB, {mode}: querying ...", file=sys.stderr, flush=True)
        row |= run_worker("query", config | {"questions": make_questions(corpus, questions)})
        if server:
            row["server_rss_mb"] = server.peak_rss_mb()
    finally:
        if server:
            server.stop()
    return row | {
        "mb": folder_mb(corpus),
        "mode": mode,
        "files": len(list(corpus.glob("*.txt"))),
        "chunks_per_s": row["chunks"] / row["build_s"],
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "load": os.getloadavg()[0],
    }


# --- table and plot -------------------------------------------------------------------------------------

COLUMNS = [
    ("MB", "mb", "{:.2f}"),
    ("mode", "mode", "{}"),
    ("chunks", "chunks", "{}"),
    ("sentences", "sentences", "{}"),
    ("build s", "build_s", "{:.1f}"),
    ("of it embedding", "embed_s", "{:.1f}"),
    ("chunks/s", "chunks_per_s", "{:.1f}"),
    ("rerun s", "rerun_s", "{:.2f}"),
    ("1 file changed s", "one_change_s", "{:.1f}"),
    ("build RSS MB", "build_rss_mb", "{:.0f}"),
    ("index MB", "index_mb", "{:.1f}"),
    ("2 versions MB", "index_2v_mb", "{:.1f}"),
    ("open s", "open_s", "{:.1f}"),
    ("bot RSS MB", "bot_rss_mb", "{:.0f}"),
    ("server RSS MB", "server_rss_mb", "{:.0f}"),
    ("query p50 ms", "p50_ms", "{:.1f}"),
    ("query p95 ms", "p95_ms", "{:.1f}"),
]


def table(rows: list[dict]) -> str:
    cells = [[title for title, _, _ in COLUMNS]]
    cells += [[fmt.format(r[key]) if key in r else "-" for _, key, fmt in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("build seconds", ["build_s"], "log"),
        ("peak RSS MB (build, bot, server)", ["build_rss_mb", "bot_rss_mb", "server_rss_mb"], "linear"),
        ("index size on disk MB (one version, two)", ["index_mb", "index_2v_mb"], "log"),
        ("query latency ms (p50, p95)", ["p50_ms", "p95_ms"], "linear"),
    ]
    figure, axes = plt.subplots(2, 2, figsize=(11, 8))
    for axis, (title, keys, yscale) in zip(axes.flat, panels, strict=True):
        for mode, style in (("embedded", "-o"), ("server", "--s")):
            mine = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["mb"])
            for n, key in enumerate(keys):
                points = [(r["mb"], r[key]) for r in mine if key in r]
                if points:
                    axis.plot(*zip(*points, strict=True), style, color=f"C{n}", label=f"{mode} {key}")
        axis.set(title=title, xlabel="corpus MB", xscale="log", yscale=yscale)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    figure.suptitle(f"qabot cost as the corpus grows ({os.cpu_count()} CPUs)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0.2,2", help="corpus sizes in MB, comma-separated (default 0.2,2)")
    parser.add_argument("--modes", default="embedded,server", help="embedded, server or both (default both)")
    parser.add_argument("--questions", type=int, default=100, help="questions asked per measurement")
    parser.add_argument("--plot-only", action="store_true", help="redraw the table and plot from scale.json")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, config = args.worker
        workers = {"build": build_worker, "change": change_worker, "query": query_worker}
        print(json.dumps(workers[kind](json.loads(config))))
        return

    OUT.mkdir(exist_ok=True)
    results = OUT / "scale.json"
    rows = json.loads(results.read_text()) if results.exists() else []
    if not args.plot_only:
        with tempfile.TemporaryDirectory(prefix="qabot-scale-") as tmp:
            for mb in (float(s) for s in args.sizes.split(",")):
                for mode in args.modes.split(","):
                    row = measure(mb, mode, args.questions, Path(tmp))
                    rows = [r for r in rows if (round(r["mb"], 1), r["mode"]) != (round(row["mb"], 1), mode)]
                    rows.append(row)
                    results.write_text(json.dumps(sorted(rows, key=lambda r: (r["mb"], r["mode"])), indent=1))
    rows.sort(key=lambda r: (r["mb"], r["mode"]))
    print(table(rows))
    plot(rows, OUT / "scale.png")
    print(f"\n{results} and {OUT / 'scale.png'} written; {sys.platform}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
