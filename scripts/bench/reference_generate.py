#!/usr/bin/env python3
"""Times greedy decoding with transformers' `generate` (do_sample=False, use_cache=True, eager
attention, float32, inference_mode) as the reference of `glassbox-bench generate`. Prints ONE JSON
line: {"median_s", "min_s", "times", "tokens_per_s", "threads", "prompt_tokens", "new_tokens",
"output_ids", "torch", "transformers"}.

    .venv-ref/bin/python scripts/bench/reference_generate.py --model .cache/bench/gpt2-small \\
        --ids 1,2,3,... --new-tokens 128 --threads 2 --warmup 1 --repeats 3

The timed span is one `generate` call: the prefill of the prompt plus `--new-tokens` decode steps
(min_new_tokens = max_new_tokens, so an end-of-sequence id does not stop it early); tokens_per_s is
new tokens ÷ the median time. output_ids are the generated ids, so the benchmark can check that both
sides decoded the same tokens.
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
    ap.add_argument("--model", required=True, help="HF causal-LM checkpoint folder")
    ap.add_argument("--ids", required=True, help="prompt token ids, comma-separated")
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    if a.new_tokens < 1 or a.threads < 1 or a.repeats < 1 or a.warmup < 0:
        ap.error("--new-tokens, --threads and --repeats must be >= 1, --warmup >= 0")

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(a.threads)
    model = AutoModelForCausalLM.from_pretrained(a.model, attn_implementation="eager",
                                                 torch_dtype=torch.float32).eval()
    ids = torch.tensor([[int(t) for t in a.ids.split(",")]])
    times, out = [], None
    with torch.inference_mode():
        for i in range(a.warmup + a.repeats):
            t0 = time.perf_counter()
            out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, use_cache=True,
                                 max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens, pad_token_id=0)
            dt = time.perf_counter() - t0
            if i >= a.warmup:
                times.append(dt)
    median = statistics.median(times)
    print(json.dumps({"median_s": median, "min_s": min(times), "times": [round(t, 6) for t in times],
                      "tokens_per_s": a.new_tokens / median, "threads": a.threads,
                      "prompt_tokens": ids.shape[1], "new_tokens": a.new_tokens,
                      "output_ids": out[0, ids.shape[1]:].tolist(),
                      "torch": torch.__version__, "transformers": transformers.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
