#!/usr/bin/env python3
"""Writes a random-weight LlamaForCausalLM for the forward benchmark (16 layers, d 2048, 32 query
heads / 8 KV heads (GQA), SwiGLU 8192, vocab 32000, max_position_embeddings 2048, untied head) as
HF safetensors float32 (~4.4 GB, sharded), for benchmarks only.

    .venv-ref/bin/python scripts/bench/make_llama_bench.py [OUT_DIR]   (default .cache/bench/llama-16x2048)

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
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help")):
        print(__doc__.strip())
        return 0 if len(sys.argv) == 2 else 2
    out = Path(sys.argv[1]) if len(sys.argv) == 2 else ROOT / ".cache" / "bench" / "llama-16x2048"
    if (out / "config.json").exists() and ((out / "model.safetensors").exists()
                                           or (out / "model.safetensors.index.json").exists()):
        print(f"make_llama_bench: {out} already present (nothing to do)")
        return 0
    transformers.logging.set_verbosity_error()
    torch.manual_seed(SEED)
    t0 = time.perf_counter()
    cfg = LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                      num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=2048,
                      rms_norm_eps=1e-5, rope_theta=10000.0, hidden_act="silu", tie_word_embeddings=False,
                      bos_token_id=1, eos_token_id=2, torch_dtype="float32")
    model = LlamaForCausalLM(cfg).eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True, max_shard_size="2GB")
    n = sum(p.numel() for p in model.parameters())
    size = sum(f.stat().st_size for f in out.iterdir()) / 2**20
    print(f"make_llama_bench: wrote {out} ({n / 1e6:.0f}M params, {size:.0f} MiB, seed {SEED}, "
          f"{time.perf_counter() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
