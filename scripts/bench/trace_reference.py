#!/usr/bin/env python3
"""Prints `name shape sum` for every hook point, in forward order, captured with torch hooks
(scripts/fixtures/hf_hooks.py), to diff against `glassbox predict --trace`.

    .venv-ref/bin/python scripts/bench/trace_reference.py --model Tests/Fixtures/models/gpt2-tiny --ids 1,2,3

Shape is printed like [3,4,8]; sum is over finite entries only (masked attention scores are -inf),
accumulated in float64 and printed with "%.6g". The model runs in float32 with eager attention.
"""
import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import hf_hooks  # noqa: E402

SUPPORTED = {"GPT2LMHeadModel", "GPT2Model", "BertModel", "BertForMaskedLM",
             "BertForSequenceClassification"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="HF checkpoint folder (gpt2 or bert)")
    ap.add_argument("--ids", required=True, help="comma-separated token ids, e.g. 1,2,3")
    a = ap.parse_args()
    try:
        ids = [int(x) for x in a.ids.split(",") if x.strip()]
    except ValueError:
        ap.error(f"--ids must be comma-separated integers, got {a.ids!r}")
    if not ids:
        ap.error("--ids is empty")
    cfg_path = Path(a.model) / "config.json"
    if not cfg_path.is_file():
        ap.error(f"no config.json in {a.model}")
    archs = json.loads(cfg_path.read_text()).get("architectures") or []
    arch = next((x for x in archs if x in SUPPORTED), None)
    if arch is None:
        ap.error(f"architectures {archs} not supported (supported: {sorted(SUPPORTED)})")

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(1)
    model = getattr(transformers, arch).from_pretrained(
        a.model, attn_implementation="eager", torch_dtype=torch.float32).eval()
    vocab = model.config.vocab_size
    bad = [i for i in ids if not 0 <= i < vocab]
    if bad:
        ap.error(f"ids {bad} out of range for vocab size {vocab}")
    cache = hf_hooks.capture(model, ids)
    for name, t in cache.items():
        x = t.astype(np.float64)
        s = float(x[np.isfinite(x)].sum())
        print(f"{name} [{','.join(str(d) for d in t.shape)}] {s:.6g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
