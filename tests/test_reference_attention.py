"""The reference attention and sequence-to-sequence model of assignment 05 agree with
central-difference gradients (to 1e-7 relative error) on random shapes: non-square, square,
m = 1, T_x = 1, and T_x != T_y both ways; and they keep the promises of their docstrings."""
import copy

import numpy as np
import pytest

from autograder.reference import attention as ref
from autograder.reference.date_task import cross_entropy
from autograder.student.bptt_utils import attention_parameters, gradient_difference, numerical_gradient, seq2seq_parameters

STEP_SHAPES = [dict(n_a=5, n_s=3, n_e=4, m=4, T_x=6),
               dict(n_a=4, n_s=4, n_e=4, m=3, T_x=5),     # square
               dict(n_a=3, n_s=2, n_e=5, m=1, T_x=7),     # one example
               dict(n_a=2, n_s=3, n_e=2, m=3, T_x=1)]     # one input step
MODEL_SHAPES = [dict(n_x=4, n_a=3, n_e=2, n_y=5, m=3, T_x=5, T_y=3),
                dict(n_x=3, n_a=3, n_e=3, n_y=3, m=2, T_x=4, T_y=4),   # square, T_x = T_y
                dict(n_x=2, n_a=4, n_e=3, n_y=4, m=1, T_x=3, T_y=6),   # one example, T_y > T_x
                dict(n_x=5, n_a=2, n_e=4, n_y=3, m=2, T_x=3, T_y=1)]   # one output step


def step_inputs(s, seed):
    rng = np.random.default_rng(seed)
    p = attention_parameters(s["n_a"], s["n_s"], s["n_e"], seed=seed, scale=1.0)
    return rng.standard_normal((s["n_s"], s["m"])), rng.standard_normal((s["n_a"], s["m"], s["T_x"])), p, \
        rng.standard_normal((s["n_a"], s["m"]))


def model_inputs(s, seed):
    rng = np.random.default_rng(seed)
    p = seq2seq_parameters(s["n_x"], s["n_a"], s["n_e"], s["n_y"], seed=seed, scale=0.8)
    x = rng.standard_normal((s["n_x"], s["m"], s["T_x"]))
    Y = rng.integers(0, s["n_y"], (s["m"], s["T_y"]))
    return x, p, Y


@pytest.mark.parametrize("s", STEP_SHAPES, ids=str)
def test_attention_backward_matches_numerical_gradients(s):
    s_prev, a, p, dc = step_inputs(s, 1)
    grads = ref.attention_backward(dc, ref.attention_forward(s_prev, a, p)[2])
    loss = lambda: np.sum(ref.attention_forward(s_prev, a, p)[0] * dc)
    for name, arr in [("ds_prev", s_prev), ("da", a)] + [("d" + k, p[k]) for k in p]:
        assert grads[name].shape == arr.shape, name
        assert gradient_difference(grads[name], numerical_gradient(loss, arr)) < 1e-7, name


@pytest.mark.parametrize("s", MODEL_SHAPES, ids=str)
def test_seq2seq_backward_matches_numerical_gradients(s):
    x, p, Y = model_inputs(s, 2)
    y_hat, _, caches = ref.seq2seq_forward(x, p, s["T_y"])
    grads = ref.seq2seq_backward(cross_entropy(y_hat, Y)[1], caches)
    loss = lambda: cross_entropy(ref.seq2seq_forward(x, p, s["T_y"])[0], Y)[0]
    assert gradient_difference(grads["dx"], numerical_gradient(loss, x)) < 1e-7
    for group in ("encoder", "attention", "decoder"):
        names = [k for k in p[group] if not (group == "encoder" and k in ("Wy", "by"))]
        assert sorted(grads[group]) == sorted("d" + k for k in names), group
        for k in names:
            g = grads[group]["d" + k]
            assert g.shape == p[group][k].shape and gradient_difference(g, numerical_gradient(loss, p[group][k])) < 1e-7, (group, k)


def test_attention_weights_and_context_are_what_the_docstring_says():
    s_prev, a, p, _ = step_inputs(STEP_SHAPES[0], 3)
    context, alpha, (s_cached, a_cached, h, alpha_cached, p_cached) = ref.attention_forward(s_prev, a, p)
    assert alpha.shape == (1, 4, 6) and np.allclose(alpha.sum(axis=2), 1) and np.all(alpha > 0)
    for i in range(4):          # one example, one step at a time, written out
        e = [(p["v"] @ np.tanh(p["Wa"] @ a[:, i, t] + p["Ws"] @ s_prev[:, i] + p["b"][:, 0])).item() for t in range(6)]
        w = np.exp(e) / np.sum(np.exp(e))
        assert np.allclose(alpha[0, i], w)
        assert np.allclose(context[:, i], a[:, i, :] @ w)
    assert np.allclose(h, np.tanh(np.tensordot(p["Wa"], a, axes=1) + (p["Ws"] @ s_prev + p["b"])[:, :, None]))


def test_the_scores_gradient_sums_to_zero_over_time():
    """Adding one number to every score leaves alpha unchanged: the softmax's gradient sums to 0
    over the input steps, which the notebook uses as a check of its derivation."""
    s_prev, a, p, dc = step_inputs(STEP_SHAPES[0], 4)
    _, alpha, _ = ref.attention_forward(s_prev, a, p)
    dalpha = np.sum(a * dc[:, :, None], axis=0, keepdims=True)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))
    assert np.allclose(de.sum(axis=2), 0)
    assert not np.allclose(de, 0)


def test_the_decoder_starts_from_the_last_encoder_state_and_every_step_attends_with_the_previous_one():
    x, p, _ = model_inputs(MODEL_SHAPES[0], 5)
    y_hat, alphas, (enc, att, dec) = ref.seq2seq_forward(x, p, 3)
    a = np.stack([cell[0] for cell in enc[0]], axis=2)
    assert np.array_equal(att[0][0], a[:, :, -1]) and np.array_equal(dec[0][1], a[:, :, -1])
    for t in range(1, 3):
        assert np.array_equal(att[t][0], dec[t - 1][0])
    assert np.allclose(y_hat.sum(axis=0), 1) and np.allclose(alphas.sum(axis=1), 1)


def flat(tree):
    return [v for x in tree for v in (flat(x) if isinstance(x, (tuple, list)) else
                                      flat(x.values()) if isinstance(x, dict) else [x])]


def test_reference_leaves_its_inputs_unchanged():
    s_prev, a, p, dc = step_inputs(STEP_SHAPES[1], 6)
    args = (s_prev, a, p)
    before = copy.deepcopy(args)
    cache = ref.attention_forward(*args)[2]
    cache_before = copy.deepcopy((dc, cache))
    ref.attention_backward(dc, cache)
    x, mp, Y = model_inputs(MODEL_SHAPES[1], 6)
    model_before = copy.deepcopy((x, mp))
    _, _, caches = ref.seq2seq_forward(x, mp, 4)
    dz = np.random.default_rng(6).standard_normal((3, 2, 4))
    caches_before = copy.deepcopy((dz, caches))
    ref.seq2seq_backward(dz, caches)
    for new, old in [(args, before), ((dc, cache), cache_before), ((x, mp), model_before), ((dz, caches), caches_before)]:
        assert all(np.array_equal(u, v) for u, v in zip(flat(new), flat(old)))
