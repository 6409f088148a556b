"""Helpers for the notebooks' visible tests and gradient checks.

This file ships with every release, next to the notebook. It holds no solutions: only ways to
make test inputs, to compare arrays, to say how far an array is from the right one, to check a
gradient numerically, and to name a known mistake from the data file known_mistakes.json beside
the notebook (generated from the course's catalogue of mistakes by tools/known_mistakes.py).
"""
import contextlib
import json

import numpy as np


def rnn_parameters(n_x, n_a, n_y, seed=0, scale=0.5):
    """Random RNN parameters: Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1)."""
    rng = np.random.default_rng(seed)
    shapes = {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "Wya": (n_y, n_a), "ba": (n_a, 1), "by": (n_y, 1)}
    return {k: scale * rng.standard_normal(s) for k, s in shapes.items()}


def lstm_parameters(n_x, n_a, n_y, seed=0, scale=0.5):
    """Random LSTM parameters: Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf, bi, bc, bo (n_a, 1),
    Wy (n_y, n_a), by (n_y, 1)."""
    rng = np.random.default_rng(seed)
    shapes = {}
    for gate in "fico":
        shapes["W" + gate] = (n_a, n_a + n_x)
        shapes["b" + gate] = (n_a, 1)
    shapes.update(Wy=(n_y, n_a), by=(n_y, 1))
    return {k: scale * rng.standard_normal(s) for k, s in shapes.items()}


def stacked_rnn_parameters(V, n_e, n_a, L, seed=0, scale=0.5):
    """Random parameters of assignment 03's language model: We (n_e, V); for l = 1..L,
    Wax{l} (n_a, n_e for l = 1, else n_a), Waa{l} (n_a, n_a), ba{l} (n_a, 1); Wya (V, n_a), by (V, 1)."""
    rng = np.random.default_rng(seed)
    shapes = {"We": (n_e, V)}
    for l in range(1, L + 1):
        shapes.update({f"Wax{l}": (n_a, n_e if l == 1 else n_a), f"Waa{l}": (n_a, n_a), f"ba{l}": (n_a, 1)})
    shapes.update(Wya=(V, n_a), by=(V, 1))
    return {k: scale * rng.standard_normal(s) for k, s in shapes.items()}


def attention_parameters(n_a, n_s, n_e, seed=0, scale=0.5):
    """Random parameters of assignment 05's additive attention: Wa (n_e, n_a), Ws (n_e, n_s),
    b (n_e, 1), v (1, n_e)."""
    rng = np.random.default_rng(seed)
    shapes = {"Wa": (n_e, n_a), "Ws": (n_e, n_s), "b": (n_e, 1), "v": (1, n_e)}
    return {k: scale * rng.standard_normal(s) for k, s in shapes.items()}


def seq2seq_parameters(n_x, n_a, n_e, n_y, seed=0, scale=0.5):
    """Random parameters of assignment 05's model: {"encoder": an LSTM's (with one unused output),
    "attention": attention_parameters(n_a, n_a, n_e), "decoder": an RNN cell's with n_x = n_a}."""
    return {"encoder": lstm_parameters(n_x, n_a, 1, seed=seed, scale=scale),
            "attention": attention_parameters(n_a, n_a, n_e, seed=seed + 1, scale=scale),
            "decoder": rnn_parameters(n_a, n_a, n_y, seed=seed + 2, scale=scale)}


def relative_error(a, b):
    """Largest elementwise |a - b| / (|a| + |b|), with tiny denominators clamped to 1e-8."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def gradient_difference(grad, num):
    """||grad - num|| / (||grad|| + ||num||): the relative error of a whole gradient, as in the
    standard course's gradient checking. Unlike an elementwise error, entries near zero do not
    inflate it."""
    grad, num = np.asarray(grad, dtype=float), np.asarray(num, dtype=float)
    denom = np.linalg.norm(grad) + np.linalg.norm(num)
    return float(np.linalg.norm(grad - num) / denom) if denom > 0 else 0.0


# ---- how far an array is from the right one, in words ------------------------------------
# The visible tests and the hidden tests' messages say it the same way: how big the error is
# next to the right array (||yours - expected|| / ||expected||, in the Euclidean norm, uncapped),
# or by what factor yours is too large when it is the right array scaled; then where the largest
# difference is, with both values.

def error_size(yours, expected):
    """||yours - expected|| / ||expected||: the error next to the size of the right array,
    uncapped (inf when expected is all zeros and yours is not)."""
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    diff, size = np.linalg.norm(yours - expected), np.linalg.norm(expected)
    return float(diff / size) if size > 0 else (0.0 if diff == 0 else float("inf"))


def _amount(x):
    """3.2, 12, 1234, 1.2e+05: a positive number as a reader wants it."""
    return f"{x:.2g}" if x < 10 else f"{x:.0f}" if x < 1e4 else f"{x:.1e}"


def how_far_off(yours, expected):
    """How far yours (finite, of expected's shape) is from expected, in words: "off by 83% of its
    size", "4 times too large", "of the wrong sign", "all zeros", ..."""
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    size, yours_size = np.linalg.norm(expected), np.linalg.norm(yours)
    if size == 0:
        return "not zero, where it should be all zeros"
    if yours_size == 0:
        return "all zeros"
    # yours is the right array times a factor k (a sum taken as a mean, a sign flipped)? Then say
    # so, when k is a clear factor: below 2/3, above 1.5, or negative
    k = float(np.sum(yours * expected) / size ** 2)
    if np.linalg.norm(yours - k * expected) <= 1e-6 * yours_size and (k < 0 or not 2 / 3 < k < 1.5):
        sign, k = ("of the wrong sign", -k) if k < 0 else ("", k)
        if abs(k - 1) <= 1e-3:
            return sign
        factor = f"{k:.3g} times too large" if k > 1 else f"{1 / k:.3g} times too small"
        return f"{sign} and {factor}" if sign else factor
    r = error_size(yours, expected)
    if r < 3:
        percent = 100 * r
        return f"off by {percent:.0f}% of its size" if percent >= 10 else f"off by {percent:.2g}% of its size"
    return f"off by {_amount(r)} times its size"


def largest_difference(yours, expected, label="expected"):
    """Where yours differs most from expected, with both values: "largest difference at [2, 0]:
    yours 0.5231, expected 0.1104" (label names the right value: "numerical" in gradient checks)."""
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    i = np.unravel_index(int(np.argmax(np.abs(yours - expected))), expected.shape)
    at = f" at [{', '.join(str(int(j)) for j in i)}]" if i else ""
    return f"largest difference{at}: yours {yours[i]:.4g}, {label} {expected[i]:.4g}"


def difference(yours, expected, label="expected"):
    """How far yours is from expected and where, in one phrase: "off by 83% of its size; largest
    difference at [2, 0]: yours 0.5231, expected 0.1104". yours has expected's shape."""
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    if not np.all(np.isfinite(yours)):
        return "it contains NaN or inf"
    return f"{how_far_off(yours, expected)}; {largest_difference(yours, expected, label)}"


def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of the scalar function f() with respect to the array x.

    f takes no argument: it must read x, which is perturbed in place one entry at a time and
    restored afterwards. Returns an array shaped like x.
    """
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def check_shape(name, value, shape):
    """Fail with a clear message unless value is an array of the given shape."""
    value = np.asarray(value)
    assert value.shape == tuple(shape), f"{name} has shape {value.shape}, expected {tuple(shape)}"


def check_close(name, yours, expected, tol=1e-6):
    """Compare your array with expected values; print one line and fail if they differ.

    They agree when every entry does to relative error tol (|a - b| / (|a| + |b|)): floating
    point rarely gives the same last digits twice. The line says by how much and where they differ.
    """
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    check_shape(name, yours, expected.shape)
    if relative_error(yours, expected) < tol:
        largest = float(np.max(np.abs(yours - expected), initial=0.0))
        print(f"{name:14s} ok    largest difference {largest:.1e}")
        return
    diff = difference(yours, expected)
    print(f"{name:14s} WRONG {diff}")
    raise AssertionError(f"{name} is wrong: {diff}\n  yours:    {yours.ravel()[:6]}\n  expected: {expected.ravel()[:6]}")


def gradient_check(loss, inputs, grads, tol=1e-7, h=1e-5):
    """Check analytic gradients against central differences of a scalar loss.

    Inputs:
    - loss: function of no argument returning a float; it must read the arrays in inputs
    - inputs: dict name -> array, for example {"xt": xt, "a_prev": a_prev, "Wax": Wax}
    - grads: dict name -> your analytic gradient of loss with respect to inputs[name]
    Prints one line per gradient, with its relative error ||g - g_num|| / (||g|| + ||g_num||),
    and fails if any exceeds tol, saying how far each wrong gradient is from the numerical one.
    """
    wrong = []
    for name, x in inputs.items():
        num = numerical_gradient(loss, x, h)
        check_shape("d" + name, grads[name], x.shape)
        err = gradient_difference(grads[name], num)
        if err < tol:
            print(f"d{name:10s} relative error {err:.1e}  ok")
        else:
            off = difference(grads[name], num, "numerical")
            wrong.append(f"d{name}: {off}")
            print(f"d{name:10s} relative error {err:.1e}  WRONG: {off}")
    if wrong:
        raise AssertionError(f"gradient check failed (relative error above {tol:g}):\n  " + "\n  ".join(wrong))
    print("All gradients agree with the numerical ones.")


# ---- naming a known mistake in the visible tests -----------------------------------------
# known_mistakes.json, beside the notebook, holds for each function the right outputs and the
# outputs of each catalogued mistake on the visible test's own inputs, as fingerprints (shape,
# first values, size), and where to look when a set of outputs is wrong. The visible test of a
# backward function runs its checks inside `with diagnosis(...)`: when one fails, its message
# ends with the line that `check` gives for the same mistake.

KNOWN_MISTAKES = "known_mistakes.json"


def mistake_line(mistake_id, hint):
    """The one-line diagnosis of a known mistake, as check and the visible tests say it."""
    return f"Known mistake [{mistake_id}]: {hint}."


def pattern_line(hint):
    """Where to look, when the set of wrong outputs points to one place."""
    return f"{hint[:1].upper()}{hint[1:]}."


def fingerprint(value, n=4):
    """A few facts of an array that tell it from another: its shape, its first n values and its
    size (Euclidean norm), to 10 significant digits."""
    value = np.asarray(value, dtype=float)
    digits = lambda x: float(f"{x:.10g}")         # noqa: E731
    return {"shape": list(value.shape), "first": [digits(x) for x in value.ravel()[:n]],
            "size": digits(np.linalg.norm(value))}


def matches(value, fp, tol=1e-6):
    """Whether an array has the fingerprint fp, up to relative error tol (of its size)."""
    try:
        value = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    if list(value.shape) != fp["shape"] or not np.all(np.isfinite(value)):
        return False
    slack = tol * fp["size"] + 1e-12
    first = value.ravel()[:len(fp["first"])]
    return abs(np.linalg.norm(value) - fp["size"]) <= slack and bool(np.all(np.abs(first - fp["first"]) <= slack))


def named_outputs(outputs):
    """{name: value} of a function's outputs; a dict of dicts is flattened as the hidden tests
    name its entries: {"attention": {"dWa": ...}} -> {"dWa (attention)": ...}."""
    named = {}
    for k, v in outputs.items():
        if isinstance(v, dict):
            named.update({f"{kk} ({k})": vv for kk, vv in v.items()})
        else:
            named[k] = v
    return named


def diagnose(function, outputs, path=KNOWN_MISTAKES):
    """The one-line diagnosis of function's outputs on its visible test's inputs: the known
    mistake they match, or where to look; None when the data file says nothing about them."""
    try:
        with open(path) as f:
            known = json.load(f)["functions"][function]
        outputs = named_outputs(outputs)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    for m in known["mistakes"]:
        if all(k in outputs and matches(outputs[k], fp) for k, fp in m["outputs"].items()):
            return mistake_line(m["id"], m["hint"])
    wrong = {k for k, fp in known["outputs"].items() if k not in outputs or not matches(outputs[k], fp)}
    for p in known["patterns"]:          # the outputs it names that this function returns here
        if wrong and set(p["wrong"]) & set(known["outputs"]) == wrong:
            return pattern_line(p["hint"])
    return None


@contextlib.contextmanager
def diagnosis(function, outputs, path=KNOWN_MISTAKES):
    """Run the visible tests of function's outputs in this block. When one fails, its message
    ends with the diagnosis that `check` gives: the known mistake, or where to look."""
    try:
        yield
    except AssertionError as e:
        line = diagnose(function, outputs, path)
        if line is None:
            raise
        raise AssertionError(f"{e}\n{line}") from None


def check_my_work(notebook):
    """Grade the saved notebook with the hidden tests, as the instructor would, and show the result.

    It grades the file on disk: save the notebook first. It needs the course's autograder,
    which self-study learners have; in a class, the hidden tests stay with the instructor.
    """
    import html
    import importlib.util
    import json
    import os
    import subprocess
    import sys
    import time

    if os.environ.get("NBGRADER_EXECUTION"):
        print("(Skipped: nbgrader is running this notebook.)")
        return
    if importlib.util.find_spec("autograder") is None:
        print("The hidden tests are not available here: your instructor grades this notebook.")
        return
    # JupyterLab names the kernel's notebook: a renamed copy is graded, not the original
    session = os.path.basename(os.environ.get("JPY_SESSION_NAME", ""))
    if session.endswith(".ipynb") and session != os.path.basename(notebook) and os.path.isfile(session):
        notebook = session
    if not os.path.isfile(notebook):
        print(f"{notebook} is not in this folder: save the notebook, and keep it next to bptt_utils.py.")
        return
    saved = time.strftime("%H:%M:%S", time.localtime(os.path.getmtime(notebook)))
    print(f"Grading {notebook} as saved at {saved} ...")
    done = subprocess.run([sys.executable, "-m", "autograder", "check", notebook, "--json"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        print(lines[-1] if lines else "The notebook could not be graded.")
        return
    result = json.loads(done.stdout)
    cell = "<td style='text-align:left; vertical-align:top{}'>{}</td>"
    rows = "".join(
        "<tr>" + cell.format("", f"<code>{t['grade_id']}</code>")
        + cell.format("; white-space:nowrap", f"{t['score']:g} / {t['max_score']:g}")
        + cell.format(f"; color:{'green' if t['passed'] else '#c00'}", "pass" if t["passed"] else "FAIL")
        + cell.format("", html.escape(t["message"])) + "</tr>" for t in result["tests"])
    head = "".join(f"<th style='text-align:left'>{h}</th>" for h in ("graded cell", "points", "result", "message"))
    total = f"<tr><th style='text-align:left'>total</th><th style='text-align:left; white-space:nowrap'>" \
            f"{result['score']:g} / {result['max_score']:g}</th><th></th><th></th></tr>"
    table = f"<table class='bptt-check'><tr>{head}</tr>{rows}{total}</table>"
    try:
        from IPython.display import HTML, display
        display(HTML(table))
    except ImportError:
        for t in result["tests"]:
            print(f"{t['grade_id']:30s} {t['score']:g}/{t['max_score']:g} {'pass' if t['passed'] else 'FAIL'} {t['message']}")
        print(f"Total: {result['score']:g} / {result['max_score']:g}")
