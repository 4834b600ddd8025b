#!/usr/bin/env bash
# Builds a small package that depends on Glassbox by version, as a user's package does
# (`.package(url: …, from: "0.1.0")`), and runs a forward pass through the library with it.
# The dependency is a clone of this repository's HEAD, tagged 0.1.0 in the clone only, so the
# check covers what SwiftPM enforces for versioned dependencies (no unsafe build flags) and that
# the bundled models travel as package resources. Prints "consumer package: ok" or fails.
#
#   usage: scripts/consumer.sh [WORK_DIR]     (default: a temporary folder, removed afterwards)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
[ $# -gt 0 ] || trap 'rm -rf "$work"' EXIT
rm -rf "$work/glassbox" "$work/consumer"
git clone --quiet "$repo" "$work/glassbox"
git -C "$work/glassbox" tag -f 0.1.0 >/dev/null
cp -R "$repo/scripts/consumer" "$work/consumer"
sed "s|@GLASSBOX_URL@|file://$work/glassbox|" "$work/consumer/Package.swift.in" > "$work/consumer/Package.swift"
rm "$work/consumer/Package.swift.in"
cd "$work/consumer"
echo "consumer package: building against Glassbox 0.1.0 (a clone of $(git -C "$repo" rev-parse --short HEAD))" >&2
if ! swift build --product consumer > build.log 2>&1; then
    tail -n 20 build.log >&2
    echo "consumer package: the build failed" >&2
    exit 1
fi
output=$(.build/debug/consumer)
echo "$output"
expected=$'pattern [4, 8, 8]\ntop " you" 0.737'
if [ "$output" != "$expected" ]; then
    echo "consumer package: expected" >&2; echo "$expected" >&2
    exit 1
fi
echo "consumer package: ok"
