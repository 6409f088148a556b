"""Feedback that tells the learner what to fix: how far off a wrong array is, in the visible tests'
words and the hidden tests' alike; the visible tests of the backward functions ending with the
diagnosis that `check` gives (known_mistakes.json beside each notebook, made from the catalogue);
and a wrong tanh derivative named in both."""
import json
import shutil

import numpy as np
import pytest
import support

from autograder import mistakes, visible
from autograder.check import check
from autograder.course import RELEASE
from autograder.student import bptt_utils as bu

DIAGNOSED = [(a, f) for a in visible.all_assignments() for f in visible.diagnosed_functions(a)]


# ---- the words: how far off, and where -----------------------------------------------------

@pytest.mark.parametrize("yours, words", [
    (lambda e: 10 * e, "10 times too large"),
    (lambda e: e / 3, "3 times too small"),
    (lambda e: -e, "of the wrong sign"),
    (lambda e: -2 * e, "of the wrong sign and 2 times too large"),
    (lambda e: 0 * e, "all zeros"),
    (lambda e: e + np.array([[0.0, 0.0], [0.0, 0.5]]), "off by 9.1% of its size"),
    (lambda e: e + np.array([[0.0, 0.0], [0.0, 9.0]]), "off by 164% of its size"),
    (lambda e: e + np.array([[0.0, 0.0], [0.0, 50.0]]), "off by 9.1 times its size"),
])
def test_how_far_off_is_said_in_words_and_is_not_capped(yours, words):
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])            # size sqrt(30) = 5.48
    assert bu.how_far_off(yours(expected), expected) == words


def test_the_largest_difference_is_named_with_both_values():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    yours = expected + np.array([[0.1, 0.0], [-0.7, 0.0]])
    assert bu.largest_difference(yours, expected) == "largest difference at [1, 0]: yours 2.3, expected 3"
    assert bu.difference(np.zeros(2), np.zeros(2) + [0, 1]) == "all zeros; largest difference at [1]: yours 0, expected 1"
    assert bu.how_far_off(np.ones(2), np.zeros(2)) == "not zero, where it should be all zeros"
    assert bu.difference([1.0, np.nan], [1.0, 2.0]) == "it contains NaN or inf"


def test_check_close_says_how_far_off_and_where(capsys):
    bu.check_close("a", [1.0, 2.0], [1.0, 2.0 + 1e-12])
    assert capsys.readouterr().out.split() == ["a", "ok", "largest", "difference", "1.0e-12"]
    with pytest.raises(AssertionError) as e:
        bu.check_close("dxt[:, 0]", [0.2, 4.0, 0.6], [0.1, 2.0, 0.3])
    assert str(e.value).splitlines()[0] == "dxt[:, 0] is wrong: 2 times too large; largest difference at [1]: yours 4, expected 2"
    assert "WRONG 2 times too large" in capsys.readouterr().out


def test_gradient_check_says_how_far_off_each_wrong_gradient_is(capsys):
    x, w = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    loss = lambda: float(np.sum(w * x ** 2))                  # noqa: E731  dloss/dx = 2 w x = [6, -4]
    with pytest.raises(AssertionError) as e:
        bu.gradient_check(loss, {"x": x, "w": w}, {"x": 4 * w * x, "w": x ** 2})
    assert str(e.value) == ("gradient check failed (relative error above 1e-07):\n"
                            "  dx: 2 times too large; largest difference at [0]: yours 12, numerical 6")
    out = capsys.readouterr().out
    assert "dw          relative error" in out and "ok" in out.splitlines()[1]


# ---- the diagnosis of the visible tests, from a data file ------------------------------------

def data(tmp_path):
    right = {"dxt": bu.fingerprint([1.0, 2.0]), "da_prev": bu.fingerprint([3.0, 4.0])}
    path = tmp_path / "known.json"
    path.write_text(json.dumps({"functions": {"f": {
        "outputs": right,
        "mistakes": [{"id": "doubled", "hint": "it is doubled", "outputs": {"dxt": bu.fingerprint([2.0, 4.0]),
                                                                            "da_prev": right["da_prev"]}}],
        "patterns": [{"wrong": ["da_prev", "dxt", "dx3"], "hint": "both are wrong: look at dz"}]}}}))
    return path


def test_diagnose_names_the_mistake_whose_outputs_match_or_says_where_to_look(tmp_path):
    path = data(tmp_path)
    assert bu.diagnose("f", {"dxt": np.array([2.0, 4.0]), "da_prev": np.array([3.0, 4.0])}, path) == \
        "Known mistake [doubled]: it is doubled."
    # every output must match: the same dxt with another wrong da_prev is not that mistake
    assert bu.diagnose("f", {"dxt": np.array([2.0, 4.0]), "da_prev": np.array([3.0, 5.0])}, path) == \
        "Both are wrong: look at dz."           # the pattern's outputs that f returns here are both wrong
    assert bu.diagnose("f", {"dxt": np.array([2.0, 4.0 + 1e-9]), "da_prev": np.array([3.0, 4.0])}, path) == \
        "Known mistake [doubled]: it is doubled."
    assert bu.diagnose("f", {"dxt": np.array([1.0, 2.0]), "da_prev": np.array([3.0, 5.0])}, path) is None
    assert bu.diagnose("f", {"dxt": np.array([[2.0, 4.0]]), "da_prev": np.array([3.0, 4.0])}, path) is None  # shape
    assert bu.diagnose("f", None, path) is None
    assert bu.diagnose("g", {}, path) is None
    assert bu.diagnose("f", {}, tmp_path / "missing.json") is None


def test_diagnosis_ends_a_failing_check_with_its_line_and_leaves_the_rest_alone(tmp_path):
    path = data(tmp_path)
    outputs = {"dxt": np.array([2.0, 4.0]), "da_prev": np.array([3.0, 4.0])}
    with pytest.raises(AssertionError) as e:
        with bu.diagnosis("f", outputs, path):
            bu.check_close("dxt", outputs["dxt"], [1.0, 2.0])
    assert str(e.value).startswith("dxt is wrong: 2 times too large")
    assert str(e.value).endswith("\nKnown mistake [doubled]: it is doubled.")
    unchanged = r"^dxt is wrong: off by \d+% of its size; [^\n]*\n  yours: [^\n]*\n  expected: [^\n]*$"
    with pytest.raises(AssertionError, match=unchanged):         # no diagnosis: the message as it was
        with bu.diagnosis("f", {"dxt": np.array([1.0, 3.0]), "da_prev": np.array([3.0, 4.0])}, path):
            bu.check_close("dxt", [1.0, 3.0], [1.0, 2.0])
    with pytest.raises(KeyError):                        # other errors are not its business
        with bu.diagnosis("f", outputs, path):
            raise KeyError("dxt")
    with bu.diagnosis("f", outputs, path):                # nothing fails: nothing to say
        pass


# ---- known_mistakes.json: one source of truth, the catalogue --------------------------------

def test_the_visible_tests_of_the_backward_functions_diagnose():
    assert {f for _, f in DIAGNOSED} >= {"rnn_cell_backward", "rnn_backward", "lstm_cell_backward", "lstm_backward",
                                         "softmax_loss_backward", "stacked_rnn_backward", "embedding_backward",
                                         "model_loss_and_gradients", "input_gradient", "attention_backward", "seq2seq_backward"}


@pytest.mark.parametrize("assignment", visible.all_assignments())
def test_known_mistakes_files_are_what_the_catalogue_makes(assignment):
    """Stale after a change of the catalogue or of a visible test: run tools/known_mistakes.py."""
    assert visible.differences(assignment) == []
    shipped = RELEASE / assignment / bu.KNOWN_MISTAKES
    assert shipped.exists() == visible.path(assignment).exists()
    if shipped.exists():
        assert shipped.read_bytes() == visible.path(assignment).read_bytes()


def test_a_stale_file_is_found(tmp_path, monkeypatch):
    content = visible.data_file("01_rnn_step_by_step")
    content["functions"]["rnn_cell_backward"]["mistakes"].pop()
    monkeypatch.setattr(visible, "path", lambda a: tmp_path / "known.json")
    (tmp_path / "known.json").write_text(json.dumps(content))
    assert visible.differences("01_rnn_step_by_step")


@pytest.mark.parametrize("assignment, function", DIAGNOSED)
def test_each_catalogued_mistake_fails_the_visible_test_with_the_line_that_check_gives(assignment, function):
    """In the visible test, the learner's kernel runs the mistake: its message ends with
    `Known mistake [id]: hint.`, the sentence the hidden tests add to check's message. A mistake
    that the file leaves out gives the right outputs on the visible test's inputs."""
    test = visible.VisibleTest(assignment, function)
    assert test.failure() is None
    listed = {m["id"] for m in json.loads(visible.path(assignment).read_text())["functions"][function]["mistakes"]}
    for m in mistakes.catalogue(function):
        message = test.failure(m.source())
        if m.id in listed:
            assert message.splitlines()[-1] == bu.mistake_line(m.id, m.hint), m.id
        else:
            assert message is None, f"{m.id} fails the visible test but is not in {bu.KNOWN_MISTAKES}: {message}"


def test_weights_read_from_the_notebooks_global_pass_the_visible_test_and_only_that():
    """parameters_tmp is what the visible test passes: only the hidden cases catch the mistake."""
    for a, f, m in [("01_rnn_step_by_step", "rnn_cell_backward", "rnn_weights_from_the_notebooks_global"),
                    ("02_lstm_step_by_step", "lstm_cell_backward", "lstm_weights_from_the_notebooks_global"),
                    ("03_deep_rnn_why_dx", "softmax_loss_backward", "softmax_weights_from_the_notebooks_global"),
                    ("05_attention_step_by_step", "attention_backward", "attention_weights_from_the_notebooks_global")]:
        assert visible.VisibleTest(a, f).failure(mistakes.get(m).source()) is None


def test_a_pattern_of_wrong_gradients_says_where_to_look_in_the_visible_test():
    source = '''def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, p = cache
    dz = (1 - a_next ** 3) * da_next
    return {"dxt": p["Wax"].T @ dz, "da_prev": p["Waa"].T @ dz, "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T,
            "dba": dz.sum(axis=1, keepdims=True)}
'''
    message = visible.VisibleTest("01_rnn_step_by_step", "rnn_cell_backward").failure(source)
    assert message.splitlines()[-1] == ("All five gradients are wrong: look at the gradient through tanh, dz, first; "
                                        "every one of them is computed from it.")


def test_the_catalogue_knows_the_derivative_mistakes_of_every_cell():
    known = {m.id: m.function for m in mistakes.catalogue()}
    expected = {
        # tanh applied twice, wherever there is a tanh
        "tanh_applied_twice": "rnn_cell_backward", "candidate_tanh_applied_twice": "lstm_cell_backward",
        "cell_state_tanh_applied_twice": "lstm_cell_backward", "layer_tanh_applied_twice": "stacked_rnn_backward",
        "scorer_tanh_applied_twice": "attention_backward", "decoder_tanh_applied_twice": "seq2seq_backward",
        # sigmoid's derivative for tanh's, and the other way round
        "sigmoid_derivative_for_tanh": "rnn_cell_backward", "candidate_with_sigmoid_derivative": "lstm_cell_backward",
        "gates_with_tanh_derivative": "lstm_cell_backward", "sigmoid_and_tanh_derivatives_swapped": "lstm_cell_backward",
        "scorer_sigmoid_derivative": "attention_backward",
        # a gate's sigmoid derivative left out
        "forget_gate_sigmoid_derivative_missing": "lstm_cell_backward",
        "update_gate_sigmoid_derivative_missing": "lstm_cell_backward",
        "output_gate_sigmoid_derivative_missing": "lstm_cell_backward",
        # the notebook's global parameters in place of the cache's
        "rnn_weights_from_the_notebooks_global": "rnn_cell_backward",
        "lstm_weights_from_the_notebooks_global": "lstm_cell_backward",
        "softmax_weights_from_the_notebooks_global": "softmax_loss_backward",
        "attention_weights_from_the_notebooks_global": "attention_backward"}
    assert {k: known.get(k) for k in expected} == expected
    assert "np.tanh(a_next)" in mistakes.get("tanh_applied_twice").source()
    assert "parameters_tmp" in mistakes.get("lstm_weights_from_the_notebooks_global").source()


# ---- a wrong tanh derivative, as a learner meets it ------------------------------------------

def test_a_wrong_tanh_derivative_is_named_in_the_visible_test_and_by_check(tmp_path):
    """The release as a learner has it, with 1 - np.tanh(a_next)**2 in rnn_cell_backward, run in a
    real kernel: the visible test's error ends by naming the mistake, and check names it too."""
    from nbclient import NotebookClient
    import nbformat
    m = mistakes.get("tanh_applied_twice")
    nb = support.with_function(support.solved("01_rnn_step_by_step"), m.function, m.source())
    folder = tmp_path / "01_rnn_step_by_step"
    shutil.copytree(RELEASE / "01_rnn_step_by_step", folder)
    path = support.write(nb, folder / "rnn_step_by_step.ipynb")

    run = nbformat.read(path, as_version=4)
    NotebookClient(run, timeout=120, allow_errors=True, resources={"metadata": {"path": str(folder)}}).execute()
    cell = next(c for c in run.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "rnn_cell_backward_visible")
    error = next(o for o in cell.outputs if o.output_type == "error")
    line = bu.mistake_line(m.id, m.hint)
    assert error.evalue.splitlines()[-1] == line

    result = check(path)
    messages = {t["grade_id"]: t["message"] for t in result["tests"]}
    for g in ("rnn_cell_backward_dxt", "rnn_cell_backward_da_prev", "rnn_cell_backward_params"):
        assert messages[g].endswith(" " + line), messages[g]
