"""Mutation score of the hidden tests: of many small wrong versions of each solution, how many
do the hidden tests catch? A hidden test is only as good as the wrong answers it catches.

    .venv/bin/python benchmarks/mutation_score.py [--assignment ID] [--max-per-function N] [--json]
                                                  [--jobs N] [--timeout SECONDS]

For every exercise function of every assignment (each `def` of a source notebook's solution
cells), the instructor's solution, markers stripped, is changed in one place at a time with
Python's ast: drop or add a `.T`, swap `+` and `-`, `*` -> `+`, `a @ b` -> `b @ a` or `a * b`,
drop one term or factor, move an integer or float constant by 1 (so axis=1 -> 0), drop a keyword
argument (keepdims=True), `+=` -> `=`, swap two arguments, `range` <-> `reversed(range)`, drop
a call around a value (np.abs, .copy()), np.sum <-> np.mean, np.zeros -> np.ones, flip a
comparison (`>` -> `>=`), index or slice bound `t` -> `t +- 1`, one variable for a similar one
(a_next -> a_prev, dzf -> dzi), remove a statement. Mutants that do not compile, or that are
the same code as another, are skipped; above --max-per-function, a fixed sample is graded.

Each mutant is graded by the hidden tests as the judge runs them under autograding, but with the
mutant called in the same process rather than in a sandboxed kernel (the same comparison,
faster), in a worker process: a fresh namespace runs the notebook's setup cell and every solution cell, the mutant in place of
its function, then every graded cell whose hidden tests (the code between `### BEGIN HIDDEN
TESTS` and `### END HIDDEN TESTS`) name that function. Visible tests and the other cells are not
run: they cost no points. The mutant is killed when one of those graded cells raises or writes
to stderr (a warning included: nbgrader scores such a cell 0), or when it runs past --timeout
(nbgrader interrupts a cell after c.Execute.timeout; here the worker is killed and replaced).
It survives when all of them pass. Before its mutants, each unchanged solution must pass its
graded cells, or its score would mean nothing.

Prints, per function, the mutants graded, killed, survived and the score, then every survivor
as a one-line diff, for a reader to judge: an equivalent mutant (it computes the same answer,
say a change in an unused variable), or a gap in the hidden tests. Lines marked [given] are
outside the solution markers: the release gives them to students.
"""
import os

# Before numpy is imported: one BLAS thread per worker, so that two workers share two cores;
# and the notebooks set up as under nbgrader (no figures, no long training). Not "autograde":
# under autograding the hidden tests run only in the judge, and refuse a function of their own
# process (autograder/hidden/__init__.py); here they grade the mutant in this process, as
# nbgrader's validate would run them.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ["NBGRADER_EXECUTION"] = "validate"
os.environ.setdefault("MPLBACKEND", "Agg")

import argparse  # noqa: E402
import ast  # noqa: E402
import contextlib  # noqa: E402
import copy  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import multiprocessing.connection  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import asdict, dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

from tqdm import tqdm  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder.course import SOURCE, assignments  # noqa: E402
from autograder.submissions import solution_functions, source_nb, strip_markers  # noqa: E402

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


# ---- the notebook as the hidden tests see it ----------------------------------------------

@dataclass
class Notebook:
    assignment: str
    setup: str                 # the setup cell (imports, helpers such as softmax)
    cells: dict                # function name -> its solution cell, markers stripped
    given: dict                # function name -> line numbers of its cell outside the markers
    graded: dict = field(default_factory=dict)   # function name -> [(grade_id, hidden test code)]


def read_notebook(assignment):
    nb = source_nb(assignment)
    meta = lambda c: c.get("metadata", {}).get("nbgrader", {})   # noqa: E731
    setup = "".join(next(c["source"] for c in nb["cells"] if meta(c).get("grade_id") == "setup"))
    cells, given = {}, {}
    for i, name, _ in solution_functions(nb):
        raw = "".join(nb["cells"][i]["source"])
        cells[name] = strip_markers(raw)
        given[name], inside, n = set(), False, 0
        for line in raw.splitlines():                    # number the lines as strip_markers keeps them
            if re.match(r"\s*### (BEGIN|END) SOLUTION", line):
                inside = "BEGIN" in line
                continue
            n += 1
            if not inside:
                given[name].add(n)
    notebook = Notebook(assignment, setup, cells, given)
    for c in nb["cells"]:
        for code in HIDDEN.findall("".join(c["source"])) if meta(c).get("grade") else ():
            names = {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}
            for name in names & set(cells):              # the cell grades the function it is handed
                notebook.graded.setdefault(name, []).append((meta(c)["grade_id"], code))
    return notebook


def grade(notebook, function, cell_source):
    """Run the notebook with cell_source as function's solution cell, then its graded cells.
    Returns (killed, why): why names the cell that failed, and how."""
    ns = {"__name__": "__main__"}
    try:
        exec(compile(notebook.setup, "<setup>", "exec"), ns)
        for name, src in notebook.cells.items():
            exec(compile(cell_source if name == function else src, f"<{name}>", "exec"), ns)
    except Exception as e:
        return True, f"its solution cell raised {type(e).__name__}"
    for grade_id, code in notebook.graded[function]:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")              # a fresh kernel shows each warning once: here, always
            try:
                exec(compile(code, f"<{grade_id}>", "exec"), ns)
            except Exception as e:
                first = str(e).splitlines()[0][:160] if str(e) else ""
                return True, f"{grade_id}: {type(e).__name__}: {first}"
        if err.getvalue() or caught:
            return True, f"{grade_id}: wrote to stderr"
    return False, ""


# ---- mutants -----------------------------------------------------------------------------

@dataclass
class Mutant:
    operator: str      # what changed, e.g. "drop .T"
    line: int          # line in the function, 1 = its def
    given: bool        # the line is outside the solution markers
    before: str        # the original line(s)
    after: str         # the mutated line(s)
    source: str        # the whole mutated solution cell


def _nodes(tree):
    """(path, node) of every node; a path is the (field, index or None) steps from the root."""
    stack = [((), tree)]
    while stack:
        path, node = stack.pop()
        yield path, node
        children = []
        for name, value in ast.iter_fields(node):
            for i, child in (enumerate(value) if isinstance(value, list) else [(None, value)]):
                if isinstance(child, ast.AST):
                    children.append((path + ((name, i),), child))
        stack += reversed(children)                      # so that nodes come in the order of the source


def _at(tree, path):
    for name, i in path:
        tree = getattr(tree, name) if i is None else getattr(tree, name)[i]
    return tree


def _replaced(tree, path, new):
    tree = copy.deepcopy(tree)
    parent, (name, i) = _at(tree, path[:-1]), path[-1]
    new = ast.copy_location(new, _at(tree, path))       # unparse reads the line of a statement
    if i is None:
        setattr(parent, name, new)
    else:
        getattr(parent, name)[i] = new
    return tree


def _e(text):
    return ast.parse(text, mode="eval").body


def _plus(node, k):
    return ast.BinOp(copy.deepcopy(node), ast.Add() if k > 0 else ast.Sub(), ast.Constant(abs(k)))


SWAP_OPS = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Add, ast.Div], ast.Div: [ast.Mult],
            ast.MatMult: [ast.Mult], ast.BitAnd: [ast.BitOr], ast.BitOr: [ast.BitAnd]}
SWAP_CMP = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
SWAP_CALLS = {"np.sum": "np.mean", "np.mean": "np.sum", "np.zeros": "np.ones", "np.ones": "np.zeros",
              "np.zeros_like": "np.ones_like", "np.ones_like": "np.zeros_like"}
SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
          ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}


def _similar_names(fn):
    """name -> the local names it can be confused with: those of the same argument list or
    tuple unpacking (a_next, a_prev), and those that share its first two letters or start
    with it (dzf, dzi; x, x0)."""
    local = {a.arg for a in fn.args.args}
    groups = [[a.arg for a in fn.args.args]]
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
        if isinstance(node, (ast.Tuple, ast.List)) and isinstance(node.ctx, ast.Store):
            groups.append([e.id for e in node.elts if isinstance(e, ast.Name)])
    similar = {n: set() for n in local}
    for g in groups:
        for n in g:
            similar[n] |= set(g) - {n}
    for a in local:
        for b in local - {a}:
            if a[:2] == b[:2] or b.startswith(a) or a.startswith(b):
                similar[a].add(b)
    return {n: sorted(s) for n, s in similar.items()}


def _is_index(path, tree):
    """Is the node at path an index or slice bound (x[t], x[:, t], x[:n]) or an argument of range?"""
    parent, (name, _) = _at(tree, path[:-1]), path[-1]
    if isinstance(parent, ast.Slice) or (isinstance(parent, ast.Subscript) and name == "slice"):
        return True
    if isinstance(parent, ast.Tuple) and len(path) > 1:
        grand, (gname, _) = _at(tree, path[:-2]), path[-2]
        return isinstance(grand, ast.Subscript) and gname == "slice"
    return isinstance(parent, ast.Call) and name == "args" and ast.unparse(parent.func) == "range"


def alternatives(node, path, tree, similar):
    """(operator, replacement node) of every one-change mutation of node."""
    c = copy.deepcopy
    if isinstance(node, ast.BinOp):
        for op in SWAP_OPS.get(type(node.op), []):
            yield f"{SYMBOL[type(node.op)]} -> {SYMBOL[op]}", ast.BinOp(c(node.left), op(), c(node.right))
        if isinstance(node.op, ast.MatMult):
            yield "swap the operands of @", ast.BinOp(c(node.right), ast.MatMult(), c(node.left))
            for side in ("left", "right"):
                operand = getattr(node, side)
                if isinstance(operand, (ast.Name, ast.Subscript)):
                    new = c(node)
                    setattr(new, side, ast.Attribute(c(operand), "T", ast.Load()))
                    yield "add .T", new
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            yield "drop the right operand", c(node.left)
            if not isinstance(node.op, ast.Div):
                yield "drop the left operand", (c(node.right) if not isinstance(node.op, ast.Sub)
                                                else ast.UnaryOp(ast.USub(), c(node.right)))
    elif isinstance(node, ast.AugAssign):
        for op in SWAP_OPS.get(type(node.op), []):
            yield f"{SYMBOL[type(node.op)]}= -> {SYMBOL[op]}=", ast.AugAssign(c(node.target), op(), c(node.value))
        yield f"{SYMBOL[type(node.op)]}= -> =", ast.Assign([c(node.target)], c(node.value))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        yield "drop a unary -" if isinstance(node.op, ast.USub) else "drop a not", c(node.operand)
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAP_CMP:
        op = SWAP_CMP[type(node.ops[0])]
        yield f"{SYMBOL[type(node.ops[0])]} -> {SYMBOL[op]}", ast.Compare(c(node.left), [op()], c(node.comparators))
    elif isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.ctx, ast.Load):
        yield "drop .T", c(node.value)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        for k in (1, -1):
            yield "constant +-1", ast.Constant(node.value + k)
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in similar:
        if _is_index(path, tree):
            yield "index +-1", _plus(node, 1)
            yield "index +-1", _plus(node, -1)
        for other in similar[node.id]:
            yield "another variable", ast.Name(other, ast.Load())
    elif isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        if len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred):
            yield f"drop the call {func}()", c(node.args[0])
        if not node.args and not node.keywords and isinstance(node.func, ast.Attribute):
            yield f"drop the call .{node.func.attr}()", c(node.func.value)
        if func == "range" and not _is_reversed(path, tree):
            yield "range -> reversed(range)", ast.Call(ast.Name("reversed", ast.Load()), [c(node)], [])
        if func in SWAP_CALLS:
            yield f"{func} -> {SWAP_CALLS[func]}", ast.Call(_e(SWAP_CALLS[func]), c(node.args), c(node.keywords))
        for i in range(len(node.args) - 1):
            args = c(node.args)
            args[i], args[i + 1] = args[i + 1], args[i]
            yield "swap two arguments", ast.Call(c(node.func), args, c(node.keywords))
        for i, kw in enumerate(node.keywords):
            keywords = c(node.keywords)
            del keywords[i]
            yield f"drop {kw.arg}=", ast.Call(c(node.func), c(node.args), keywords)
    if isinstance(node, ast.stmt):
        yield "remove the statement", ast.Pass()


def _is_reversed(path, tree):
    parent = _at(tree, path[:-1])
    return isinstance(parent, ast.Call) and ast.unparse(parent.func) == "reversed"


def _splice(src, node, text):
    """src with node's text replaced by text."""
    lines = src.splitlines(keepends=True)

    def offset(lineno, col):                             # ast's columns count UTF-8 bytes
        return sum(map(len, lines[:lineno - 1])) + len(lines[lineno - 1].encode()[:col].decode())
    return src[:offset(node.lineno, node.col_offset)] + text + src[offset(node.end_lineno, node.end_col_offset):]


def mutants(cell, function, given=frozenset()):
    """Every one-change mutant of function's solution cell, in the order of the source."""
    tree = ast.parse(cell)
    fn_path, fn = next((p, n) for p, n in _nodes(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    body = fn.body[1:] if fn.body and isinstance(fn.body[0], ast.Expr) and \
        isinstance(fn.body[0].value, ast.Constant) and isinstance(fn.body[0].value.value, str) else fn.body
    similar = _similar_names(fn)
    seen = {ast.unparse(tree)}
    lines = cell.splitlines()
    found = []
    for stmt in body:
        start = (*fn_path, ("body", fn.body.index(stmt)))
        for rel, node in _nodes(stmt):
            path = start + rel
            if any(isinstance(_at(tree, path[:k]), ast.JoinedStr) for k in range(len(path))):
                continue                                 # f-string parts: their positions are unreliable
            for operator, new in alternatives(node, path, tree, similar):
                mutated = _replaced(tree, path, new)
                expected = ast.unparse(mutated)
                if expected in seen:
                    continue                             # the same code as the original or another mutant
                seen.add(expected)
                text = ast.unparse(new)
                for candidate in (text, f"({text})"):    # parentheses only where precedence needs them
                    source = _splice(cell, node, candidate)
                    try:
                        if ast.unparse(ast.parse(source)) == expected:
                            compile(source, function, "exec")
                            break
                    except SyntaxError:
                        pass
                else:
                    continue                             # does not compile
                compound = isinstance(node, (ast.For, ast.While, ast.If, ast.With))
                before = lines[node.lineno - 1:node.end_lineno]
                before = before[0].strip() + " ..." if compound else " ".join(s.strip() for s in before)
                n_after = candidate.count("\n") + 1
                after = " ".join(s.strip() for s in source.splitlines()[node.lineno - 1:node.lineno - 1 + n_after])
                found.append(Mutant(operator, node.lineno - fn.lineno + 1, node.lineno in given,
                                    before, after, source))
    return found


# ---- workers that can be killed one at a time ----------------------------------------------

def _serve(conn, notebook):
    sys.stdout = open(os.devnull, "w")                   # the notebooks print; the progress bar should not move
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(grade(notebook, *job))


def grade_all(notebook, jobs, n_workers, timeout, progress):
    """[(killed, why)] of jobs [(function, cell source)], graded by n_workers forked workers.
    A worker that runs past timeout is killed (the mutant with it) and replaced."""
    ctx = multiprocessing.get_context("fork")            # workers inherit the imports and the graders' caches

    def start():
        conn, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child, notebook), daemon=True)
        proc.start()
        child.close()
        return conn, proc

    results, pending = [None] * len(jobs), list(range(len(jobs)))[::-1]
    idle, busy = [start() for _ in range(min(n_workers, len(jobs)))], {}
    while pending or busy:
        while idle and pending:
            (conn, proc), i = idle.pop(), pending.pop()
            conn.send(jobs[i])
            busy[conn] = (proc, i, time.monotonic() + timeout)
        wait = max(0.0, min(deadline for _, _, deadline in busy.values()) - time.monotonic())
        for conn in multiprocessing.connection.wait(list(busy), timeout=wait):
            proc, i, _ = busy.pop(conn)
            try:
                results[i] = conn.recv()
                idle.append((conn, proc))
            except EOFError:                             # the worker died (a crash in C, say)
                results[i] = (True, "the worker died")
                proc.join()
                idle.append(start())
            progress.update()
        for conn, (proc, i, deadline) in list(busy.items()):
            if time.monotonic() > deadline:
                proc.kill()
                proc.join()
                conn.close()
                del busy[conn]
                results[i] = (True, f"timed out after {timeout:g} s")
                idle.append(start())
                progress.update()
    for conn, proc in idle:
        conn.send(None)
        proc.join()
    return results


# ---- the run -------------------------------------------------------------------------------

def score_assignment(assignment, max_per_function, n_workers, timeout):
    """{function: summary} of one assignment, functions in notebook order."""
    os.chdir(SOURCE / assignment)                        # as the kernel runs: the notebook's folder,
    sys.path.insert(0, str(SOURCE / assignment))         # whose helper modules the setup cell imports
    try:
        notebook = read_notebook(assignment)
        summaries, jobs, owners = {}, [], []
        for function, cell in notebook.cells.items():
            summary = summaries[function] = {"function": function, "graded_cells": [g for g, _ in
                                                                                    notebook.graded.get(function, [])]}
            if function not in notebook.graded:
                summary["error"] = "no graded cell names it"
                continue
            killed, why = grade(notebook, function, cell)    # in this process: also warms the caches workers inherit
            if killed:
                summary["error"] = f"the unchanged solution fails: {why}"
                continue
            found = mutants(cell, function, notebook.given[function])
            summary["generated"] = len(found)
            if len(found) > max_per_function:            # a fixed sample, the same on every run
                keep = set(random.Random(f"{assignment}/{function}").sample(range(len(found)), max_per_function))
                found = [m for k, m in enumerate(found) if k in keep]
            summary["mutants"] = found
            jobs += [(function, m.source) for m in found]
            owners += [function] * len(found)
        with tqdm(total=len(jobs), desc=assignment, unit="mutant", leave=False) as progress:
            results = grade_all(notebook, jobs, n_workers, timeout, progress)
    finally:
        sys.path.remove(str(SOURCE / assignment))
        for name, module in list(sys.modules.items()):   # the next assignment imports its own helpers
            if str(getattr(module, "__file__", "") or "").startswith(str(SOURCE / assignment)):
                del sys.modules[name]
        os.chdir(ROOT)
    by_function = {}
    for function, result in zip(owners, results):
        by_function.setdefault(function, []).append(result)
    for function, summary in summaries.items():
        if "mutants" not in summary:
            continue
        found, verdicts = summary.pop("mutants"), by_function.get(function, [])
        summary["graded"] = len(found)
        summary["killed"] = sum(k for k, _ in verdicts)
        summary["timed_out"] = sum(why.startswith("timed out") for _, why in verdicts)
        summary["survived"] = len(found) - summary["killed"]
        summary["score"] = summary["killed"] / len(found) if found else None
        summary["survivors"] = [{k: v for k, v in asdict(m).items() if k != "source"}
                                for m, (killed, _) in zip(found, verdicts) if not killed]
    return summaries


def print_report(report, seconds):
    rows = [(a, f) for a, functions in report.items() for f in functions.values()]
    print(f"{'assignment':22s} {'function':26s} {'mutants':>9s} {'killed':>7s} {'timed out':>10s} "
          f"{'survived':>9s} {'score':>7s}")
    totals = [0, 0, 0, 0]
    for a, f in rows:
        if "error" in f:
            print(f"{a:22s} {f['function']:26s} {f['error']}")
            continue
        graded = f"{f['graded']}/{f['generated']}" if f["generated"] > f["graded"] else str(f["graded"])
        score = "-" if f["score"] is None else f"{f['score']:.1%}"
        print(f"{a:22s} {f['function']:26s} {graded:>9s} {f['killed']:>7d} {f['timed_out']:>10d} "
              f"{f['survived']:>9d} {score:>7s}")
        totals = [t + f[k] for t, k in zip(totals, ("graded", "killed", "timed_out", "survived"))]
    if totals[0]:
        print(f"{'total':49s} {totals[0]:>9d} {totals[1]:>7d} {totals[2]:>10d} {totals[3]:>9d} "
              f"{totals[1] / totals[0]:>7.1%}")
    if totals[2]:
        print("(killed includes the mutants that timed out)")
    if any(f.get("generated", 0) > f.get("graded", 0) for _, f in rows):
        print("(a/b: a fixed sample of a of the b mutants; see --max-per-function)")
    survivors = [(a, f, s) for a, f in rows for s in f.get("survivors", [])]
    if survivors:
        print(f"\n{len(survivors)} survivors (line in the function; [given]: outside the solution markers):")
    for a, f, s in survivors:
        print(f"  {a} {f['function']} line {s['line']}{' [given]' if s['given'] else ''} ({s['operator']}): "
              f"{s['before']}  ->  {s['after']}")
    print(f"\nrun time {seconds:.0f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assignment", choices=sorted(assignments()), help="only this assignment")
    ap.add_argument("--max-per-function", type=int, default=500,
                    help="grade a fixed sample of this many mutants of a function that has more (default 500)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes (default: one per core)")
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds a mutant may take for all its graded cells before it counts as killed (default 10)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = ap.parse_args()
    tqdm.monitor_interval = 0                            # no monitor thread in a process that forks
    start = time.perf_counter()
    report = {a: score_assignment(a, args.max_per_function, args.jobs, args.timeout)
              for a in ([args.assignment] if args.assignment else sorted(assignments()))}
    seconds = time.perf_counter() - start
    if args.json:
        json.dump({"assignments": {a: list(f.values()) for a, f in report.items()}, "seconds": round(seconds, 1)},
                  sys.stdout, indent=1)
        print()
    else:
        print_report(report, seconds)


if __name__ == "__main__":
    main()
