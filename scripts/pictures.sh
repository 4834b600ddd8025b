#!/usr/bin/env bash
# Draws the README's pictures of real explanations with the bundled default models, each with the
# command shown beside it in the README, into docs/pictures/ (committed).
#
#   usage: scripts/pictures.sh          (builds glassbox in release first)
#
# Every command here is one a user can type; GLASSBOX below is just the built executable.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product glassbox >&2
GLASSBOX=.build/release/glassbox
out=docs/pictures
mkdir -p "$out"
run() { echo "+ glassbox ${*}" >&2; "$GLASSBOX" "$@" >/dev/null; }

PROMPT="I pray you, sir, I pray"

run explain "$PROMPT" --heads --neurons --out "$out/attnlrp.png"
run explain "$PROMPT" --method atman --out "$out/atman.png"
run explain "$PROMPT" --method rollout --out "$out/rollout.png"
run lens "$PROMPT" --out "$out/lens.png"
run neurons --layer 3 "$PROMPT" --out "$out/neurons.png"
# Induction heads: 30 random token ids (seeded), repeated once; the grid shows each head's pattern.
IDS=$(python3 -c 'import random; r=random.Random(0); s=[r.randrange(100, 2000) for _ in range(30)]; print(",".join(map(str, s + s)))')
run attention --ids "$IDS" --view grid --out "$out/induction-grid.png"
run explain --image samples/digits/digit-3.png --heads --out "$out/digit-attnlrp.png"
run explain --image samples/digits/digit-3.png --method rollout --out "$out/digit-rollout.png"
echo "pictures written to $out/" >&2
