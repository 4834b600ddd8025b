#!/usr/bin/env python3
"""A straightforward batched PyTorch activation patching of `resid_pre` on a Hugging Face causal LM
(GPT-2 family), the speed reference of `glassbox-bench patch`. It shares no code with Glassbox.

Denoising sweep over every (layer, position): the clean run is cached once (block inputs via
forward pre-hooks); then for each layer the corrupted input is run in batches of --batch-size
copies, a forward pre-hook on that block replacing row p_i of copy i by the clean block input at
p_i; only the last position is projected onto the vocabulary (logits_to_keep=1). The metric is
the logit difference answer − wrong at the last position. Prints ONE JSON line

    .venv-ref/bin/python scripts/bench/reference_patching.py --model .cache/bench/gpt2-small \\
        --clean 1,2,3,... --corrupted 1,2,4,... --answer 5 --wrong 6 --threads 2 --batch-size 16

{"median_s", "times", "cpu_s", "peak_rss_mb", "base_rss_mb", "runs", "threads", "batch_size", "tokens",
 "torch", "transformers", "raw"} (raw: [L, n] logit differences, row-major); with --serve it is the
served side of glassbox-bench patch (scripts/bench/bench_serve.py).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import serve  # noqa: E402


def sweep(model, clean: list[int], corrupted: list[int], answer: int, wrong: int, batch_size: int) -> list[float]:
    blocks = model.transformer.h
    n, layers = len(clean), len(blocks)
    cached = {}
    handles = [blocks[l].register_forward_pre_hook(
        lambda mod, args, kwargs, l=l: cached.__setitem__(l, (args[0] if args else kwargs["hidden_states"])[0].clone()),
        with_kwargs=True) for l in range(layers)]
    with torch.no_grad():
        model(input_ids=torch.tensor([clean]), logits_to_keep=1)
    for h in handles:
        h.remove()
    raw = []
    base = torch.tensor([corrupted])
    for l in range(layers):
        for start in range(0, n, batch_size):
            positions = list(range(start, min(n, start + batch_size)))
            b = len(positions)

            def hook(mod, args, kwargs, positions=positions, l=l):
                h = (args[0] if args else kwargs["hidden_states"]).clone()
                for i, p in enumerate(positions):
                    h[i, p] = cached[l][p]
                if args:
                    return (h,) + tuple(args[1:]), kwargs
                kwargs = dict(kwargs)
                kwargs["hidden_states"] = h
                return args, kwargs
            handle = blocks[l].register_forward_pre_hook(hook, with_kwargs=True)
            try:
                with torch.no_grad():
                    logits = model(input_ids=base.expand(b, n), logits_to_keep=1).logits[:, -1]
            finally:
                handle.remove()
            raw += (logits[:, answer] - logits[:, wrong]).tolist()
    return raw


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--clean", required=True)
    ap.add_argument("--corrupted", required=True)
    ap.add_argument("--answer", type=int, required=True)
    ap.add_argument("--wrong", type=int, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--serve", action="store_true")
    a = ap.parse_args()
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(a.threads)
    model = transformers.GPT2LMHeadModel.from_pretrained(a.model, torch_dtype=torch.float32).eval()
    clean = [int(t) for t in a.clean.split(",")]
    corrupted = [int(t) for t in a.corrupted.split(",")]
    base_rss = _rss_mb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass

    def run():
        return sweep(model, clean, corrupted, a.answer, a.wrong, a.batch_size)

    info = {"base_rss_mb": round(base_rss, 1), "runs": len(clean) * model.config.n_layer, "threads": a.threads,
            "batch_size": a.batch_size, "tokens": len(clean), "torch": torch.__version__,
            "transformers": transformers.__version__}
    for _ in range(a.warmup):
        run()
    if a.serve:
        def once() -> dict:
            c0, t0 = time.process_time(), time.perf_counter()
            r = run()
            return {"s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "raw": [round(v, 6) for v in r]}
        return serve(dict(info, ready=True), once,
                     lambda times: dict(info, times=times, peak_rss_mb=round(_rss_mb("VmHWM"), 1)))
    times, cpu, raw = [], [], []
    for _ in range(a.repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        raw = run()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(json.dumps(dict(info, median_s=statistics.median(times), times=[round(t, 4) for t in times],
                          cpu_s=statistics.median(cpu), peak_rss_mb=round(_rss_mb("VmHWM"), 1),
                          raw=[round(v, 6) for v in raw])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
