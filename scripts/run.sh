#!/usr/bin/env bash
# The main job: builds the glassbox command (release) and runs a prediction on a committed fixture
# model. Extra arguments are passed to `glassbox predict`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-packages.sh
swift build -c release --product glassbox >&2
exec .build/release/glassbox predict --model Tests/Fixtures/models/gpt2-tiny --ids 7,21,3,54,12 --top-k 5 "$@"
