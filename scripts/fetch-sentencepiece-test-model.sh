#!/usr/bin/env bash
# Fetches a real SentencePiece model for the tokenizer.model goldens: test/test_model.model of the
# PyPI sdist sentencepiece 0.2.1 (a 1,000-piece Unigram model, nmt_nfkc normalization, trained
# by the sentencepiece authors on botchan.txt; Apache-2.0, like the whole sdist). It is
# committed as Tests/Fixtures/sentencepiece/test-model/tokenizer.model (253 KB) with the
# licence notice beside it; this script is how it got there and checks it has not changed.
#
#   usage: scripts/fetch-sentencepiece-test-model.sh     (from any directory; idempotent)
#
# Needs python3 with pip. The sdist (2.9 MB) is kept in .cache/pypi/.
set -euo pipefail

VERSION=0.2.1
SDIST=sentencepiece-${VERSION}.tar.gz
SDIST_SHA256=8138cec27c2f2282f4a34d9a016e3374cd40e5c6e9cb335063db66a0a3b71fad
MODEL_SHA256=4884d27bf50494e080aa99dbb868f27b68b6a3b6bd128da37ad6057c5e3cf5a2

die() { echo "fetch-sentencepiece-test-model: error: $*" >&2; exit 1; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dest=Tests/Fixtures/sentencepiece/test-model
pypi=.cache/pypi
sha256() { python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }

if [[ -f $dest/tokenizer.model && $(sha256 "$dest/tokenizer.model") == "$MODEL_SHA256" ]]; then
    echo "fetch-sentencepiece-test-model: already present at $dest (nothing to do)"
    exit 0
fi
mkdir -p "$pypi" "$dest"
if [[ ! -f $pypi/$SDIST ]]; then
    python3 -m pip download --quiet --no-deps --no-binary=:all: --dest "$pypi" \
        "sentencepiece==$VERSION" >&2 || true
fi
[[ -f $pypi/$SDIST ]] || die "pip download of sentencepiece==$VERSION did not leave $pypi/$SDIST (is PyPI reachable?)"
got=$(sha256 "$pypi/$SDIST")
[[ $got == "$SDIST_SHA256" ]] || die "$pypi/$SDIST has sha256 $got, expected $SDIST_SHA256 (delete it and retry)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$pypi/$SDIST" -C "$tmp" "sentencepiece-$VERSION/test/test_model.model" "sentencepiece-$VERSION/sentencepiece/LICENSE" \
    || die "could not extract test/test_model.model from $SDIST (package layout changed?)"
got=$(sha256 "$tmp/sentencepiece-$VERSION/test/test_model.model")
[[ $got == "$MODEL_SHA256" ]] || die "test_model.model has sha256 $got, expected $MODEL_SHA256"
cp "$tmp/sentencepiece-$VERSION/test/test_model.model" "$dest/tokenizer.model"
cp "$tmp/sentencepiece-$VERSION/sentencepiece/LICENSE" "$dest/LICENSE"
echo "fetch-sentencepiece-test-model: wrote $dest/tokenizer.model (sentencepiece $VERSION test/test_model.model, Apache-2.0)"
