"""Regenerate the corpus of assignment 03: the names of the functions and methods defined in
the Python standard library, one per line.

    python tools/build_corpus.py [OUTPUT]      (default: source/03_deep_rnn_why_dx/python_function_names.txt)

It reads the standard library's source files with `ast` (nothing is imported or executed, and
nothing is downloaded) and keeps every name defined with `def` or `async def` that
- is snake_case: lowercase letters, digits and underscores, starting with a letter or with
  one underscore (private helpers such as _parse_args stay), not ending with an underscore
  (so no dunders such as __init__);
- is 3 to 24 characters long, the leading underscore included;
- is not a test (no name starting with test, and nothing under test/, tests/, idlelib/,
  lib2to3/ or turtledemo/).
The names are deduplicated and sorted. The standard library differs a little between Python
versions, so the list depends on the interpreter that runs this script; the committed file
was made with the version written in its provenance note.
"""
import ast
import re
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "source" / "03_deep_rnn_why_dx" / "python_function_names.txt"
NAME = re.compile(r"^(?=.{3,24}$)_?[a-z][a-z0-9_]*[a-z0-9]$")
SKIP_DIRS = {"test", "tests", "idlelib", "lib2to3", "turtledemo", "site-packages", "__pycache__"}


def stdlib_sources():
    """The .py files of the standard library's modules and packages, in a stable order."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    for name in sorted(sys.stdlib_module_names):
        module, package = lib / f"{name}.py", lib / name
        if module.is_file():
            yield module
        elif package.is_dir() and name not in SKIP_DIRS:
            yield from sorted(p for p in package.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(lib).parts))


def function_names(path):
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):
        return set()        # e.g. a template file that is not Python 3
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def build():
    names = set()
    for path in stdlib_sources():
        names |= {n for n in function_names(path) if NAME.match(n) and not n.lstrip("_").startswith("test")}
    return sorted(names)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    names = build()
    out.write_text("\n".join(names) + "\n")
    v = sys.version_info
    print(f"wrote {len(names)} names ({sum(map(len, names)) + len(names)} characters) to {out}, "
          f"from the standard library of Python {v.major}.{v.minor}.{v.micro}")


if __name__ == "__main__":
    main()
