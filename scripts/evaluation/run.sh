#!/usr/bin/env bash
# Reproduces docs/evaluation/: glassbox evaluate on the bundled language model (200 held-out
# Shakespeare lines: the model's own next token with two baselines and with the explained position
# removable, and the true next word), the bundled digits ViT (its 360 test digits) and MiniLM
# (40 similarity pairs). See docs/evaluation.md. About 14 minutes on 2 cores (release build).
#
#   scripts/fetch-shakespeare.sh && .venv-ref/bin/python scripts/evaluation/shakespeare_lines.py   # the lines (committed)
#   .venv-ref/bin/python scripts/evaluation/export_test_digits.py                                # → .cache/digits-test
#   scripts/fetch-minilm.sh                                                                      # → .cache/models/all-MiniLM-L6-v2
#   swift build -c release --product glassbox
#   scripts/evaluation/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
glassbox=${GLASSBOX:-.build/release/glassbox}
out=docs/evaluation
minilm=${MINILM:-.cache/models/all-MiniLM-L6-v2}

run() {      # run NAME ARGS…: JSON to $out/NAME.json, picture to $out/NAME.png, table to $out/NAME.txt (one run)
    local name=$1; shift
    "$glassbox" evaluate "$@" --out "$out/$name.png" --save-json "$out/$name.json" | sed "s|$PWD/||" > "$out/$name.txt"
}

run shakespeare-zero --prompts "$out/shakespeare-lines.txt" --randomization 50
run shakespeare-mean --prompts "$out/shakespeare-lines.txt" --baseline mean
run shakespeare-zero-with-target --prompts "$out/shakespeare-lines.txt" --include-target-position
run shakespeare-next-word --prompts "$out/shakespeare-next-word.jsonl"
run digits --images .cache/digits-test --randomization 50
run minilm-pairs --model "$minilm" --prompts "$out/minilm-pairs.jsonl" --randomization 20
