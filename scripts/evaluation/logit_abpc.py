#!/usr/bin/env python3
"""ABPC on the target's logit instead of its probability, from saved `glassbox evaluate --json`
results (their per-input "morfLogit" / "lerfLogit" curves): a supplement for docs/evaluation.md,
where the targets' probabilities are so small that probability curves barely move.

    python3 scripts/evaluation/logit_abpc.py docs/evaluation/shakespeare-next-word.json [...]

Per input: trapezoid area of the LeRF logit curve minus that of the MoRF curve over the fractions
in "steps" (logit units); then the mean over inputs and a 95% percentile bootstrap interval
(1,000 resamples, Python's random.Random(0)). Plain Python, no dependencies.
"""
from __future__ import annotations

import json
import random
import sys


def area(y: list[float], x: list[float]) -> float:
    return sum((y[i] + y[i + 1]) / 2 * (x[i + 1] - x[i]) for i in range(len(y) - 1))


def interval(values: list[float]) -> tuple[float, float, float]:
    rng = random.Random(0)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(1000))
    return sum(values) / n, means[25], means[974]


def main() -> None:
    for path in sys.argv[1:]:
        result = json.load(open(path))
        x = result["steps"]
        print(f"{path}: {len(result['inputs'])} inputs, ABPC of the target's logit (mean [95% CI])")
        rows = []
        for method in result["methods"]:
            values = [area(i["lerfLogit"], x) - area(i["morfLogit"], x) for i in method["inputs"]]
            rows.append((method["method"], *interval(values)))
        for name, mean, lo, hi in sorted(rows, key=lambda r: -r[1]):
            print(f"  {name:12s} {mean:+.3f} [{lo:+.3f}, {hi:+.3f}]")


if __name__ == "__main__":
    main()
