"""Assignment 04's reference code, its task and its committed model keep their promises.

- input_gradient (and the training gradients of adding_training) agree with central differences;
- the committed models are what their stored recipes make, and the notebook's model has learned the task;
- on that model, saliency concentrates on the marked steps, optimize_input reaches its target,
  and fgsm_perturbation shifts predictions by the amount asked with the smallest grid step;
- the release's adding_task.py runs on its own, next to the notebook, with the shipped modules,
  and holds no backward pass: exercise 1 is an exercise, not a copy.
"""
import ast
import inspect
import shutil
import subprocess
import sys

import numpy as np
import pytest

from autograder import mistakes
from autograder.course import RELEASE, SOURCE
from autograder.hidden import using_dx as hidden
from autograder.reference import adding_task as task
from autograder.reference import adding_training as recipes
from autograder.reference import using_dx as ref
from autograder.student.bptt_utils import gradient_difference, lstm_parameters, numerical_gradient, rnn_parameters

SHAPES = [dict(n_x=2, n_a=5, n_y=1, m=4, T_x=6),
          dict(n_x=3, n_a=3, n_y=2, m=3, T_x=5),    # square, two outputs
          dict(n_x=2, n_a=4, n_y=1, m=1, T_x=4),    # one sequence
          dict(n_x=4, n_a=3, n_y=1, m=5, T_x=1)]    # one step


@pytest.fixture(scope="module")
def model():
    return task.load_model(hidden.MODEL_FILE)[0]


@pytest.fixture(scope="module")
def batch():
    return task.adding_problem(200, 20, seed=1)


def random_model(kind, s, seed):
    make = rnn_parameters if kind == "rnn" else lstm_parameters
    return {"kind": kind, "parameters": make(s["n_x"], s["n_a"], s["n_y"], seed=seed)}


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("s", SHAPES, ids=str)
def test_input_gradient_matches_numerical_gradients(kind, s):
    rng = np.random.default_rng(3)
    mdl = random_model(kind, s, seed=4)
    x = rng.standard_normal((s["n_x"], s["m"], s["T_x"]))
    dy = rng.standard_normal((s["n_y"], s["m"]))
    dx = ref.input_gradient(x, mdl, dy)
    J = lambda: np.sum(dy * task.predict(x, mdl)[0])
    assert dx.shape == x.shape
    assert gradient_difference(dx, numerical_gradient(J, x)) < 1e-7


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_training_gradients_match_numerical_gradients(kind):
    mdl = task.init_model(kind, n_a=5, seed=1)
    for v in mdl["parameters"].values():        # move away from the zero biases of the initialisation
        v += 0.1 * np.random.default_rng(2).standard_normal(v.shape)
    x, y = task.adding_problem(3, 6, seed=2)
    _, grads = recipes.loss_and_gradients(x, y, mdl)
    for name, p in mdl["parameters"].items():
        num = numerical_gradient(lambda: task.mse(task.predict(x, mdl)[0], y), p)
        assert gradient_difference(grads[name], num) < 1e-7, name


def test_adding_problem_is_what_it_says():
    x, y = task.adding_problem(500, 11, seed=3)
    assert x.shape == (2, 500, 11) and y.shape == (1, 500)
    assert np.all((x[0] >= 0) & (x[0] <= 1))
    assert np.all(x[1].sum(axis=1) == 2)
    assert np.all(x[1, :, :5].sum(axis=1) == 1) and np.all(x[1, :, 5:].sum(axis=1) == 1)
    assert np.allclose(y[0], (x[0] * x[1]).sum(axis=1))
    assert abs(np.var(y) - task.BASELINE_MSE) < 0.03


def assert_same_model(stored, fresh):
    (model, notes), (fresh_model, fresh_notes) = stored, fresh
    assert model["kind"] == fresh_model["kind"] and model["parameters"].keys() == fresh_model["parameters"].keys()
    for k, v in model["parameters"].items():
        assert np.allclose(fresh_model["parameters"][k], v, rtol=0, atol=1e-8), k
    assert notes.keys() == fresh_notes.keys() and notes["recipe"] == fresh_notes["recipe"]
    assert np.allclose(notes["losses"], fresh_notes["losses"], rtol=1e-6)
    assert task.evaluate(model, notes["T_x"]) == pytest.approx(notes["test_mse"], rel=1e-6)


def test_committed_model_is_what_its_recipe_makes(model):
    stored = task.load_model(hidden.MODEL_FILE)
    assert_same_model(stored, recipes.make_model())
    assert stored[1]["test_mse"] < 0.01 * task.BASELINE_MSE       # it has learned the task


def test_models_of_section_4_are_what_their_recipe_makes():
    stored = task.load_models(SOURCE / "04_using_dx" / "adding_models_by_length.npz")
    fresh = recipes.make_length_models()
    assert list(stored) == list(fresh)
    for name in fresh:
        assert_same_model(stored[name], fresh[name])


def test_shipped_training_code_holds_no_backward_pass():
    """adding_task.py ships with the release: the backward pass through the readout, which
    training needs, would be exercise 1's answer. It takes the gradients as an argument instead."""
    shipped = (RELEASE / "04_using_dx" / "adding_task.py").read_text()
    names = {n.id for n in ast.walk(ast.parse(shipped)) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(ast.parse(shipped)) if isinstance(n, ast.Attribute)}
    assert not names & {"rnn_backward", "lstm_backward", "rnn_cell_backward", "lstm_cell_backward"}, \
        "adding_task.py backpropagates: that gives exercise 1 of 04 away"
    assert "loss_and_gradients" in inspect.signature(task.train).parameters


def share_on_marked(s, x):
    return ((s * x[1]).sum(axis=1) / s.sum(axis=1)).mean()


def test_saliency_concentrates_on_the_marked_steps(model, batch):
    x, _ = batch
    uniform = 2 / x.shape[2]
    assert share_on_marked(ref.saliency(x, model, "gradient_x_input"), x) > 0.9
    assert share_on_marked(ref.saliency(x, model, "gradient"), x) > 4 * uniform
    dx = ref.input_gradient(x, model, np.ones((1, x.shape[1])))
    assert share_on_marked(np.abs(dx[0]), x) > 0.9            # the value feature alone
    assert np.mean(np.abs(dx[0][x[1] == 1] - 1)) < 0.1        # d y_hat / d marked value is about 1
    # the sanity check of Adebayo et al.: an untrained model's map is not the trained one's
    untrained = task.init_model("lstm", n_a=16, seed=0)
    assert share_on_marked(ref.saliency(x, untrained, "gradient_x_input"), x) < 0.35
    assert share_on_marked(ref.saliency(x, untrained, "gradient"), x) < 1.5 * uniform


def test_optimize_input_reaches_the_target_and_respects_penalty_and_mask(model, batch):
    x0 = batch[0][:, :3].copy()
    before = x0.copy()
    values_only = np.array([1.0, 0.0]).reshape(2, 1, 1)
    target = np.array([[1.5, 0.3, 1.2]])
    x, history = ref.optimize_input(x0, model, target, 60, 0.1, 0.0, values_only)
    assert np.array_equal(x0, before)
    assert np.max(np.abs(task.predict(x, model)[0] - target)) < 1e-3
    assert np.array_equal(x[1], x0[1])                        # markers frozen by the mask
    assert history.shape == (61,) and history[-1] < 1e-6 < history[0]
    assert history[-1] == pytest.approx(ref.objective(x, x0, model, target, 0.0))
    x_l2, _ = ref.optimize_input(x0, model, target, 60, 0.1, 1.0, values_only)
    miss = np.abs(task.predict(x_l2, model)[0] - target)
    assert np.all(miss > 0.01) and np.linalg.norm(x_l2 - x0) < np.linalg.norm(x - x0)


@pytest.mark.parametrize("shift", [0.3, -0.25])
def test_fgsm_shifts_by_the_amount_asked_with_the_smallest_step(model, batch, shift):
    x = batch[0][:, :10]
    step = 0.005
    x_adv, eps = ref.fgsm_perturbation(x, model, shift, step, 0.5)
    assert np.all(np.isfinite(eps))
    y0 = task.predict(x, model)[0][0]
    moved = np.sign(shift) * (task.predict(x_adv, model)[0][0] - y0)
    assert np.all(moved >= abs(shift))
    d = np.sign(shift) * np.sign(ref.input_gradient(x, model, np.ones((1, 10))))
    smaller = np.sign(shift) * (task.predict(x + (eps - step)[None, :, None] * d, model)[0][0] - y0)
    assert np.all(smaller < abs(shift))                       # one step less is not enough
    assert np.allclose(np.abs(x_adv - x).max(axis=(0, 2)), eps)
    assert np.all(eps < 0.1)                                  # small steps move the prediction far


def test_fgsm_out_of_reach_gives_inf_and_leaves_x(model, batch):
    x = batch[0][:, :4]
    x_adv, eps = ref.fgsm_perturbation(x, model, 5.0, 0.05, 0.2)
    assert np.all(np.isinf(eps)) and np.array_equal(x_adv, x)


def _moved(case, k):
    """How far the grid's k-th step moves each sequence, past what is asked (>= 0: far enough)."""
    x, model, shift, step, _ = case.args
    d = np.sign(shift) * np.sign(ref.input_gradient(x, model, np.ones((1, x.shape[1]))))
    y0 = task.predict(x, model)[0][0]
    return np.sign(shift) * (task.predict(x + k * step * d, model)[0][0] - y0) - abs(shift)


FGSM_CASES = {kind: hidden.fgsm_cases(kind) for kind in ("plain", "edge")}


@pytest.mark.parametrize("kind, i", [(k, i) for k, cases in FGSM_CASES.items() for i in range(len(cases))])
def test_fgsm_hidden_cases_are_robust_to_rounding(kind, i):
    """At every step of the grid and one beyond, each sequence is clearly short of the shift or
    clearly past it: an implementation that computes the same thing in another order (one
    sequence at a time, eps accumulated) cannot land on the other side."""
    case = FGSM_CASES[kind][i]
    n = int(round(case.args[4] / case.args[3]))
    assert min(np.min(np.abs(_moved(case, k))) for k in range(1, n + 2)) > 1e-4


def _case(kind, words):
    return next(c for c in FGSM_CASES[kind] if words in c.label)


def test_fgsm_hidden_cases_reach_the_ends_of_the_grid():
    """The cases that the labels promise, so that the off-by-one bugs of the step search fail."""
    eps = {(kind, c.label): ref.fgsm_perturbation(*c.args)[1] for kind in FGSM_CASES for c in FGSM_CASES[kind]}
    plain = {c.label: eps["plain", c.label] for c in FGSM_CASES["plain"]}
    assert all(np.all(np.isfinite(e)) for e in plain.values()), "plain: every sequence within reach"
    # some sequence gets there at the first step
    first = _case("plain", "first step")
    assert np.any(eps["plain", first.label] == first.args[3])
    # a sequence gets there only at max_eps, and max_eps / step is not a whole number in floating point
    at_max = _case("plain", "max_eps=0.29")
    x, model, shift, step, max_eps = at_max.args
    assert int(max_eps / step) < int(round(max_eps / step)) and np.any(eps["plain", at_max.label] == max_eps)
    # an input feature whose gradient is exactly zero
    deaf = _case("plain", "does not reach the output")
    x, model = deaf.args[:2]
    assert np.any(np.all(ref.input_gradient(x, model, np.ones((1, x.shape[1]))) == 0, axis=(1, 2)))
    # edge: one sequence at max_eps and one out of reach
    both = _case("edge", "and one never does")
    e = eps["edge", both.label]
    assert np.any(e == both.args[4]) and np.any(np.isinf(e))
    # edge: a sequence that one more step would reach stays inf
    beyond = _case("edge", "one step more than max_eps")
    x, model, shift, step, max_eps = beyond.args
    e_more = ref.fgsm_perturbation(x, model, shift, step, max_eps + step)[1]
    out = np.isinf(eps["edge", beyond.label])
    assert np.any(out) and np.allclose(e_more[out], max_eps + step)
    # edge: out of reach of every sequence
    assert np.all(np.isinf(eps["edge", _case("edge", "every sequence").label]))


def _fgsm(first=1, last=lambda max_eps, step, m: int(round(max_eps / step)), sign=np.sign):
    """The reference's step search with one thing changed: the first k, the last k, or the sign."""
    def fgsm_perturbation(x, model, shift, step=0.01, max_eps=1.0):
        m = x.shape[1]
        y0 = task.predict(x, model)[0][0]
        d = np.sign(shift) * sign(ref.input_gradient(x, model, np.ones((1, m))))
        eps, x_adv = np.full(m, np.inf), x.copy()
        for k in range(first, last(max_eps, step, m) + 1):
            moved = task.predict(x + k * step * d, model)[0][0] - y0
            new = (np.sign(shift) * moved >= abs(shift)) & np.isinf(eps)
            eps[new] = k * step
            x_adv[:, new] = x[:, new] + k * step * d[:, new]
        return x_adv, eps
    return fgsm_perturbation


# wrong step searches that got full marks before the cases at the ends of the grid, and the
# graded cells that they must now fail
FGSM_BUGS = {
    "starts at 2 step": (_fgsm(first=2), {"plain"}),
    "stops one step before max_eps": (_fgsm(last=lambda e, s, m: int(round(e / s)) - 1), {"plain", "edge"}),
    "int(max_eps / step) steps": (_fgsm(last=lambda e, s, m: int(e / s)), {"plain"}),
    "one step beyond max_eps": (_fgsm(last=lambda e, s, m: int(round(e / s)) + 1), {"edge"}),
    "m / step steps": (_fgsm(last=lambda e, s, m: int(round(m / s))), {"edge"}),
    "np.where(g >= 0, 1, -1) for the sign": (_fgsm(sign=lambda g: np.where(g >= 0, 1.0, -1.0)), {"plain"}),
    "divides by the sign": (_fgsm(sign=lambda g: 1 / np.sign(g)), {"plain"}),
}


@pytest.mark.parametrize("bug, cells", FGSM_BUGS.values(), ids=FGSM_BUGS)
def test_fgsm_step_search_bugs_fail_their_cell(bug, cells):
    for kind in ("plain", "edge"):
        if kind in cells:
            with pytest.raises(AssertionError, match="fgsm_perturbation|x_adv|eps"):
                hidden.grade_fgsm_perturbation(bug, kind)
        else:
            hidden.grade_fgsm_perturbation(bug, kind)


def test_fgsm_correct_step_search_passes_both_cells():
    for kind in ("plain", "edge"):
        hidden.grade_fgsm_perturbation(_fgsm(), kind)


def test_hidden_tests_self_check():
    assert hidden.check_reference()


def test_catalogue_covers_every_function():
    per_function = {}
    for m in mistakes.catalogue():
        per_function[m.function] = per_function.get(m.function, 0) + 1
    counts = [per_function.get(f, 0) for f in ("input_gradient", "saliency", "optimize_input", "fgsm_perturbation")]
    assert min(counts) >= 1 and sum(counts) >= 5, counts


@pytest.mark.parametrize("shipped, reference", [("rnn_utils.py", "rnn.py"), ("lstm_utils.py", "lstm.py"),
                                                ("adding_task.py", "adding_task.py"),
                                                ("adding_model.npz", "adding_model.npz")])
def test_release_ships_the_reference_modules(shipped, reference):
    source = SOURCE / "04_using_dx" / shipped
    assert source.is_symlink() and source.resolve() == (SOURCE.parent / "autograder" / "reference" / reference).resolve()
    assert (RELEASE / "04_using_dx" / shipped).read_bytes() == source.read_bytes()


def test_release_modules_work_on_their_own(tmp_path):
    """adding_task.py imports rnn_utils and lstm_utils when it is not inside the package."""
    for f in ("adding_task.py", "rnn_utils.py", "lstm_utils.py", "adding_model.npz", "adding_models_by_length.npz"):
        shutil.copyfile(RELEASE / "04_using_dx" / f, tmp_path / f)
    code = ("import adding_task as t; m = t.load_model('adding_model.npz')[0]; "
            "ms = t.load_models('adding_models_by_length.npz'); "
            "print(t.evaluate(m, 20) < 0.01, len(ms), 'autograder' in __import__('sys').modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "8", "False"]
