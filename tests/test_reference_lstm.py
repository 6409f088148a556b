"""The reference LSTM agrees with central-difference gradients. The loss L = sum(a * G) + sum(c * H)
exercises both the hidden-state and the cell-state paths."""
import numpy as np
import pytest

from autograder.reference import lstm as ref
from autograder.student.bptt_utils import gradient_difference, lstm_parameters, numerical_gradient

SHAPES = [dict(n_x=3, n_a=5, m=4, T_x=5),   # n_x != n_a
          dict(n_x=4, n_a=4, m=3, T_x=4),   # square
          dict(n_x=2, n_a=3, m=1, T_x=3),   # one example
          dict(n_x=5, n_a=2, m=3, T_x=1)]   # one time step
PARAMS = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")


def setup(s, seed):
    rng = np.random.default_rng(seed)
    p = lstm_parameters(s["n_x"], s["n_a"], n_y=2, seed=seed)
    x = rng.standard_normal((s["n_x"], s["m"], s["T_x"]))
    a0 = rng.standard_normal((s["n_a"], s["m"]))
    c0 = rng.standard_normal((s["n_a"], s["m"]))
    G = rng.standard_normal((s["n_a"], s["m"], s["T_x"]))
    H = rng.standard_normal((s["n_a"], s["m"], s["T_x"]))
    return p, x, a0, c0, G, H


@pytest.mark.parametrize("s", SHAPES, ids=str)
def test_cell_backward_matches_numerical_gradients(s):
    p, x, a0, c0, G, H = setup(s, 1)
    xt, g, h = x[:, :, 0], G[:, :, 0], H[:, :, 0]
    grads = ref.lstm_cell_backward(g, h, ref.lstm_cell_forward(xt, a0, c0, p)[3])

    def loss():
        a_next, c_next, _, _ = ref.lstm_cell_forward(xt, a0, c0, p)
        return np.sum(a_next * g) + np.sum(c_next * h)
    for name, arr in [("dxt", xt), ("da_prev", a0), ("dc_prev", c0)] + [("d" + k, p[k]) for k in PARAMS]:
        assert grads[name].shape == arr.shape, name
        assert gradient_difference(grads[name], numerical_gradient(loss, arr)) < 1e-7, name


@pytest.mark.parametrize("s", SHAPES, ids=str)
def test_bptt_matches_numerical_gradients(s):
    # lstm_backward's API takes only da; c's gradient flows through the recurrence, so L = sum(a * G)
    p, x, a0, _, G, _ = setup(s, 2)
    grads = ref.lstm_backward(G, ref.lstm_forward(x, a0, p)[3])
    loss = lambda: np.sum(ref.lstm_forward(x, a0, p)[0] * G)
    for name, arr in [("dx", x), ("da0", a0)] + [("d" + k, p[k]) for k in PARAMS]:
        assert grads[name].shape == arr.shape, name
        assert gradient_difference(grads[name], numerical_gradient(loss, arr)) < 1e-7, name


def test_sequence_cell_state_path_with_c_loss():
    """Through a manual loop, a loss on c too: dc_prev carried through time is right."""
    p, x, a0, _, G, H = setup(SHAPES[0], 3)
    a, _, c, (caches, _) = ref.lstm_forward(x, a0, p)
    T = x.shape[2]
    da_prev, dc_prev, dx = np.zeros_like(a0), np.zeros_like(a0), np.zeros_like(x)
    for t in reversed(range(T)):
        g = ref.lstm_cell_backward(G[:, :, t] + da_prev, H[:, :, t] + dc_prev, caches[t])
        dx[:, :, t], da_prev, dc_prev = g["dxt"], g["da_prev"], g["dc_prev"]

    def loss():
        a, _, c, _ = ref.lstm_forward(x, a0, p)
        return np.sum(a * G) + np.sum(c * H)
    assert gradient_difference(dx, numerical_gradient(loss, x)) < 1e-7
    assert gradient_difference(da_prev, numerical_gradient(loss, a0)) < 1e-7


def flat(tree):
    """The arrays of nested tuples, lists and dicts, in order."""
    return [v for x in tree for v in (flat(x) if isinstance(x, (tuple, list)) else
                                      flat(x.values()) if isinstance(x, dict) else [x])]


def test_reference_leaves_its_inputs_unchanged_and_starts_c_at_zero():
    import copy
    p, x, a0, c0, G, H = setup(SHAPES[0], 4)
    args = (x, a0, p)
    before = copy.deepcopy(args)
    a, y, c, caches = ref.lstm_forward(*args)
    for new, old in zip(args[:2], before[:2]):
        assert np.array_equal(new, old)
    assert all(np.array_equal(p[k], before[2][k]) for k in p)
    backward_args = (G, H, caches)
    before = copy.deepcopy(backward_args)
    ref.lstm_backward(G, caches)
    ref.lstm_cell_backward(G[:, :, 0], H[:, :, 0], caches[0][0])
    assert all(np.array_equal(new, old) for new, old in zip(flat(backward_args), flat(before)))
    # at t = 0 the cell state is it * cct alone: c<0> = 0
    _, _, _, _, ft, it, cct, ot, _, _ = caches[0][0]
    assert np.allclose(c[:, :, 0], it * cct) and np.allclose(a[:, :, 0], ot * np.tanh(it * cct))
    assert np.allclose(y.sum(axis=0), 1)
