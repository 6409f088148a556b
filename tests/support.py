"""Helpers of the test suite: build submissions from the release and the source notebooks."""
import ast
import json
from pathlib import Path

# building submissions lives in the package, where the sample class uses it too
from autograder.submissions import release_nb, solved, source_nb, strip_markers, with_function  # noqa: F401

HERE = Path(__file__).parent


def load(path):
    return json.loads(Path(path).read_text())


def write(nb, path):
    Path(path).write_text(json.dumps(nb, indent=1))
    return Path(path)


def functions_in(path):
    """{name: source} of the top-level functions of a Python file (the correct alternatives)."""
    src = Path(path).read_text()
    return {n.name: ast.get_source_segment(src, n) for n in ast.parse(src).body if isinstance(n, ast.FunctionDef)}
