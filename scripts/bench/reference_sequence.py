#!/usr/bin/env python3
"""Times the attribution of a continuation the way an LXT user loops: once per generated token, a
fresh explanation of (prefix + target). The reference for `glassbox-bench sequence`.

    .venv-ref/bin/python scripts/bench/reference_sequence.py --model .cache/bench/gpt2-small \\
        --ids 1,2,3,... --prompt-tokens 128 --method attnlrp --threads 2 --serve

One run explains every target position p in prompt..n-1: `embeds = wte(ids[:p]).requires_grad_()`,
`logits = model(inputs_embeds=embeds, use_cache=False, logits_to_keep=1).logits`,
`logits[0, -1, ids[p]].backward()`, `(embeds * embeds.grad).float().sum(-1)` — with LXT's default
map patched in (`monkey_patch(modeling_gpt2)`: attnLRP) for --method attnlrp, or the unpatched
model (plain gradient × input) for --method grad-input. Parameters frozen, eval mode, eager attention.

--serve: the served side of the benchmark (bench_serve.py): loads, warms up, then one timed run per
`run` line ({"s": wall seconds, "cpu": process CPU seconds}); on end of input the summary (peak
memory, versions). Without --serve: --repeats runs,
one JSON line with the median.
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

from bench_serve import reset_peak_rss, serve, status_mb
from reference_lrp import load_model


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True, help="all token ids, comma-separated: the prompt, then the targets")
    ap.add_argument("--prompt-tokens", type=int, required=True)
    ap.add_argument("--method", choices=("attnlrp", "grad-input"), default="attnlrp")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--serve", action="store_true")
    a = ap.parse_args()
    ids = [int(x) for x in a.ids.split(",")]
    if not 1 <= a.prompt_tokens < len(ids):
        ap.error("--prompt-tokens must leave at least one target")

    import importlib.metadata as md
    model = load_model(ap, a.model, a.threads, lxt=a.method == "attnlrp")
    for p in model.parameters():
        p.requires_grad = False
    model_rss = status_mb("VmRSS")
    reset_peak_rss()
    tensor = torch.tensor([ids])
    embed = model.get_input_embeddings()

    def explain_all():
        rows = []
        for p in range(a.prompt_tokens, len(ids)):
            embeds = embed(tensor[:, :p]).requires_grad_()
            logits = model(inputs_embeds=embeds, use_cache=False, logits_to_keep=1).logits
            logits[0, -1, ids[p]].backward()
            rows.append((embeds * embeds.grad).float().sum(-1)[0])
        return rows

    info = {"model_rss_mb": model_rss, "threads": a.threads, "targets": len(ids) - a.prompt_tokens,
            "torch": torch.__version__, "transformers": transformers.__version__, "lxt": md.version("lxt")}
    for _ in range(a.warmup):
        explain_all()
    if a.serve:
        def once() -> dict:
            t0, c0 = time.perf_counter(), time.process_time()
            rows = explain_all()
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            return {"s": dt, "cpu": cpu, "checksum": float(sum(r.detach().sum() for r in rows))}
        return serve(dict(info, ready=True), once, lambda times: dict(info, times=times, peak_rss_mb=status_mb("VmHWM")))
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        explain_all()
        times.append(time.perf_counter() - t0)
    print(json.dumps(dict(info, median_s=statistics.median(times), times=times, peak_rss_mb=status_mb("VmHWM"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
