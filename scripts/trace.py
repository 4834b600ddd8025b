#!/usr/bin/env python3
"""Writes a hook-by-hook trace of one Hugging Face forward pass, for `glassbox verify --reference`.

    .venv-ref/bin/python scripts/trace.py MODEL_DIR (--ids 1,2,3 | --prompt TEXT | --image FILE.png) --out TRACE.json

MODEL_DIR is a Hugging Face model folder (config.json + safetensors; a tokenizer for --prompt, a
preprocessor_config.json for --image). The model runs in float32 with eager attention, dropout off,
one thread; every Glassbox hook point is captured with torch forward hooks exactly as the golden
fixtures are (scripts/fixtures/hf_hooks.py maps the HF modules to the hook names), and written with
the input, so that `glassbox verify --model MODEL_DIR --reference TRACE.json` runs the same input.

The file is JSON (docs/cli.md, "The trace format"):
    {"format": "glassbox-trace", "version": 1,
     "model": {"path": ..., "modelType": ..., "class": ...},
     "generator": {"script": "scripts/trace.py", "torch": ..., "transformers": ...},
     "input": {"ids": [...]}  or  {"pixels": {"shape": [3, H, W], "data": [...]}},
     "hooks": [{"name": "hook_embed", "shape": [n, d], "data": [...]}, ...]}      (forward order)
Data are row-major float32 values written with 9 significant digits (exact for float32); NaN and
±Inf (the -inf of masked attention scores) are the strings "nan", "inf", "-inf".
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
import hf_hooks  # noqa: E402

torch.set_num_threads(1)
transformers.logging.set_verbosity_error()

FORMAT, VERSION = "glassbox-trace", 1


def load_model(folder: Path):
    """The checkpoint's own class (config.json "architectures"), float32, eager attention, eval mode."""
    config = transformers.AutoConfig.from_pretrained(folder)
    names = getattr(config, "architectures", None) or []
    cls = next((getattr(transformers, n) for n in names if hasattr(transformers, n)), None)
    if cls is None:
        cls = transformers.AutoModel
    model = cls.from_pretrained(folder, attn_implementation="eager", torch_dtype=torch.float32).eval()
    return model, cls.__name__


def values(a: np.ndarray) -> list:
    """Row-major float32 values: numbers with 9 significant digits, non-finite as strings."""
    out = []
    for x in np.asarray(a, dtype=np.float32).ravel().tolist():
        if math.isnan(x):
            out.append("nan")
        elif math.isinf(x):
            out.append("inf" if x > 0 else "-inf")
        else:
            out.append(float(f"{x:.9g}"))
    return out


def trace(folder: Path, ids: list[int] | None = None, pixels: np.ndarray | None = None) -> dict:
    """The trace of one forward pass on token ids or on pixel values [3, H, W]."""
    model, cls_name = load_model(folder)
    with torch.no_grad():
        if pixels is not None:
            cache = hf_hooks.capture(model, pixels)
            inp = {"pixels": {"shape": list(pixels.shape), "data": values(pixels)}}
        else:
            cache = hf_hooks.capture(model, ids)
            inp = {"ids": [int(i) for i in ids]}
    return {
        "format": FORMAT, "version": VERSION,
        "model": {"path": str(folder), "modelType": model.config.model_type, "class": cls_name},
        "generator": {"script": "scripts/trace.py", "torch": torch.__version__, "transformers": transformers.__version__},
        "input": inp,
        "hooks": [{"name": k, "shape": list(v.shape), "data": values(v)} for k, v in cache.items()],
    }


def fail(message: str) -> int:
    """One error line on stderr, as glassbox writes it; exit status 1."""
    print(f"trace.py: error: {message}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", type=Path, help="Hugging Face model folder")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--ids", help="token ids, comma-separated")
    g.add_argument("--prompt", help="text, tokenized with the folder's tokenizer (special tokens added)")
    g.add_argument("--image", type=Path, help="a PNG for vision models, preprocessed with the folder's image processor")
    p.add_argument("--out", type=Path, required=True, help="the trace file to write (JSON)")
    a = p.parse_args(argv)

    ids = pixels = None
    if a.ids is not None:
        try:
            ids = [int(x) for x in a.ids.split(",")]
        except ValueError:
            return fail(f"--ids must be integers separated by commas, got {a.ids!r}")
    elif a.prompt is not None:
        tok = transformers.AutoTokenizer.from_pretrained(a.model)
        ids = tok(a.prompt)["input_ids"]
        if not ids:
            return fail(f"the tokenizer gives no tokens for {a.prompt!r} (its vocabulary covers none of it); pass token ids with --ids")
    else:
        from PIL import Image
        processor = transformers.AutoImageProcessor.from_pretrained(a.model)
        pixels = processor(Image.open(a.image).convert("RGB"), return_tensors="np")["pixel_values"][0].astype(np.float32)
    t = trace(a.model, ids=ids, pixels=pixels)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = a.out.with_name("." + a.out.name + ".tmp")
    tmp.write_text(json.dumps(t, separators=(",", ":")) + "\n")
    tmp.replace(a.out)
    print(f"{a.out}: {len(t['hooks'])} hooks, {a.out.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
