#!/usr/bin/env python3
"""Writes a random-weight LlamaForCausalLM for the forward benchmark (16 layers, d 2048, 32 query
heads / 8 KV heads (GQA), SwiGLU 8192, vocab 32000, max_position_embeddings 2048, untied head) as
HF safetensors float32 (~4.4 GB, sharded), for benchmarks only.

    .venv-ref/bin/python scripts/bench/make_llama_bench.py [OUT_DIR]   (default .cache/bench/llama-16x2048)
    .venv-ref/bin/python scripts/bench/make_llama_bench.py --long [OUT_DIR]   (default .cache/bench/llama-8x1024)

--long writes the long-input shape instead: 8 layers, d 1024, 16 query / 4 KV heads, SwiGLU 4096,
vocab 32000, rope theta 500000, max_position_embeddings 16384 (~0.7 GB).

--bf16 (with either shape) saves the same seeded weights rounded to bfloat16 (half the size; default
OUT_DIR gets a "-bf16" suffix), for measuring weights kept in their checkpoint's dtype.

Seeded (HF's default init: normal std 0.02, RMSNorm weights 1); skips if OUT_DIR already holds
config.json and its weights (model.safetensors or model.safetensors.index.json).
"""
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = Path(__file__).resolve().parents[2]
SEED = 1234


def main() -> int:
    args = sys.argv[1:]
    long_shape = "--long" in args
    bf16 = "--bf16" in args
    args = [a for a in args if a not in ("--long", "--bf16")]
    if len(args) > 1 or (len(args) == 1 and args[0] in ("-h", "--help")):
        print(__doc__.strip())
        return 0 if len(args) == 1 else 2
    default = ("llama-8x1024" if long_shape else "llama-16x2048") + ("-bf16" if bf16 else "")
    out = Path(args[0]) if len(args) == 1 else ROOT / ".cache" / "bench" / default
    if (out / "config.json").exists() and ((out / "model.safetensors").exists()
                                           or (out / "model.safetensors.index.json").exists()):
        print(f"make_llama_bench: {out} already present (nothing to do)")
        return 0
    transformers.logging.set_verbosity_error()
    torch.manual_seed(SEED)
    t0 = time.perf_counter()
    shape = dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=8, num_attention_heads=16,
                 num_key_value_heads=4, max_position_embeddings=16384, rope_theta=500000.0) if long_shape else \
        dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
             num_key_value_heads=8, max_position_embeddings=2048, rope_theta=10000.0)
    cfg = LlamaConfig(vocab_size=32000, **shape,
                      rms_norm_eps=1e-5, hidden_act="silu", tie_word_embeddings=False,
                      bos_token_id=1, eos_token_id=2, torch_dtype="bfloat16" if bf16 else "float32")
    model = LlamaForCausalLM(cfg).eval()
    if bf16:
        model = model.to(torch.bfloat16)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True, max_shard_size="2GB")
    n = sum(p.numel() for p in model.parameters())
    size = sum(f.stat().st_size for f in out.iterdir()) / 2**20
    print(f"make_llama_bench: wrote {out} ({n / 1e6:.0f}M params, {size:.0f} MiB, seed {SEED}, "
          f"{time.perf_counter() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
