#!/usr/bin/env python3
"""Writes the 360 held-out test digits of the bundled digits ViT as PNG files, for
`glassbox evaluate --images` (docs/evaluation.md).

    .venv-ref/bin/python scripts/evaluation/export_test_digits.py      # → .cache/digits-test/

The split is scripts/train/train_vit.py's (scikit-learn's load_digits, stratified 80/20,
random_state 1234), and each image is written as that script writes its samples: 8-bit gray, dark
ink on white, nearest-neighbour ×8 to 64 × 64. Files are named NNN-L.png (NNN the position in
the test split, L the true label), so that sorted order is test-split order.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
from train_vit import RECIPE, to_gray, upscale  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / ".cache" / "digits-test"


def main() -> None:
    digits = load_digits()
    values = digits.images.astype(np.float64)
    labels = digits.target.astype(np.int64)
    _, idx_test = train_test_split(np.arange(len(labels)), test_size=RECIPE["test_fraction"],
                                   stratify=labels, random_state=RECIPE["seed"])
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    for pos, i in enumerate(idx_test):
        upscale(to_gray(values[i]), RECIPE["upscale"]).save(OUT / f"{pos:03d}-{int(labels[i])}.png")
    print(f"export_test_digits: wrote {len(idx_test)} test digits to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
