#!/usr/bin/env python3
"""Trains the real-size byte-level BPE that `glassbox-bench tokenizer` encodes Shakespeare with: a
50,257-entry vocabulary laid out as GPT-2's (256 byte symbols + 50,000 merges + `<|endoftext|>`
as the last id), with GPT-2's pipeline (ByteLevel pre-tokenizer with GPT-2's regex and no prefix
space, ByteLevel post-processor and decoder, no normalizer), trained by the `tokenizers` library on
a corpus that is NOT the text it is benchmarked on.

The corpus: Django 5.1.4 — its English documentation (every docs/**/*.txt file, 5.9 MB of
reStructuredText prose) and its own Python sources (every django/**/*.py file, 5.5 MB of code,
docstrings and comments; the documentation alone yields only ~37,300 merges): 1,484 files, 11.5 MB,
read straight from the sdist Django-5.1.4.tar.gz as published on PyPI (nothing is installed or
imported). The sdist is fetched with `pip download` into .cache/pypi/ if it is not there, and
checked against its sha256. No Shakespeare in it.

    .venv-ref/bin/python scripts/bench/train_bpe_50k.py            # -> .cache/bench/bpe-50257/tokenizer.json

Reproducible: the documents are fed in an order fixed by --seed (a seeded shuffle of the sorted
paths; default 0), and the BPE trainer itself has no randomness; the script prints the sha256 of
the tokenizer.json it writes (tokenizers 0.21.4, seed 0: a51ede8f…, the same with
RAYON_NUM_THREADS=1). Every pair counts (min_frequency 0). Idempotent: an existing output is kept unless --force.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tarfile

import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

SDIST = "Django-5.1.4.tar.gz"
SDIST_SHA256 = "de450c09e91879fa5a307f696e57c851955c910a438a35e6b4c895e86bedc82a"
VOCAB = 50257
PARTS = {"docs": ".txt", "django": ".py"}   # top folder of the sdist -> the files taken from it


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(pypi: str) -> str:
    path = os.path.join(pypi, SDIST)
    if not os.path.isfile(path):
        os.makedirs(pypi, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary=:all:",
                        "--dest", pypi, "django==5.1.4"], check=True)
    got = sha256(path)
    if got != SDIST_SHA256:
        sys.exit(f"train_bpe_50k: {path} has sha256 {got}, expected {SDIST_SHA256} (delete it and retry)")
    return path


def documents(sdist: str, seed: int) -> list[str]:
    with tarfile.open(sdist, "r:gz") as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile() and "/" in m.name[13:]
                          and m.name.endswith(PARTS.get(m.name.split("/")[1], "\0"))), key=lambda m: m.name)
        texts = [tar.extractfile(m).read().decode("utf-8") for m in members]
    random.Random(seed).shuffle(texts)
    return texts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=".cache/bench/bpe-50257", help="folder for tokenizer.json")
    ap.add_argument("--pypi", default=".cache/pypi", help="where the Django sdist is kept")
    ap.add_argument("--seed", type=int, default=0, help="seed of the document order")
    ap.add_argument("--force", action="store_true", help="retrain even if the output exists")
    a = ap.parse_args()
    out = os.path.join(a.out, "tokenizer.json")
    if os.path.isfile(out) and not a.force:
        print(f"train_bpe_50k: {out} exists (sha256 {sha256(out)}); --force retrains")
        return 0
    texts = documents(fetch(a.pypi), a.seed)

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB - 1, min_frequency=0, show_progress=False, special_tokens=[],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    tok.add_special_tokens([tokenizers.AddedToken("<|endoftext|>", special=True, normalized=True)])
    size = tok.get_vocab_size(with_added_tokens=True)
    merges = len(json.loads(tok.to_str())["model"]["merges"])
    if size != VOCAB or merges != VOCAB - 257 or tok.token_to_id("<|endoftext|>") != VOCAB - 1:
        sys.exit(f"train_bpe_50k: got {size} entries and {merges} merges; the corpus is too small for {VOCAB}")
    os.makedirs(a.out, exist_ok=True)
    tok.save(out)
    print(f"train_bpe_50k: {len(texts)} documents ({sum(len(t.encode()) for t in texts)} bytes) of {SDIST}, "
          f"seed {a.seed}, tokenizers {tokenizers.__version__}: {size} entries ({merges} merges) -> {out}, "
          f"sha256 {sha256(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
