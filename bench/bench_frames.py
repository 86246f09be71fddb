"""Benchmark: mixframe.frames.to_frame against pandas.json_normalize on cloudcast records.

Generates realistic cloudcast list items (the shape of
``tests/samples/user-cloudcasts-spartacus-2018.json``: timestamps as strings, 3-5 tags, a
nested user with 8 picture sizes, 10 show picture sizes), then flattens them with both
functions in one run:

* time: best of 3 wall times of one call each, in this process, without tracemalloc;
* memory: one call each in a fresh interpreter (same records, same seed), reporting the peak
  of Python allocations seen by tracemalloc and the peak of pyarrow's memory pool, which
  tracemalloc does not see (pandas 3 keeps ``string``/``str`` columns in pyarrow buffers);
* the size of the resulting frame (``memory_usage(deep=True)``).

Usage::

    python bench/bench_frames.py [--records 100000] [--repeat 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import subprocess
import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone

import pandas as pd
import pyarrow as pa

from mixframe.frames import to_frame

GENRES = ["Chillout", "Soundtrack", "Modern classical", "Jazz", "Ambient", "Deep house",
          "Techno", "Drum and bass", "Funk", "Hip hop", "Electronica", "Disco", "Dub",
          "Minimal", "Trance", "Soul", "Reggae", "Breaks", "Garage", "Downtempo"]
PICTURE_SIZES = [("medium", 100), ("768wx768h", 768), ("320wx320h", 320), ("extra_large", 600),
                 ("large", 300), ("640wx640h", 640), ("medium_mobile", 80), ("small", 25),
                 ("1024wx1024h", 1024), ("thumbnail", 50)]
USER_SIZES = [size for size in PICTURE_SIZES if size[0] not in ("768wx768h", "1024wx1024h")]


def _pictures(kind: str, path: str, sizes) -> dict:
    return {name: f"https://thumbnailer.mixcloud.com/unsafe/{px}x{px}/{kind}/{path}.jpg"
            for name, px in sizes}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_records(count: int, seed: int = 1) -> list[dict]:
    """`count` cloudcast list items shaped like the 2018 recordings (timestamps as strings)."""
    rng = random.Random(seed)
    users = []
    for number in range(max(1, count // 50)):
        username = f"dj{number}"
        users.append({
            "url": f"https://www.mixcloud.com/{username}/", "username": username,
            "name": f"DJ {number}", "key": f"/{username}/",
            "pictures": _pictures("profile", f"d/f/e/f/{rng.getrandbits(64):016x}", USER_SIZES),
        })
    start = datetime(2012, 1, 1, tzinfo=timezone.utc)
    records = []
    for number in range(count):
        user = rng.choice(users)
        slug = f"show-{number}"
        created = start + timedelta(seconds=rng.randrange(0, 12 * 365 * 86400))
        tags = [{"url": f"https://www.mixcloud.com/discover/{name.lower().replace(' ', '-')}/",
                 "name": name, "key": f"/discover/{name.lower().replace(' ', '-')}/"}
                for name in rng.sample(GENRES, rng.randint(3, 5))]
        # Same key order as the 2018 recording.
        records.append({
            "tags": tags, "play_count": rng.randrange(0, 50000),
            "user": dict(user), "key": f"{user['key']}{slug}/",
            "created_time": _stamp(created), "audio_length": rng.randrange(600, 10800),
            "slug": slug, "favorite_count": rng.randrange(0, 2000),
            "listener_count": rng.randrange(0, 20000), "name": f"Show number {number}",
            "url": f"https://www.mixcloud.com{user['key']}{slug}/",
            "pictures": _pictures("extaudio", f"1/a/6/1/{rng.getrandbits(64):016x}",
                                  PICTURE_SIZES),
            "repost_count": rng.randrange(0, 300),
            "updated_time": _stamp(created - timedelta(seconds=rng.randrange(0, 3600))),
            "comment_count": rng.randrange(0, 100),
        })
    return records


def best_time(function, records, repeat: int) -> tuple[float, pd.DataFrame]:
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        started = time.perf_counter()
        result = function(records)
        best = min(best, time.perf_counter() - started)
    return best, result


CONTENDERS = {
    "mixframe.to_frame": lambda rows: to_frame(rows, "cloudcast"),
    "pandas.json_normalize": pd.json_normalize,
}


def peak_memory(label: str, records: list[dict]) -> tuple[int, int]:
    """(tracemalloc peak, pyarrow pool peak) in bytes for one call, in this process."""
    function = CONTENDERS[label]
    gc.collect()
    tracemalloc.start()
    try:
        result = function(records)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak, pa.default_memory_pool().max_memory() or 0


def peak_memory_fresh(label: str, options) -> tuple[int, int]:
    """peak_memory() of `label` measured in a new interpreter."""
    command = [sys.executable, __file__, "--records", str(options.records), "--seed",
               str(options.seed), "--memory-of", label]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    peak, arrow = json.loads(output.strip().splitlines()[-1])
    return peak, arrow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory-of", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)

    records = make_records(options.records, options.seed)
    if options.memory_of:
        print(json.dumps(peak_memory(options.memory_of, records)))
        return 0

    times, frames = {}, {}
    for label, function in CONTENDERS.items():
        times[label], frames[label] = best_time(function, records, options.repeat)
    memory = {label: peak_memory_fresh(label, options) for label in CONTENDERS}

    ours, theirs = times["mixframe.to_frame"], times["pandas.json_normalize"]
    print(f"{options.records:,} cloudcast records, best of {options.repeat}; "
          f"python {sys.version.split()[0]}, pandas {pd.__version__}, pyarrow {pa.__version__}")
    print()
    header = (f"| {'function':<22} | {'best time (s)':>13} | {'peak, tracemalloc':>17} "
              f"| {'peak, pyarrow pool':>18} | {'result size':>11} | {'columns':>7} |")
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for label, seconds in times.items():
        peak, arrow = memory[label]
        size = frames[label].memory_usage(deep=True).sum()
        print(f"| {label:<22} | {seconds:>13.3f} | {peak / 2**20:>14.1f} MB "
              f"| {arrow / 2**20:>15.1f} MB | {size / 2**20:>8.1f} MB "
              f"| {frames[label].shape[1]:>7} |")
    print()
    print(f"speed-up: json_normalize / to_frame = {theirs / ours:.1f}x "
          f"(target >= 3x: {'met' if theirs / ours >= 3 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
