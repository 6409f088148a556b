"""A sample class, for demos and tests: `python -m autograder sample-class ASSIGNMENT DEST`.

It makes DEST an nbgrader course directory (an nbgrader_config.py that loads the course's with
a shorter cell timeout, and a copy of source/<assignment>) holding about 40 submissions in
nbgrader's layout, submitted/<student>/<assignment>/. Each student is named after what their
submission is:

    correct       the solution, plain or among the student's own notes
    partly wrong  stopped halfway, a function returning None or renamed, the untouched release
    mistake       catalogued mistakes (autograder/mistakes), one function wrong, or two
    hostile       infinite loops (one ignoring the interrupt), os._exit, an error at the top, a
                  copied cell, deleted or edited locked cells, corrupted or empty files, the wrong
                  notebook, megabytes of output
    flagged       the reference solution imported, the course's source read, a fake autograder
                  package planted, numpy monkeypatched

DEST/sample_class.json lists every student with what grading should find ("expect"), which
the tests compare with what `python -m autograder grade` does find. It works for any
assignment whose functions have catalogued mistakes.
"""
import copy
import importlib
import json
import pkgutil
import re
import shutil
from pathlib import Path

from . import mistakes
from .course import CONFIG, SOURCE, assignments
from .submissions import release_nb, solution_functions, solved, source_nb, with_function

TIMESTAMP = "2026-03-02 09:{:02d}:00.000000 UTC"


def _cell(source, cell_type="code"):
    cell = {"cell_type": cell_type, "metadata": {}, "source": source}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def _inserted(nb, index, *cells):
    nb = copy.deepcopy(nb)
    nb["cells"][index:index] = list(cells)
    return nb


def _reference_module(function):
    """The module of autograder.reference that defines function (for the cheating student)."""
    import autograder.reference as ref
    for info in pkgutil.iter_modules(ref.__path__):
        if hasattr(importlib.import_module(f"autograder.reference.{info.name}"), function):
            return f"autograder.reference.{info.name}"
    raise LookupError(function)


def _expect(status="graded", score=None, flags=(), mistakes=(), reason=None):
    return {"status": status, "score": score, "flags": list(flags), "mistakes": list(mistakes), "reason": reason}


def submissions(assignment_id):
    """[(student, kind, what, notebook JSON or raw bytes, file name, expect)] of the sample class."""
    a = assignments()[assignment_id]
    name = f"{a.notebook}.ipynb"
    good = solved(a.id)
    release = release_nb(a.id)
    functions = solution_functions(good)                  # [(cell index, name, args)]
    first_cell = functions[0][0]
    last_cell, last, last_args = functions[-1]
    meta = [c.get("metadata", {}).get("nbgrader", {}) for c in good["cells"]]
    graded_cells = [i for i, m in enumerate(meta) if m.get("grade") and not m.get("solution")]
    locked_cells = [i for i, m in enumerate(meta) if m.get("locked") and not m.get("grade")]
    out = []

    def add(kind, label, what, nb, expect, filename=name):
        out.append((f"s{len(out) + 1:02d}-{label}", kind, what, nb, filename, expect))

    # correct
    add("correct", "correct", "the solution", good, _expect(score="full"))
    add("correct", "correct-again", "the solution, handed in by another student", good, _expect(score="full"))
    notes = _inserted(good, len(good["cells"]),
                      _cell("## My notes\nTrying the functions on my own data.", "markdown"),
                      _cell("import numpy as np\nprint(np.__version__)\nmy_x = np.ones((3, 2, 4))"))
    add("correct", "correct-with-notes", "the solution, with notes and experiments of the student's own",
        notes, _expect(score="full"))

    # partly wrong
    half = copy.deepcopy(good)
    for i, _, _ in functions[len(functions) // 2:]:
        half["cells"][i] = copy.deepcopy(release["cells"][i])
    add("partly wrong", "stopped-halfway", "the first half of the functions, the rest left as stubs",
        half, _expect(score="partial"))
    add("partly wrong", "returns-none", f"{last} returns None",
        with_function(good, last, f"def {last}({last_args}):\n    pass\n"), _expect(score="partial"))
    renamed = copy.deepcopy(good)
    cell = renamed["cells"][functions[1][0]]
    cell["source"] = "".join(cell["source"]).replace(f"def {functions[1][1]}(", f"def {functions[1][1]}_v2(", 1)
    add("partly wrong", "renamed-function", f"{functions[1][1]} renamed to {functions[1][1]}_v2",
        renamed, _expect(score="partial"))
    add("partly wrong", "untouched", "the release, untouched: a real 0", release, _expect(score="zero"))

    # catalogued mistakes: up to five per function, and one student with two
    by_function = {}
    for m in mistakes.catalogue():
        if m.function in {f for _, f, _ in functions}:
            by_function.setdefault(m.function, []).append(m)
    for ms in by_function.values():
        for m in ms[:5]:
            add("mistake", f"mistake-{m.id}", f"{m.function}: {m.hint}",
                with_function(good, m.function, m.source()), _expect(score="partial", mistakes=[m.id]))
    if len(by_function) >= 2:
        m1, m2 = (ms[-1] for ms in list(by_function.values())[:2])
        nb = with_function(with_function(good, m1.function, m1.source()), m2.function, m2.source())
        add("mistake", "two-mistakes", f"{m1.id} and {m2.id}", nb, _expect(score="partial", mistakes=[m1.id, m2.id]))

    # hostile
    add("hostile", "infinite-loop-cell", "a cell of its own loops forever (nbgrader interrupts it at the cell timeout)",
        _inserted(good, first_cell + 1, _cell("while True:\n    pass\n")), _expect(score="full"))
    loop = "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except KeyboardInterrupt:\n        print('not stopping')\n"
    add("hostile", "loop-ignores-interrupt", "a loop that catches KeyboardInterrupt (plain nbgrader fails the whole submission)",
        _inserted(good, first_cell + 1, _cell(loop)), _expect(score="full"))
    add("hostile", "os-exit", "a cell calls os._exit (plain nbgrader fails the whole submission)",
        _inserted(good, functions[1][0] + 1, _cell("import os\nos._exit(0)\n")), _expect(score="full"))
    add("hostile", "error-at-top", "the first cell imports a module that only the student has",
        _inserted(good, 0, _cell("from my_helpers import plot_everything\n")), _expect(score="full"))
    looping = good
    for _, name, args in functions:
        looping = with_function(looping, name, f"def {name}({args}):\n    while True:\n        pass\n")
    add("hostile", "infinite-loop-everywhere", "every function loops forever, so every cell of tests hits the cell timeout",
        looping, _expect("timed_out", reason="did not finish within the time limit"))
    deleted = copy.deepcopy(good)
    del deleted["cells"][graded_cells[0]]
    del deleted["cells"][locked_cells[0]]
    add("hostile", "deleted-locked-cells", "the setup cell and a graded test cell deleted (both are put back)",
        deleted, _expect(score="full", flags=["edited_locked_cells"]))
    edited = copy.deepcopy(good)
    edited["cells"][graded_cells[0]]["source"] = "# my code is right\npass\n"
    add("hostile", "edited-test-cell", "a graded test cell emptied (nbgrader restores it)",
        edited, _expect(score="full", flags=["edited_locked_cells"]))
    add("hostile", "copied-cell", "an answer cell copied and pasted (plain nbgrader fails on it)",
        _inserted(good, first_cell + 1, copy.deepcopy(good["cells"][first_cell])), _expect(score="full"))
    text = json.dumps(good, indent=1)
    add("hostile", "corrupted-json", "the file was cut off half-way", text[:len(text) // 2].encode(),
        _expect("ungradeable", reason="not valid JSON"))
    add("hostile", "empty-file", "an empty file", b"", _expect("ungradeable", reason="empty file"))
    add("hostile", "wrong-name", "the solution saved as Untitled.ipynb", good,
        _expect("ungradeable", reason="submitted as Untitled.ipynb"), filename="Untitled.ipynb")
    others = [o for o in assignments().values() if o.id != a.id]
    if others:
        add("hostile", "other-assignment", f"the notebook of {others[0].id}, under this assignment's name",
            release_nb(others[0].id), _expect("ungradeable", reason=f"a notebook of {others[0].id}"))
    else:
        foreign = copy.deepcopy(release)
        for c in foreign["cells"]:
            if "nbgrader" in c.get("metadata", {}):
                c["metadata"]["nbgrader"]["grade_id"] = "other_" + c["metadata"]["nbgrader"]["grade_id"]
        add("hostile", "other-course", "a notebook of another course, under this assignment's name",
            foreign, _expect("ungradeable", reason="none of the cells"))
    add("hostile", "megabytes-of-output", "a cell prints 5 MB (the output is cut in the autograded notebook)",
        _inserted(good, first_cell + 1, _cell("print('x' * 5_000_000)\n")), _expect(score="full"))

    # flagged
    add("flagged", "imports-reference", f"{last} imported from the course's reference solution, which the "
        "sandbox does not hold: that function's cells score 0",
        with_function(good, last, f"from {_reference_module(last)} import {last}\n"),
        _expect(score="partial", flags=["imports_autograder"]))
    peek = (f"import json\ntry:\n    hidden = json.load(open('../../../source/{a.id}/{name}'))\n"
            "except OSError:\n    hidden = None\n")
    add("flagged", "reads-source", "reads the instructor's source notebook (hidden tests, solutions) during grading",
        _inserted(good, first_cell, _cell(peek)), _expect(score="full", flags=["reads_course_files"]))
    hidden = sorted(set(re.findall(r"from autograder\.hidden\.(\w+) import", json.dumps(source_nb(a.id)))))
    fake = ("import os\nos.makedirs('autograder/hidden', exist_ok=True)\n"
            "for name in ['__init__'] + " + repr(hidden) + ":\n"
            "    with open(f'autograder/hidden/{name}.py', 'w') as f:\n"
            "        f.write('def __getattr__(name):\\n    return lambda *args, **kwargs: None\\n')\n"
            "open('autograder/__init__.py', 'w').close()\n")
    m = next(iter(by_function.values()))[0]
    add("flagged", "fake-autograder", f"writes a fake autograder package that passes everything, and has {m.id}",
        _inserted(with_function(good, m.function, m.source()), first_cell, _cell(fake)),
        _expect(score="partial", flags=["imports_autograder"], mistakes=[m.id]))
    add("flagged", "monkeypatch", "replaces np.allclose so that every comparison passes",
        _inserted(good, first_cell, _cell("np.allclose = lambda *args, **kwargs: True\n")),
        _expect(score="full", flags=["monkeypatch"]))
    return out


def make(assignment_id, dest, cell_timeout=5):
    """Write the sample class of an assignment into the new directory dest. Returns the manifest."""
    if assignment_id not in assignments():
        raise KeyError(f"no assignment {assignment_id} (known: {', '.join(assignments())})")
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty; give a new directory")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "nbgrader_config.py").write_text(
        '"""A sample class made by `python -m autograder sample-class`: the course\'s nbgrader\n'
        'configuration, with a short cell timeout (the sample\'s notebooks run in seconds)."""\n'
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(CONFIG)!r})  # noqa: F821\n"
        f"c.Execute.timeout = {int(cell_timeout)}\n")
    shutil.copytree(SOURCE / assignment_id, dest / "source" / assignment_id,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    manifest = {"assignment": assignment_id, "students": {}}
    for i, (student, kind, what, nb, filename, expect) in enumerate(submissions(assignment_id)):
        d = dest / "submitted" / student / assignment_id
        d.mkdir(parents=True)
        (d / filename).write_bytes(nb if isinstance(nb, bytes) else json.dumps(nb, indent=1).encode())
        (d / "timestamp.txt").write_text(TIMESTAMP.format(i % 60))
        manifest["students"][student] = {"kind": kind, "what": what, "expect": expect}
    (dest / "sample_class.json").write_text(json.dumps(manifest, indent=1))
    return manifest
