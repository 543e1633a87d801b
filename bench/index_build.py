"""Benchmark `qabot index`: the real corpus and a synthetic ~2 MB corpus.

Each build runs in a fresh worker process (so peak RSS is per build and includes loading
the model) against a temporary index folder; the project's data/ is never touched.

    .venv/bin/python bench/index_build.py [--mb 2.0] [--files 40]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

_VOCABULARY = """
the a of and to in that is was for on with as by at from it his her their this which an be were
are had has have not but or its they one all been would there who more when will also city river
harbour treaty council summit border railway winter garden market engine signal library harvest
captain village museum ocean forest bridge letter coast island valley minister army factory
school doctor voyage garrison palace archive beacon lantern mill parliament election agreement
delegation embassy weapon missile sanction economy export pipeline grain oil fleet soldier
president leader general officer reporter analyst professor student university college hospital
station airport province region capital century decade morning signed visited announced promised
warned rejected approved criticised welcomed described built carried opened watched crossed
wrote read followed guarded reached left joined met old new northern southern ancient modern
narrow wide distant local silent bright strategic military economic political regional mutual
foreign domestic public secret official rapid quickly slowly quietly openly carefully rarely
often never always suddenly later earlier
"""
WORDS = _VOCABULARY.split()


def synthetic_corpus(folder: Path, megabytes: float, files: int, seed: int = 2024) -> None:
    """Varied prose: sentences of 5-30 words, paragraphs of 2-9 sentences, some numbers."""
    rng = random.Random(seed)
    per_file = int(megabytes * 1e6 / files)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(files):
        paragraphs, size = [], 0
        while size < per_file:
            sentences = []
            for _ in range(rng.randint(2, 9)):
                words = [rng.choice(WORDS) for _ in range(rng.randint(5, 30))]
                if rng.random() < 0.2:
                    words.insert(rng.randrange(len(words)), str(rng.randint(1900, 2030)))
                sentence = " ".join(words)
                sentences.append(sentence[0].upper() + sentence[1:] + rng.choice("....!?"))
            paragraph = " ".join(sentences)
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        (folder / f"synthetic-{n:03d}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")


def worker(corpus: Path, index_dir: Path) -> dict:
    """One full build and one no-change re-run; runs in its own process."""
    from index.build import build_index
    from index.settings import Settings

    settings = Settings(_env_file=None, QABOT_CORPUS_DIR=corpus, QABOT_INDEX_DIR=index_dir, CHROMA_HOST=None)
    started = time.perf_counter()
    report = build_index(settings)
    wall = time.perf_counter() - started
    rerun = build_index(settings)
    return {
        "files": sum(report.documents.values()),
        "mb": sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()) / 1e6,
        "seconds": wall,
        "chunks": report.chunks["added"],
        "texts": report.texts_embedded,
        "embed_share": report.embed_seconds / report.seconds if report.seconds else 0.0,
        "rerun_seconds": rerun.seconds,
        "rerun_embedded": rerun.texts_embedded,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "problems": len(report.problems),
    }


def run_json_worker(script: str, args: list[str], label: str) -> dict:
    """Run `script --worker ARGS` in a fresh process (so its peak RSS is its own); its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, script, "--worker", *args], capture_output=True, text=True, check=False, cwd=PROJECT
    )
    if done.returncode != 0:
        raise SystemExit(f"{label} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_worker(corpus: Path, index_dir: Path) -> dict:
    return run_json_worker(__file__, [str(corpus), str(index_dir)], f"build of {corpus}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=2.0, help="size of the synthetic corpus")
    parser.add_argument("--files", type=int, default=40, help="files in the synthetic corpus")
    parser.add_argument("--worker", nargs=2, metavar=("CORPUS", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), Path(args.worker[1]))))
        return

    rows = []
    with tempfile.TemporaryDirectory(prefix="qabot-bench-") as tmp:
        tmp_path = Path(tmp)
        synthetic = tmp_path / "synthetic"
        synthetic_corpus(synthetic, args.mb, args.files)
        for name, corpus in (("corpus/ (real)", PROJECT / "corpus"), (f"synthetic ~{args.mb:g} MB", synthetic)):
            print(f"building {name} ...", file=sys.stderr, flush=True)
            rows.append((name, run_worker(corpus, tmp_path / f"index-{len(rows)}")))

    header = (
        "corpus",
        "files",
        "MB",
        "build s",
        "chunks",
        "chunks/s",
        "texts embedded",
        "peak RSS MB",
        "embedding share",
        "no-change rerun s",
    )
    table = [header]
    for name, r in rows:
        table.append(
            (
                name,
                str(r["files"]),
                f"{r['mb']:.2f}",
                f"{r['seconds']:.1f}",
                str(r["chunks"]),
                f"{r['chunks'] / r['seconds']:.1f}",
                str(r["texts"]),
                f"{r['peak_rss_mb']:.0f}",
                f"{r['embed_share']:.0%}",
                f"{r['rerun_seconds']:.3f}",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\n{time.strftime('%Y-%m-%d %H:%M')}, {sys.platform}, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
