#!/usr/bin/env python3
"""Prints `name shape sum` for every hook point, in forward order, captured with torch hooks
(scripts/fixtures/hf_hooks.py), to diff against `glassbox predict --trace`.

    .venv-ref/bin/python scripts/bench/trace_reference.py --model Tests/Fixtures/models/gpt2-tiny --ids 1,2,3
    .venv-ref/bin/python scripts/bench/trace_reference.py --model Tests/Fixtures/models/llama-gqa --ids 1,5,9
    .venv-ref/bin/python scripts/bench/trace_reference.py --model Tests/Fixtures/models/vit-tiny \\
        --image Tests/Fixtures/images/rgb8-100x33.png
    .venv-ref/bin/python scripts/bench/trace_reference.py --model Tests/Fixtures/models/vit-odd --pixels random --seed 7
    .venv-ref/bin/python scripts/bench/trace_reference.py --model Tests/Fixtures/models/vit-odd \\
        --pixels Tests/Fixtures/goldens/vit-odd/random-a.safetensors

Text models (gpt2, bert, llama, mistral, qwen2) take --ids. ViT takes exactly one of
  --image PNG       decoded as the fixtures do (scripts/fixtures/image_fixtures.py: PIL convert("RGB"),
                    16-bit grey as the high byte) and preprocessed by the folder's preprocessor_config.json
                    (transformers' ViTImageProcessor: PIL bilinear resize, rescale, normalize)
  --pixels random   pixel_values [C, H, W] (C-order) from SplitMix64(seed): for each value,
                    u = (next() >> 40) * 2^-24 and x = 2u - 1 (exact in float32, uniform in [-1, 1)),
                    the same generator as GlassboxTensor.SplitMix64; --seed defaults to 0
  --pixels FILE     the `pixel_values` tensor of a safetensors file (e.g. a ViT golden)

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
             "BertForSequenceClassification", "LlamaForCausalLM", "LlamaModel", "MistralForCausalLM",
             "MistralModel", "Qwen2ForCausalLM", "Qwen2Model", "ViTModel", "ViTForImageClassification"}
VISION = {"ViTModel", "ViTForImageClassification"}
MASK64 = (1 << 64) - 1


def splitmix64_pixels(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform [-1, 1) float32 values from SplitMix64 (Steele, Lea & Flood), 24 bits each."""
    state = seed & MASK64
    n = int(np.prod(shape))
    out = np.empty(n, np.float32)
    for i in range(n):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        out[i] = np.float32(2.0 * ((z >> 40) * 2.0 ** -24) - 1.0)
    return out.reshape(shape)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="HF checkpoint folder (gpt2, bert, llama, mistral, qwen2, vit)")
    ap.add_argument("--ids", help="comma-separated token ids, e.g. 1,2,3 (text models)")
    ap.add_argument("--image", help="PNG file (ViT)")
    ap.add_argument("--pixels", help="'random' or a .safetensors file holding pixel_values (ViT)")
    ap.add_argument("--seed", type=int, default=0, help="seed for --pixels random (default 0)")
    a = ap.parse_args()
    cfg_path = Path(a.model) / "config.json"
    if not cfg_path.is_file():
        ap.error(f"no config.json in {a.model}")
    archs = json.loads(cfg_path.read_text()).get("architectures") or []
    arch = next((x for x in archs if x in SUPPORTED), None)
    if arch is None:
        ap.error(f"architectures {archs} not supported (supported: {sorted(SUPPORTED)})")
    ids: list[int] = []
    if arch in VISION:
        if a.ids is not None or (a.image is None) == (a.pixels is None):
            ap.error(f"{arch} takes exactly one of --image PNG or --pixels random|FILE (and no --ids)")
    else:
        if a.ids is None or a.image is not None or a.pixels is not None:
            ap.error(f"{arch} takes --ids (and no --image / --pixels)")
        try:
            ids = [int(x) for x in a.ids.split(",") if x.strip()]
        except ValueError:
            ap.error(f"--ids must be comma-separated integers, got {a.ids!r}")
        if not ids:
            ap.error("--ids is empty")

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(1)
    model = getattr(transformers, arch).from_pretrained(
        a.model, attn_implementation="eager", torch_dtype=torch.float32).eval()
    if arch in VISION:
        cfg = model.config
        shape = (cfg.num_channels, cfg.image_size, cfg.image_size)
        if a.image is not None:
            import image_fixtures
            if not Path(a.image).is_file():
                ap.error(f"no such file: {a.image}")
            if not (Path(a.model) / "preprocessor_config.json").is_file():
                ap.error(f"no preprocessor_config.json in {a.model}")
            proc = image_fixtures.load_processor(a.model)
            pixels = image_fixtures.preprocess(proc, image_fixtures.rgb_image(a.image))
        elif a.pixels == "random":
            pixels = splitmix64_pixels(a.seed, shape)
        else:
            from safetensors.numpy import load_file
            if not Path(a.pixels).is_file():
                ap.error(f"--pixels: no such file {a.pixels!r} (or use 'random')")
            t = load_file(a.pixels)
            if "pixel_values" not in t:
                ap.error(f"{a.pixels} has no pixel_values tensor")
            pixels = t["pixel_values"].astype(np.float32)
        if tuple(pixels.shape) != shape:
            ap.error(f"pixel_values shape {list(pixels.shape)} != {list(shape)} for this model")
        cache = hf_hooks.capture(model, pixels)
    else:
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
