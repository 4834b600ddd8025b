#!/usr/bin/env bash
# Builds the Python reference environment that generates the golden fixtures, trains the bundled
# models and runs the reference side of the benchmarks: torch, Hugging Face transformers 4.53 (the
# last line LXT 2.1 runs with), LXT 2.1 (AttnLRP), tokenizers, sentencepiece (trains the Unigram
# tokenizer fixtures; a prebuilt wheel), protobuf (transformers' slow→fast converters of a
# tokenizer.model need it), safetensors, zennit, networkx, scikit-learn. Every version is pinned so that a regenerated fixture is comparable with the
# committed one. It is never needed to build, run or test Glassbox: fixtures are committed.
#
#   usage: scripts/make-ref-venv.sh [VENV_DIR]     (default: .venv-ref, git-ignored)
#
# Everything comes from PyPI. torch's wheel pulls several GB; the install takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.venv-ref}
python3 -m venv "$dir"
"$dir/bin/pip" install -q --upgrade pip
"$dir/bin/pip" install -q "torch==2.15.0" "transformers==4.53.3" "tokenizers==0.21.4" \
    "safetensors==0.8.0" "numpy==2.4.6" "scikit-learn==1.9.1" "networkx==3.6.1" \
    "accelerate==1.15.0" "zennit==0.5.1" "matplotlib==3.11.2" "tabulate==0.10.0" \
    "pillow==13.0.0" "torchvision==0.29.2" "sentencepiece==0.2.1" "protobuf==7.36.2"
# lxt 2.1 declares heavy optional extras (bitsandbytes, open_clip) that it does not need here.
"$dir/bin/pip" install -q --no-deps "lxt==2.1"
"$dir/bin/python" - <<'PY'
import torch, transformers, lxt, tokenizers, safetensors, zennit, sklearn, networkx, sentencepiece
from lxt.efficient import monkey_patch  # fails loudly if transformers is too new
print("reference env ready: torch", torch.__version__, "| transformers", transformers.__version__,
      "| lxt 2.1 | tokenizers", tokenizers.__version__)
PY
