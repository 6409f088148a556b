"""Hidden tests of assignment 03: the output layer, the embedding, stacked RNN layers, the whole
language model, gradient clipping and sampling.

Each graded cell calls one function here with the student's function (and, for functions with
several graded cells, the part it grades). Cases mix non-square shapes (n_e != n_a), a square
one (where a missing transpose, or the wrong layer's dx, keeps the right shape), L = 1, 2 and 3
layers, m = 1 and T_x = 1; every batch of characters repeats some of them. Seeds differ from
the visible tests'. A function that calls other graded functions runs with their reference
versions swapped in, so that one bug costs points once.
"""
import copy
import functools

import numpy as np

from ..reference import deep_rnn as ref
from ..reference import rnn as ref_rnn
from ..diagnostics import NOT_NUMBERS
from ..student.bptt_utils import gradient_difference, numerical_gradient, stacked_rnn_parameters
from . import Case, _run, grade, large, shape_label
from .caches import Cache, Entries, OnePer
from .rnn import CACHES as RNN_CACHES

ASSIGNMENT = "03_deep_rnn_why_dx"
SEED = 104729

SHAPES = [dict(V=7, n_e=3, n_a=5, L=2, m=4, T_x=6),
          dict(V=5, n_e=4, n_a=4, L=3, m=3, T_x=5),   # square: n_e == n_a, and three layers
          dict(V=6, n_e=2, n_a=3, L=1, m=1, T_x=4),   # one layer, one sequence
          dict(V=4, n_e=5, n_a=2, L=2, m=5, T_x=1)]   # one time step
MAX_L = 3
# the backward functions' large cases (hidden/__init__.py): tens of thousands of entries each
LARGE_OUTPUT = large(V=500, n_e=3, n_a=100, L=1, m=2, T_x=20)
LARGE_EMBEDDING = large(V=2000, n_e=100, n_a=2, L=1, m=2, T_x=20)
LARGE_STACK = large(V=4, n_e=40, n_a=40, L=2, m=2, T_x=20)
LARGE_MODEL = large(V=100, n_e=30, n_a=50, L=2, m=2, T_x=20)


def _layered(*names):
    """names{l} for l = 1..MAX_L, e.g. _layered("dx") -> ("dx1", "dx2", "dx3")."""
    return tuple(f"{n}{l}" for l in range(1, MAX_L + 1) for n in names)


RNN_PARAMS = _layered("dWax", "dWaa", "dba")

# the documented caches, graded entry by entry in the forward cells: the backward cells run on
# reference caches, so a wrong cache would otherwise cost nothing
OUTPUT_CACHE = Entries("a", "y_hat", "Y", "parameters")
EMBEDDING_CACHE = Entries("idx", "We")
STACKED_CACHES = OnePer(RNN_CACHES, "caches of rnn_forward", "layer", "layer {}", first=1)

CLIP_KEYS = ("dW", "db", "dV")

# grade_id of each graded cell -> (the function it grades, the outputs it checks). Outputs
# numbered by layer exist up to the case's number of layers L; grade checks those that exist.
GRADED_CELLS = {
    "softmax_loss_forward": ("softmax_loss_forward", ("loss", "y_hat", "cache")),
    "softmax_loss_backward_dy": ("softmax_loss_backward", ("dy",)),
    "softmax_loss_backward_da": ("softmax_loss_backward", ("da",)),
    "softmax_loss_backward_params": ("softmax_loss_backward", ("dWya", "dby")),
    "embedding_forward": ("embedding_forward", ("x", "cache")),
    "embedding_backward": ("embedding_backward", ("dWe",)),
    "stacked_rnn_forward": ("stacked_rnn_forward", ("a", "caches")),
    "stacked_rnn_backward_dx": ("stacked_rnn_backward", _layered("dx")),
    "stacked_rnn_backward_da0": ("stacked_rnn_backward", ("da0",)),
    "stacked_rnn_backward_params": ("stacked_rnn_backward", RNN_PARAMS),
    "model_loss": ("model_loss_and_gradients", ("loss",)),
    "model_dWe": ("model_loss_and_gradients", ("dWe",)),
    "model_rnn_params": ("model_loss_and_gradients", RNN_PARAMS),
    "model_output_params": ("model_loss_and_gradients", ("dWya", "dby")),
    "clip_gradients": ("clip_gradients", CLIP_KEYS),
    "sample": ("sample", ("indices",)),
}

# the graded functions that others call: swapped for the reference while grading the callers
PARTS = {name: getattr(ref, name) for name in (
    "embedding_forward", "embedding_backward", "stacked_rnn_forward", "stacked_rnn_backward",
    "softmax_loss_forward", "softmax_loss_backward")}
PARTS.update(rnn_forward=ref_rnn.rnn_forward, rnn_backward=ref_rnn.rnn_backward, softmax=ref_rnn.softmax)


def _label(s, *dims):
    return shape_label(s, *dims)


def _indices(rng, s):
    """(m, T_x) character indices in which at least one character repeats."""
    idx = rng.integers(0, s["V"], (s["m"], s["T_x"]))
    idx.flat[-1] = idx.flat[0]
    return idx


def _inputs(s, i):
    rng = np.random.default_rng(SEED + i)
    p = stacked_rnn_parameters(s["V"], s["n_e"], s["n_a"], s["L"], seed=SEED + 100 + i)
    shape = (s["m"], s["T_x"])
    return dict(p=p, X=_indices(rng, s), Y=_indices(rng, s),
                a=np.tanh(rng.standard_normal((s["n_a"],) + shape)),
                x=rng.standard_normal((s["n_e"],) + shape),
                a0=rng.standard_normal((s["L"], s["n_a"], s["m"])),
                da=rng.standard_normal((s["n_a"],) + shape))


# ---- the references check themselves against central differences -------------------------

@functools.cache
def check_reference():
    """The reference model's gradients agree with central differences of its loss, for every
    parameter, on a small two-layer case: the tests cannot themselves be wrong."""
    s = dict(V=5, n_e=3, n_a=4, L=2, m=2, T_x=4)
    d = _inputs(s, 99)
    p, X, Y = d["p"], d["X"], d["Y"]
    _, grads = ref.model_loss_and_gradients(X, Y, p)
    loss = lambda: ref.model_loss_and_gradients(X, Y, p)[0]
    for k in p:
        err = gradient_difference(grads["d" + k], numerical_gradient(loss, p[k]))
        if err > 1e-7:
            raise RuntimeError(f"grader self-check failed: reference d{k} off by {err:.1e}")
    return True


# ---- output layer ------------------------------------------------------------------------

def _output_cases(backward=False):
    cases = []
    for i, s in enumerate(SHAPES + [LARGE_OUTPUT] * backward):
        d = _inputs(s, i)
        cases.append(Case(_label(s, "V", "n_a", "m", "T_x"), (d["a"], d["Y"], d["p"])))
    return cases


def grade_softmax_loss_forward(fn):
    grade(fn, ref.softmax_loss_forward, _output_cases(), GRADED_CELLS["softmax_loss_forward"][1],
          name="softmax_loss_forward", outputs=("loss", "y_hat", Cache("cache", OUTPUT_CACHE)))


# the sizes of softmax_loss_backward's visible test (V=6, n_a=4), with other values: a function that
# reads the notebook's parameters_tmp, as that test leaves it, passes the test and fails here
VISIBLE_OUTPUT = dict(V=6, n_e=3, n_a=4, L=1, m=2, T_x=3)


def grade_softmax_loss_backward(fn, part):
    """part: 'dy', 'da' or 'params'."""
    check_reference()
    d = _inputs(VISIBLE_OUTPUT, 20)
    visible_sizes = Case(_label(VISIBLE_OUTPUT, "V", "n_a", "m", "T_x"), (d["a"], d["Y"], d["p"]))
    cases = [Case(c.label, (ref.softmax_loss_forward(*c.args)[2],)) for c in _output_cases(backward=True) + [visible_sizes]]
    grade(fn, ref.softmax_loss_backward, cases, GRADED_CELLS["softmax_loss_backward_" + part][1],
          name="softmax_loss_backward", sequence=True)


# ---- embedding ---------------------------------------------------------------------------

def _embedding_cases(backward):
    cases = []
    for i, s in enumerate(SHAPES + [LARGE_EMBEDDING] * backward):
        d = _inputs(s, i)
        label = _label(s, "V", "n_e", "m", "T_x")
        if backward:
            dx = d["x"]          # any array of x's shape will do as an upstream gradient
            cases.append(Case(label, (dx, ref.embedding_forward(d["X"], d["p"]["We"])[1])))
        else:
            cases.append(Case(label, (d["X"], d["p"]["We"])))
    return cases


def grade_embedding_forward(fn):
    grade(fn, ref.embedding_forward, _embedding_cases(False), GRADED_CELLS["embedding_forward"][1],
          name="embedding_forward", outputs=("x", Cache("cache", EMBEDDING_CACHE)), sequence=True)


def grade_embedding_backward(fn):
    check_reference()
    grade(fn, ref.embedding_backward, _embedding_cases(True), GRADED_CELLS["embedding_backward"][1],
          name="embedding_backward")


# ---- stacked RNN -------------------------------------------------------------------------

def _stacked_cases(backward):
    out = []
    for i, s in enumerate(SHAPES + [LARGE_STACK] * backward):
        d = _inputs(s, i)
        label = _label(s, "n_e", "n_a", "L", "m", "T_x")
        x = d["x"]
        if backward:
            caches = ref.stacked_rnn_forward(x, d["a0"], d["p"])[1]
            out.append(Case(label, (d["da"], caches)))
        else:
            out.append(Case(label, (x, d["a0"], d["p"])))
    return out


def grade_stacked_rnn_forward(fn):
    grade(fn, ref.stacked_rnn_forward, _stacked_cases(False),
          GRADED_CELLS["stacked_rnn_forward"][1], name="stacked_rnn_forward",
          outputs=("a", Cache("caches", STACKED_CACHES)),
          swap={"rnn_forward": ref_rnn.rnn_forward})


def grade_stacked_rnn_backward(fn, part):
    """part: 'dx', 'da0' or 'params'. The student's function runs with the reference rnn_backward."""
    check_reference()
    grade(fn, ref.stacked_rnn_backward, _stacked_cases(True), GRADED_CELLS["stacked_rnn_backward_" + part][1],
          name="stacked_rnn_backward", sequence=part == "dx",   # da0 is (L, n_a, m): its last axis is not time
          swap={"rnn_backward": ref_rnn.rnn_backward})


# ---- the whole model ---------------------------------------------------------------------

def _loss_and_gradients(result):
    """(loss, gradients) -> one dict of named outputs."""
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
        raise TypeError("model_loss_and_gradients must return a tuple (loss, gradients) with gradients a dict")
    return {"loss": np.asarray(result[0]), **result[1]}


def _model_cases():
    # parameters of their own (i + 30), not those of the parts' cases: while the model is graded,
    # the judge answers its calls of the parts only with the model case's parameters
    out = []
    for i, s in enumerate(SHAPES + [LARGE_MODEL]):
        d = _inputs(s, i + 30)
        out.append(Case(_label(s, "V", "n_e", "n_a", "L", "m", "T_x"), (d["X"], d["Y"], d["p"])))
    return out


def grade_model_loss_and_gradients(fn, part):
    """part: 'loss', 'dWe', 'rnn_params' or 'output_params'. The functions it calls (embedding,
    stacked RNN, output layer) are the reference ones, so only their assembly is graded."""
    check_reference()
    grade(fn, ref.model_loss_and_gradients, _model_cases(), GRADED_CELLS["model_" + part][1],
          name="model_loss_and_gradients", outputs=_loss_and_gradients, swap=PARTS)


# ---- clipping ----------------------------------------------------------------------------

def _clip_cases():
    """Gradients far above max_norm (with entries larger than max_norm), just above, and below."""
    rng = np.random.default_rng(SEED + 7)
    shapes = {"dW": (3, 4), "db": (3, 1), "dV": (2, 3)}
    cases = []
    for label, size, max_norm in [("norm far above max_norm", 5.0, 2.0), ("norm just above max_norm", 0.35, 1.0),
                                  ("norm below max_norm", 0.1, 5.0), ("one array dominates", 0.05, 0.5)]:
        g = {k: size * rng.standard_normal(sh) for k, sh in shapes.items()}
        if label == "one array dominates":
            g["db"] *= 200
        cases.append(Case(label, (g, max_norm)))
    return cases


def grade_clip_gradients(fn):
    grade(fn, ref.clip_gradients, _clip_cases(), GRADED_CELLS["clip_gradients"][1], name="clip_gradients")


# ---- sampling ----------------------------------------------------------------------------

def _indices_list(result):
    try:
        return {"indices": np.asarray(result, dtype=int).ravel() if result is not None else None}
    except NOT_NUMBERS:
        raise TypeError("sample must return a list of integer indices") from None


SAMPLE_SHAPES = [dict(V=9, n_e=3, n_a=5, L=2, newline_ix=0, max_length=15),
                 dict(V=8, n_e=4, n_a=4, L=3, newline_ix=3, max_length=12),
                 dict(V=10, n_e=2, n_a=6, L=1, newline_ix=9, max_length=20)]


def _sample_cases():
    cases = []
    for i, s in enumerate(SAMPLE_SHAPES):
        p = stacked_rnn_parameters(s["V"], s["n_e"], s["n_a"], s["L"], seed=SEED + 200 + i, scale=0.8)
        rng = np.random.default_rng(SEED + 300 + i)
        cases.append(Case(_label(s, "V", "n_e", "n_a", "L", "newline_ix", "max_length"),
                          (p, s["newline_ix"], rng, s["max_length"])))
    return cases


def _first_difference(fn, cases):
    """'sample drew [...] where the reference drew [...]' for the first case where they differ."""
    for case in cases:
        expected = _indices_list(ref.sample(*copy.deepcopy(case.args)))["indices"]
        out, error = _run(fn, case.args, _indices_list, "sample", PARTS)
        got = None if out is None else out["indices"]
        if error is None and got is not None and not np.array_equal(got, expected):
            n = min(len(got), len(expected))
            k = next((i for i in range(n) if got[i] != expected[i]), n)
            return (f"sample drew {got.tolist()} where the reference drew {expected.tolist()}, "
                    f"from draw {k} on ({case.label}).")
    return ""


def grade_sample(fn):
    """Draw for draw against the reference, from copies of the same Generator."""
    cases = _sample_cases()
    try:
        grade(fn, ref.sample, cases, GRADED_CELLS["sample"][1], name="sample", outputs=_indices_list, swap=PARTS)
    except AssertionError as e:
        raise AssertionError(f"{_first_difference(fn, cases)} {e}".strip()) from None
