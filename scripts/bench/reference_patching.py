#!/usr/bin/env python3
"""A straightforward batched PyTorch activation patching: the speed reference of
`glassbox-bench patch`. It shares no code with Glassbox.

A full `resid_pre` sweep, denoising (TransformerLens's `get_act_patch_resid_pre` semantics): for
every layer l and position p, the corrupted input is run with the residual stream entering block l
at position p replaced by the clean run's; the metric is the logit difference answer − wrong at
the last position. The clean residual streams come from one clean forward pass
(`output_hidden_states`); the patched runs go through the `transformers` model in batches of
`--batch-size` (16 by default), each batch item patched at its own (layer, position) by a forward
pre-hook on every block (a hook only touches the batch items patched at its block), and only the
last position is projected onto the vocabulary (`logits_to_keep=1`). Patches at positions before
the first token where the inputs differ are not run (the residual stream there is the same in
both runs of a causal model, so the metric is the corrupted one exactly), as Glassbox does not run
them either: L × (n − first difference) patched runs.

    .venv-ref/bin/python scripts/bench/reference_patching.py --model .cache/bench/gpt2-small \\
        --clean 1,2,3,... --corrupted 1,2,4,... --answer 42 --wrong 43 --threads 2 [--serve]

Prints ONE JSON line {"median_s", "times", "cpu_s", "peak_rss_mb", "base_rss_mb", "runs",
"batch_size", "threads", "tokens", "torch", "transformers", "clean", "corrupted", "raw"} where raw
is the metric of every patched run, [layer][position]. With --serve it is the served side of
glassbox-bench patch (scripts/bench/bench_serve.py): one timed sweep per `run` line, answered with
{"s", "cpu_s", "raw"}.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import reset_peak_rss, serve, status_mb  # noqa: E402


def blocks(model):
    """The decoder blocks whose input is resid_pre."""
    if hasattr(model, "transformer"):
        return list(model.transformer.h)                                  # GPT-2
    return list(model.model.layers)                                       # Llama family


@torch.inference_mode()
def sweep(model, clean: list[int], corrupted: list[int], answer: int, wrong: int, batch_size: int) -> dict:
    """The metric of every (layer, position) patch, [L][n], with the clean and corrupted metrics."""
    n, layer_blocks = len(clean), blocks(model)
    L = len(layer_blocks)
    clean_t, corrupted_t = torch.tensor([clean]), torch.tensor([corrupted])

    def metric(logits):                                                   # [B, 1, V] -> [B]
        last = logits[:, -1, :].float()
        return last[:, answer] - last[:, wrong]

    out = model(clean_t, output_hidden_states=True, use_cache=False)
    resid = [h[0] for h in out.hidden_states[:L]]                         # resid_pre of block l: [n, d]
    clean_metric = metric(out.logits).item()
    corrupted_metric = metric(model(corrupted_t, use_cache=False, logits_to_keep=1).logits).item()

    # In a causal model the residual stream before the first differing token is the same in both
    # runs, so patching there gives the corrupted metric exactly: those runs are skipped (Glassbox
    # skips them too), and only the others are batched.
    first = next(i for i in range(n) if clean[i] != corrupted[i])
    sites = [(l, p) for l in range(L) for p in range(first, n)]
    current: list[tuple[int, int]] = []

    def pre_hook(layer):
        def hook(module, args, kwargs):
            hidden = args[0] if args else kwargs["hidden_states"]
            rows = [(b, p) for b, (l, p) in enumerate(current) if l == layer]
            if not rows:
                return None
            hidden = hidden.clone()
            for b, p in rows:
                hidden[b, p] = resid[layer][p]
            if args:
                return (hidden, *args[1:]), kwargs
            return args, dict(kwargs, hidden_states=hidden)
        return hook

    handles = [blk.register_forward_pre_hook(pre_hook(l), with_kwargs=True) for l, blk in enumerate(layer_blocks)]
    raw = [corrupted_metric] * (L * n)
    try:
        for start in range(0, len(sites), batch_size):
            current[:] = sites[start:start + batch_size]
            batch = corrupted_t.repeat(len(current), 1)
            for (l, p), value in zip(current, metric(model(batch, use_cache=False, logits_to_keep=1).logits).tolist()):
                raw[l * n + p] = value
    finally:
        for h in handles:
            h.remove()
    return {"clean": clean_metric, "corrupted": corrupted_metric,
            "raw": [[round(raw[l * n + p], 6) for p in range(n)] for l in range(L)]}



def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a causal LM checkpoint folder")
    ap.add_argument("--clean", required=True, help="clean token ids, comma-separated")
    ap.add_argument("--corrupted", required=True, help="corrupted token ids, same length")
    ap.add_argument("--answer", type=int, required=True)
    ap.add_argument("--wrong", type=int, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--serve", action="store_true", help="timed runs on request (see bench_serve.py)")
    a = ap.parse_args()
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(a.threads)
    model = transformers.AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=torch.float32,
                                                              attn_implementation="eager").eval()
    clean = [int(t) for t in a.clean.split(",") if t]
    corrupted = [int(t) for t in a.corrupted.split(",") if t]
    if len(clean) != len(corrupted):
        print("clean and corrupted differ in length", file=sys.stderr)
        return 2
    base_rss = status_mb("VmRSS")
    reset_peak_rss()

    def run():
        return sweep(model, clean, corrupted, a.answer, a.wrong, a.batch_size)

    info = {"base_rss_mb": round(base_rss, 1), "runs": len(blocks(model)) * (len(clean) - next(i for i, (a, b) in enumerate(zip(clean, corrupted)) if a != b)) + 2,
            "batch_size": a.batch_size, "threads": a.threads, "tokens": len(clean),
            "torch": torch.__version__, "transformers": transformers.__version__}
    if a.serve:
        for _ in range(a.warmup):
            run()

        def once() -> dict:
            c0, t0 = time.process_time(), time.perf_counter()
            r = run()
            return {"s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "raw": r["raw"],
                    "clean": r["clean"], "corrupted": r["corrupted"]}
        return serve(dict(info, ready=True), once,
                     lambda times: dict(info, times=times, peak_rss_mb=round(status_mb("VmHWM"), 1)))

    times, cpu, result = [], [], None
    for i in range(a.warmup + a.repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        result = run()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    print(json.dumps(dict(info, median_s=statistics.median(times), times=[round(t, 4) for t in times],
                          cpu_s=statistics.median(cpu), peak_rss_mb=round(status_mb("VmHWM"), 1), **result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
