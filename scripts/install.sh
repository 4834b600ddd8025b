#!/usr/bin/env bash
# Installs the glassbox command with its bundled models: builds it (release, the Swift runtime
# linked in statically so the binary needs only the Debian libraries, in .build-install/), copies
# the executable and its resource bundle to PREFIX/lib/glassbox/, links PREFIX/bin/glassbox to it, and
# writes shell completions for bash, zsh and fish under PREFIX/share/. Nothing outside PREFIX is
# touched; run it again to update, or `rm -r PREFIX/lib/glassbox PREFIX/bin/glassbox` to remove.
#
#   usage: scripts/install.sh [PREFIX]      (default: ~/.local; PREFIX/bin should be on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-$HOME/.local}
scripts/system-packages.sh
build=(swift build -c release --static-swift-stdlib --scratch-path .build-install)
"${build[@]}" --product glassbox >&2
bin=$("${build[@]}" --show-bin-path)
lib="$prefix/lib/glassbox"
mkdir -p "$lib.new" "$prefix/bin"
cp "$bin/glassbox" "$lib.new/glassbox"
cp -R "$bin/Glassbox_GlassboxDefaults.resources" "$lib.new/"
rm -rf "$lib" && mv "$lib.new" "$lib"
ln -sfn "$lib/glassbox" "$prefix/bin/glassbox"
# Completion scripts from the argument parser, where each shell looks for them.
mkdir -p "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
"$lib/glassbox" --generate-completion-script bash > "$prefix/share/bash-completion/completions/glassbox"
"$lib/glassbox" --generate-completion-script zsh > "$prefix/share/zsh/site-functions/_glassbox"
"$lib/glassbox" --generate-completion-script fish > "$prefix/share/fish/vendor_completions.d/glassbox.fish"
echo "installed: $prefix/bin/glassbox (bundled models in $lib/Glassbox_GlassboxDefaults.resources)"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "add $prefix/bin to PATH to run it as \`glassbox\`" ;; esac
