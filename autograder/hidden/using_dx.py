"""Hidden tests of assignment 04: input gradients, saliency, input optimisation and FGSM
through a frozen model.

The frozen model is the LSTM of adding_model.npz, trained on the adding problem with the
recipe stored in the file (tests/test_using_dx.py retrains it and compares). Small random
RNNs and LSTMs add non-square (n_x != n_a), square, n_y = 2, m = 1 and T_x = 1 cases. Every
function is graded against autograder.reference.using_dx, which is itself checked here against
central differences (input_gradient) and against what it promises (optimize_input reaches the
target, the perturbation shifts the prediction by the amount asked and no smaller step does).

Functions that call input_gradient or predict run with the reference versions swapped in, so
that one bug is charged once. Everything is deterministic: fixed seeds, a committed model.
"""
import copy
from functools import cache
from pathlib import Path

import numpy as np

from ..diagnostics import is_close
from ..reference import adding_task as task
from ..reference import using_dx as ref
from ..student.bptt_utils import gradient_difference, lstm_parameters, numerical_gradient, rnn_parameters
from . import Case, _run, grade, large, quiet

ASSIGNMENT = "04_using_dx"
SEED = 4099
MODEL_FILE = Path(task.__file__).with_name("adding_model.npz")

DX = {"rnn": "dx of the RNN", "lstm": "dx of the LSTM"}
OPT = {"plain": ("x", "history"),
       "l2": ("x with the L2 penalty", "history with the L2 penalty"),
       "mask": ("x with a mask", None)}
FGSM = {"plain": ("x_adv", "eps"),
        "edge": ("x_adv for a negative or unreachable shift", "eps for a negative or unreachable shift")}

# grade_id of each graded cell -> (the function it grades, the outputs it checks)
GRADED_CELLS = {
    "input_gradient_rnn": ("input_gradient", (DX["rnn"],)),
    "input_gradient_lstm": ("input_gradient", (DX["lstm"],)),
    "saliency_gradient": ("saliency", ("gradient saliency",)),
    "saliency_gradient_x_input": ("saliency", ("gradient x input saliency",)),
    "optimize_input": ("optimize_input", OPT["plain"]),
    "optimize_input_l2": ("optimize_input", OPT["l2"]),
    "optimize_input_mask": ("optimize_input", OPT["mask"][:1]),
    "fgsm_perturbation": ("fgsm_perturbation", FGSM["plain"]),
    "fgsm_perturbation_edge": ("fgsm_perturbation", FGSM["edge"]),
}

SHAPES = [dict(n_x=2, n_a=5, n_y=1, m=4, T_x=6),
          dict(n_x=3, n_a=3, n_y=2, m=3, T_x=5),     # square, and two outputs
          dict(n_x=2, n_a=4, n_y=1, m=1, T_x=4),     # a single sequence
          dict(n_x=4, n_a=3, n_y=1, m=5, T_x=1)]     # a single time step


# input_gradient's large cases (hidden/__init__.py): 10,000 and 4,800 entries of x, 30 to 50 steps
LARGE = {"rnn": large(n_x=100, n_a=20, n_y=1, m=2, T_x=50), "lstm": large(n_x=60, n_a=20, n_y=1, m=2, T_x=40)}


@cache
def frozen_model():
    return task.load_model(MODEL_FILE)[0]


def random_model(kind, s, seed):
    make = rnn_parameters if kind == "rnn" else lstm_parameters
    return {"kind": kind, "parameters": make(s["n_x"], s["n_a"], s["n_y"], seed=seed)}


def _label(s):
    return ", ".join(f"{d}={s[d]}" for d in ("n_x", "n_a", "n_y", "m", "T_x"))


def adding_batch(m, seed, T_x=20):
    return task.adding_problem(m, T_x, seed=SEED + seed)[0]


def input_gradient_cases(kind):
    cases = []
    for i, s in enumerate(SHAPES):
        rng = np.random.default_rng(SEED + i)
        x = rng.standard_normal((s["n_x"], s["m"], s["T_x"]))
        dy = rng.standard_normal((s["n_y"], s["m"]))
        cases.append(Case(f"random {kind.upper()}, {_label(s)}", (x, random_model(kind, s, SEED + 10 + i), dy)))
    s = LARGE[kind]           # a backward pass numerically would need 2 * n_x * m * T_x forward passes
    rng = np.random.default_rng(SEED + 9)
    cases.append(Case(f"random {kind.upper()}, {_label(s)} (large)",
                      (rng.standard_normal((s["n_x"], s["m"], s["T_x"])), random_model(kind, s, SEED + 19),
                       rng.standard_normal((s["n_y"], s["m"])))))
    if kind == "lstm":
        x = adding_batch(3, 1)
        cases.append(Case("the trained LSTM, its weights moved by about 0.1%, an adding-problem batch of m=3, T_x=20",
                          (x, nudged(frozen_model()), np.array([[1.0, -0.5, 2.0]]))))
    return cases


def nudged(model):
    """The model with every weight moved by about 0.1%: a trained model all the same, but not the one
    of the later cells' cases. While those are graded, the judge answers their calls of
    input_gradient only with their own model, which must not be one of input_gradient's cases."""
    rng = np.random.default_rng(SEED + 40)
    return dict(model, parameters={k: v * (1 + 1e-3 * rng.standard_normal(v.shape))
                                   for k, v in model["parameters"].items()})


def saliency_cases(method):
    s = dict(SHAPES[0], n_y=1)
    x = np.random.default_rng(SEED + 20).standard_normal((s["n_x"], s["m"], s["T_x"]))
    return [Case(f"the trained LSTM, m=5, T_x=20, method={method!r}", (adding_batch(5, 2), frozen_model(), method)),
            Case(f"random RNN, {_label(s)}, method={method!r}", (x, random_model("rnn", s, SEED + 21), method)),
            Case(f"the trained LSTM, m=1, T_x=7, method={method!r}", (adding_batch(1, 3, T_x=7), frozen_model(), method))]


def optimize_cases(kind):
    """(x0, model, target, n_steps, lr, l2, mask) on the trained LSTM and a small random RNN."""
    x0 = adding_batch(3, 4)
    values_only = np.array([1.0, 0.0]).reshape(2, 1, 1)
    s = dict(n_x=3, n_a=4, n_y=1, m=2, T_x=5)
    x_r = np.random.default_rng(SEED + 30).standard_normal((3, 2, 5))
    rnn = random_model("rnn", s, SEED + 31)
    l2, mask = {"plain": (0.0, None), "l2": (0.1, None), "mask": (0.0, values_only)}[kind]
    mask_r = None if mask is None else np.array([1.0, 0.0, 1.0]).reshape(3, 1, 1)
    return [Case(f"the trained LSTM, m=3, T_x=20, target=[1.5, 0.2, 1.0], l2={l2}",
                 (x0, frozen_model(), np.array([[1.5, 0.2, 1.0]]), 25, 0.1, l2, mask)),
            Case(f"random RNN, {_label(s)}, target=0.5, l2={l2}", (x_r, rnn, 0.5, 20, 0.05, l2, mask_r))]


def fgsm_cases(kind):
    """(x, model, shift, step, max_eps)

    Besides a positive and a negative shift on each model, cases at the ends of the grid of
    step sizes (tests/test_using_dx.py checks that each is what its label says, with a margin
    that rounding cannot cross):
    - plain (every sequence within reach): a sequence that gets there at the first step
      (eps = step); one that gets there only at eps = max_eps, where max_eps / step is
      28.999999999999996 in floating point (0.29 / 0.01); an input feature whose gradient is
      exactly 0 (a zero column of Wax), which np.sign leaves where it is;
    - edge (some sequences out of reach): one sequence gets there at eps = max_eps and one
      never; one sequence would need one step more than max_eps (its eps stays inf); a shift
      out of reach of every sequence.
    """
    x = adding_batch(4, 5)
    s = dict(n_x=3, n_a=4, n_y=1, m=3, T_x=6)
    x_r = np.random.default_rng(SEED + 40).standard_normal((3, 3, 6))
    rnn = random_model("rnn", s, SEED + 41)
    rnn_r = f"random RNN, {_label(s)}"
    if kind == "plain":
        deaf = copy.deepcopy(rnn)
        deaf["parameters"]["Wax"][:, 1] = 0.0      # feature 1 does not reach the output
        return [Case("the trained LSTM, m=4, T_x=20, shift=0.3", (x, frozen_model(), 0.3, 0.01, 0.5)),
                Case(f"{rnn_r}, shift=0.2", (x_r, rnn, 0.2, 0.01, 1.0)),
                Case(f"{rnn_r}, shift=0.025 (some sequences get there at the first step)",
                     (x_r, rnn, 0.025, 0.01, 1.0)),
                Case(f"{rnn_r}, shift=0.185, step=0.01, max_eps=0.29 (a sequence gets there only at "
                     "eps = max_eps, the 29th step)", (x_r, rnn, 0.185, 0.01, 0.29)),
                Case(f"{rnn_r} whose input feature 1 does not reach the output (dy_hat/dx is exactly 0 "
                     "there), shift=0.2", (x_r, deaf, 0.2, 0.01, 1.0))]
    return [Case("the trained LSTM, m=4, T_x=20, shift=-0.25", (x, frozen_model(), -0.25, 0.01, 0.5)),
            Case(f"{rnn_r}, shift=-0.2", (x_r, rnn, -0.2, 0.01, 1.0)),
            Case("the trained LSTM, m=4, T_x=20, shift=0.7, step=0.01, max_eps=0.15 (a sequence gets "
                 "there only at eps = max_eps, and one never does)", (x, frozen_model(), 0.7, 0.01, 0.15)),
            Case(f"{rnn_r}, shift=0.185, step=0.01, max_eps=0.28 (a sequence would need one step "
                 "more than max_eps)", (x_r, rnn, 0.185, 0.01, 0.28)),
            Case("the trained LSTM, m=4, T_x=20, shift=1.5 (out of reach for every sequence)",
                 (x, frozen_model(), 1.5, 0.02, 0.2))]


# ---- self-checks: the reference keeps its promises, so that the tests cannot be wrong --------

@cache
def check_reference():
    """input_gradient agrees with central differences; optimize_input and fgsm_perturbation do
    what their docstrings promise on the hidden cases."""
    for kind in ("rnn", "lstm"):
        x, model, dy = input_gradient_cases(kind)[1].args
        x = x.copy()
        J = lambda: float(np.sum(dy * task.predict(x, model)[0]))
        err = gradient_difference(ref.input_gradient(x, model, dy), numerical_gradient(J, x))
        if err > 1e-7:
            raise RuntimeError(f"grader self-check failed: reference input_gradient ({kind}) off by {err:.1e}")
    x0, model, target, n_steps, lr, _, mask = optimize_cases("plain")[0].args
    x, _ = ref.optimize_input(x0, model, target, n_steps, lr, 0.0, mask)
    if np.max(np.abs(task.predict(x, model)[0] - target)) > 1e-3:
        raise RuntimeError("grader self-check failed: reference optimize_input misses its target")
    for case in fgsm_cases("plain") + fgsm_cases("edge"):
        x, model, shift, step, max_eps = case.args
        x_adv, eps = ref.fgsm_perturbation(x, model, shift, step, max_eps)
        moved = np.sign(shift) * (task.predict(x_adv, model)[0][0] - task.predict(x, model)[0][0])
        ok = np.isfinite(eps)
        if not (np.all(moved[ok] >= abs(shift)) and np.all(moved[~ok] == 0)):
            raise RuntimeError("grader self-check failed: reference fgsm_perturbation misses its shift")
    return True


# ---- what the graded cells call ---------------------------------------------------------

SWAP = {"predict": task.predict, "readout_weights": task.readout_weights}


def grade_input_gradient(fn, kind):
    """kind: 'rnn' or 'lstm'. Compared with the reference, which agrees with numerical gradients."""
    check_reference()
    from ..reference.lstm import lstm_backward
    from ..reference.rnn import rnn_backward
    grade(fn, ref.input_gradient, input_gradient_cases(kind), (DX[kind],), name="input_gradient",
          outputs=DX[kind], sequence=True,
          swap=dict(SWAP, rnn_backward=rnn_backward, lstm_backward=lstm_backward))


def grade_saliency(fn, method):
    """method: 'gradient' or 'gradient_x_input'. Run with the reference input_gradient."""
    key = GRADED_CELLS["saliency_" + method][1][0]
    grade(fn, ref.saliency, saliency_cases(method), (key,), name="saliency", outputs=key,
          swap=dict(SWAP, input_gradient=ref.input_gradient))


def _effect(fn, case, describe_effect, outputs):
    """A sentence on what the student's output does on the first case, for the failure message
    ("" when there is nothing to add)."""
    out, error = _run(fn, case.args, outputs, fn.__name__, dict(SWAP, input_gradient=ref.input_gradient))
    if error or out is None:
        return ""          # the message already says what went wrong
    try:
        with quiet():
            sentence = describe_effect(case.args, [out[k] for k in outputs if k])
        return " " + sentence if sentence else ""
    except Exception:   # an output this cannot read: the message already says what is wrong with it
        return ""


def grade_optimize_input(fn, kind):
    """kind: 'plain' (no penalty, no mask), 'l2' or 'mask'."""
    check_reference()
    cases = optimize_cases(kind)
    keys = tuple(k for k in OPT[kind] if k)

    def effect(args, out):
        x0, model, target = args[:3]
        y = task.predict(np.asarray(out[0], dtype=float), model)[0]
        y_ref = task.predict(ref.optimize_input(*args)[0], model)[0]
        if np.allclose(y, y_ref, rtol=0, atol=1e-6):
            return ""        # the output is right; the message says what else is wrong
        return (f"On the first case your x gives y_hat = {np.round(y.ravel(), 3).tolist()} for the target "
                f"{np.round(np.ravel(target), 3).tolist()}; the reference's gives {np.round(y_ref.ravel(), 3).tolist()}.")
    try:
        grade(fn, ref.optimize_input, cases, keys, name="optimize_input", outputs=OPT[kind],
              swap=dict(SWAP, input_gradient=ref.input_gradient))
    except AssertionError as e:
        raise AssertionError(str(e) + _effect(fn, cases[0], effect, OPT[kind])) from None


def _first_wrong(fn, reference, cases, outputs, name, swap):
    """The first case on which fn's outputs differ from the reference's (the one that grade's
    message names), or None."""
    for case in cases:
        out, error = _run(fn, case.args, outputs, name, swap)
        if error:
            return case
        expected = dict(zip(outputs, reference(*copy.deepcopy(case.args))))
        if any(not is_close(out.get(k), v) for k, v in expected.items()):
            return case
    return None


def grade_fgsm_perturbation(fn, kind):
    """kind: 'plain' (positive shifts, every sequence within reach) or 'edge' (negative shifts,
    and sequences out of reach). Both have cases at the ends of the grid of steps."""
    check_reference()
    cases = fgsm_cases(kind)
    swap = dict(SWAP, input_gradient=ref.input_gradient)

    def effect(args, out):
        x, model, shift = args[:3]
        moved = task.predict(np.asarray(out[0], dtype=float), model)[0][0] - task.predict(x, model)[0][0]
        return (f"On that case your x_adv moves the predictions by {np.round(moved, 3).tolist()}, "
                f"for a shift of {shift}, with eps = {np.round(np.asarray(out[1], dtype=float), 3).tolist()}.")
    try:
        grade(fn, ref.fgsm_perturbation, cases, FGSM[kind], name="fgsm_perturbation", outputs=FGSM[kind],
              swap=swap)
    except AssertionError as e:
        wrong = _first_wrong(fn, ref.fgsm_perturbation, cases, FGSM[kind], "fgsm_perturbation", swap)
        raise AssertionError(str(e) + (_effect(fn, wrong, effect, FGSM[kind]) if wrong else "")) from None
