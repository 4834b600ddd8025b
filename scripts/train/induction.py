"""The induction test and the copy-task windows that the language-model scripts share.

Induction score (Olsson et al. 2022, "In-context learning and induction heads"; the TransformerLens
measure): on a random-id sequence of length T repeated once, the mean attention from each token i
of the second copy to token i − T + 1, the token after i's earlier occurrence. A uniform head scores
about 1/(position); an induction head scores near 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

FIRST_ID = 100      # ids below this are bytes and the special token: left out of random sequences


@dataclass
class InductionTest:
    scores: list[list[float]]   # [layer][head] induction score
    copy_loss: float            # next-token loss on the second copy (ln vocab: no copying at all)
    previous_token: float       # best head's mean attention to the token just before

    @property
    def best(self) -> float:
        return max(max(row) for row in self.scores)


@torch.no_grad()
def induction_test(model, vocab: int, seed: int, length: int = 40, batch: int = 32) -> InductionTest:
    """Runs `batch` random sequences of `length` ids (FIRST_ID..<vocab, seeded) repeated once."""
    was_training = model.training
    model.eval()
    g = torch.Generator().manual_seed(seed)
    half = torch.randint(FIRST_ID, vocab, (batch, length), generator=g)
    x = torch.cat([half, half], dim=1)                                  # [B, 2T]
    out = model(input_ids=x, output_attentions=True)
    logits = out.logits[:, length:-1]                                   # [B, T-1, V]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                             x[:, length + 1:].reshape(-1))
    rows, all_rows = torch.arange(length, 2 * length), torch.arange(1, 2 * length)
    scores, previous = [], 0.0
    for att in out.attentions:                                          # [B, H, 2T, 2T]
        s = att[:, :, rows, rows - length + 1].mean(dim=(0, 2))
        scores.append([round(float(v), 4) for v in s])
        previous = max(previous, att[:, :, all_rows, all_rows - 1].mean(dim=(0, 2)).max().item())
    model.train(was_training)
    return InductionTest(scores, loss.item(), previous)


def copy_windows(n: int, ctx: int, min_len: int, max_len: int, alphabet_top: int, vocab: int,
                 gen: np.random.Generator) -> np.ndarray:
    """[n, ctx+1]: a random-id prefix, then a random segment repeated to the end of the window.

    The segment (length uniform in min_len…max_len, ids FIRST_ID..<alphabet_top) differs per
    window, so no fixed offset predicts the repeats: only looking up what followed the current
    id's earlier occurrence does. The prefix (shorter than the segment) is drawn from all ids.
    """
    out = np.empty((n, ctx + 1), dtype=np.int64)
    for row in out:
        length = int(gen.integers(min_len, max_len + 1))
        segment = gen.integers(FIRST_ID, alphabet_top, size=length)
        prefix = gen.integers(FIRST_ID, vocab, size=int(gen.integers(0, length)))
        row[:] = np.concatenate([prefix] + [segment] * ((ctx + 1) // length + 2))[:ctx + 1]
    return out
