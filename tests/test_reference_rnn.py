"""The reference RNN agrees with central-difference gradients, on every kind of shape."""
import numpy as np
import pytest

from autograder.reference import rnn as ref
from autograder.student.bptt_utils import gradient_difference, numerical_gradient, rnn_parameters

SHAPES = [dict(n_x=3, n_a=5, m=4, T_x=5),   # n_x != n_a
          dict(n_x=4, n_a=4, m=3, T_x=4),   # square: a missing transpose would be silent
          dict(n_x=2, n_a=3, m=1, T_x=3),   # one example
          dict(n_x=5, n_a=2, m=3, T_x=1)]   # one time step


def setup(s, seed):
    rng = np.random.default_rng(seed)
    p = rnn_parameters(s["n_x"], s["n_a"], n_y=2, seed=seed)
    x = rng.standard_normal((s["n_x"], s["m"], s["T_x"]))
    a0 = rng.standard_normal((s["n_a"], s["m"]))
    G = rng.standard_normal((s["n_a"], s["m"], s["T_x"]))
    return p, x, a0, G


@pytest.mark.parametrize("s", SHAPES, ids=str)
def test_cell_backward_matches_numerical_gradients(s):
    p, x, a0, G = setup(s, 1)
    xt, g = x[:, :, 0], G[:, :, 0]
    grads = ref.rnn_cell_backward(g, ref.rnn_cell_forward(xt, a0, p)[2])
    loss = lambda: np.sum(ref.rnn_cell_forward(xt, a0, p)[0] * g)
    for name, arr in [("dxt", xt), ("da_prev", a0), ("dWax", p["Wax"]), ("dWaa", p["Waa"]), ("dba", p["ba"])]:
        assert grads[name].shape == arr.shape
        assert gradient_difference(grads[name], numerical_gradient(loss, arr)) < 1e-7, name


@pytest.mark.parametrize("s", SHAPES, ids=str)
def test_bptt_matches_numerical_gradients(s):
    p, x, a0, G = setup(s, 2)
    grads = ref.rnn_backward(G, ref.rnn_forward(x, a0, p)[2])
    loss = lambda: np.sum(ref.rnn_forward(x, a0, p)[0] * G)
    for name, arr in [("dx", x), ("da0", a0), ("dWax", p["Wax"]), ("dWaa", p["Waa"]), ("dba", p["ba"])]:
        assert grads[name].shape == arr.shape
        assert gradient_difference(grads[name], numerical_gradient(loss, arr)) < 1e-7, name


def test_forward_shapes_and_softmax():
    p, x, a0, _ = setup(SHAPES[0], 3)
    a, y, (caches, x_cached) = ref.rnn_forward(x, a0, p)
    assert a.shape == (5, 4, 5) and y.shape == (2, 4, 5) and len(caches) == 5 and x_cached is x
    np.testing.assert_allclose(y.sum(axis=0), 1.0)
    np.testing.assert_array_equal(a[:, :, 0], ref.rnn_cell_forward(x[:, :, 0], a0, p)[0])
