"""Hidden tests of assignment 05: one step of additive attention, forward and backward, and the
sequence-to-sequence model built on it (an LSTM encoder, an RNN decoder with attention).

Each graded cell calls one function here with the student's function (and, for functions with
several graded cells, the part it grades). The attention cases mix non-square shapes (n_a, n_s and
n_e all different), a square one (n_a = n_s = n_e, where a missing transpose keeps its shape),
m = 1 and T_x = 1, and (forward only) scores in the thousands, where np.exp overflows; the model's cases
have T_x != T_y (both ways), m = 1, one output step, one input step, and a square one. Seeds differ from the visible tests'. The model's functions run with the reference
attention, LSTM and RNN cell swapped in, so that one bug costs points once.
"""
import functools

import numpy as np

from ..reference import attention as ref
from ..reference import lstm as ref_lstm
from ..reference import rnn as ref_rnn
from ..student.bptt_utils import attention_parameters, gradient_difference, numerical_gradient, seq2seq_parameters
from . import Case, grade, large, shape_label
from .caches import Cache, Entries, OnePer
from .lstm import CACHES as LSTM_CACHES
from .rnn import CELL_CACHE as RNN_CELL_CACHE

ASSIGNMENT = "05_attention_step_by_step"
SEED = 15485863

STEP_SHAPES = [dict(n_a=5, n_s=3, n_e=4, m=4, T_x=6),
               dict(n_a=4, n_s=4, n_e=4, m=3, T_x=5),     # square: Wa, Ws and their transposes share a shape
               dict(n_a=3, n_s=5, n_e=2, m=1, T_x=4),     # a single example
               dict(n_a=2, n_s=3, n_e=5, m=5, T_x=1)]     # a single input step: alpha = 1
MODEL_SHAPES = [dict(n_x=5, n_a=4, n_e=3, n_y=6, m=3, T_x=6, T_y=4),
                dict(n_x=4, n_a=4, n_e=4, n_y=4, m=2, T_x=5, T_y=3),   # square
                dict(n_x=3, n_a=3, n_e=2, n_y=5, m=1, T_x=4, T_y=6),   # one example, T_y > T_x
                dict(n_x=6, n_a=2, n_e=3, n_y=3, m=4, T_x=3, T_y=1),   # one output step
                dict(n_x=2, n_a=3, n_e=2, n_y=4, m=2, T_x=1, T_y=2)]   # one input step: alpha = 1

# the backward functions' large cases (hidden/__init__.py): 46,000 and 15,000 entries
LARGE_STEP = large(n_a=100, n_s=100, n_e=200, m=2, T_x=30)
LARGE_MODEL = large(n_x=40, n_a=30, n_e=30, n_y=20, m=2, T_x=20, T_y=10)

ATTENTION_PARAMS = ("dWa", "dWs", "db", "dv")
ENCODER_PARAMS = tuple(f"{k} (encoder)" for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"))
MODEL_ATTENTION_PARAMS = tuple(f"{k} (attention)" for k in ATTENTION_PARAMS)
DECODER_PARAMS = tuple(f"{k} (decoder)" for k in ("dWax", "dWaa", "dba", "dWya", "dby"))

# the documented caches, graded entry by entry in the forward cells: the backward cells run on
# reference caches, so a wrong cache would otherwise cost nothing
ATTENTION_CACHE = Entries("s_prev", "a", "h", "alpha", "parameters")
SEQ2SEQ_CACHES = Entries(
    ("encoder caches", LSTM_CACHES),
    ("attention caches", OnePer(ATTENTION_CACHE, "attention cache", "output step", "output step t = {}")),
    ("decoder caches", OnePer(RNN_CELL_CACHE, "decoder cache", "output step", "output step t = {}")))

# grade_id of each graded cell -> (the function it grades, the outputs it checks)
GRADED_CELLS = {
    "attention_forward": ("attention_forward", ("context", "alpha", "cache")),
    "attention_backward_params": ("attention_backward", ATTENTION_PARAMS),
    "attention_backward_ds_prev": ("attention_backward", ("ds_prev",)),
    "attention_backward_da": ("attention_backward", ("da",)),
    "seq2seq_forward": ("seq2seq_forward", ("y_hat", "alphas", "caches")),
    "seq2seq_backward_dx": ("seq2seq_backward", ("dx",)),
    "seq2seq_backward_encoder": ("seq2seq_backward", ENCODER_PARAMS),
    "seq2seq_backward_attention": ("seq2seq_backward", MODEL_ATTENTION_PARAMS),
    "seq2seq_backward_decoder": ("seq2seq_backward", DECODER_PARAMS),
}

FORWARD_PARTS = {"attention_forward": ref.attention_forward, "lstm_forward": ref_lstm.lstm_forward,
                 "rnn_cell_forward": ref_rnn.rnn_cell_forward}
BACKWARD_PARTS = {"attention_backward": ref.attention_backward, "lstm_backward": ref_lstm.lstm_backward,
                  "rnn_cell_backward": ref_rnn.rnn_cell_backward}


def _step_inputs(s, i):
    """s_prev, a, parameters and an upstream dcontext for attention shape s (case i)."""
    rng = np.random.default_rng(SEED + i)
    p = attention_parameters(s["n_a"], s["n_s"], s["n_e"], seed=SEED + 100 + i, scale=0.8)
    a = rng.standard_normal((s["n_a"], s["m"], s["T_x"]))
    s_prev = rng.standard_normal((s["n_s"], s["m"]))
    dcontext = rng.standard_normal((s["n_a"], s["m"]))
    return s_prev, a, p, dcontext


def _model_inputs(s, i):
    """x, parameters and an upstream dz for model shape s (case i)."""
    rng = np.random.default_rng(SEED + 200 + i)
    p = seq2seq_parameters(s["n_x"], s["n_a"], s["n_e"], s["n_y"], seed=SEED + 300 + 10 * i, scale=0.8)
    # a larger scorer: the encoder's states are below 1 in size, and with small scores every
    # weight would be near 1 / T_x, where a wrong softmax gradient differs little from the right one
    p["attention"] = attention_parameters(s["n_a"], s["n_a"], s["n_e"], seed=SEED + 301 + 10 * i, scale=2.0)
    x = rng.standard_normal((s["n_x"], s["m"], s["T_x"]))
    dz = rng.standard_normal((s["n_y"], s["m"], s["T_y"]))
    return x, p, dz


def attention_forward_cases():
    """The shapes of STEP_SHAPES, and scores in the thousands, where np.exp overflows unless the
    softmax subtracts each example's largest score first."""
    cases = [Case(shape_label(s, "n_a", "n_s", "n_e", "m", "T_x"), (s_prev, a, p))
             for i, s in enumerate(STEP_SHAPES) for s_prev, a, p, _ in [_step_inputs(s, i)]]
    s_prev, a, p, _ = _step_inputs(STEP_SHAPES[0], 10)
    p["v"] = p["v"] * 2000 / np.abs(p["v"]).sum()
    return cases + [Case(shape_label(STEP_SHAPES[0], "n_a", "n_s", "n_e", "m", "T_x") + ", scores in the thousands",
                         (s_prev, a, p))]


# the sizes of attention_backward's visible test, with other values: a function that reads the
# notebook's parameters_tmp, as that test leaves it, passes the test and fails here
VISIBLE_STEP = dict(n_a=5, n_s=3, n_e=2, m=2, T_x=3)


def attention_backward_cases():
    return [Case(shape_label(s, "n_a", "n_s", "n_e", "m", "T_x"), (dc, ref.attention_forward(s_prev, a, p)[2]))
            for i, s in enumerate(STEP_SHAPES + [VISIBLE_STEP, LARGE_STEP]) for s_prev, a, p, dc in [_step_inputs(s, i)]]


def _model_label(s):
    return shape_label(s, "n_x", "n_a", "n_e", "n_y", "m", "T_x", "T_y")


def seq2seq_forward_cases():
    return [Case(_model_label(s), (x, p, s["T_y"]))
            for i, s in enumerate(MODEL_SHAPES) for x, p, _ in [_model_inputs(s, i)]]


def seq2seq_backward_cases():
    return [Case(_model_label(s), (dz, ref.seq2seq_forward(x, p, s["T_y"])[2]))
            for i, s in enumerate(MODEL_SHAPES + [LARGE_MODEL]) for x, p, dz in [_model_inputs(s, i)]]


def _named_gradients(result):
    """seq2seq_backward's dict -> one dict of named outputs: dx, "dWf (encoder)", ..."""
    if not isinstance(result, dict):
        raise TypeError(f"seq2seq_backward must return a dict; it returned {type(result).__name__}")
    out = {"dx": result.get("dx")}
    for group in ("encoder", "attention", "decoder"):
        grads = result.get(group)
        if not isinstance(grads, dict):
            raise TypeError(f"seq2seq_backward must return a dict of the {group}'s gradients under '{group}'")
        out.update({f"{k} ({group})": v for k, v in grads.items()})
    return out


def cross_entropy_loss(x, p, Y):
    """The cross-entropy of the reference model, summed; and its dz = y_hat - y."""
    y_hat = ref.seq2seq_forward(x, p, Y.shape[1])[0]
    m, T_y = Y.shape
    rows, cols = np.meshgrid(np.arange(m), np.arange(T_y), indexing="ij")
    dz = y_hat.copy()
    dz[Y, rows, cols] -= 1
    return -np.sum(np.log(y_hat[Y, rows, cols])), dz


@functools.cache
def check_reference():
    """The reference agrees with central differences, so that the tests cannot be wrong.

    One attention step is checked with L = sum(context * dcontext) on a non-square and the square
    shape; the model with its cross-entropy loss on a small case with T_x != T_y, for dx and every
    parameter. Runs once per kernel."""
    for i in (0, 1):
        s_prev, a, p, dc = _step_inputs(STEP_SHAPES[i], i)
        grads = ref.attention_backward(dc, ref.attention_forward(s_prev, a, p)[2])
        loss = lambda: np.sum(ref.attention_forward(s_prev, a, p)[0] * dc)
        for name, arr in [("ds_prev", s_prev), ("da", a)] + [("d" + k, p[k]) for k in p]:
            err = gradient_difference(grads[name], numerical_gradient(loss, arr))
            if err > 1e-7:
                raise RuntimeError(f"grader self-check failed: reference attention_backward {name} off by {err:.1e}")
    s = dict(n_x=3, n_a=3, n_e=2, n_y=3, m=2, T_x=4, T_y=3)
    x, p, _ = _model_inputs(s, 9)
    Y = np.random.default_rng(SEED + 9).integers(0, s["n_y"], (s["m"], s["T_y"]))
    grads = ref.seq2seq_backward(cross_entropy_loss(x, p, Y)[1], ref.seq2seq_forward(x, p, s["T_y"])[2])
    loss = lambda: cross_entropy_loss(x, p, Y)[0]
    arrays = [("dx", grads["dx"], x)] + [(f"d{k} ({g})", grads[g]["d" + k], p[g][k])
                                         for g in ("encoder", "attention", "decoder") for k in p[g] if "d" + k in grads[g]]
    for name, grad, arr in arrays:
        err = gradient_difference(grad, numerical_gradient(loss, arr))
        if err > 1e-7:
            raise RuntimeError(f"grader self-check failed: reference seq2seq_backward {name} off by {err:.1e}")
    return True


def grade_attention_forward(fn):
    grade(fn, ref.attention_forward, attention_forward_cases(), GRADED_CELLS["attention_forward"][1],
          name="attention_forward", outputs=("context", "alpha", Cache("cache", ATTENTION_CACHE)), sequence=True)


def grade_attention_backward(fn, part):
    """part: 'params', 'ds_prev' or 'da'."""
    check_reference()
    grade(fn, ref.attention_backward, attention_backward_cases(), GRADED_CELLS["attention_backward_" + part][1],
          name="attention_backward", sequence=True)


def grade_seq2seq_forward(fn):
    """Run with the reference attention_forward, lstm_forward and rnn_cell_forward."""
    grade(fn, ref.seq2seq_forward, seq2seq_forward_cases(), GRADED_CELLS["seq2seq_forward"][1],
          name="seq2seq_forward", outputs=("y_hat", "alphas", Cache("caches", SEQ2SEQ_CACHES)), sequence=True,
          swap=FORWARD_PARTS)


def grade_seq2seq_backward(fn, part):
    """part: 'dx', 'encoder', 'attention' or 'decoder'. Run with the reference attention_backward,
    lstm_backward and rnn_cell_backward, so that only the assembly is graded."""
    check_reference()
    grade(fn, ref.seq2seq_backward, seq2seq_backward_cases(), GRADED_CELLS["seq2seq_backward_" + part][1],
          name="seq2seq_backward", outputs=_named_gradients, sequence=True, swap=BACKWARD_PARTS)
