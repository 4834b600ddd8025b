#!/usr/bin/env bash
# Fuzzes Glassbox's parsers with libFuzzer and AddressSanitizer.
#
#   usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags…]
#          scripts/fuzz.sh all SECONDS [libFuzzer flags…]     (every target in turn)
#
# TARGET is one of: safetensors (header and tensors of a .safetensors file), config (config.json
# of every architecture), tokenizer (tokenizer.json, then encoding and decoding a text),
# sentencepiece (a tokenizer.model, then encoding and decoding a few texts), png (the
# libpng decoder and the ViT preparation), preprocessor (preprocessor_config.json), record (the
# result JSON `glassbox render` reads). Each harness is Tests/Fuzz/TARGET/; an input that makes
# the code throw is fine, only a crash, a sanitizer report or a hang (-timeout, 10 s) is a bug.
#
# The harness is built by SwiftPM in its own scratch folder (.build/fuzz, so that the normal build
# is left alone) with `-sanitize=fuzzer,address`; the runtime libraries come with the Swift
# toolchain (lib/clang/*/lib/linux/libclang_rt.fuzzer*). It runs for SECONDS seconds on the
# committed seeds (Tests/Fuzz/corpus/TARGET) and the inputs earlier runs found
# (.cache/fuzz/TARGET, git-ignored). A crash stops the run, leaves the input in
# .cache/fuzz/crashes/TARGET/ and fails the script. Leak detection is off: the Swift runtime's
# caches look like leaks to it.
#
# FUZZ_OPTIMIZE=1 builds the harnesses optimised (`-c release`, scratch folder .build/fuzz-release):
# several times more executions per second, for the long runs; the short CI runs stay unoptimised
# (faster to build, exact line numbers in reports).
#
# Reproduce a crash with the harness itself, or without libFuzzer: a plain `swift build` makes each
# harness a replayer, `.build/debug/fuzz-TARGET FILE…`.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(safetensors config tokenizer sentencepiece png preprocessor record)
usage() { echo "usage: scripts/fuzz.sh TARGET|all SECONDS [libFuzzer flags…]; targets: ${targets[*]}" >&2; exit 2; }
[ $# -ge 2 ] || usage
target=$1 seconds=$2
shift 2
[[ $seconds =~ ^[0-9]+$ ]] || usage
if [ "$target" = all ]; then
    selected=("${targets[@]}")
else
    [[ " ${targets[*]} " == *" $target "* ]] || usage
    selected=("$target")
fi

config=debug scratch=.build/fuzz
if [ "${FUZZ_OPTIMIZE:-0}" = 1 ]; then config=release scratch=.build/fuzz-release; fi
for t in "${selected[@]}"; do
    swift build -c "$config" --scratch-path "$scratch" -j 2 -Xswiftc -sanitize=fuzzer,address -Xswiftc -DGLASSBOX_FUZZ \
        --product "fuzz-$t" 2>&1 | grep -E "error|warning: .*fuzz|Compiling|Build complete" | grep -v "^\[" || true
    [ -x "$scratch/$config/fuzz-$t" ] || { echo "fuzz: the harness fuzz-$t did not build" >&2; exit 1; }
done

status=0
for t in "${selected[@]}"; do
    mkdir -p ".cache/fuzz/$t" ".cache/fuzz/crashes/$t"
    case $t in
        tokenizer | sentencepiece) max_len=32768 ;;
        record) max_len=16384 ;;
        *) max_len=4096 ;;
    esac
    log=".cache/fuzz/$t.log"
    echo "fuzz-$t: ${seconds} s"
    set +e
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$scratch/$config/fuzz-$t" ".cache/fuzz/$t" "Tests/Fuzz/corpus/$t" -max_total_time="$seconds" -timeout=10 \
        -max_len="$max_len" -detect_leaks=0 -print_final_stats=1 -artifact_prefix=".cache/fuzz/crashes/$t/" "$@" >"$log" 2>&1
    code=$?
    set -e
    runs=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{print $2}' | tail -n 1)
    cov=$(grep -oE "cov: [0-9]+" "$log" | tail -n 1)
    if [ "$code" -ne 0 ]; then
        echo "fuzz-$t: FAILED (exit $code) after ${runs:-?} executions; see $log and .cache/fuzz/crashes/$t/" >&2
        grep -E "ERROR|SUMMARY|Test unit written|==[0-9]+==" "$log" | head -n 8 >&2
        status=1
    else
        echo "fuzz-$t: ${runs:-?} executions, ${cov:-cov: ?}, no crash"
    fi
done
exit "$status"
