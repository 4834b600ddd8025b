#!/usr/bin/env python3
"""Check that every public or open declaration in the library targets has a doc comment.

Usage: scripts/check-doc-comments.py [--list] [FILE_OR_DIR ...]

Without arguments it scans the library targets (Sources/Glassbox, GlassboxAnalysis, GlassboxRuntime,
GlassboxModelIO, GlassboxTokenizers, GlassboxRender, GlassboxDefaults, and the top-level files of
Sources/GlassboxTensor); with arguments, those files (directories are scanned recursively).

A declaration counts as public when it carries `public` or `open`, when it sits without an access
modifier in a `public extension` or a public protocol, or when it is an enum case of a public enum.
It is documented when the line before it (attribute lines such as `@inlinable` may stand between)
is a `///` comment or ends a `/** ... */` comment. One comment covers an enum case list `case a, b`.
Declarations inside function bodies, `import`s and the `extension` lines themselves are not checked.

Exit status 1 with `file:line: declaration` for every undocumented one; 0 with a count otherwise;
2 when a path to scan does not exist.
`--list` prints every public declaration found instead, the undocumented ones marked.
"""

import os
import re
import sys

LIBRARY_TARGETS = [
    "Sources/Glassbox",
    "Sources/GlassboxAnalysis",
    "Sources/GlassboxRuntime",
    "Sources/GlassboxModelIO",
    "Sources/GlassboxTokenizers",
    "Sources/GlassboxRender",
    "Sources/GlassboxDefaults",
]
TOP_LEVEL_ONLY = ["Sources/GlassboxTensor"]

DECL_KEYWORDS = {
    "func", "init", "deinit", "subscript", "var", "let", "case", "struct", "class", "enum",
    "actor", "protocol", "extension", "typealias", "associatedtype", "import", "operator",
    "precedencegroup", "macro",
}
TYPE_KEYWORDS = {"struct", "class", "enum", "actor", "protocol", "extension"}
ACCESS = {"public", "open", "package", "internal", "fileprivate", "private"}
OTHER_MODIFIERS = {
    "static", "final", "override", "mutating", "nonmutating", "convenience", "required", "lazy",
    "weak", "unowned", "indirect", "nonisolated", "dynamic", "optional", "prefix", "postfix",
    "infix", "borrowing", "consuming", "distributed",
}
OPERATOR_CHARS = set("=<>!&|+-*/%^~.?")
NOT_CHECKED = {"import", "extension", "deinit", "operator", "precedencegroup"}


# --- Lexing: blank out comments and string literals, keep line structure -------------------------

class Lexed:
    """One file with comments and literals blanked, offsets unchanged. `code[i]` is line i
    (0-based) with only code left; `doc[i]` is true when line i holds a `///` comment or ends a
    `/** */` comment; `display` is the whole text with comments blanked and literals kept."""

    def __init__(self, text):
        self.text = text
        self.out = []           # characters of code, literals and comments replaced by spaces
        self.shown = []         # the same with string literals kept, for messages
        self.in_string = 0      # depth of string literals being read
        self.doc_lines = set()  # 0-based lines that carry a doc comment
        self.pos = 0
        self.line = 0
        self._lex()
        code = "".join(self.out)
        self.code = code.split("\n")
        self.display = "".join(self.shown)
        self.doc = [i in self.doc_lines for i in range(len(self.code))]

    def _emit(self, ch, keep=False):
        if ch == "\n":
            self.out.append("\n")
            self.shown.append("\n")
            self.line += 1
        else:
            self.out.append(ch if keep else " ")
            self.shown.append(ch if keep or self.in_string else " ")

    def _lex(self):
        t = self.text
        while self.pos < len(t):
            if t.startswith("//", self.pos):
                self._line_comment()
            elif t.startswith("/*", self.pos):
                self._block_comment()
            elif t[self.pos] == '"' or (t[self.pos] == "#" and re.match(r'#+"', t[self.pos:])):
                self._string()
            else:
                self._emit(t[self.pos], keep=True)
                self.pos += 1

    def _line_comment(self):
        t = self.text
        is_doc = t.startswith("///", self.pos) and not t.startswith("////", self.pos)
        if is_doc:
            self.doc_lines.add(self.line)
        while self.pos < len(t) and t[self.pos] != "\n":
            self._emit(t[self.pos])
            self.pos += 1

    def _block_comment(self):
        t = self.text
        is_doc = t.startswith("/**", self.pos) and not t.startswith("/**/", self.pos)
        depth = 0
        while self.pos < len(t):
            if t.startswith("/*", self.pos):
                depth += 1
                self._emit(" "); self._emit(" ")
                self.pos += 2
            elif t.startswith("*/", self.pos):
                depth -= 1
                self._emit(" "); self._emit(" ")
                self.pos += 2
                if depth == 0:
                    break
            else:
                self._emit(t[self.pos])
                self.pos += 1
        if is_doc:
            self.doc_lines.add(self.line)

    def _string(self):
        """A string literal starting at pos: optional `#`s, `"` or `\"\"\"`, up to its close."""
        t = self.text
        hashes = len(re.match(r"#*", t[self.pos:]).group(0))
        multi = t.startswith('"""', self.pos + hashes)
        quote = '"""' if multi else '"'
        opening = hashes + len(quote)
        closing = quote + "#" * hashes
        escape = "\\" + "#" * hashes
        self.in_string += 1
        for ch in t[self.pos:self.pos + opening]:
            self._emit(ch, keep=ch == '"')  # keep a quote so `= ""` still reads as a value
        self.pos += opening
        try:
            self._string_body(t, multi, closing, escape)
        finally:
            self.in_string -= 1

    def _string_body(self, t, multi, closing, escape):
        while self.pos < len(t):
            if t.startswith(escape + "(", self.pos):
                for _ in range(len(escape) + 1):
                    self._emit(" ")
                self.pos += len(escape) + 1
                self._interpolation()
            elif t.startswith(escape, self.pos):
                for _ in range(len(escape) + 1):
                    if self.pos < len(t):
                        self._emit(t[self.pos] if t[self.pos] == "\n" else " ")
                        self.pos += 1
            elif t.startswith(closing, self.pos):
                for i, ch in enumerate(closing):
                    self._emit(ch, keep=i == len(closing) - 1)
                self.pos += len(closing)
                return
            elif not multi and t[self.pos] == "\n":
                return  # unterminated single-line literal: stop at the line's end
            else:
                self._emit(t[self.pos])
                self.pos += 1

    def _interpolation(self):
        """Code inside `\\(...)`, up to the balancing `)`; nested literals and comments handled."""
        t = self.text
        depth = 1
        while self.pos < len(t):
            ch = t[self.pos]
            if t.startswith("//", self.pos):
                self._line_comment()
            elif t.startswith("/*", self.pos):
                self._block_comment()
            elif ch == '"' or (ch == "#" and re.match(r'#+"', t[self.pos:])):
                self._string()
            else:
                if ch == "(":
                    depth += 1
                elif ch == ")":
                    depth -= 1
                self._emit(ch)
                self.pos += 1
                if depth == 0:
                    return


# --- Parsing: find declarations at type level and decide which are public ------------------------

TOKEN = re.compile(r"@\w+|[A-Za-z_]\w*|`[^`]*`|\S")


class Scope:
    """A brace-delimited region: a type-level body, where declarations are checked, or code."""

    def __init__(self, kind, members_public=False, cases_public=False):
        self.kind = kind                      # "type" (file, type or extension body) or "code"
        self.members_public = members_public  # members without access modifier are public
        self.cases_public = cases_public      # enum cases are public


def parse_declaration(code, start):
    """If a declaration starts at `start` in `code` (a whole file, literals blanked), return
    (keyword, explicit access or None, offset of its first token after the attributes); else None."""
    i = start
    access = None
    first = None
    n = len(code)
    while True:
        while i < n and code[i] in " \t\n":
            i += 1
        m = TOKEN.match(code, i)
        if not m:
            return None
        tok = m.group(0)
        if first is None and not tok.startswith("@"):
            first = i
        if tok.startswith("@"):
            i = m.end()
            if i < n and code[i] == "(":  # attribute arguments
                depth = 0
                while i < n:
                    if code[i] == "(":
                        depth += 1
                    elif code[i] == ")":
                        depth -= 1
                        if depth == 0:
                            i += 1
                            break
                    i += 1
            continue
        if tok in ACCESS:
            j = m.end()
            if code.startswith("(", j):  # private(set), public(set): setter access only
                close = code.find(")", j)
                i = close + 1
                continue
            access = tok
            i = j
            continue
        if tok == "class":
            # `class func`, `class var`: a modifier; otherwise the class keyword itself.
            rest = code[m.end():]
            nxt = TOKEN.match(rest, len(rest) - len(rest.lstrip()))
            if nxt and (nxt.group(0) in DECL_KEYWORDS - {"case"} or nxt.group(0) in OTHER_MODIFIERS
                        or nxt.group(0) in ACCESS):
                i = m.end()
                continue
            return ("class", access, first)
        if tok in OTHER_MODIFIERS:
            # `optional`, `prefix`, … double as identifiers; treat as modifiers only when a
            # declaration keyword or another modifier follows.
            rest = code[m.end():]
            nxt = TOKEN.match(rest, len(rest) - len(rest.lstrip()))
            if nxt and (nxt.group(0) in DECL_KEYWORDS or nxt.group(0) in OTHER_MODIFIERS
                        or nxt.group(0) in ACCESS):
                i = m.end()
                continue
            return None
        if tok in DECL_KEYWORDS:
            return (tok, access, first)
        return None


def check_file(path):
    """The public declarations of one file: (every one as (line, text, documented), the
    undocumented ones as (line, text)); lines are 1-based."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lx = Lexed(text)
    code = "\n".join(lx.code)
    line_starts = [0]
    for ln in lx.code:
        line_starts.append(line_starts[-1] + len(ln) + 1)

    def line_of(offset):
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    scopes = [Scope("type")]
    brackets = []             # open ( and [ inside the current scope, reset per scope
    bracket_stack = []        # saved `brackets` of enclosing scopes
    last_decl = [None]        # per scope: (keyword, is public, access) of the latest declaration
    missing = []
    found = []                # (line, text, documented) of every public declaration
    documented_lines = {}     # 0-based line -> whether the declaration starting it is documented
    at_boundary = True        # a declaration may start here (line start, after { } ;)
    i = 0
    n = len(code)
    while i < n:
        ch = code[i]
        scope = scopes[-1]
        if at_boundary and ch not in " \t\n":
            at_boundary = False
            if not brackets and scope.kind == "type":
                parsed = parse_declaration(code, i)
                if parsed:
                    kw, access, first = parsed
                    if access is not None:
                        public = access in ("public", "open")
                    elif kw == "case":
                        public = scope.cases_public
                    else:
                        public = scope.members_public
                    last_decl[-1] = (kw, public, access)
                    if public and kw not in NOT_CHECKED:
                        ln = line_of(first)
                        before = code[line_starts[ln]:first]
                        if re.fullmatch(r"\s*(@\w+(\([^)]*\))?\s*)*", before):
                            ok = documented(lx, ln)
                            documented_lines[ln] = ok
                        else:
                            # A member on the line of its type's opening brace, as in
                            # `enum Kind { case a, b }`: covered by that line's comment.
                            ok = documented_lines.get(ln, False)
                        text = declaration_text(code, first, lx.display)
                        found.append((ln + 1, text, ok))
                        if not ok:
                            missing.append((ln + 1, text))
                    if first > i:  # past the attributes, so the declaration is seen once
                        i = first
                        continue
        if ch == "{":
            new = Scope("code")
            if not brackets and scope.kind == "type" and last_decl[-1] is not None:
                kw, public, access = last_decl[-1]
                if kw == "extension":
                    new = Scope("type", members_public=(access == "public"))
                elif kw == "protocol":
                    new = Scope("type", members_public=public)
                elif kw == "enum":
                    new = Scope("type", cases_public=public)
                elif kw in TYPE_KEYWORDS:
                    new = Scope("type")
                last_decl[-1] = None
            scopes.append(new)
            bracket_stack.append(brackets)
            brackets = []
            last_decl.append(None)
            at_boundary = True
        elif ch == "}":
            if len(scopes) > 1:
                scopes.pop()
                brackets = bracket_stack.pop()
                last_decl.pop()
            at_boundary = True
        elif ch in "([":
            brackets.append(ch)
        elif ch in ")]":
            if brackets:
                brackets.pop()
        elif ch in ";\n":
            at_boundary = True
        i += 1
    return found, missing


def documented(lx, ln):
    """Whether the declaration on 0-based line `ln` has a doc comment: the nearest line above it that
    is not an attribute line holds a `///` comment or ends a `/** */` one."""
    j = ln - 1
    while j >= 0:
        c = lx.code[j].strip()
        if lx.doc[j] and not c:
            return True
        if c.startswith("@") and not lx.doc[j]:
            j -= 1
            continue
        return False
    return False


def declaration_text(code, i, shown):
    """The declaration's header from `i` up to its body, initial value or end, on one line, with
    its string literals (from `shown`, the text without comments)."""
    end = len(code)
    depth = 0
    j = i
    while j < end:
        ch = code[j]
        if code.startswith("->", j):
            j += 2
            continue
        if ch in "([<":
            depth += 1
        elif ch in ")]>" and depth > 0:
            depth -= 1
        elif depth == 0 and ch in "{};":
            break
        elif depth == 0 and ch == "=" and code[j - 1] not in OPERATOR_CHARS \
                and code[j + 1:j + 2] not in OPERATOR_CHARS:
            break  # an initial value or default, not an operator such as `==`
        elif depth == 0 and ch == "\n":
            rest = code[j + 1:].lstrip(" \t")
            # continue only when the next line carries on the header (where, ->, :, throws)
            if not re.match(r"(where\b|->|:|throws\b|rethrows\b|async\b|\.)", rest):
                break
        j += 1
    text = " ".join(shown[i:j].split()).replace("( ", "(").replace(" )", ")")
    return text if len(text) <= 140 else text[:137] + "..."


def swift_files(paths, recursive=True):
    """The `.swift` files among `paths` and in its folders (only their top level unless recursive)."""
    for p in paths:
        if os.path.isfile(p):
            yield p
        elif os.path.isdir(p):
            if recursive:
                for root, dirs, files in os.walk(p):
                    dirs.sort()
                    for f in sorted(files):
                        if f.endswith(".swift"):
                            yield os.path.join(root, f)
            else:
                for f in sorted(os.listdir(p)):
                    if f.endswith(".swift") and os.path.isfile(os.path.join(p, f)):
                        yield os.path.join(p, f)


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    listing = "--list" in argv
    argv = [a for a in argv if a != "--list"]
    if not argv:
        os.chdir(root)
    missing_paths = [p for p in argv or LIBRARY_TARGETS + TOP_LEVEL_ONLY if not os.path.exists(p)]
    if missing_paths:
        print(f"check-doc-comments: no such file or folder: {', '.join(missing_paths)}", file=sys.stderr)
        return 2
    if argv:
        files = list(swift_files(argv))
    else:
        files = list(swift_files(LIBRARY_TARGETS)) + list(swift_files(TOP_LEVEL_ONLY, recursive=False))
    total = 0
    undocumented = []
    for path in files:
        found, missing = check_file(path)
        total += len(found)
        if listing:
            for ln, text, ok in found:
                print(f"{path}:{ln}: {'' if ok else 'UNDOCUMENTED '}{text}")
        undocumented += [(path, ln, text) for ln, text in missing]
    if undocumented:
        if not listing:
            for path, ln, text in undocumented:
                print(f"{path}:{ln}: {text}")
        print(f"doc comments: {len(undocumented)} of {total} public declarations undocumented",
              file=sys.stderr)
        return 1
    print(f"doc comments: {total} public declarations, all documented")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
