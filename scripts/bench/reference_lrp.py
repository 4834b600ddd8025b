#!/usr/bin/env python3
"""Times one AttnLRP explanation with LXT 2.1 on PyTorch (the reference for Glassbox's relevance
benchmark) and reports the process's peak memory. Prints ONE JSON line:
{"median_s", "min_s", "times", "peak_rss_mb", "load_peak_rss_mb", "model_rss_mb", "threads", "tokens",
 "torch", "transformers", "lxt", "logits_to_keep"}.

    .venv-ref/bin/python scripts/bench/reference_lrp.py --model .cache/bench/gpt2-small \\
        --tokens 128 --threads 2 --warmup 1 --repeats 5

With --serve it is the served side of glassbox-bench relevance (scripts/bench/bench_serve.py): it
loads and warms up, then runs one timed explanation per `run` line (answering {"s"}), and on end of
input prints the summary (peak memory, versions), so the two sides alternate run by run.

One explanation is LXT's quickstart: `monkey_patch(modeling_gpt2)` (the default map: attnLRP),
parameters frozen (requires_grad False, as LXT's examples do), then per run
`embeds = wte(ids).requires_grad_()`, `logits = model(inputs_embeds=embeds, use_cache=False).logits`,
`logits[0, -1, top].backward()` and `relevance = (embeds * embeds.grad).float().sum(-1)`.
By default (`--logits-to-keep 1`) the model projects only the last position's hidden state onto
the vocabulary, the one row that is explained, as Glassbox does; `--logits-to-keep 0` computes the
logits at every position, as LXT's quickstart does (slower, more memory, same relevance).

Peak memory: VmHWM from /proc/self/status, reset after the model is loaded (echo 5 >
/proc/self/clear_refs), so it counts the resident model plus the explanations; load_peak_rss_mb is
the peak of the load itself, model_rss_mb VmRSS right after it. Run one length per process, alone
on the machine.
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
from transformers.models.gpt2 import modeling_gpt2

from bench_serve import reset_peak_rss, serve, status_mb



def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a GPT-2 checkpoint folder (scripts/bench/make_gpt2_small.py)")
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--logits-to-keep", type=int, default=1,
                    help="1: the last position only (default); 0: logits at every position (LXT's quickstart)")
    ap.add_argument("--serve", action="store_true", help="timed runs on request (see bench_serve.py)")
    a = ap.parse_args()
    if a.tokens < 1 or a.threads < 1 or a.repeats < 1 or a.warmup < 0:
        ap.error("--tokens, --threads and --repeats must be >= 1, --warmup >= 0")
    if not os.path.isfile(os.path.join(a.model, "config.json")):
        ap.error(f"no config.json in {a.model} (make one with scripts/bench/make_gpt2_small.py)")

    from lxt.efficient import monkey_patch
    import importlib.metadata as md
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(a.threads)
    monkey_patch(modeling_gpt2)                                       # LXT's default map: attnLRP
    model = modeling_gpt2.GPT2LMHeadModel.from_pretrained(a.model, attn_implementation="eager",
                                                          torch_dtype=torch.float32).eval()
    for p in model.parameters():
        p.requires_grad = False
    model_rss = status_mb("VmRSS")
    load_peak = status_mb("VmHWM")
    reset_peak_rss()   # from here VmHWM covers the explanations only
    if a.tokens > model.config.n_positions:
        ap.error(f"--tokens {a.tokens} > n_positions {model.config.n_positions}")
    g = torch.Generator().manual_seed(a.seed)
    ids = torch.randint(0, model.config.vocab_size, (1, a.tokens), generator=g)
    kwargs = {"use_cache": False}
    if a.logits_to_keep:
        kwargs["logits_to_keep"] = a.logits_to_keep

    def explain():
        embeds = model.get_input_embeddings()(ids).requires_grad_()
        logits = model(inputs_embeds=embeds, **kwargs).logits
        last = logits[0, -1]
        last[last.argmax()].backward()
        return (embeds * embeds.grad).float().sum(-1)

    info = {"model_rss_mb": model_rss, "load_peak_rss_mb": load_peak, "threads": a.threads, "tokens": a.tokens,
            "torch": torch.__version__, "transformers": transformers.__version__, "lxt": md.version("lxt"),
            "logits_to_keep": a.logits_to_keep}
    if a.serve:
        for _ in range(a.warmup):
            explain()

        def once() -> dict:
            t0 = time.perf_counter()
            relevance = explain()
            dt = time.perf_counter() - t0
            assert relevance.shape == (1, a.tokens)
            return {"s": dt}
        return serve(dict(info, ready=True), once,
                     lambda times: dict(info, times=times, peak_rss_mb=status_mb("VmHWM")))

    times = []
    for i in range(a.warmup + a.repeats):
        t0 = time.perf_counter()
        relevance = explain()
        dt = time.perf_counter() - t0
        assert relevance.shape == (1, a.tokens)
        if i >= a.warmup:
            times.append(dt)
    print(json.dumps({"median_s": statistics.median(times), "min_s": min(times),
                      "times": [round(t, 6) for t in times], "peak_rss_mb": status_mb("VmHWM"),
                      "load_peak_rss_mb": load_peak, "model_rss_mb": model_rss, "threads": a.threads, "tokens": a.tokens,
                      "torch": torch.__version__, "transformers": transformers.__version__,
                      "lxt": md.version("lxt"), "logits_to_keep": a.logits_to_keep}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
