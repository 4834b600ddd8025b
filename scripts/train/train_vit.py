#!/usr/bin/env python3
"""Trains Glassbox's default vision model: a small ViT that reads scikit-learn's handwritten digits.

    scripts/make-ref-venv.sh                                      # once: torch, transformers, scikit-learn
    .venv-ref/bin/python scripts/train/train_vit.py               # ~7 min on one thread

Data: sklearn.datasets.load_digits — 1,797 8×8 images with values 0…16 (the UCI optical
recognition of handwritten digits set, bundled with scikit-learn, no download). A stratified
split, seeded, holds out 20 % (360 images) as the test set; the model never trains on it.

Image convention (what users draw): dark ink on white paper. A digit value v becomes the 8-bit
gray pixel round(255 − v·255/16) (halves round up), so 0 is white (255) and 16 is black (0).

Preprocessing, identical in training and inference: 8×8 uint8 gray → Pillow NEAREST ×8 to
64×64 (each digit pixel a flat 8×8 block) → [PNG on disk, lossless for 8-bit gray] → RGB →
transformers' ViTImageProcessor (bilinear resize to 16×16, ×1/255, normalise with mean 0.5 and
std 0.5) → ViTForImageClassification. The processor's Pillow bilinear downscale blurs each
digit pixel slightly into its neighbours; training sees exactly that blur because every training
image goes through the same processor call. Augmentation happens at the 8×8 level before that
path, freshly each epoch: a random shift of −1…+1 pixel in each direction (white fill) and an
ink-intensity gain v ← min(16, v·g), g uniform in [0.75, 1.25].

Model: ViT (transformers' ViTForImageClassification), 16×16 input with 2×2 patches, so each
patch is one digit pixel and the image is an 8×8 grid of 64 patches plus [CLS]; 4 layers × 4
heads, hidden 64, MLP 128, qkv bias, labels "0"…"9" — 139,722 parameters, 287 KB as
float16 safetensors.

Training: AdamW (β 0.9/0.999, weight decay 0.05 on matrices), peak learning rate 2e-3 with
linear warm-up and cosine decay to zero, batches of 32, hidden dropout 0.1, label smoothing 0.1,
gradient clipping at 1.0, a fixed number of epochs; everything seeded (torch, numpy, python, the
split), deterministic algorithms on, one thread, so a rerun on the same machine reproduces the
weights. The test accuracy is reported for the float32 weights and for the shipped float16
weights (converted to float16 and back before evaluating).

Writes to Sources/GlassboxDefaults/Models/digits-vit/ (or --out):
  config.json, model.safetensors (float16), preprocessor_config.json (ViTImageProcessor),
  training.json — the recipe, split sizes, test accuracy (f32 and f16), the f16 confusion matrix
  (rows true class, columns predicted), training seconds, versions, and for each sample PNG its
  label, the logits of the saved float16 model (loaded back from disk, computed in float32) on
  the PNG read back from disk through the saved processor, and the predicted class.
and to samples/digits/ (or --samples): digit-<label>.png for 0…9 — for each class, the first
image of that class in test-split order that the float16 model classifies correctly (so every
sample is a correct prediction by construction; images it gets wrong are not chosen) — as
64×64 8-bit grayscale PNGs, plus README.md.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import PIL
import sklearn
import torch
import transformers
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor
from optim import adamw

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "Sources" / "GlassboxDefaults" / "Models" / "digits-vit"
DEFAULT_SAMPLES = ROOT / "samples" / "digits"

RECIPE = dict(
    seed=1234, test_fraction=0.2, upscale=8, image_size=16, patch_size=2, hidden_size=64,
    num_hidden_layers=4, num_attention_heads=4, intermediate_size=128, hidden_dropout=0.1,
    attention_dropout=0.0, epochs=100, batch=32, lr=2e-3, warmup_epochs=5, weight_decay=0.05,
    betas=(0.9, 0.999), grad_clip=1.0, label_smoothing=0.1, shift=1, gain=(0.75, 1.25),
)


def to_gray(v: np.ndarray) -> np.ndarray:
    """Digit values 0…16 → 8-bit gray, dark ink on white: round(255 − v·255/16), halves up."""
    return np.clip(np.floor(255.0 - v * (255.0 / 16.0) + 0.5), 0, 255).astype(np.uint8)


def upscale(gray8: np.ndarray, factor: int) -> Image.Image:
    """8×8 uint8 gray → Pillow nearest-neighbour ×factor, mode L (what the sample PNGs hold)."""
    img = Image.fromarray(gray8, mode="L")
    return img.resize((gray8.shape[1] * factor, gray8.shape[0] * factor), Image.NEAREST)


def pixel_values(processor: ViTImageProcessor, images: list[Image.Image]) -> torch.Tensor:
    """The inference path from a decoded gray image on: RGB, then the ViT image processor."""
    return processor(images=[im.convert("RGB") for im in images], return_tensors="pt")["pixel_values"]


def augment(values: np.ndarray, gen: np.random.Generator, r: dict) -> np.ndarray:
    """values [N, 8, 8] in 0…16 → shifted by −s…+s pixels (white fill) and ink gain, per image."""
    n = len(values)
    s = r["shift"]
    out = np.zeros_like(values)
    dy = gen.integers(-s, s + 1, size=n)
    dx = gen.integers(-s, s + 1, size=n)
    g = gen.uniform(r["gain"][0], r["gain"][1], size=n)
    for i in range(n):
        padded = np.pad(values[i], s)                  # 0 = no ink = white
        y0, x0 = s - dy[i], s - dx[i]
        out[i] = padded[y0:y0 + 8, x0:x0 + 8]
    return np.minimum(out * g[:, None, None], 16.0)


def encode(processor, values: np.ndarray, r: dict) -> torch.Tensor:
    return pixel_values(processor, [upscale(to_gray(v), r["upscale"]) for v in values])


@torch.no_grad()
def predict(model, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    return torch.cat([model(pixel_values=x[i:i + 256]).logits for i in range(0, len(x), 256)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    ap.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    r = dict(RECIPE, epochs=args.epochs)

    torch.set_num_threads(args.threads)
    torch.manual_seed(r["seed"])
    np.random.seed(r["seed"])
    random.seed(r["seed"])
    torch.use_deterministic_algorithms(True)

    digits = load_digits()
    values = digits.images.astype(np.float64)          # [1797, 8, 8], 0…16
    labels = digits.target.astype(np.int64)
    idx_train, idx_test = train_test_split(np.arange(len(labels)), test_size=r["test_fraction"],
                                           stratify=labels, random_state=r["seed"])
    print(f"train_vit: {len(idx_train)} training images, {len(idx_test)} test images", file=sys.stderr)

    processor = ViTImageProcessor(
        do_resize=True, size={"height": r["image_size"], "width": r["image_size"]},
        resample=PIL.Image.BILINEAR, do_rescale=True, rescale_factor=1 / 255,
        do_normalize=True, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])

    id2label = {i: str(i) for i in range(10)}
    cfg = ViTConfig(
        image_size=r["image_size"], patch_size=r["patch_size"], num_channels=3,
        hidden_size=r["hidden_size"], num_hidden_layers=r["num_hidden_layers"],
        num_attention_heads=r["num_attention_heads"], intermediate_size=r["intermediate_size"],
        qkv_bias=True, hidden_dropout_prob=r["hidden_dropout"],
        attention_probs_dropout_prob=r["attention_dropout"], num_labels=10,
        id2label=id2label, label2id={v: k for k, v in id2label.items()})
    model = ViTForImageClassification(cfg)
    model.config._attn_implementation = "eager"
    n_params = sum(p.numel() for p in model.parameters())
    print(f"train_vit: {n_params:,} parameters", file=sys.stderr)

    opt = adamw(model, r["lr"], r["betas"], r["weight_decay"])
    steps_per_epoch = math.ceil(len(idx_train) / r["batch"])
    total = r["epochs"] * steps_per_epoch
    warmup = r["warmup_epochs"] * steps_per_epoch

    def lr_at(step: int) -> float:
        if step < warmup:
            return r["lr"] * (step + 1) / warmup
        return r["lr"] * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))

    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=r["label_smoothing"])
    x_test = encode(processor, values[idx_test], r)
    y_test = torch.from_numpy(labels[idx_test])
    y_train = torch.from_numpy(labels[idx_train])
    gen = np.random.default_rng(r["seed"])
    torch_gen = torch.Generator().manual_seed(r["seed"])
    history = []
    step = 0
    t0 = time.time()
    for epoch in range(r["epochs"]):
        x_train = encode(processor, augment(values[idx_train], gen, r), r)
        order = torch.randperm(len(idx_train), generator=torch_gen)
        model.train()
        losses = []
        for b in range(steps_per_epoch):
            sel = order[b * r["batch"]:(b + 1) * r["batch"]]
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            loss = loss_fn(model(pixel_values=x_train[sel]).logits, y_train[sel])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), r["grad_clip"])
            opt.step()
            losses.append(loss.item())
            step += 1
        if (epoch + 1) % 10 == 0 or epoch == r["epochs"] - 1:
            acc = (predict(model, x_test).argmax(-1) == y_test).float().mean().item()
            el = time.time() - t0
            history.append({"epoch": epoch + 1, "train_loss": round(float(np.mean(losses)), 4),
                            "test_accuracy": round(acc, 4)})
            print(f"train_vit: epoch {epoch + 1}/{r['epochs']} loss {np.mean(losses):.4f} "
                  f"test accuracy {acc:.4f} ({el:.0f} s, ~{el / (epoch + 1) * (r['epochs'] - epoch - 1):.0f} s left)",
                  file=sys.stderr, flush=True)
    seconds = time.time() - t0

    acc32 = (predict(model, x_test).argmax(-1) == y_test).float().mean().item()
    model16 = copy.deepcopy(model).half().float()      # the shipped weights, computed in float32
    pred16 = predict(model16, x_test).argmax(-1)
    acc16 = (pred16 == y_test).float().mean().item()
    confusion = np.zeros((10, 10), dtype=np.int64)
    for t, p in zip(y_test.tolist(), pred16.tolist()):
        confusion[t, p] += 1
    print(f"train_vit: test accuracy f32 {acc32:.4f}, f16 {acc16:.4f}", file=sys.stderr)

    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(out_dir, safe_serialization=True)
    processor.save_pretrained(out_dir)
    for extra in ("generation_config.json",):
        (out_dir / extra).unlink(missing_ok=True)

    # Samples: the first correctly classified test image of each class, in test-split order.
    sample_dir: Path = args.samples
    sample_dir.mkdir(parents=True, exist_ok=True)
    chosen: dict[int, int] = {}
    for pos, i in enumerate(idx_test):
        c = int(labels[i])
        if c not in chosen and int(pred16[pos]) == c:
            chosen[c] = int(i)
    if len(chosen) != 10:
        sys.exit(f"train_vit: no correctly classified test image for classes {sorted(set(range(10)) - set(chosen))}")
    paths = {}
    for c in range(10):
        paths[c] = sample_dir / f"digit-{c}.png"
        upscale(to_gray(values[chosen[c]]), r["upscale"]).save(paths[c])
    (sample_dir / "README.md").write_text(
        "One handwritten digit per class (64×64 8-bit grayscale, dark ink on white) from the held-out test split of\n"
        "scikit-learn's `load_digits`, each the first test image of its class that the bundled `digits-vit` model\n"
        "classifies correctly; written by `scripts/train/train_vit.py`. Try: `glassbox explain --image samples/digits/digit-3.png`\n")

    # Reference logits: the saved model and processor loaded back from disk, the PNGs read back from disk.
    saved = ViTForImageClassification.from_pretrained(out_dir, torch_dtype=torch.float32, attn_implementation="eager")
    saved_processor = ViTImageProcessor.from_pretrained(out_dir)
    samples = []
    with torch.no_grad():
        saved.eval()
        for c in range(10):
            with Image.open(paths[c]) as im:
                assert im.mode == "L" and im.size == (64, 64), (im.mode, im.size)
                x = saved_processor(images=im.convert("RGB"), return_tensors="pt")["pixel_values"]
            logits = saved(pixel_values=x).logits[0]
            samples.append({"file": str(paths[c].relative_to(ROOT)) if paths[c].is_relative_to(ROOT) else str(paths[c]),
                            "label": c, "dataset_index": chosen[c],
                            "logits": [float(v) for v in logits], "predicted": int(logits.argmax())})
    assert all(s["predicted"] == s["label"] for s in samples)

    report = {
        "model": "ViT trained on scikit-learn's digits by scripts/train/train_vit.py",
        "recipe": r, "parameters": n_params, "train_images": int(len(idx_train)), "test_images": int(len(idx_test)),
        "image_convention": "dark ink on white: gray = round(255 - v*255/16), v in 0..16; 8x8 upscaled x8 nearest to 64x64",
        "threads": args.threads, "training_seconds": round(seconds, 1),
        "test_accuracy_f32": round(acc32, 4), "test_accuracy_f16": round(acc16, 4),
        "test_errors_f16": int((pred16 != y_test).sum()),
        "confusion_matrix_f16": {"rows": "true class", "columns": "predicted class", "counts": confusion.tolist()},
        "history": history, "samples": samples,
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__, "Pillow": PIL.__version__},
    }
    (out_dir / "training.json").write_text(json.dumps(report, indent=1) + "\n")
    size = (out_dir / "model.safetensors").stat().st_size
    print(f"train_vit: test accuracy f32 {acc32:.4f}, f16 {acc16:.4f}; {size / 1e3:.0f} KB; "
          f"{seconds / 60:.1f} min", file=sys.stderr)


if __name__ == "__main__":
    main()
