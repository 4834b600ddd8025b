#!/usr/bin/env python3
"""Writes a synthetic sequence explanation (the record `glassbox explain --generate N --json`
writes) of ROWS generated tokens after a PROMPT-token prompt, for timing `glassbox render` on a
large `[ROWS, PROMPT + ROWS]` matrix. Benchmarks only; the scores are seeded noise with one hot
cell per row (the previous token) and a hot first column, as relevance often looks.

    python3 scripts/bench/make_sequence_record.py OUT.json [--rows 5000] [--prompt 100]

Plain Python (no packages); cells are written with 7 significant digits, null for a source at or
after its target, so the 5,000-row record is 221 MB (render reads at most 256 MiB).
"""
import argparse
import json
import random


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=5000, help="generated tokens (matrix rows)")
    parser.add_argument("--prompt", type=int, default=100, help="prompt tokens before them")
    args = parser.parse_args()
    rows, prompt = args.rows, args.prompt
    columns = prompt + rows
    rng = random.Random(1234)
    tokens = [{"id": j % 50257, "text": f" t{j}", "start": None, "end": None, "generated": j >= prompt}
              for j in range(columns)]
    generated = [{"id": (prompt + i) % 50257, "text": f" t{prompt + i}", "position": prompt + i,
                  "prob": 0.5, "entropy": 1.0} for i in range(rows)]
    head = {"glassbox": "synthetic", "command": "explain",
            "model": {"name": "synthetic", "path": "/synthetic", "architecture": "gpt2", "layers": 12, "heads": 12},
            "method": "attnlrp", "parameters": {}, "unit": "token", "generated": generated, "tokens": tokens,
            "strips": []}
    text = json.dumps(head)
    with open(args.out, "w") as f:
        f.write(text[:-1] + ', "matrix": [')
        for i in range(rows):
            defined = prompt + i
            cells = [f"{rng.gauss(0, 0.01):.7g}" for _ in range(defined)]
            cells[defined - 1] = "0.5"
            cells[0] = "0.2"
            cells += ["null"] * (columns - defined)
            f.write(("," if i else "") + "[" + ",".join(cells) + "]")
        f.write("]}\n")
    print(f"make_sequence_record: {args.out}: {rows} x {columns} matrix")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
