"""Keep the app's Python easy to read: no file in crm/ over 400 lines, no function over 40.

    python scripts/code_size.py            # lists what is over, exits 1 if anything is
    python scripts/code_size.py --report   # also lists the 10 longest files and functions

A function's length runs from its `def` (decorators aside) to its last line, docstring included; a nested
function counts on its own and inside the function that holds it.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 40


def python_files(root: Path) -> list[Path]:
    """Every Python file of the app package."""
    return sorted((root / "crm").rglob("*.py"))


def functions(tree: ast.AST) -> list[tuple[str, int, int]]:
    """(qualified name, first line, length) of every function and method in a module."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        """Walk the tree, naming functions by the classes and functions around them."""
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                found.append((name, child.lineno, child.end_lineno - child.lineno + 1))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def measure(root: Path) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(file, lines) of every file and (file:line name, lines) of every function."""
    files, funcs = [], []
    for path in python_files(root):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(root).as_posix()
        files.append((relative, len(text.splitlines())))
        for name, line, length in functions(ast.parse(text, filename=relative)):
            funcs.append((f"{relative}:{line} {name}", length))
    return files, funcs


def main(argv: list[str] | None = None) -> int:
    """Print what is over the limits (and, asked for, the longest); 1 when anything is over."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="also list the longest files and functions")
    args = parser.parse_args(argv)
    files, funcs = measure(ROOT)
    long_files = [(f, n) for f, n in files if n > MAX_FILE_LINES]
    long_funcs = [(f, n) for f, n in funcs if n > MAX_FUNCTION_LINES]
    for name, lines in long_files:
        print(f"file over {MAX_FILE_LINES} lines: {name} ({lines})")
    for name, lines in long_funcs:
        print(f"function over {MAX_FUNCTION_LINES} lines: {name} ({lines})")
    if args.report:
        print("\nlongest files:")
        for name, lines in sorted(files, key=lambda item: -item[1])[:10]:
            print(f"  {lines:5}  {name}")
        print("longest functions:")
        for name, lines in sorted(funcs, key=lambda item: -item[1])[:10]:
            print(f"  {lines:5}  {name}")
    print(f"{len(files)} files, {len(funcs)} functions; {len(long_files)} files and {len(long_funcs)} functions "
          "over the limits")
    return 1 if long_files or long_funcs else 0


if __name__ == "__main__":
    sys.exit(main())
