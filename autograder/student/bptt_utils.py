"""Helpers for the notebooks' visible tests and gradient checks.

This file ships with every release, next to the notebook. It holds no solutions: only ways to
make test inputs, to compare arrays, and to check a gradient numerically.
"""
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

    The printed line shows whether they agree to tol and the largest relative error. (Floating
    point rarely gives the same last digits twice, so agreement to tol is what counts.)
    """
    yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    check_shape(name, yours, expected.shape)
    err = relative_error(yours, expected)
    print(f"{name:14s} {'ok' if err < tol else 'WRONG':5s} max relative error {err:.1e}")
    assert err < tol, f"{name} is wrong: max relative error {err:.2g}\n  yours:    {yours.ravel()[:6]}\n  expected: {expected.ravel()[:6]}"


def gradient_check(loss, inputs, grads, tol=1e-7, h=1e-5):
    """Check analytic gradients against central differences of a scalar loss.

    Inputs:
    - loss: function of no argument returning a float; it must read the arrays in inputs
    - inputs: dict name -> array, for example {"xt": xt, "a_prev": a_prev, "Wax": Wax}
    - grads: dict name -> your analytic gradient of loss with respect to inputs[name]
    Prints one line per gradient, with its relative error ||g - g_num|| / (||g|| + ||g_num||),
    and fails if any exceeds tol.
    """
    worst = {}
    for name, x in inputs.items():
        num = numerical_gradient(loss, x, h)
        check_shape("d" + name, grads[name], x.shape)
        worst[name] = gradient_difference(grads[name], num)
        ok = "ok" if worst[name] < tol else "WRONG"
        print(f"d{name:10s} relative error {worst[name]:.1e}  {ok}")
    bad = [n for n, e in worst.items() if e >= tol]
    assert not bad, f"gradient check failed for {', '.join('d' + n for n in bad)} (relative error above {tol:g})"
    print("All gradients agree with the numerical ones.")


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
