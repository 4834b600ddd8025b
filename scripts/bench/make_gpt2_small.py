#!/usr/bin/env python3
"""Writes a random-weight GPT2LMHeadModel of GPT-2-small shape (12 layers, d 768, 12 heads,
vocab 50257, n_positions 1024) as HF safetensors float32, for benchmarks only.

    .venv-ref/bin/python scripts/bench/make_gpt2_small.py [OUT_DIR]   (default .cache/bench/gpt2-small)

Seeded (HF's default init, std 0.02); skips if OUT_DIR already holds config.json + model.safetensors.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel

ROOT = Path(__file__).resolve().parents[2]
SEED = 1234


def main() -> int:
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help")):
        print(__doc__.strip())
        return 0 if len(sys.argv) == 2 else 2
    out = Path(sys.argv[1]) if len(sys.argv) == 2 else ROOT / ".cache" / "bench" / "gpt2-small"
    if (out / "config.json").exists() and (out / "model.safetensors").exists():
        print(f"make_gpt2_small: {out} already present (nothing to do)")
        return 0
    transformers.logging.set_verbosity_error()
    torch.manual_seed(SEED)
    cfg = GPT2Config(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
                     activation_function="gelu_new", tie_word_embeddings=True)
    model = GPT2LMHeadModel(cfg).eval()
    out.mkdir(parents=True, exist_ok=True)
    # one file (no sharding) so the benchmark loads a single model.safetensors
    model.save_pretrained(out, safe_serialization=True, max_shard_size="10GB")
    n = sum(p.numel() for p in model.parameters())
    size = sum(f.stat().st_size for f in out.iterdir()) / 2**20
    print(f"make_gpt2_small: wrote {out} ({n / 1e6:.1f}M params, {size:.0f} MiB, seed {SEED})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
