#!/usr/bin/env python3
"""Runs the literate Swift notebooks in notebooks-md/ and writes each code block's output back.

A notebook is a Markdown file whose ```swift blocks run in order as one Swift program (top-level
code: later blocks see earlier variables). A block fenced ```swift skip is shown but not run. The
output a block prints goes into the Markdown right after it, in a region this script owns:

    <!-- output:begin -->
    ```text
    ...
    ```
    <!-- output:end -->

(no region when the block prints nothing). Pictures are written by the notebook code itself, to
output/notebooks/<notebook>-<what>.png, and linked from the prose.

How: one SwiftPM package is generated at .build/notebooks/package/ that depends on this checkout
by path, with one executable per notebook whose main.swift is the notebook's blocks joined, a
marker line printed before each block (to split stdout per block) and #sourceLocation directives
so compile errors point at the Markdown line. It is built once (debug, scratch path
.build/notebooks/scratch) and each executable runs with the repository root as working
directory, two worker threads (Threading.setThreads(2)) and OpenBLAS's Haswell kernels
(OPENBLAS_CORETYPE), so sums reduce the same way on every machine; notebooks print numbers to
2–3 decimals.

Usage:
    python3 scripts/notebooks.py                  # run all notebooks, rewrite their outputs
    python3 scripts/notebooks.py notebooks-md/01-quick-tour.md
    python3 scripts/notebooks.py --check          # fail (exit 1, diff on stderr) if an output changed

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks-md"
WORK = ROOT / ".build" / "notebooks"
PACKAGE = WORK / "package"
SCRATCH = WORK / "scratch"
THREADS = 2
RUN_TIMEOUT = 900  # seconds per notebook

MARKER = "@@glassbox-notebook block {}@@"
MARKER_RE = re.compile(r"^@@glassbox-notebook block (\d+)@@$")
BEGIN = "<!-- output:begin -->"
END = "<!-- output:end -->"
OPEN_RE = re.compile(r"^(`{3,})swift(?:[ \t]+(.*?))?[ \t]*$")
ERROR_RE = re.compile(r"^(?P<file>[^:\n]+\.md):(?P<line>\d+):(?:(?P<col>\d+):)? error: (?P<msg>.*)$")


class NotebookError(Exception):
    """A notebook that cannot be parsed, built or run: one line naming it, plus detail lines."""

    def __init__(self, line: str, detail: list[str] | None = None):
        super().__init__(line)
        self.line = line
        self.detail = detail or []


@dataclass
class Block:
    """One ```swift block: line indices (0-based) of its fences and of the output region after it."""

    number: int            # 1-based among all swift blocks of the notebook (run or not)
    open_line: int
    close_line: int
    code: list[str]
    skip: bool
    region: tuple[int, int] | None = None   # [first, last] lines removed when rewriting (blank lines + region)


@dataclass
class Notebook:
    path: Path
    lines: list[str]
    blocks: list[Block] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def rel(self) -> str:
        try:
            return str(self.path.relative_to(ROOT))
        except ValueError:
            return str(self.path)

    @property
    def target(self) -> str:
        return "nb_" + re.sub(r"[^A-Za-z0-9]", "_", self.name)

    @property
    def runnable(self) -> list[Block]:
        return [b for b in self.blocks if not b.skip]


def note(message: str) -> None:
    print(f"notebooks: {message}", file=sys.stderr, flush=True)


# MARK: - Markdown


def parse(path: Path) -> Notebook:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    book = Notebook(path, lines)
    i, number = 0, 0
    while i < len(lines):
        m = OPEN_RE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group(1), (m.group(2) or "").split()
        number += 1
        close = i + 1
        while close < len(lines) and not re.match(r"^" + fence + r"`*[ \t]*$", lines[close]):
            close += 1
        if close == len(lines):
            raise NotebookError(f"{book.rel}:{i + 1}: swift block {number} is never closed (no ``` line)")
        block = Block(number, i, close, lines[i + 1:close], skip="skip" in info)
        # The region this script wrote: after optional blank lines, BEGIN … END.
        j = close + 1
        while j < len(lines) and lines[j].strip() == "":
            j += 1
        if j < len(lines) and lines[j].strip() == BEGIN:
            end = j + 1
            while end < len(lines) and lines[end].strip() != END:
                end += 1
            if end == len(lines):
                raise NotebookError(f"{book.rel}:{j + 1}: output region after block {number} has no {END}")
            block.region = (close + 1, end)
            close = end
        book.blocks.append(block)
        i = close + 1
    return book


def region(output: str) -> list[str]:
    """The Markdown lines of one block's output (empty output: no region)."""
    body = [line.rstrip() for line in output.split("\n")]
    while body and body[-1] == "":
        body.pop()
    while body and body[0] == "":
        body.pop(0)
    if not body:
        return []
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return ["", BEGIN, fence + "text", *body, fence, END]


def rewrite(book: Notebook, outputs: dict[int, str]) -> str:
    """The notebook's text with the regions of the run blocks replaced by `outputs` (block number → text)."""
    out: list[str] = []
    i = 0
    for block in book.blocks:
        out.extend(book.lines[i:block.close_line + 1])
        i = block.close_line + 1
        if block.skip:
            continue
        if block.region:
            i = block.region[1] + 1
        out.extend(region(outputs.get(block.number, "")))
    out.extend(book.lines[i:])
    return "\n".join(out)


# MARK: - The generated package


def swift_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def package_manifest(books: list[Notebook]) -> str:
    targets = "\n".join(
        f'        .executableTarget(name: "{b.target}", dependencies: [.product(name: "Glassbox", package: "Glassbox")],\n'
        f'                          path: "Sources/{b.target}"),'
        for b in books)
    return f"""// swift-tools-version:6.0
// Generated by scripts/notebooks.py; rewritten on every run. One executable per notebook.
import PackageDescription

let package = Package(
    name: "GlassboxNotebooks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Glassbox", path: {swift_string(str(ROOT))}),
    ],
    targets: [
{targets}
    ]
)
"""


SWIFT_MARKER = MARKER.replace("{}", "\\(number)")
SUPPORT = f"""// Generated by scripts/notebooks.py.
import Foundation
import Glassbox

/// Runs before the first block: a fixed worker count, so sums reduce in the same order on every machine.
func _notebookStart() {{
    Threading.setThreads({THREADS})
}}

/// Printed before block `number` (0: the end): the runner splits standard output at these lines.
/// Flushed, so the runner knows which block was running if the program stops.
func _notebookBlock(_ number: Int) {{
    fflush(nil)
    print("{SWIFT_MARKER}")
    fflush(nil)
}}
"""


def main_swift(book: Notebook) -> str:
    parts = ["// Generated by scripts/notebooks.py from " + book.rel + "; edit the Markdown instead.",
             "_notebookStart()"]
    for block in book.runnable:
        parts.append(f"_notebookBlock({block.number})")
        parts.append(f"#sourceLocation(file: {swift_string(book.rel)}, line: {block.open_line + 2})")
        parts.extend(block.code)
        parts.append("#sourceLocation()")
    parts.append("_notebookBlock(0)")
    return "\n".join(parts) + "\n"


def write_if_changed(path: Path, text: str) -> None:
    """Leaves unchanged files alone so the build does not recompile them."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def generate(books: list[Notebook]) -> None:
    write_if_changed(PACKAGE / "Package.swift", package_manifest(books))
    sources = PACKAGE / "Sources"
    wanted = {b.target for b in books}
    if sources.exists():
        for stale in sources.iterdir():
            if stale.name not in wanted:
                for f in stale.iterdir():
                    f.unlink()
                stale.rmdir()
    for book in books:
        write_if_changed(sources / book.target / "main.swift", main_swift(book))
        write_if_changed(sources / book.target / "NotebookSupport.swift", SUPPORT)


# MARK: - Build and run


def swift_build(product: str | None) -> tuple[bool, str]:
    command = ["swift", "build", "--package-path", str(PACKAGE), "--scratch-path", str(SCRATCH), "-c", "debug"]
    if product:
        command += ["--product", product]
    try:
        result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except FileNotFoundError:
        return False, "error: `swift` is not on PATH"
    return result.returncode == 0, result.stdout


def compile_errors(book: Notebook, log: str) -> list[tuple[str, str]]:
    """The compiler's errors that point into `book`: (where, message), `where` naming block and line."""
    errors = []
    for line in log.splitlines():
        m = ERROR_RE.match(line.strip())
        if not m or not (m.group("file") == book.rel or m.group("file").endswith("/" + book.rel)):
            continue
        number = int(m.group("line"))
        block = next((b for b in book.blocks if b.open_line < number - 1 < b.close_line), None)
        where = (f"block {block.number} " if block else "") + f"(line {number})"
        if (where, m.group("msg")) not in errors:
            errors.append((where, m.group("msg")))
    return errors


def build(books: list[Notebook], everything: bool) -> dict[str, NotebookError]:
    """Builds the notebooks; returns the ones that failed to compile, by target."""
    note(f"building {len(books)} notebook{'s' if len(books) != 1 else ''} (swift build, debug)…")
    start = time.monotonic()
    if everything:
        ok, log = swift_build(None)
        if ok:
            note(f"built in {time.monotonic() - start:.0f} s")
            return {}
        candidates = books
    else:
        candidates, log = books, ""
    failures: dict[str, NotebookError] = {}
    for book in candidates:
        ok, single = swift_build(book.target)
        if ok:
            continue
        errors = compile_errors(book, single) or compile_errors(book, log)
        if errors:
            failures[book.target] = NotebookError(f"{book.rel}: {errors[0][0]} does not compile",
                                                  [f"  {book.rel}: {where}: error: {msg}" for where, msg in errors])
        else:
            tail = [line for line in single.splitlines() if "error" in line.lower()][-15:] or single.splitlines()[-15:]
            failures[book.target] = NotebookError(f"{book.rel}: the build failed (not in the notebook's code)",
                                                  ["  " + line for line in tail])
    note(f"built in {time.monotonic() - start:.0f} s" + (f", {len(failures)} failed" if failures else ""))
    return failures


def split_output(stdout: str) -> tuple[dict[int, str], int | None, bool]:
    """Block number → output; the last block started; whether the program reached its end."""
    outputs: dict[int, list[str]] = {}
    current: int | None = None
    finished = False
    for line in stdout.split("\n"):
        m = MARKER_RE.match(line)
        if m:
            number = int(m.group(1))
            if number == 0:
                finished = True
                current = None
            else:
                current = number
                outputs.setdefault(number, [])
            continue
        if current is not None:
            outputs[current].append(line)
    return {k: "\n".join(v) for k, v in outputs.items()}, current, finished


def run_environment() -> dict[str, str]:
    """The notebooks' environment: OpenBLAS pinned to its Haswell (AVX2) kernels, which every
    machine that runs Glassbox has, so matrix products round the same way on every CPU family."""
    env = dict(os.environ)
    env.setdefault("OPENBLAS_CORETYPE", "Haswell")
    return env


def crash_detail(book: Notebook, stderr: str) -> list[str]:
    """What to show of a failed run's standard error: Swift's fatal-error line and the notebook line
    it came from when the backtrace names one, else the last lines."""
    lines = stderr.strip().splitlines()
    fatal = [line for line in lines if "Fatal error" in line]
    frames = [m.group(0) for line in lines for m in [re.search(re.escape(book.rel) + r":\d+(?::\d+)?", line)] if m]
    if fatal:
        return ["  " + fatal[0]] + (["  at " + frames[0]] if frames else [])
    return ["  " + line for line in lines[-12:]]


def run(book: Notebook) -> dict[int, str]:
    """Runs one notebook's executable; returns its output per block or raises NotebookError."""
    exe = SCRATCH / "debug" / book.target
    note(f"running {book.name}…")
    start = time.monotonic()
    try:
        result = subprocess.run([str(exe)], cwd=ROOT, env=run_environment(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise NotebookError(f"{book.rel}: did not finish within {RUN_TIMEOUT} s")
    stdout = result.stdout.decode("utf-8", errors="replace")
    stderr = result.stderr.decode("utf-8", errors="replace")
    outputs, last, finished = split_output(stdout)
    if result.returncode != 0 or not finished:
        block = next((b for b in book.blocks if b.number == last), None)
        where = f"block {block.number} (line {block.open_line + 1})" if block else "before the first block"
        how = f"signal {-result.returncode}" if result.returncode < 0 else f"status {result.returncode}"
        raise NotebookError(f"{book.rel}: {where} failed ({how})", crash_detail(book, stderr))
    note(f"ran {book.name} in {time.monotonic() - start:.1f} s")
    return outputs


# MARK: - Main


def selected(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p).resolve() for p in paths]
    return sorted(p for p in NOTEBOOK_DIR.glob("*.md") if p.name != "README.md")


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the Swift blocks of notebooks-md/*.md and write their outputs back.")
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: every notebooks-md/*.md but README.md)")
    parser.add_argument("--check", action="store_true",
                        help="do not rewrite; exit 1 with a diff on stderr if any output would change")
    args = parser.parse_args()
    started = time.monotonic()

    failures: list[NotebookError] = []
    books: list[Notebook] = []
    for path in selected(args.notebooks):
        try:
            books.append(parse(path))
        except (NotebookError, OSError) as e:
            failures.append(e if isinstance(e, NotebookError) else NotebookError(f"{path}: {e}"))
    everything = not args.notebooks
    # The package always holds every notebook (a stable package builds incrementally); explicit
    # arguments build and run only theirs.
    all_books = list(books)
    if not everything:
        for path in selected([]):
            if path not in {b.path for b in books}:
                try:
                    all_books.append(parse(path))
                except NotebookError:
                    pass   # not asked for; its own run reports it
    generate(sorted(all_books, key=lambda b: b.target))

    build_failures = build(books, everything) if books else {}
    changed: list[str] = []
    for book in books:
        if book.target in build_failures:
            failures.append(build_failures[book.target])
            continue
        try:
            outputs = run(book)
        except NotebookError as e:
            failures.append(e)
            continue
        old = "\n".join(book.lines)
        new = rewrite(book, outputs)
        if new == old:
            continue
        changed.append(book.rel)
        if args.check:
            diff = difflib.unified_diff(old.split("\n"), new.split("\n"), f"a/{book.rel}", f"b/{book.rel}", lineterm="")
            sys.stderr.write("\n".join(diff) + "\n")
        else:
            book.path.write_text(new, encoding="utf-8")

    for failure in failures:
        print(f"notebooks: error: {failure.line}", file=sys.stderr)
        for line in failure.detail:
            print(line, file=sys.stderr)
    verb = "would change" if args.check else "rewritten"
    summary = f"notebooks: {len(books)} run, {len(failures)} failed, {len(changed)} {verb}"
    if changed:
        summary += " (" + ", ".join(changed) + ")"
    print(summary + f" in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failures or (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
