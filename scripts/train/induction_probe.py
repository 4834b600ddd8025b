#!/usr/bin/env python3
"""How fast does an induction head form? Trains a fresh small GPT-2 on repeated random ids alone.

    .venv-ref/bin/python scripts/train/induction_probe.py --steps 1500 --layers 2

Text alone does not grow an induction head in the bundled model's budget
(docs/bundled-models.md); this probe found the copy-task recipe that train_lm.py's first stage now uses. It
isolates the question from the text: every training window is a random-id segment (length uniform
in [--min-len, --max-len], a new length per window) repeated to the end of the window after a
random-id prefix, so only an induction head — "attend to the token after the current id's earlier
occurrence, copy it" — predicts anything. Every 50 steps it prints the training loss, the loss on
the second copy of the test sequences (32 × 40 random ids repeated once, the same test as
train_lm.py's, scripts/train/induction.py; uniform guessing is ln 1948 ≈ 7.57), the best induction score
and the best previous-token score over all heads.

Measured on this project's machine kind (one thread, seeds fixed; best induction score on the
40-id test; an induction head scores well above 0.3):

    setting (defaults: 4 layers × 4 heads, d 128, init 0.02, lr 3e-3,   steps   score  2nd-copy loss
    batch 16 × 128, lengths 8–64)
    defaults                                                             600     0.036  7.54
    --init 0.08 --min-len 2                                              800     0.057  6.93
    --min-len 2 --max-len 16                                             600     0.124  7.78
    --layers 2                                                          1350     0.087  7.45
    --init 0.08 --mask-unpredictable                                     550     0.040  7.12
    --heads 2 --mask-unpredictable                                       400     0.045  7.52
    --ctx 48 --batch 32 --min-len 4 --max-len 20 --mask-unpredictable    650     0.029  8.45
    ... the same with --lr 1e-2                                          650     0.043  7.85
    --min-len 8 --max-len 32 --alphabet 64                               550     0.027  7.86
    --pos-init sin --pos-scale 3                                         600     0.026  7.59
    --skip-fraction 0.5 --mask-unpredictable                            1500     0.027  8.23
    --skip-fraction 0.5 --skip-steps 400 --mask-unpredictable           1500     0.070  7.46
    ... the same with --min-len 2                                       1500     0.105  7.25
    --ctx 48 --batch 32 --min-len 4 --max-len 20 --mask-unpredictable
      --random-offset                                                    600     0.029  7.84
    --ctx 32 --batch 32 --min-len 4 --max-len 14 --mask-unpredictable
      --random-offset                                                    950     0.024  8.20
    --untie --init 0.05                                                  550     0.017  7.58
    --untie --init 0.088                                                 550     0.021  7.59

No reading of any of these passed 0.13. Short segments and small contexts teach copying within
the training windows (the training loss falls) without a head that generalises to the 40-id test;
everything else creeps. Triplets `u v u` (--skip-fraction) grow a previous-token head fast
(previous-token score 0.88 at step 300, 0.99 at step 700) yet no induction head follows, and with
--skip-steps the previous-token head dissolves once the triplets stop.

A small vocabulary does not help by itself: with 64 ids (--vocab 164 --ctx 32 --min-len 4
--max-len 14 --lr 1e-2 --mask-unpredictable) the training loss is still 4.15 after 1,500 steps
(uniform guessing: ln 64 = 4.16); a 2-layer, 32-wide model on 28 ids (--vocab 128 --d-model 32
--heads 2 --layers 2 --ctx 32 --min-len 4 --max-len 14 --lr 1e-2) gets from 3.33 to 2.78 in 2,000
steps and creeps to 2.1–2.5 by 10,000 (copying would reach about 1.4: the prefix and first copy
are 42 % of a window); --init 0.1 or 0.3 changes little. Nor does a curriculum from 28 ids to all
at learning rate 3e-3 (--init 0.05 --wd 0 --emb-std 1 --alphabet 28 --alphabet-steps 1600 --ctx 32
--min-len 4 --max-len 14, with 2 or 4 layers): the training loss stays at 3.4–3.9 from step 600 to
the end of the 28-id phase, so nothing is copied yet when the full vocabulary arrives.

What works: a lower learning rate and a longer first phase. `--lr 1e-3 --init 0.05 --wd 0
--emb-std 1 --alphabet 28 --alphabet-steps 3500 --steps 5500 --ctx 32 --min-len 4 --max-len 14`
(4 layers; 7 minutes) learns to copy the 28 ids (training loss 2.09 at step 3000), and after the
switch to all ids the best induction score on the 40-id test climbs to 0.22 at step 4250 and 0.35
at step 5500, still rising — although the test reaches positions 32–79, which these 32-token
windows never train. With --layers 2 the same run stays at 0.025. With --seed 1 it reaches 0.19
at step 4200 and 0.33 at 5500, so it is not one seed's luck; train_lm.py's copy stage (seed 1234)
reaches 0.27 at 5500. Two things that look helpful are not: --random-offset (windows at random
positions, to train every position embedding) slows it down (0.036 at step 4200 against 0.19),
and starting from a text-only model (--start a folder written by train_lm.py --copy-steps 0)
never copies the 28 ids (training loss 3.8–4.0 through step 3450), like GPT-2's 0.02 initialisation.
Both halves of the initialisation are needed: with the embeddings left at N(0, 0.05²) (no
--emb-std) the 28 ids are copied even better (training loss 1.87 at step 2950) and the second-copy
loss falls to 6.04 by step 5500, yet no head attends along the induction stripe (best score
0.019); with --init 0.02 --emb-std 1 the 28 ids are barely copied (2.97–3.37) and the score stays
at 0.023. The price is paid on text: train_lm.py's text stage learns far more slowly after the copy stage
(validation loss 5.275 after 250 steps with no copy windows beside the text, against 4.647 from
GPT-2's usual initialisation), and so it does from this initialisation alone (--copy-steps 1
--text-copy-weight 0: training loss 25.8 at step 26, 6.25 at step 176).
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
import transformers

from induction import FIRST_ID, induction_test
from optim import adamw

TEST_SEED = 1235    # train_lm.py's induction test: its seed + 1


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", help="start from this checkpoint folder (e.g. the bundled model) instead of a fresh model")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--ctx", type=int, default=128, help="training window length")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--wd", type=float, default=0.1, help="AdamW weight decay of the matrices")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--init", type=float, default=0.02, help="GPT-2 initializer_range")
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--emb-std", type=float, default=0.0, help="re-initialise the token embeddings as N(0, this²) (0: keep)")
    ap.add_argument("--untie", action="store_true", help="a separate unembedding (lm_head) instead of the tied table")
    ap.add_argument("--pos-init", choices=["learned", "sin"], default="learned",
                    help="sin: start the position embeddings as sinusoids")
    ap.add_argument("--pos-scale", type=float, default=1.0, help="scale of the initial position embeddings")
    ap.add_argument("--min-len", type=int, default=8)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--alphabet", type=int, default=0, help="draw segments from this many ids only (0: all)")
    ap.add_argument("--alphabet-steps", type=int, default=0,
                    help="use --alphabet for the first N steps only, then all ids (0: always)")
    ap.add_argument("--skip-fraction", type=float, default=0.0,
                    help="share of windows made of triplets u v u (random u, v), which a previous-token head predicts")
    ap.add_argument("--skip-steps", type=int, default=0, help="use the triplets for the first N steps only (0: always)")
    ap.add_argument("--random-offset", action="store_true",
                    help="start each window at a random position, so short windows train every position embedding")
    ap.add_argument("--mask-unpredictable", action="store_true",
                    help="no loss on the prefix and the first copy, which cannot be predicted")
    return ap.parse_args()


def make_model(a: argparse.Namespace) -> transformers.GPT2LMHeadModel:
    cfg = transformers.GPT2Config(
        vocab_size=a.vocab, n_positions=256, n_embd=a.d_model, n_layer=a.layers, n_head=a.heads,
        n_inner=4 * a.d_model, resid_pdrop=a.dropout, embd_pdrop=a.dropout, attn_pdrop=a.dropout,
        tie_word_embeddings=not a.untie, initializer_range=a.init)
    model = transformers.GPT2LMHeadModel(cfg)
    model.config._attn_implementation = "eager"
    wpe = model.transformer.wpe.weight
    with torch.no_grad():
        if a.emb_std:
            model.transformer.wte.weight.normal_(0, a.emb_std)
        if a.pos_init == "sin":
            n, d = wpe.shape
            angle = torch.arange(n)[:, None].float() / 10000 ** (torch.arange(0, d, 2).float() / d)
            sin = torch.zeros(n, d)
            sin[:, 0::2], sin[:, 1::2] = torch.sin(angle), torch.cos(angle)
            wpe.copy_(sin * a.pos_scale * 0.02 * math.sqrt(2))       # same rms as N(0, 0.02²) at scale 1
        elif a.pos_scale != 1.0:
            wpe.mul_(a.pos_scale)
    return model


def windows(a: argparse.Namespace, gen: np.random.Generator, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """[batch, ctx+1] repeated segments and [batch, ctx] labels (-100 where nothing is predictable)."""
    x = np.empty((a.batch, a.ctx + 1), dtype=np.int64)
    first = []
    small = a.alphabet and (a.alphabet_steps == 0 or step < a.alphabet_steps)
    top = FIRST_ID + a.alphabet if small else a.vocab
    n_skip = int(round(a.batch * a.skip_fraction)) if a.skip_steps == 0 or step < a.skip_steps else 0
    skip_masks = []
    for row in x[:n_skip]:
        pairs = gen.integers(FIRST_ID, a.vocab, size=((a.ctx + 1) // 3 + 2, 2))
        triplets = np.stack([pairs[:, 0], pairs[:, 1], pairs[:, 0]], axis=1).reshape(-1)
        shift = int(gen.integers(0, 3))
        row[:] = triplets[shift:shift + a.ctx + 1]
        skip_masks.append((np.arange(a.ctx + 1) + shift) % 3 != 2)    # True where nothing is predictable
    for row in x[n_skip:]:
        length = gen.integers(a.min_len, a.max_len + 1)
        segment = gen.integers(FIRST_ID, top, size=length)
        prefix = gen.integers(FIRST_ID, a.vocab, size=gen.integers(0, length))
        row[:] = np.concatenate([prefix] + [segment] * ((a.ctx + 1) // length + 2))[:a.ctx + 1]
        first.append(len(prefix) + length)              # first token that an earlier copy predicts
    x = torch.from_numpy(x)
    labels = x[:, :-1].clone()                          # GPT2LMHeadModel shifts labels itself
    if a.mask_unpredictable:
        for k, m in enumerate(skip_masks):
            labels[k, torch.from_numpy(m[:-1])] = -100
        for k, f in enumerate(first):
            labels[n_skip + k, :f] = -100
    return x, labels


def main() -> None:
    a = parse()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    if a.start:
        model = transformers.GPT2LMHeadModel.from_pretrained(a.start, torch_dtype=torch.float32)
        model.config._attn_implementation = "eager"
        a.vocab = model.config.vocab_size
    else:
        model = make_model(a)
    gen = np.random.default_rng(a.seed)
    opt = adamw(model, a.lr, (0.9, 0.95), a.wd)
    t0 = time.time()
    model.train()
    for step in range(a.steps):
        for group in opt.param_groups:
            group["lr"] = a.lr * min(1, (step + 1) / a.warmup)
        x, labels = windows(a, gen, step)
        positions = None
        if a.random_offset:
            start = torch.from_numpy(gen.integers(0, 256 - a.ctx + 1, size=(a.batch, 1)))
            positions = start + torch.arange(a.ctx)
        loss = model(input_ids=x[:, :-1], labels=labels, position_ids=positions).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % 50 == 0:
            t = induction_test(model, a.vocab, TEST_SEED)
            print(f"step {step + 1} loss {loss.item():.3f} second-copy loss {t.copy_loss:.3f} "
                  f"induction {t.best:.3f} previous-token {t.previous_token:.3f} ({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
