#!/usr/bin/env bash
# Builds the TransformerLens environment that writes the TransformerLens goldens
# (scripts/fixtures/generate_transformerlens.py). It is separate from .venv-ref because
# TransformerLens 2.18 needs transformers >= 4.57 and numpy < 2, while LXT 2.1 in .venv-ref needs
# transformers 4.53. Every version is pinned so that regenerated goldens are comparable with the
# committed ones. It is never needed to build, run or test Glassbox: the goldens are committed.
#
#   usage: scripts/make-tl-venv.sh [VENV_DIR]     (default: .venv-tl, git-ignored)
#
# Everything comes from PyPI (torch 2.13.0: the CPU build when a local wheel is on pip's
# find-links, otherwise PyPI's default build; the goldens are computed on the CPU either way).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.venv-tl}
python3 -m venv "$dir"
"$dir/bin/pip" install -q --upgrade pip
"$dir/bin/pip" install -q "torch==2.13.0" "transformer-lens==2.18.0" "transformers==4.57.6" \
    "tokenizers==0.22.1" "safetensors==0.8.0" "numpy==1.26.4" \
    "pyarrow==21.0.0"   # (via datasets) later pyarrow releases need numpy 2, which TransformerLens 2.18 excludes
"$dir/bin/python" - <<'PY'
import torch, transformers, transformer_lens, numpy
from importlib.metadata import version
print("TransformerLens env ready: transformer-lens", version("transformer-lens"), "| torch", torch.__version__,
      "| transformers", transformers.__version__, "| numpy", numpy.__version__)
PY
