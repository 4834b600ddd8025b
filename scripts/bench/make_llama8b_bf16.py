#!/usr/bin/env python3
"""Writes a random-weight Llama-3-8B-shaped LlamaForCausalLM checkpoint in bfloat16 for the
big-model benchmark (32 layers, d 4096, 32 query / 8 KV heads, SwiGLU 14336, vocab 128256,
rope theta 500000, max_position_embeddings 8192, untied head): about 16 GB in 5 GB shards.
Never committed; written on demand:

    .venv-ref/bin/python scripts/bench/make_llama8b_bf16.py [OUT_DIR]   (default .cache/bench/llama3-8b-bf16)

The tensors are written one shard at a time, never the whole model in memory (peak about one
shard, 5 GB), so it runs on the 24 GB machine it benchmarks. Seeded normal(0, 0.02) weights and
RMSNorm weights 1, as transformers initialises a LlamaForCausalLM; the config and the tensor
names are what LlamaForCausalLM.save_pretrained writes, so transformers and Glassbox load it as a
Llama checkpoint. Skips if OUT_DIR already holds config.json and its index.
"""
import json
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[2]
SEED = 8
SHAPE = dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
             num_key_value_heads=8, vocab_size=128256, max_position_embeddings=8192, rope_theta=500000.0)
SHARD_BYTES = 5 * 2**30


def tensors():
    """(name, shape, kind) in the order save_pretrained writes them; kind 'norm' is all ones."""
    d, f, v = SHAPE["hidden_size"], SHAPE["intermediate_size"], SHAPE["vocab_size"]
    kv = d // SHAPE["num_attention_heads"] * SHAPE["num_key_value_heads"]
    yield "model.embed_tokens.weight", (v, d), "normal"
    for layer in range(SHAPE["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        yield p + "input_layernorm.weight", (d,), "norm"
        yield p + "self_attn.q_proj.weight", (d, d), "normal"
        yield p + "self_attn.k_proj.weight", (kv, d), "normal"
        yield p + "self_attn.v_proj.weight", (kv, d), "normal"
        yield p + "self_attn.o_proj.weight", (d, d), "normal"
        yield p + "post_attention_layernorm.weight", (d,), "norm"
        yield p + "mlp.gate_proj.weight", (f, d), "normal"
        yield p + "mlp.up_proj.weight", (f, d), "normal"
        yield p + "mlp.down_proj.weight", (d, f), "normal"
    yield "model.norm.weight", (d,), "norm"
    yield "lm_head.weight", (v, d), "normal"


def main() -> int:
    args = sys.argv[1:]
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print(__doc__.strip())
        return 0 if args else 2
    out = Path(args[0]) if args else ROOT / ".cache" / "bench" / "llama3-8b-bf16"
    if (out / "config.json").exists() and (out / "model.safetensors.index.json").exists():
        print(f"make_llama8b_bf16: {out} already present (nothing to do)")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    g = torch.Generator().manual_seed(SEED)
    plan, shard, size = [], [], 0
    for name, shape, kind in tensors():
        nbytes = 2 * torch.Size(shape).numel()
        if shard and size + nbytes > SHARD_BYTES:
            plan.append(shard)
            shard, size = [], 0
        shard.append((name, shape, kind))
        size += nbytes
    plan.append(shard)
    weight_map, total = {}, 0
    for i, entries in enumerate(plan, 1):
        file = f"model-{i:05d}-of-{len(plan):05d}.safetensors"
        part = {}
        for name, shape, kind in entries:
            t = torch.ones(shape, dtype=torch.bfloat16) if kind == "norm" else \
                (torch.randn(shape, generator=g, dtype=torch.float32) * 0.02).to(torch.bfloat16)
            part[name] = t
            weight_map[name] = file
            total += t.numel()
        save_file(part, str(out / file), metadata={"format": "pt"})
        del part
        print(f"make_llama8b_bf16: {file} ({time.perf_counter() - t0:.0f}s)", file=sys.stderr)
    (out / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {"total_size": 2 * total}, "weight_map": weight_map}, indent=2))
    config = dict(architectures=["LlamaForCausalLM"], model_type="llama", hidden_act="silu", rms_norm_eps=1e-5,
                  tie_word_embeddings=False, bos_token_id=128000, eos_token_id=128001, torch_dtype="bfloat16",
                  attention_bias=False, mlp_bias=False, initializer_range=0.02, **SHAPE)
    (out / "config.json").write_text(json.dumps(config, indent=2))
    print(f"make_llama8b_bf16: wrote {out} ({total / 1e9:.2f}B params, {2 * total / 2**30:.1f} GiB bf16, "
          f"seed {SEED}, {time.perf_counter() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
