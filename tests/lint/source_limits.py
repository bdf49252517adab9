#!/usr/bin/env python3
"""Checks the size limits of the house style on src/: no file over 500 lines, no function over 80.

A function is a brace block opened where a signature ends (`) {`, `) const {`, `) override {`,
a constructor's initialiser list, ...) while the enclosing scope is a namespace, class or struct:
lambdas and blocks inside a function count towards that function. Its length is the number of
lines from the line of its opening brace to the line of its closing brace. Strings, character
literals and comments are skipped, so braces inside them do not count.

    tests/lint/source_limits.py [--max-file-lines 500] [--max-function-lines 80] [ROOT]
Exit status 1 and one line per violation when a limit is exceeded.
"""
import argparse
import pathlib
import re
import sys

SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".cc"}
# What may stand between a signature's closing parenthesis and its body.
SIGNATURE_TAIL = re.compile(
    r"\)\s*(const|noexcept|override|final|mutable|&|&&|->\s*[\w:<>,\s*&]+|\s)*$|"
    r"\)\s*(const\s*)?(noexcept\s*)?:\s*[\w:]+\s*[({].*[)}]\s*$",
    re.S)


def strip_code(text):
    """Replaces comments and string/char literals by spaces, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (min(j + 1, n) - i))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """Yields (first_line, last_line) of every outermost function body."""
    code = strip_code(text)
    stack = []  # per open brace: "function" | "scope" | "inner"
    starts = []
    last_break = 0  # index after the last ';', '{' or '}'
    line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c == "{":
            inside_function = any(kind == "function" for kind in stack)
            head = code[last_break:i]
            is_function = (not inside_function and SIGNATURE_TAIL.search(head.rstrip() + " ") is not None
                           and not re.search(r"\b(namespace|class|struct|enum|union)\b", head))
            kind = "inner" if inside_function else ("function" if is_function else "scope")
            stack.append(kind)
            starts.append(line)
            last_break = i + 1
        elif c == "}":
            if stack:
                kind = stack.pop()
                start = starts.pop()
                if kind == "function":
                    yield start, line
            last_break = i + 1
        elif c == ";":
            last_break = i + 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root", nargs="?", default=str(pathlib.Path(__file__).resolve().parents[2] / "src"))
    parser.add_argument("--max-file-lines", type=int, default=500)
    parser.add_argument("--max-function-lines", type=int, default=80)
    args = parser.parse_args()
    problems = []
    files = sorted(p for p in pathlib.Path(args.root).rglob("*") if p.suffix in SOURCE_SUFFIXES)
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if count > args.max_file_lines:
            problems.append(f"{path}: {count} lines (limit {args.max_file_lines})")
        for first, last in functions(text):
            length = last - first + 1
            if length > args.max_function_lines:
                problems.append(f"{path}:{first}: function of {length} lines (limit {args.max_function_lines})")
    for p in problems:
        print(p)
    print(f"source_limits: {len(files)} files, {len(problems)} over the limits")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
