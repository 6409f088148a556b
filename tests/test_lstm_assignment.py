"""Assignment 02 (the LSTM): what its hidden tests cover, the size of its mistake catalogue, the
claims of its gradient-decay experiment, and the acceptance case of a dc_prev without its
da_next route, as a learner meets it through `python -m autograder check`."""
import importlib
import json
import pkgutil
import subprocess
import sys
import warnings

import numpy as np
import pytest
import support

from autograder import mistakes
from autograder.course import SOURCE
from autograder.hidden import lstm as hidden
from autograder.reference import lstm as ref

ASSIGNMENT = "02_lstm_step_by_step"


def test_catalogue_has_at_least_eight_lstm_backward_mistakes():
    cell = [m.id for m in mistakes.catalogue("lstm_cell_backward")]
    seq = [m.id for m in mistakes.catalogue("lstm_backward")]
    assert len(cell) + len(seq) >= 8 and len(cell) >= 4 and len(seq) >= 4, (cell, seq)
    for required in ("dc_prev_missing_da_next_route", "dc_missing_dc_next", "forget_gate_uses_c_next",
                     "weight_slices_swapped", "dc_prev_not_carried", "lstm_da_prev_not_carried"):
        assert required in cell + seq


def test_no_mistake_hides_another_of_the_same_name():
    """The catalogue is keyed by function name: a name used twice would silently drop a mistake."""
    import autograder.mistakes as pkg
    for info in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"autograder.mistakes.{info.name}")
        registered = {m.id: m.impl for m in mistakes.catalogue()}
        for name, obj in vars(mod).items():
            if callable(obj) and getattr(obj, "__module__", None) == mod.__name__ and name in registered:
                assert registered[name] is obj, f"mistake {name} of {mod.__name__} is hidden by another of that name"


def test_hidden_cases_cover_the_shapes_and_both_routes_into_c():
    shapes = hidden.SHAPES
    assert any(s["n_x"] != s["n_a"] for s in shapes) and any(s["n_x"] == s["n_a"] for s in shapes)
    assert any(s["m"] == 1 for s in shapes) and any(s["T_x"] == 1 for s in shapes)
    for case in hidden.cell_backward_cases():
        da_next, dc_next, cache = case.args
        assert np.all(da_next != 0) and np.all(dc_next != 0), "the cell must get nonzero da_next and dc_next"
        assert np.all(cache[3] != 0), "c_prev must be nonzero, or dft = dc * c_prev tests nothing"
    # the hidden inputs are not the visible tests' (seeds 1 to 4 in the notebook)
    visible_xt = np.random.default_rng(1).standard_normal((3, 10))
    assert not any(c.args[0].shape == visible_xt.shape and np.allclose(c.args[0], visible_xt)
                   for c in hidden.cell_forward_cases())


def test_reference_passes_the_graders_own_numerical_check():
    hidden.check_reference.cache_clear()
    assert hidden.check_reference()


# ---- the gradient-decay experiment of section 5 ------------------------------------------

def _decay_cells():
    """The notebook's own experiment cells, run with the reference LSTM in place of the learner's."""
    nb = support.source_nb(ASSIGNMENT)
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    define = next(c for c in code if "def gradient_norms_back_through_time(" in c)
    figure = next(c for c in code if c.lstrip().startswith("forget_bias = "))
    repeat = next(c for c in code if "factors = np.array(" in c)
    return define, figure, repeat


@pytest.fixture(scope="module")
def experiment():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from autograder.student.bptt_utils import lstm_parameters, rnn_parameters
    sys.path.insert(0, str(SOURCE / ASSIGNMENT))        # the notebook imports rnn_utils from its folder
    try:
        ns = {"np": np, "rnn_parameters": rnn_parameters, "lstm_parameters": lstm_parameters,
              "lstm_forward": ref.lstm_forward, "lstm_cell_backward": ref.lstm_cell_backward,
              "print": lambda *a, **k: None}
        define, figure, repeat = _decay_cells()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")               # plt.show() on Agg warns that it cannot show
            for src in (define, figure, repeat):
                exec(compile(src, "cell", "exec"), ns)
        plt.close("all")
    finally:
        sys.path.remove(str(SOURCE / ASSIGNMENT))
    return ns


def test_figure_shows_the_rnn_gradient_vanishing_faster(experiment):
    ns = experiment
    assert ns["forget_bias"] == 1.0
    rnn, lstm = ns["norms_rnn"], ns["norms_lstm"]
    T = len(rnn)
    assert T == 50 and np.all(rnn > 0) and np.all(lstm > 0)
    rel_rnn, rel_lstm = rnn / rnn[-1], lstm / lstm[-1]
    assert rel_lstm[0] > 1000 * rel_rnn[0], "49 steps back, the LSTM should keep orders of magnitude more"
    assert ns["factor_per_step"](lstm) > ns["factor_per_step"](rnn)
    # the text says: the first step back costs the LSTM more; from the second on, the RNN shrinks faster
    assert rel_lstm[T - 2] < rel_rnn[T - 2]
    assert (rnn[0] / rnn[T - 2]) ** (1 / (T - 2)) < (lstm[0] / lstm[T - 2]) ** (1 / (T - 2)) - 0.05
    steps_back = T - 1 - np.arange(T)
    assert np.all(rel_lstm[steps_back >= 15] > rel_rnn[steps_back >= 15])


def test_it_is_not_one_lucky_draw(experiment):
    assert experiment["slower"] == 20
    f = experiment["factors"]
    assert np.median(f[:, 1]) > np.median(f[:, 0]) + 0.05


def test_forget_gate_bias_claims_of_the_text(experiment):
    ns = experiment
    fps, norms = ns["factor_per_step"], ns["gradient_norms_back_through_time"]
    f = {b: [fps(n) for n in norms(1, forget_bias=b)] for b in (0.0, 1.0, 3.0)}
    assert f[0.0][1] < f[0.0][0], "with forget-gate bias 0 the LSTM's gradient should vanish faster than the RNN's"
    assert f[3.0][1] > f[1.0][1], "with forget-gate bias 3 the gradient should travel further than with 1"
    assert abs(f[0.0][0] - f[1.0][0]) < 1e-12, "the forget-gate bias must not change the RNN"


# ---- acceptance: a dc_prev without the da_next route -------------------------------------

def test_forgetting_the_da_next_route_into_dc_prev_is_explained(tmp_path):
    m = mistakes.get("dc_prev_missing_da_next_route")
    nb = support.with_function(support.solved(ASSIGNMENT), m.function, m.source())
    path = support.write(nb, tmp_path / "lstm_step_by_step.ipynb")
    done = subprocess.run([sys.executable, "-m", "autograder", "check", str(path), "--json"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    tests = {t["grade_id"]: t for t in result["tests"]}
    assert [g for g, t in tests.items() if not t["passed"]] == ["lstm_cell_backward_dc_prev"]
    msg = tests["lstm_cell_backward_dc_prev"]["message"]
    assert msg.startswith("dc_prev is wrong"), msg
    assert "route through a_next" in msg and "dc_next + da_next * ot * (1 - tanh(c_next)**2)" in msg, msg
    assert result["score"] == result["max_score"] - tests["lstm_cell_backward_dc_prev"]["max_score"]
