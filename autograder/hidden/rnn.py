"""Hidden tests of assignment 01: the RNN cell and sequence, forward and backward.

Each graded cell calls one function here with the student's function and the name of the
outputs it grades. Cases mix non-square shapes (n_x != n_a), a square one (where a missing
transpose is silent), m = 1 and T_x = 1. Their seeds differ from the visible tests'.
"""
import functools

import numpy as np

from ..reference import rnn as ref
from ..student.bptt_utils import gradient_difference, numerical_gradient, rnn_parameters
from . import Case, grade, large, shape_label
from .caches import Cache, Entries, OnePer

SHAPES = [dict(n_x=3, n_a=5, n_y=2, m=4, T_x=6),
          dict(n_x=4, n_a=4, n_y=3, m=3, T_x=5),     # square: Waa vs Waa.T only differ in value
          dict(n_x=2, n_a=3, n_y=2, m=1, T_x=4),     # a single example
          dict(n_x=5, n_a=2, n_y=4, m=6, T_x=1)]     # a single time step
# one forward pass each way per entry: about 150,000 cell passes, or 11,000 passes over 30 steps
LARGE_CELL = large(n_x=200, n_a=300, n_y=2, m=2, T_x=1)
LARGE_SEQUENCE = large(n_x=60, n_a=60, n_y=2, m=2, T_x=30)
ASSIGNMENT = "01_rnn_step_by_step"
SEED = 7919

PARAMS = ("dWax", "dWaa", "dba")

# the documented caches, graded entry by entry in the forward cells: the backward cells run on
# reference caches, so a wrong cache would otherwise cost nothing
CELL_CACHE = Entries("a_next", "a_prev", "xt", "parameters")
CACHES = Entries(("list of cell caches", OnePer(CELL_CACHE, "cell cache", "time step", "time step t = {}")), "x")

# grade_id of each graded cell -> (the function it grades, the outputs it checks)
GRADED_CELLS = {
    "rnn_cell_forward": ("rnn_cell_forward", ("a_next", "yt_pred", "cache")),
    "rnn_forward": ("rnn_forward", ("a", "y_pred", "caches")),
    "rnn_cell_backward_dxt": ("rnn_cell_backward", ("dxt",)),
    "rnn_cell_backward_da_prev": ("rnn_cell_backward", ("da_prev",)),
    "rnn_cell_backward_params": ("rnn_cell_backward", PARAMS),
    "rnn_backward_dx": ("rnn_backward", ("dx",)),
    "rnn_backward_da0": ("rnn_backward", ("da0",)),
    "rnn_backward_params": ("rnn_backward", PARAMS),
}


def _inputs(s, i):
    rng = np.random.default_rng(SEED + i)
    p = rnn_parameters(s["n_x"], s["n_a"], s["n_y"], seed=SEED + 100 + i)
    x = rng.standard_normal((s["n_x"], s["m"], s["T_x"]))
    a0 = rng.standard_normal((s["n_a"], s["m"]))
    da = rng.standard_normal((s["n_a"], s["m"], s["T_x"]))
    return p, x, a0, da


# The cell functions' cases draw their own parameters (i + OWN), not those of the sequence cases:
# while rnn_forward is graded, the judge answers its calls of rnn_cell_forward only with the
# sequence case's parameters, which must not be those of rnn_cell_forward's own cases.
OWN = 10


def cell_forward_cases():
    return [Case(shape_label(s, "n_x", "n_a", "m"), (x[:, :, 0], a0, p)) for i, s in enumerate(SHAPES)
            for p, x, a0, _ in [_inputs(s, i + OWN)]]


def forward_cases():
    return [Case(shape_label(s, "n_x", "n_a", "m", "T_x"), (x, a0, p)) for i, s in enumerate(SHAPES)
            for p, x, a0, _ in [_inputs(s, i)]]


def cell_backward_cases():
    cases = []
    for i, s in enumerate(SHAPES + [LARGE_CELL]):
        p, x, a0, da = _inputs(s, i + OWN)
        cache = ref.rnn_cell_forward(x[:, :, 0], a0, p)[2]
        cases.append(Case(shape_label(s, "n_x", "n_a", "m"), (da[:, :, 0], cache)))
    return cases


def backward_cases():
    cases = []
    for i, s in enumerate(SHAPES + [LARGE_SEQUENCE]):
        p, x, a0, da = _inputs(s, i)
        cases.append(Case(shape_label(s, "n_x", "n_a", "m", "T_x"), (da, ref.rnn_forward(x, a0, p)[2])))
    return cases


@functools.cache
def check_reference():
    """The reference's BPTT agrees with central differences, so that the tests cannot be wrong.
    Runs once per grading process."""
    p, x, a0, da = _inputs(SHAPES[0], 0)
    grads = ref.rnn_backward(da, ref.rnn_forward(x, a0, p)[2])
    loss = lambda: np.sum(ref.rnn_forward(x, a0, p)[0] * da)
    for name, arr in [("dx", x), ("da0", a0)] + [("d" + k, p[k]) for k in ("Wax", "Waa", "ba")]:
        err = gradient_difference(grads[name], numerical_gradient(loss, arr))
        if err > 1e-7:
            raise RuntimeError(f"grader self-check failed: reference {name} off by {err:.1e}")


def grade_rnn_cell_forward(fn):
    grade(fn, ref.rnn_cell_forward, cell_forward_cases(), GRADED_CELLS["rnn_cell_forward"][1],
          name="rnn_cell_forward", outputs=("a_next", "yt_pred", Cache("cache", CELL_CACHE)))


def grade_rnn_forward(fn):
    """The student's rnn_forward runs with the reference cell, so a cell bug costs points once."""
    grade(fn, ref.rnn_forward, forward_cases(), GRADED_CELLS["rnn_forward"][1], name="rnn_forward",
          outputs=("a", "y_pred", Cache("caches", CACHES)), sequence=True,
          swap={"rnn_cell_forward": ref.rnn_cell_forward})


def grade_rnn_cell_backward(fn, part):
    """part: 'dxt', 'da_prev' or 'params'."""
    check_reference()
    grade(fn, ref.rnn_cell_backward, cell_backward_cases(), GRADED_CELLS["rnn_cell_backward_" + part][1], name="rnn_cell_backward")


def grade_rnn_backward(fn, part):
    """part: 'dx', 'da0' or 'params'. The student's rnn_backward runs with the reference cell."""
    check_reference()
    grade(fn, ref.rnn_backward, backward_cases(), GRADED_CELLS["rnn_backward_" + part][1], name="rnn_backward",
          sequence=True, swap={"rnn_cell_backward": ref.rnn_cell_backward})
