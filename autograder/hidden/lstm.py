"""Hidden tests of assignment 02: the LSTM cell and sequence, forward and backward.

Each graded cell calls one function here with the student's function and the part it grades.
Cases mix non-square shapes (n_x != n_a), a square one (where swapped a_prev/xt slices and
missing transposes keep their shapes), m = 1 and T_x = 1. The cell's backward pass always gets
a nonzero dc_next and a nonzero c_prev, so that both routes into c_prev and the forget gate's
gradient are exercised. Seeds differ from the visible tests'.
"""
import functools

import numpy as np

from ..reference import lstm as ref
from ..student.bptt_utils import gradient_difference, lstm_parameters, numerical_gradient
from . import Case, grade, large, shape_label
from .caches import Cache, Entries, OnePer

SHAPES = [dict(n_x=3, n_a=5, n_y=2, m=4, T_x=6),
          dict(n_x=4, n_a=4, n_y=3, m=3, T_x=5),     # square: a_prev and xt slices have one shape
          dict(n_x=2, n_a=3, n_y=2, m=1, T_x=4),     # a single example
          dict(n_x=5, n_a=2, n_y=4, m=6, T_x=1)]     # a single time step
# one forward pass each way per entry: about 150,000 cell passes, or 13,000 passes over 30 steps
LARGE_CELL = large(n_x=100, n_a=150, n_y=2, m=2, T_x=1)
LARGE_SEQUENCE = large(n_x=30, n_a=40, n_y=2, m=2, T_x=30)
ASSIGNMENT = "02_lstm_step_by_step"
SEED = 104729

PARAMS = ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")

# the documented caches, graded entry by entry in the forward cells: the backward cells run on
# reference caches, so a wrong cache would otherwise cost nothing (and lstm_cell_backward reads
# only the shape of a_next, so comparing what it computes from the cache would not do)
CELL_CACHE = Entries("a_next", "c_next", "a_prev", "c_prev", "ft", "it", "cct", "ot", "xt", "parameters")
CACHES = Entries(("list of cell caches", OnePer(CELL_CACHE, "cell cache", "time step", "time step t = {}")), "x")

# grade_id of each graded cell -> (the function it grades, the outputs it checks)
GRADED_CELLS = {
    "lstm_cell_forward": ("lstm_cell_forward", ("a_next", "c_next", "yt_pred", "cache")),
    "lstm_forward": ("lstm_forward", ("a", "y", "c", "caches")),
    "lstm_cell_backward_dxt": ("lstm_cell_backward", ("dxt",)),
    "lstm_cell_backward_da_prev": ("lstm_cell_backward", ("da_prev",)),
    "lstm_cell_backward_dc_prev": ("lstm_cell_backward", ("dc_prev",)),
    "lstm_cell_backward_params": ("lstm_cell_backward", PARAMS),
    "lstm_backward_dx": ("lstm_backward", ("dx",)),
    "lstm_backward_da0": ("lstm_backward", ("da0",)),
    "lstm_backward_params": ("lstm_backward", PARAMS),
}


def _inputs(s, i):
    """Parameters, a sequence, initial states and upstream gradients for shape s (case i)."""
    rng = np.random.default_rng(SEED + i)
    p = lstm_parameters(s["n_x"], s["n_a"], s["n_y"], seed=SEED + 100 + i)
    x = rng.standard_normal((s["n_x"], s["m"], s["T_x"]))
    a0 = rng.standard_normal((s["n_a"], s["m"]))
    c0 = rng.standard_normal((s["n_a"], s["m"]))
    da = rng.standard_normal((s["n_a"], s["m"], s["T_x"]))
    dc = rng.standard_normal((s["n_a"], s["m"]))
    return p, x, a0, c0, da, dc


# The cell functions' cases draw their own parameters (i + OWN), not those of the sequence cases:
# while lstm_forward is graded, the judge answers its calls of lstm_cell_forward only with the
# sequence case's parameters, which must not be those of lstm_cell_forward's own cases.
OWN = 10


def cell_forward_cases():
    return [Case(shape_label(s, "n_x", "n_a", "m"), (x[:, :, 0], a0, c0, p)) for i, s in enumerate(SHAPES)
            for p, x, a0, c0, _, _ in [_inputs(s, i + OWN)]]


def forward_cases():
    return [Case(shape_label(s, "n_x", "n_a", "m", "T_x"), (x, a0, p)) for i, s in enumerate(SHAPES)
            for p, x, a0, _, _, _ in [_inputs(s, i)]]


def cell_backward_cases():
    """(da_next, dc_next, cache): dc_next is nonzero, as it is inside a sequence."""
    cases = []
    for i, s in enumerate(SHAPES + [LARGE_CELL]):
        p, x, a0, c0, da, dc = _inputs(s, i + OWN)
        cache = ref.lstm_cell_forward(x[:, :, 0], a0, c0, p)[3]
        cases.append(Case(shape_label(s, "n_x", "n_a", "m"), (da[:, :, 0], dc, cache)))
    return cases


def backward_cases():
    cases = []
    for i, s in enumerate(SHAPES + [LARGE_SEQUENCE]):
        p, x, a0, _, da, _ = _inputs(s, i)
        cases.append(Case(shape_label(s, "n_x", "n_a", "m", "T_x"), (da, ref.lstm_forward(x, a0, p)[3])))
    return cases


@functools.cache
def check_reference():
    """The reference agrees with central differences, so that the tests cannot be wrong.

    The cell is checked with L = sum(a_next * da_next) + sum(c_next * dc_next), so that both the
    a and the c paths count; the sequence with L = sum(a * da). Runs once per kernel.
    """
    p, x, a0, c0, da, dc = _inputs(SHAPES[0], 0)
    xt, g = x[:, :, 0], da[:, :, 0]
    params = [("d" + k, p[k]) for k in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")]

    def cell_loss():
        a_next, c_next, _, _ = ref.lstm_cell_forward(xt, a0, c0, p)
        return np.sum(a_next * g) + np.sum(c_next * dc)
    cell = ref.lstm_cell_backward(g, dc, ref.lstm_cell_forward(xt, a0, c0, p)[3])
    seq = ref.lstm_backward(da, ref.lstm_forward(x, a0, p)[3])
    seq_loss = lambda: np.sum(ref.lstm_forward(x, a0, p)[0] * da)
    checks = [(cell, cell_loss, [("dxt", xt), ("da_prev", a0), ("dc_prev", c0)] + params),
              (seq, seq_loss, [("dx", x), ("da0", a0)] + params)]
    for grads, loss, arrays in checks:
        for name, arr in arrays:
            err = gradient_difference(grads[name], numerical_gradient(loss, arr))
            if err > 1e-7:
                raise RuntimeError(f"grader self-check failed: reference {name} off by {err:.1e}")
    return True


def grade_lstm_cell_forward(fn):
    grade(fn, ref.lstm_cell_forward, cell_forward_cases(), GRADED_CELLS["lstm_cell_forward"][1],
          name="lstm_cell_forward", outputs=("a_next", "c_next", "yt_pred", Cache("cache", CELL_CACHE)))


def grade_lstm_forward(fn):
    """The student's lstm_forward runs with the reference cell, so a cell bug costs points once."""
    grade(fn, ref.lstm_forward, forward_cases(), GRADED_CELLS["lstm_forward"][1], name="lstm_forward",
          outputs=("a", "y", "c", Cache("caches", CACHES)), sequence=True,
          swap={"lstm_cell_forward": ref.lstm_cell_forward})


def grade_lstm_cell_backward(fn, part):
    """part: 'dxt', 'da_prev', 'dc_prev' or 'params'."""
    check_reference()
    grade(fn, ref.lstm_cell_backward, cell_backward_cases(), GRADED_CELLS["lstm_cell_backward_" + part][1],
          name="lstm_cell_backward")


def grade_lstm_backward(fn, part):
    """part: 'dx', 'da0' or 'params'. The student's lstm_backward runs with the reference cell."""
    check_reference()
    grade(fn, ref.lstm_backward, backward_cases(), GRADED_CELLS["lstm_backward_" + part][1],
          name="lstm_backward", sequence=True, swap={"lstm_cell_backward": ref.lstm_cell_backward})
