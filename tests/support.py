"""Helpers of the test suite: build submissions from the release and the source notebooks."""
import ast
import html
import json
import re
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


def hidden_test_lines(assignment_id):
    """Every line of the source notebook between the hidden-test markers, markers included."""
    lines = set()
    for cell in source_nb(assignment_id)["cells"]:
        for region in re.findall(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "".join(cell["source"]), re.S):
            lines |= {ln.strip() for ln in region.splitlines() if ln.strip()}
    return lines


def leaked(html_text, lines):
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())
    text = re.sub(r" ?([()\[\],.=:]) ?", r"\1", text)                # undo the highlighter's spacing
    return sorted(ln for ln in lines if re.sub(r" ?([()\[\],.=:]) ?", r"\1", " ".join(ln.split())) in text)


def exercise_functions(assignment):
    """The names of the functions that an assignment's learners write: those whose definition in
    the source notebook holds a solution region."""
    from autograder.course import SOURCE, assignments
    src = (SOURCE / assignment / f"{assignments()[assignment].notebook}.ipynb").read_text()
    return {n for n in re.findall(r"def (\w+)\(", src)
            if re.search(rf"def {n}\((?:(?!def ).)*?### BEGIN SOLUTION", src, re.S)}


def defined_functions(text):
    """The names of the top-level functions that Python source text defines."""
    return set(re.findall(r"^def (\w+)\(", text, re.M))
