#!/usr/bin/env python3
"""Times a full-sequence forward of a causal LM (GPT-2, Llama, Mistral, Qwen2: loaded with
AutoModelForCausalLM) with transformers (eager attention, float32 unless --dtype, eval, inference_mode), as the
reference for Glassbox's CPU benchmark. Prints ONE JSON line:
{"median_s", "min_s", "times", "threads", "tokens", "torch", "transformers"}.

    .venv-ref/bin/python scripts/bench/reference_forward.py --model .cache/bench/gpt2-small \\
        --tokens 128 --threads 2 --warmup 3 --repeats 15
    .venv-ref/bin/python scripts/bench/reference_forward.py --model .cache/bench/llama-16x2048 --tokens 128

Input ids are fixed (seeded) random ids of the given length; logits are computed for every
position; no KV cache is built (use_cache=False), matching one stateless forward pass.
"""
import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import transformers
from transformers import AutoModelForCausalLM


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="HF causal-LM checkpoint folder (gpt2, llama, ...)")
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32",
                    help="the weights' and activations' dtype (bfloat16: run a bf16 checkpoint as it is)")
    a = ap.parse_args()
    if a.tokens < 1 or a.threads < 1 or a.repeats < 1 or a.warmup < 0:
        ap.error("--tokens, --threads and --repeats must be >= 1, --warmup >= 0")
    if not os.path.isfile(os.path.join(a.model, "config.json")):
        ap.error(f"no config.json in {a.model} (make one with scripts/bench/make_gpt2_small.py "
                 "or make_llama_bench.py)")

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(a.threads)
    model = AutoModelForCausalLM.from_pretrained(a.model, attn_implementation="eager",
                                                 torch_dtype=getattr(torch, a.dtype)).eval()
    pos_key = "n_positions" if hasattr(model.config, "n_positions") else "max_position_embeddings"
    if a.tokens > getattr(model.config, pos_key):
        ap.error(f"--tokens {a.tokens} > {pos_key} {getattr(model.config, pos_key)}")
    g = torch.Generator().manual_seed(a.seed)
    ids = torch.randint(0, model.config.vocab_size, (1, a.tokens), generator=g)

    times = []
    with torch.inference_mode():
        for i in range(a.warmup + a.repeats):
            t0 = time.perf_counter()
            logits = model(ids, use_cache=False).logits
            dt = time.perf_counter() - t0
            assert logits.shape == (1, a.tokens, model.config.vocab_size)
            if i >= a.warmup:
                times.append(dt)
    print(json.dumps({"median_s": statistics.median(times), "min_s": min(times),
                      "times": [round(t, 6) for t in times], "threads": a.threads,
                      "tokens": a.tokens, "dtype": a.dtype, "torch": torch.__version__,
                      "transformers": transformers.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
