#!/usr/bin/env bash
# Writes one interactive page of each kind with the bundled default models and screenshots each
# view in headless chromium into docs/gallery/html/ (the PNGs are committed; the pages are not).
# The screenshots use the pages' test hook (#glassbox-test=…) to hover, click and switch tabs.
#
#   usage: scripts/html-gallery.sh      (builds glassbox in release first; GLASSBOX=path skips that)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${GLASSBOX:-}" ]; then swift build -c release --product glassbox >&2; GLASSBOX=.build/release/glassbox; fi
out=docs/gallery/html
pages=$(mktemp -d)
trap 'rm -rf "$pages"' EXIT
mkdir -p "$out"
run() { echo "+ glassbox ${*}" >&2; "$GLASSBOX" "$@" >/dev/null; }
shot() {   # shot PAGE NAME STEPS [WIDTH,HEIGHT]
    echo "+ screenshot $2" >&2
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
        --host-resolver-rules="MAP * ~NOTFOUND" --window-size="${4:-1000,640}" \
        --screenshot="$out/$2.png" "file://$pages/$1.html#glassbox-test=$3" 2>/dev/null
}

PROMPT="I pray you, sir, I pray"
"$GLASSBOX" explain "$PROMPT" --json --out "$pages/attnlrp.png" > "$pages/attnlrp.json"
"$GLASSBOX" explain "$PROMPT" --method atman --json --out "$pages/atman.png" > "$pages/atman.json"
run render "$pages/attnlrp.json" --with "$pages/atman.json" --out "$pages/explain.html"
run attention "$PROMPT" --out "$pages/attention.html"
run lens "$PROMPT" --out "$pages/lens.html"
run patch --clean "I pray you, sir, I pray" --corrupted "I pray you, sir, I beg" --out "$pages/patch.html"
printf '%s\n' "I pray you, sir, I pray" "What light through yonder window breaks" "Now is the winter of our discontent" > "$pages/prompts.txt"
run evaluate --prompts "$pages/prompts.txt" --methods attnlrp,atman,rollout --out "$pages/evaluate.html"

shot explain explanation "hover:token:4" 1000,260
shot attention head-view "select:layer:2;select:head:-1;hover:token:6" 1000,340
shot attention model-view "tab:model;click:thumb:3:1;hover:cell:9:4" 1000,900
shot attention neuron-view "tab:neuron;select:neuron-head:1;click:nkey:4" 1000,560
shot lens lens "hover:cell:2:5" 1000,330
shot patch patching "hover:cell:0:3:6" 1000,560
shot evaluate evaluation "hover:curve:0:4" 1000,480
echo "screenshots written to $out/" >&2
