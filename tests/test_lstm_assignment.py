"""Assignment 02 (the LSTM): what its hidden tests cover, the size of its mistake catalogue, the
claims of its gradient-decay experiment, and the acceptance case of a dc_prev without its
da_next route, as a learner meets it through `python -m autograder check`."""
import ast
import pkgutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import support

from autograder import mistakes
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
    """The catalogue is keyed by function name: a name used twice, in one module or in two, would
    silently drop a mistake. Every decorated function of the package is in the catalogue."""
    import autograder.mistakes as pkg
    defined = []
    for info in pkgutil.iter_modules(pkg.__path__):
        tree = ast.parse((Path(pkg.__path__[0]) / f"{info.name}.py").read_text())
        defined += [f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
                    and any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "mistake" for d in f.decorator_list)]
    assert len(defined) == len(set(defined)) == len(mistakes.catalogue()) > 60


def test_a_second_mistake_of_the_same_name_is_refused(monkeypatch):
    monkeypatch.setattr(mistakes, "_CATALOGUE", {})
    def first(): pass
    def second(): pass
    second.__name__ = "first"
    mistakes.mistake("lstm_forward", ["a"], "a hint")(first)
    mistakes.mistake("lstm_forward", ["a"], "a hint")(first)          # the same one again: a reload
    with pytest.raises(ValueError, match="two mistakes are named first"):
        mistakes.mistake("lstm_forward", ["a"], "another hint")(second)


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
    assert not any(np.isin(c.args[0], visible_xt).any() for c in hidden.cell_forward_cases())


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
    ns = {"np": np, "rnn_parameters": rnn_parameters, "lstm_parameters": lstm_parameters,
          "lstm_forward": ref.lstm_forward, "lstm_cell_backward": ref.lstm_cell_backward,
          "print": lambda *a, **k: None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")               # plt.show() on Agg warns that it cannot show
        for src in _decay_cells():
            exec(compile(src, "cell", "exec"), ns)
    plt.close("all")
    return ns


def test_the_experiments_rnn_is_assignment_01s(experiment):
    """The notebook writes the RNN out in its two equations; they must be the reference's."""
    from autograder.reference import rnn
    from autograder.student.bptt_utils import rnn_parameters
    rng = np.random.default_rng(0)
    x, G, a0 = rng.standard_normal((4, 1, 7)), rng.standard_normal((6, 1)), rng.standard_normal((6, 1))
    p = rnn_parameters(4, 6, 2, seed=0)
    _, _, (caches, _) = rnn.rnn_forward(x, a0, p)
    expected, da = np.zeros(7), G
    for t in reversed(range(7)):
        expected[t] = np.linalg.norm(da)
        da = rnn.rnn_cell_backward(da, caches[t])["da_prev"]
    np.testing.assert_allclose(experiment["rnn_da_back_through_time"](x, a0, p, G), expected, rtol=1e-12)


def test_figure_shows_the_rnn_gradient_vanishing_faster(experiment):
    ns = experiment
    assert ns["forget_bias"] == 1.0
    rnn, lstm = ns["norms_rnn"], ns["norms_lstm"]
    T = len(rnn)
    assert T == 50 and np.all(rnn > 0) and np.all(lstm > 0)
    rel_rnn, rel_lstm = rnn / rnn[-1], lstm / lstm[-1]
    assert rel_lstm[0] > 1000 * rel_rnn[0], "49 steps back, the LSTM should keep orders of magnitude more"
    assert ns["factor_per_step"](lstm) > ns["factor_per_step"](rnn)
    # the text says: the LSTM's da starts lower, with much of its gradient on the cell state,
    # the curves cross about ten steps back, and the LSTM stays above from there on
    assert rel_lstm[T - 2] < rel_rnn[T - 2]
    assert ns["norms_lstm_c"][T - 2] > ns["norms_lstm"][T - 2]
    steps_back = T - 1 - np.arange(T)
    crossing = steps_back[rel_lstm > rel_rnn].min()
    assert 5 <= crossing <= 15
    assert np.all(rel_lstm[steps_back >= 15] > rel_rnn[steps_back >= 15])
