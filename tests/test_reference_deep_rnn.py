"""The reference language model of assignment 03 agrees with central-difference gradients, piece
by piece and end to end; its clipping and sampling do what the notebook says; the hidden tests'
mistake catalogue is sound; the corpus is what its script makes."""
import re
import sys

import numpy as np
import pytest

from autograder import mistakes
from autograder.course import ROOT
from autograder.hidden import deep_rnn as hidden
from autograder.reference import deep_rnn as ref
from autograder.reference import rnn as ref_rnn
from autograder.student.bptt_utils import gradient_difference, numerical_gradient, stacked_rnn_parameters

SHAPES = [dict(V=6, n_e=3, n_a=5, L=2, m=3, T_x=4),    # n_e != n_a
          dict(V=5, n_e=4, n_a=4, L=3, m=2, T_x=3),    # square, three layers
          dict(V=4, n_e=2, n_a=3, L=1, m=1, T_x=3),    # one layer, one sequence
          dict(V=5, n_e=3, n_a=2, L=2, m=4, T_x=1)]    # one time step
ASSIGNMENT = "03_deep_rnn_why_dx"


def setup(s, seed):
    rng = np.random.default_rng(seed)
    p = stacked_rnn_parameters(s["V"], s["n_e"], s["n_a"], s["L"], seed=seed)
    X = rng.integers(0, s["V"], (s["m"], s["T_x"]))
    Y = rng.integers(0, s["V"], (s["m"], s["T_x"]))
    return p, X, Y, rng


def assert_gradients(grads, loss, arrays):
    for name, arr in arrays.items():
        assert grads[name].shape == arr.shape, name
        assert gradient_difference(grads[name], numerical_gradient(loss, arr)) < 1e-7, name


@pytest.mark.parametrize("s", SHAPES, ids=str)
def test_whole_model_matches_numerical_gradients(s):
    """End to end: every parameter, through the output layer, every layer's dx and the embedding."""
    p, X, Y, _ = setup(s, 1)
    loss, grads = ref.model_loss_and_gradients(X, Y, p)
    assert set(grads) == {"d" + k for k in p}
    assert_gradients(grads, lambda: ref.model_loss_and_gradients(X, Y, p)[0], {"d" + k: v for k, v in p.items()})


@pytest.mark.parametrize("s", SHAPES, ids=str)
def test_output_layer_matches_numerical_gradients(s):
    p, _, Y, rng = setup(s, 2)
    a = np.tanh(rng.standard_normal((s["n_a"], s["m"], s["T_x"])))
    loss, y_hat, cache = ref.softmax_loss_forward(a, Y, p)
    np.testing.assert_allclose(y_hat.sum(axis=0), 1.0)
    grads = ref.softmax_loss_backward(cache)
    np.testing.assert_allclose(grads["dy"].sum(axis=0), 0.0, atol=1e-12)
    assert_gradients(grads, lambda: ref.softmax_loss_forward(a, Y, p)[0], {"da": a, "dWya": p["Wya"], "dby": p["by"]})
    # dy is the gradient of the logits z = Wya a + by: perturb by, whose gradient sums dy
    np.testing.assert_allclose(grads["dby"][:, 0], grads["dy"].sum(axis=(1, 2)))


@pytest.mark.parametrize("s", SHAPES, ids=str)
def test_stacked_rnn_matches_numerical_gradients(s):
    """dx1, da0 and every layer's weights, through all the layers."""
    p, _, _, rng = setup(s, 3)
    x = rng.standard_normal((s["n_e"], s["m"], s["T_x"]))
    a0 = rng.standard_normal((s["L"], s["n_a"], s["m"]))
    G = rng.standard_normal((s["n_a"], s["m"], s["T_x"]))
    a, caches = ref.stacked_rnn_forward(x, a0, p)
    grads = ref.stacked_rnn_backward(G, caches)
    loss = lambda: np.sum(ref.stacked_rnn_forward(x, a0, p)[0][-1] * G)
    layers = {f"d{k}{l}": p[f"{k}{l}"] for l in range(1, s["L"] + 1) for k in ("Wax", "Waa", "ba")}
    assert_gradients(grads, loss, {"dx1": x, "da0": a0, **layers})
    for l in range(2, s["L"] + 1):
        assert grads[f"dx{l}"].shape == a[l - 2].shape


def test_dx_of_a_layer_is_the_gradient_of_the_hidden_states_below():
    """dx2 is the gradient of layer 1's hidden states: the da that layer 1 receives."""
    p, _, _, rng = setup(SHAPES[1], 4)                 # three layers
    x = rng.standard_normal((4, 2, 3))
    a0 = rng.standard_normal((3, 4, 2))
    G = rng.standard_normal((4, 2, 3))
    a, caches = ref.stacked_rnn_forward(x, a0, p)
    grads = ref.stacked_rnn_backward(G, caches)
    # the top two layers as a function of layer 1's hidden states
    top = {"Wax1": p["Wax2"], "Waa1": p["Waa2"], "ba1": p["ba2"], "Wax2": p["Wax3"], "Waa2": p["Waa3"], "ba2": p["ba3"]}
    a1 = a[0].copy()
    loss = lambda: np.sum(ref.stacked_rnn_forward(a1, a0[1:], top)[0][-1] * G)
    assert gradient_difference(grads["dx2"], numerical_gradient(loss, a1)) < 1e-7


def test_embedding_adds_repeated_characters():
    We = np.arange(6.0).reshape(2, 3)
    idx = np.array([[0, 0], [0, 2]])
    x, cache = ref.embedding_forward(idx, We)
    np.testing.assert_array_equal(x[:, 1, 1], We[:, 2])
    dWe = ref.embedding_backward(np.ones((2, 2, 2)), cache)["dWe"]
    np.testing.assert_array_equal(dWe, [[3, 0, 1], [3, 0, 1]])
    wrong = np.zeros_like(We)
    wrong[:, idx] += np.ones((2, 2, 2))
    assert not np.array_equal(wrong, dWe), "fancy-index += would be right: the repeats test nothing"


def test_clip_by_global_norm():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    clipped = ref.clip_gradients(g, 1.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    np.testing.assert_allclose(clipped["b"], [[0.8]])
    np.testing.assert_array_equal(g["a"], [3.0, 0.0])            # inputs unchanged
    same = ref.clip_gradients(g, 5.0)
    assert all(np.array_equal(same[k], g[k]) and same[k] is not g[k] for k in g)


def test_sample_is_reproducible_and_stops():
    p = stacked_rnn_parameters(7, 3, 5, 2, seed=6, scale=0.8)
    first = ref.sample(p, 0, np.random.default_rng(6), max_length=50)
    assert first == ref.sample(p, 0, np.random.default_rng(6), max_length=50)
    assert first[-1] == 0 and 0 not in first[:-1] and all(isinstance(i, int) for i in first)
    assert len(ref.sample(p, 0, np.random.default_rng(6), max_length=2)) <= 2
    # the first draw is rng.choice(V, p=probs) with probs from zero states and the newline as input
    a_top = ref.stacked_rnn_forward(p["We"][:, [[0]]], np.zeros((2, 5, 1)), p)[0][-1, :, :, 0]
    probs = ref_rnn.softmax(p["Wya"] @ a_top + p["by"])[:, 0]
    assert first[0] == np.random.default_rng(6).choice(7, p=probs)


def test_a_hidden_rnn_layer_has_no_output():
    rng = np.random.default_rng(0)
    p = {"Wax": rng.standard_normal((4, 3)), "Waa": rng.standard_normal((4, 4)), "ba": rng.standard_normal((4, 1))}
    a, y_pred, caches = ref_rnn.rnn_forward(rng.standard_normal((3, 2, 5)), np.zeros((4, 2)), p)
    assert y_pred is None and a.shape == (4, 2, 5) and len(caches[0]) == 5


def test_grader_self_check_passes():
    assert hidden.check_reference()


CATALOGUE = [m for m in mistakes.catalogue() if m.function in {f for f, _ in hidden.GRADED_CELLS.values()}]


def test_catalogue_of_assignment_03_is_big_enough():
    assert len(CATALOGUE) >= 6
    assert len({m.function for m in CATALOGUE}) >= 5


@pytest.mark.parametrize("mistake", CATALOGUE, ids=lambda m: m.id)
def test_mistake_runs_on_every_hidden_case(mistake):
    """A mistake that crashed would match any crashing submission, and name the wrong mistake."""
    cases = {"softmax_loss_backward": lambda: [hidden.Case(c.label, (ref.softmax_loss_forward(*c.args)[2],))
                                               for c in hidden._output_cases()],
             "embedding_backward": lambda: hidden._embedding_cases(True),
             "stacked_rnn_forward": lambda: hidden._stacked_cases(False),
             "stacked_rnn_backward": lambda: hidden._stacked_cases(True),
             "model_loss_and_gradients": hidden._model_cases,
             "clip_gradients": hidden._clip_cases,
             "sample": hidden._sample_cases}[mistake.function]()
    if mistake.id.endswith("_from_the_notebooks_global"):
        # it reads the notebook's global, of the visible test's sizes: it fails on other sizes, as
        # the student's function does, and runs on the hidden case of those sizes
        d = hidden._inputs(hidden.VISIBLE_OUTPUT, 20)
        cases = [hidden.Case("visible sizes", (ref.softmax_loss_forward(d["a"], d["Y"], d["p"])[2],))]
    for case in cases:
        with np.errstate(all="raise"):
            mistake.impl(*case.args)


CORPUS = ROOT / "source" / ASSIGNMENT / "python_function_names.txt"


def test_corpus_is_sorted_unique_names():
    names = CORPUS.read_text().splitlines()
    assert len(names) > 5000 and names == sorted(set(names))
    assert all(re.fullmatch(r"_?[a-z][a-z0-9_]*[a-z0-9]", n) and 3 <= len(n) <= 24 for n in names)
    assert not [n for n in names if n.lstrip("_").startswith("test")]
    assert len(set("".join(names))) == 37        # with the newline, V = 38 as the notebook says


def test_corpus_is_what_the_script_makes(tmp_path):
    about = (ROOT / "source" / ASSIGNMENT / "python_function_names_about.md").read_text()
    made_with = re.search(r"Python\s+(3\.\d+\.\d+)", about).group(1)
    if made_with != "{}.{}.{}".format(*sys.version_info[:3]):
        pytest.skip(f"the corpus was made with Python {made_with}; this is {sys.version.split()[0]}")
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_corpus
    finally:
        sys.path.pop(0)
    names = build_corpus.build()
    assert names == CORPUS.read_text().splitlines()
    assert f"{len(names):,} names" in about
