#!/usr/bin/env python3
"""How well float32 determines a fixture's grad×input token relevances (docs/correctness.md, OLMo:
"Why olmo-clip's grad×input blocking stays at 2e-5").

    .venv-ref/bin/python scripts/bench/gxi_conditioning.py [MODEL ...]      (default: olmo-clip olmo-tiny)

For each fixture model, on its golden "full" input and the top logit at the last position (the
target RelevanceBlockingTests explains): the token relevances Σ_d g·x at the embeddings by PyTorch
autograd of the transformers model in float64 (the reference), and in float32 with eager and with
SDPA attention (two legitimate float32 evaluations); printed: each float32 run's max |Δ| / max |R|
against float64, the two float32 runs against each other, and at the largest |R| the terms' scale
Σ|g_k·x_k| and ‖g‖·‖x‖ (how much a rounding of g is amplified). Nothing is written.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
from safetensors import safe_open
from transformers import AutoModelForCausalLM

FIXTURES = Path(__file__).resolve().parents[2] / "Tests" / "Fixtures"


def token_relevance(name: str, ids: list[int], dtype, attention: str, target: int | None):
    """(target, g·x per token [n] as float64, g [n, d], x [n, d]) of one autograd run."""
    torch.set_num_threads(1)
    model = AutoModelForCausalLM.from_pretrained(FIXTURES / "models" / name, attn_implementation=attention,
                                                 torch_dtype=torch.float32).eval().to(dtype)
    x = model.model.embed_tokens(torch.tensor([ids])).detach().requires_grad_(True)
    logits = model(inputs_embeds=x, use_cache=False).logits[0, -1]
    target = int(logits.argmax()) if target is None else target
    logits[target].backward()
    g = x.grad[0].detach().double().numpy()
    xs = x[0].detach().double().numpy()
    return target, (g * xs).sum(-1), g, xs


def main() -> int:
    for name in sys.argv[1:] or ["olmo-clip", "olmo-tiny"]:
        with safe_open(str(FIXTURES / "goldens" / name / "full.safetensors"), "np") as f:
            ids = json.loads(f.metadata()["input_ids"])
        target, exact, g, x = token_relevance(name, ids, torch.float32, "eager", None)   # the float32 target
        _, exact, g, x = token_relevance(name, ids, torch.float64, "eager", target)
        scale = np.abs(exact).max()
        runs = {a: token_relevance(name, ids, torch.float32, a, target)[1] for a in ("eager", "sdpa")}
        for a, r in runs.items():
            print(f"{name}: float32 {a} vs float64: {np.abs(r - exact).max() / scale:.2e} (at position {int(np.abs(r - exact).argmax())})")
        print(f"{name}: float32 eager vs sdpa: {np.abs(runs['eager'] - runs['sdpa']).max() / scale:.2e}")
        i = int(np.abs(exact).argmax())
        print(f"{name}: largest |R| at position {i}: R {exact[i]:.4f}, Σ|g·x| {np.abs(g[i] * x[i]).sum():.3f}, "
              f"‖g‖·‖x‖ {np.linalg.norm(g[i]) * np.linalg.norm(x[i]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
