#!/usr/bin/env bash
# The main job: builds the glassbox command (release) and explains one prediction of the bundled
# Shakespeare GPT-2 with the default method (AttnLRP): prints the token table and writes the
# picture to output/. Extra arguments go to `glassbox explain` (e.g. a prompt of your own, or
# --method atman); with arguments, they replace the default prompt only if one is among them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-packages.sh
swift build -c release --product glassbox >&2
prompt="I pray you, sir, I pray"
if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then prompt=$1; shift; fi
exec .build/release/glassbox explain "$prompt" "$@"
