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

One explanation is LXT's quickstart: `monkey_patch(modeling_gpt2)` (or modeling_llama, …: LXT's default map, attnLRP),
parameters frozen (requires_grad False, as LXT's examples do), then per run
`embeds = wte(ids).requires_grad_()`, `logits = model(inputs_embeds=embeds, use_cache=False).logits`,
`logits[0, -1, top].backward()` and `relevance = (embeds * embeds.grad).float().sum(-1)`.
By default (`--logits-to-keep 1`) the model projects only the last position's hidden state onto
the vocabulary, the one row that is explained, as Glassbox does; `--logits-to-keep 0` computes the
logits at every position, as LXT's quickstart does (slower, more memory, same relevance).

With --memory-limit-mb the data size is capped (RLIMIT_DATA: heap and anonymous mappings): an explanation that needs more
fails with torch's allocation error, reported as {"error": "out of memory: …", "peak_rss_mb"} (in the
ready line when it happens during the warm-up, else in the run's line) instead of the machine
swapping or the kernel killing a process.

Peak memory: VmHWM from /proc/self/status, reset after the model is loaded (echo 5 >
/proc/self/clear_refs), so it counts the resident model plus the explanations; load_peak_rss_mb is
the peak of the load itself, model_rss_mb VmRSS right after it. Run one length per process, alone
on the machine.
"""
import argparse
import importlib
import json
import os
import re
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import transformers

from bench_serve import reset_peak_rss, serve, status_mb

# model_type -> (transformers module, causal-LM class): the families LXT 2.1 has a default map for.
FAMILIES = {
    "gpt2": ("transformers.models.gpt2.modeling_gpt2", "GPT2LMHeadModel"),
    "llama": ("transformers.models.llama.modeling_llama", "LlamaForCausalLM"),
    "qwen2": ("transformers.models.qwen2.modeling_qwen2", "Qwen2ForCausalLM"),
    "qwen3": ("transformers.models.qwen3.modeling_qwen3", "Qwen3ForCausalLM"),
}


def limit_data_size(mb: int) -> None:
    """Caps this process's data segment and anonymous mappings (RLIMIT_DATA) at `mb` MB, so that a
    run that needs more memory than the machine can give fails with torch's allocation error instead of swapping or
    being killed (and taking the other side of the benchmark with it)."""
    import resource
    a = torch.ones(512, 512)
    (a @ a).sum()                          # start the worker threads first: their stacks count too
    resource.setrlimit(resource.RLIMIT_DATA, (mb * 2**20, mb * 2**20))


def failure(error: BaseException) -> str:
    """One line for an explanation that could not run (typically an allocation over the cap)."""
    text = " ".join(str(error).split())
    m = re.search(r"you tried to allocate (\d+) bytes", text)
    if m:
        return f"out of memory: an allocation of {int(m.group(1)) / 2**30:.1f} GiB failed"
    return f"{type(error).__name__}: {text[:200]}"



def load_model(ap: argparse.ArgumentParser, path: str, threads: int, lxt: bool):
    """The checkpoint at `path` as its causal-LM class, eval mode, eager attention, float32, on
    `threads` threads; with `lxt`, LXT's default map (attnLRP) patched into its module first."""
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(threads)
    with open(os.path.join(path, "config.json")) as f:
        model_type = json.load(f).get("model_type")
    if model_type not in FAMILIES:
        ap.error(f"model_type {model_type!r}: the reference runs {', '.join(FAMILIES)}")
    module_name, class_name = FAMILIES[model_type]
    module = importlib.import_module(module_name)
    if lxt:
        from lxt.efficient import monkey_patch
        monkey_patch(module)                                          # LXT's default map: attnLRP
    return getattr(module, class_name).from_pretrained(path, attn_implementation="eager",
                                                       torch_dtype=torch.float32).eval()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True,
                    help="a GPT-2 or Llama-family checkpoint folder (scripts/bench/make_gpt2_small.py, make_llama_bench.py)")
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--logits-to-keep", type=int, default=1,
                    help="1: the last position only (default); 0: logits at every position (LXT's quickstart)")
    ap.add_argument("--memory-limit-mb", type=int, default=0,
                    help="cap the data size (RLIMIT_DATA: heap and anonymous mappings) at this many MB; an explanation over it is reported as failed")
    ap.add_argument("--serve", action="store_true", help="timed runs on request (see bench_serve.py)")
    a = ap.parse_args()
    if a.tokens < 1 or a.threads < 1 or a.repeats < 1 or a.warmup < 0:
        ap.error("--tokens, --threads and --repeats must be >= 1, --warmup >= 0")
    if not os.path.isfile(os.path.join(a.model, "config.json")):
        ap.error(f"no config.json in {a.model} (make one with scripts/bench/make_gpt2_small.py)")

    import importlib.metadata as md
    model = load_model(ap, a.model, a.threads, lxt=True)
    for p in model.parameters():
        p.requires_grad = False
    model_rss = status_mb("VmRSS")
    load_peak = status_mb("VmHWM")
    reset_peak_rss()   # from here VmHWM covers the explanations only
    positions = getattr(model.config, "n_positions", None) or model.config.max_position_embeddings
    if a.tokens > positions:
        ap.error(f"--tokens {a.tokens} > the model's {positions} positions")
    if a.memory_limit_mb:
        limit_data_size(a.memory_limit_mb)
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
            "logits_to_keep": a.logits_to_keep, "memory_limit_mb": a.memory_limit_mb}
    if a.serve:
        try:
            for _ in range(a.warmup):
                explain()
        except Exception as error:                          # under the cap, typically an allocation
            print(json.dumps(dict(info, ready=True, error=failure(error), peak_rss_mb=status_mb("VmHWM"))), flush=True)
            return 0

        def once() -> dict:
            t0 = time.perf_counter()
            try:
                relevance = explain()
            except Exception as error:                          # under the cap, typically an allocation
                return {"s": None, "error": failure(error), "peak_rss_mb": status_mb("VmHWM")}
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
