#!/usr/bin/env python3
"""How far `--precision bf16` moves results from the exact mode (docs/methods.md §0.7).

For each causal-LM model folder given (default: the causal fixture families in Tests/Fixtures/models
and the bundled model), runs the glassbox binary on the same token ids with `--precision exact` and
`--precision bf16`, and prints per model:
  - the logits of the last position (`predict --logits --json`): max and mean of
    |l_bf16 − l_exact| / max_j |l_exact_j| (the error relative to the logit scale);
  - AttnLRP token scores (`explain --method attnlrp --json`, same target token both ways): the
    Spearman rank correlation between the two modes.

    python3 scripts/bench/compare_precision.py [--glassbox .build/release/glassbox] [--tokens 12] [MODEL_DIR ...]

Standard library only; benchmarks and measurements, never part of `swift test`.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAUSAL = ["gpt2-tiny", "gpt2-odd", "gpt2-long", "gpt2-copy", "gpt2-sharded", "llama-gqa", "llama-rope-dynamic",
          "llama-rope-linear", "llama3-rope", "mistral-swa", "mixtral-moe", "qwen2-swa", "qwen3-qknorm", "gemma-tiny",
          "gemma2-softcap", "gemma3-text", "neox-parallel", "neox-sequential", "olmo2-postnorm", "phi3-longrope"]


def run(glassbox, args):
    out = subprocess.run([glassbox] + args, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout)


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for t in range(i, j + 1):
            r[order[t]] = (i + j) / 2
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va > 0 and vb > 0 else float("nan")


def main():
    args = sys.argv[1:]
    glassbox, tokens = str(ROOT / ".build/release/glassbox"), 12
    if "--glassbox" in args:
        i = args.index("--glassbox"); glassbox = args[i + 1]; del args[i:i + 2]
    if "--tokens" in args:
        i = args.index("--tokens"); tokens = int(args[i + 1]); del args[i:i + 2]
    models = args or [str(ROOT / "Tests/Fixtures/models" / m) for m in CAUSAL] + ["(bundled)"]
    print(f"{'model':24} {'max rel logit err':>18} {'mean rel logit err':>19} {'AttnLRP Spearman':>17}")
    worst, all_rho = 0.0, []
    with tempfile.TemporaryDirectory() as tmp:
        picture = str(Path(tmp) / "x.png")
        for model in models:
            spec = [] if model == "(bundled)" else ["--model", model]
            probe = run(glassbox, ["predict"] + spec + ["--ids", "1", "--json"])
            vocab = probe["model"]["vocabSize"]
            ids = ",".join(str((37 * i + 11) % vocab) for i in range(tokens))
            logits = {}
            scores = {}
            for p in ("exact", "bf16"):
                logits[p] = run(glassbox, ["predict"] + spec + ["--ids", ids, "--logits", "--json", "--precision", p])["logits"]
            target = str(run(glassbox, ["predict"] + spec + ["--ids", ids, "--json"])["top"][0]["id"])
            for p in ("exact", "bf16"):
                e = run(glassbox, ["explain"] + spec + ["--ids", ids, "--method", "attnlrp", "--target-id", target, "--json",
                                                         "--out", picture, "--precision", p])
                scores[p] = [t["score"] for t in e["tokens"]]
            scale = max(abs(x) for x in logits["exact"])
            errs = [abs(a - b) / scale for a, b in zip(logits["bf16"], logits["exact"])]
            rho = spearman(scores["exact"], scores["bf16"])
            worst = max(worst, max(errs)); all_rho.append(rho)
            print(f"{Path(model).name:24} {max(errs):18.2e} {sum(errs) / len(errs):19.2e} {rho:17.4f}")
    print(f"worst max relative logit error {worst:.2e}; Spearman min {min(all_rho):.4f}, "
          f"mean {sum(all_rho) / len(all_rho):.4f} over {len(all_rho)} models")


if __name__ == "__main__":
    main()
