#!/usr/bin/env bash
# Makes sure the Debian packages Glassbox builds against are installed: OpenBLAS, Cairo, libpng,
# a font, pkg-config (SwiftPM finds the C libraries through it), and Chromium (the HTML page tests
# open each page kind in headless chromium). As root, missing packages are
# installed with apt-get; otherwise the exact command is printed and the script stops.
set -euo pipefail
packages=(pkg-config libopenblas-dev libcairo2-dev libpango1.0-dev libpng-dev fonts-dejavu-core fonts-wqy-microhei fonts-noto-color-emoji chromium)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "Glassbox needs these Debian packages: ${missing[*]}" >&2
    echo "install them with:  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
