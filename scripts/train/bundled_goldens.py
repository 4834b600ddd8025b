#!/usr/bin/env python3
"""Records what Hugging Face transformers computes with the two bundled models, for the tests.

    .venv-ref/bin/python scripts/train/bundled_goldens.py

Reads Sources/GlassboxDefaults/Models/{shakespeare-gpt2,digits-vit} (written by train_lm.py and
train_vit.py) and samples/digits/*.png, and writes Tests/Fixtures/bundled/:
  shakespeare-gpt2.json  per prompt: the tokenizer's ids and byte offsets (tokenizers library), the
                         last position's logits (float32 compute from the float16 weights) and the
                         top-5 ids
  digits-vit.json        per sample PNG: the label in its name, the pixel values' sum, the logits
                         (through ViTImageProcessor, as a user's PNG goes) and the predicted class
Single-threaded and deterministic.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
import transformers
from PIL import Image
from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "Sources" / "GlassboxDefaults" / "Models"
OUT = ROOT / "Tests" / "Fixtures" / "bundled"
PROMPTS = [
    "To be, or not to be, that is the",
    "ROMEO. But soft, what light through yonder window breaks? It is the east, and Juliet is the",
    "KING HENRY. Once more unto the breach, dear friends, once more;\nOr close the wall up with our English",
    "Now is the winter of our discontent\nMade glorious summer by this sun of",
    "Enter HAMLET.",
]


def byte_offsets(text: str, offsets) -> list[list[int]]:
    def b(i: int) -> int:
        return len(text[:i].encode("utf-8"))
    return [[b(s), b(e)] for s, e in offsets]


def language_model() -> dict:
    folder = MODELS / "shakespeare-gpt2"
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    model = transformers.GPT2LMHeadModel.from_pretrained(folder, torch_dtype=torch.float32, attn_implementation="eager").eval()
    cases = []
    for text in PROMPTS:
        enc = tok.encode(text)
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([enc.ids])).logits[0, -1]
        cases.append({"text": text, "ids": enc.ids, "offsets": byte_offsets(text, enc.offsets),
                      "top5": torch.topk(logits, 5).indices.tolist(),
                      "top5_text": [tok.decode([i]) for i in torch.topk(logits, 5).indices.tolist()],
                      "logits": [round(float(v), 6) for v in logits]})
    return {"model": "shakespeare-gpt2", "transformers": transformers.__version__, "cases": cases}


def vision_model() -> dict:
    folder = MODELS / "digits-vit"
    processor = transformers.ViTImageProcessor.from_pretrained(folder)
    model = transformers.ViTForImageClassification.from_pretrained(folder, torch_dtype=torch.float32, attn_implementation="eager").eval()
    cases = []
    for png in sorted((ROOT / "samples" / "digits").glob("digit-*.png")):
        label = int(png.stem.split("-")[1])
        pixels = processor(Image.open(png).convert("RGB"), return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            logits = model(pixel_values=pixels).logits[0]
        cases.append({"file": f"samples/digits/{png.name}", "label": label, "pixel_sum": round(float(pixels.sum()), 4),
                      "predicted": int(logits.argmax()), "logits": [round(float(v), 6) for v in logits]})
    return {"model": "digits-vit", "transformers": transformers.__version__, "cases": cases}


def main() -> None:
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in (("shakespeare-gpt2", language_model), ("digits-vit", vision_model)):
        if (MODELS / name / "model.safetensors").exists():
            (OUT / f"{name}.json").write_text(json.dumps(make(), ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"bundled_goldens: wrote {OUT / (name + '.json')}")
        else:
            print(f"bundled_goldens: {name} not found in {MODELS}; skipped")


if __name__ == "__main__":
    main()
