#!/usr/bin/env python3
"""A straightforward PyTorch AtMan for GPT-2 checkpoints, written after the official code
(Aleph-Alpha/AtMan: atman-magma/atman_magma/{explainer.py, manipulate_attention.py,
conceptual_suppression.py, logit_parsing.py}; Deiseroth et al., NeurIPS 2023): every perturbation
is a full forward pass, run in batches of `--batch-size` perturbations, with the attention scores
manipulated by a patched attention function. It is both

  * the speed reference of `glassbox-bench atman` (prints ONE JSON line):

        .venv-ref/bin/python scripts/bench/reference_atman.py --model .cache/bench/gpt2-small \\
            --ids 1,2,3,... --target 42 --threads 2 --batch-size 8 --repeats 1

    {"median_s", "min_s", "times", "cpu_s", "peak_rss_mb", "base_rss_mb", "passes", "threads", "batch_size",
     "tokens", "torch", "transformers", "delta_ce"}; cpu_s is the process's CPU time per run (all
     threads); peak_rss_mb is the process's VmHWM during the
     timed runs (reset through /proc/self/clear_refs first), base_rss_mb its resident size before;

  * the reference that scripts/fixtures/generate_atman.py computes the committed parity values with
    (`explain`).

The manipulation, per edited layer, on the raw scores `q·kᵀ` [B, H, n, n] (manipulate_attention.py):
shift each row by its minimum ("row": over the whole raw row, causally-future keys included, as
the reference; "visible": over the keys the query sees, Glassbox's default; "none"), multiply column
j of item b by its factor, fill future positions with -10000, scale, mask causally (-1e9), clamp at
-10000 and softmax. Config 0 is the unmanipulated pass (factors all 1, as the reference). Only the
target rows of the logits are kept per batch (the reference keeps all rows: [configs, n, V]).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import torch.nn.functional as F
import transformers
from transformers import AttentionInterface, GPT2LMHeadModel


class _State:
    """What the patched attention reads (the reference sets the same on its model object)."""
    factors: torch.Tensor | None = None   # [B, n] column factors of the current batch
    shift: str = "row"                    # "row" | "visible" | "none"
    layers: list[int] | None = None       # None: all layers


STATE = _State()


def atman_attention(module, query, key, value, attention_mask, head_mask=None, **kwargs):
    """GPT-2 eager attention with AtMan's score manipulation. query/key/value: [B, H, n, dh]."""
    w = torch.matmul(query, key.transpose(-1, -2))                        # raw scores [B, H, n, n]
    n = w.shape[-1]
    allowed = torch.ones(n, n, dtype=torch.bool, device=w.device).tril()
    if STATE.factors is not None and (STATE.layers is None or module.layer_idx in STATE.layers):
        if STATE.shift == "row":
            w = w - w.min(-1, keepdim=True).values
        elif STATE.shift == "visible":
            w = w - w.masked_fill(~allowed, float("inf")).min(-1, keepdim=True).values
        w = w * STATE.factors[:, None, None, :].to(w.dtype)             # column j, every query row
        w = w.masked_fill(~allowed, -10000.0)
    if module.scale_attn_weights:
        w = w / (value.size(-1) ** 0.5)
    if module.scale_attn_by_inverse_layer_idx:
        w = w / float(module.layer_idx + 1)
    w = torch.where(allowed, w, torch.tensor(-1e9, dtype=w.dtype))
    w = w.clamp(min=-10000.0)
    p = torch.softmax(w, dim=-1)
    return torch.matmul(p, value).transpose(1, 2), p


AttentionInterface.register("atman", atman_attention)


def load(folder: str) -> GPT2LMHeadModel:
    return GPT2LMHeadModel.from_pretrained(folder, attn_implementation="atman",
                                           torch_dtype=torch.float32).eval()


def cosine_similarities(embeddings: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """ConceptualSuppression.get_similarity_matrix on [n, d] input embeddings, clipped to [-1, 1]."""
    e = embeddings.float()
    norms = e.norm(dim=1)[:, None]
    unit = e / torch.max(norms, eps * torch.ones_like(norms))
    return torch.mm(unit, unit.transpose(0, 1)).clip(-1, 1)


def configs(groups: list[list[int]], factor: float, kappa: float | None, scaled: bool,
            sims: torch.Tensor | None) -> list[dict]:
    """Explainer.get_default_configs_for_forward_passes + ConceptualSuppression.modify_configs.
    One-token groups follow the reference exactly; for a multi-token group every member gets
    `factor` and a neighbour reached from several members keeps its smallest factor (Glassbox's
    rule; the reference only supports one token per config with conceptual suppression)."""
    out = [{"keys": [], "factors": []}]                                   # config 0: no suppression
    for group in groups:
        fs = {i: factor for i in group}
        if kappa is not None:
            for i in group:
                for j in (sims[i] >= kappa).nonzero().view(-1).tolist():
                    if j in group:
                        continue
                    c = sims[i, j]
                    if not scaled:
                        fj = factor
                    elif 0 <= c.item() <= 1.0:
                        fj = ((1 - factor) * (1 - c) + factor).item()
                    else:
                        fj = 1.0
                    fs[j] = min(fs.get(j, float("inf")), fj)
        keys = sorted(fs)
        out.append({"group": group, "keys": keys, "factors": [fs[k] for k in keys]})
    return out


@torch.inference_mode()
def explain(model, prompt: list[int], targets: list[int], *, factor=0.1, kappa=0.6, scaled=True,
            shift="row", layers=None, groups=None, temperature=None, batch_size=8) -> dict:
    """AtMan on a causal LM: teacher-forced targets, n + 1 passes in batches. Returns
    delta_ce [G, T] (CE_pert - CE_orig, positive = mattered), delta_logit [G, T]
    (logit_orig - logit_pert), base_ce [T], base_logit [T] and the configs."""
    ids = prompt + targets[:-1]
    n = len(ids)
    rows = list(range(len(prompt) - 1, len(prompt) - 1 + len(targets)))
    if groups is None:
        groups = [[i] for i in range(n)]
    x = torch.tensor([ids])
    sims = cosine_similarities(model.transformer.wte(x)[0]) if kappa is not None else None
    cfgs = configs(groups, factor, kappa, scaled, sims)
    STATE.shift, STATE.layers = shift, layers
    kept = []
    for b in range(0, len(cfgs), batch_size):
        batch = cfgs[b:b + batch_size]
        fac = torch.ones(len(batch), n)
        for r, c in enumerate(batch):
            for k, f in zip(c["keys"], c["factors"]):
                fac[r, k] = f
        STATE.factors = fac
        try:
            logits = model(x.repeat(len(batch), 1), use_cache=False).logits   # [B, n, V]
        finally:
            STATE.factors = None
        kept.append(logits[:, rows, :].float())
    logits = torch.cat(kept)                                                  # [configs, T, V]
    y = torch.tensor(targets)
    scaled_logits = logits / temperature if temperature is not None else logits
    ce = torch.stack([F.cross_entropy(scaled_logits[c], y, reduction="none") for c in range(len(cfgs))])
    tl = logits[:, torch.arange(len(targets)), y]                             # [configs, T]
    return {"delta_ce": ce[1:] - ce[0], "delta_logit": tl[0] - tl[1:], "base_ce": ce[0],
            "base_logit": tl[0], "configs": cfgs[1:], "input_ids": ids, "rows": rows}


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="GPT-2 checkpoint folder")
    ap.add_argument("--ids", required=True, help="prompt token ids, comma-separated")
    ap.add_argument("--target", type=int, required=True, help="the explained next token")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--factor", type=float, default=0.1)
    ap.add_argument("--kappa", type=float, default=0.6)
    ap.add_argument("--shift", choices=["row", "visible", "none"], default="row")
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=1)
    a = ap.parse_args()
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(a.threads)
    model = load(a.model)
    prompt = [int(t) for t in a.ids.split(",") if t]
    base_rss = _rss_mb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")                                                     # reset VmHWM
    except OSError:
        pass
    times, cpu, result = [], [], None
    for i in range(a.warmup + a.repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = explain(model, prompt, [a.target], factor=a.factor, kappa=a.kappa, shift=a.shift,
                         batch_size=a.batch_size)
        dt = time.perf_counter() - t0
        if i >= a.warmup:
            times.append(dt)
            cpu.append(time.process_time() - c0)
    print(json.dumps({"median_s": statistics.median(times), "min_s": min(times),
                      "times": [round(t, 4) for t in times],
                      "cpu_s": statistics.median(cpu), "peak_rss_mb": round(_rss_mb("VmHWM"), 1),
                      "base_rss_mb": round(base_rss, 1), "passes": len(prompt) + 1, "threads": a.threads,
                      "batch_size": a.batch_size, "tokens": len(prompt), "torch": torch.__version__,
                      "transformers": transformers.__version__,
                      "delta_ce": [round(v, 6) for v in result["delta_ce"][:, 0].tolist()]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
