"""The hidden-test helper itself: what it accepts, what it rejects, and what it says."""
import numpy as np
import pytest

from autograder.hidden import grade, rnn as hidden
from autograder.reference import rnn as ref


def test_reference_passes_every_graded_cell():
    hidden.grade_rnn_cell_forward(ref.rnn_cell_forward)
    hidden.grade_rnn_forward(ref.rnn_forward)
    for part in ("dxt", "da_prev", "params"):
        hidden.grade_rnn_cell_backward(ref.rnn_cell_backward, part)
    for part in ("dx", "da0", "params"):
        hidden.grade_rnn_backward(ref.rnn_backward, part)


def test_hard_coded_answers_fail():
    """A function returning the answer of one input (say, the visible test's) fails on the others."""
    case = hidden.cell_backward_cases()[0]
    frozen = ref.rnn_cell_backward(*case.args)
    with pytest.raises(AssertionError, match="case"):
        hidden.grade_rnn_cell_backward(lambda da_next, cache: frozen, "dxt")


def test_a_function_that_changes_its_inputs_fails():
    def in_place(da_next, cache):
        grads = ref.rnn_cell_backward(da_next, cache)
        da_next *= 0                       # e.g. reusing an argument as scratch space
        return grads
    with pytest.raises(AssertionError, match="changed one of its inputs"):
        hidden.grade_rnn_cell_backward(in_place, "dxt")


def test_student_output_to_stderr_and_warnings_never_reach_the_cell(capfd):
    import sys
    import warnings

    def noisy(da_next, cache):
        print("debugging", file=sys.stderr)
        warnings.warn("something odd")
        np.log(np.zeros(1))                # RuntimeWarning: divide by zero
        return ref.rnn_cell_backward(da_next, cache)
    hidden.grade_rnn_cell_backward(noisy, "dxt")
    assert capfd.readouterr().err == ""


def test_sequence_messages_name_the_wrong_time_steps():
    def wrong_before_last(da, caches):
        g = ref.rnn_backward(da, caches)
        g["dx"][:, :, :-1] *= 2
        return g
    with pytest.raises(AssertionError, match=r"dx is wrong at time steps t = 0-4 \(right at t = 5\)"):
        hidden.grade_rnn_backward(wrong_before_last, "dx")


@pytest.mark.parametrize("result, message", [
    ((1, 2), "must return a dict"),
    ({"dxt": None}, "dxt is missing"),
    ({"dxt": np.zeros((1, 1))}, "dxt has shape"),
    ({"dxt": "abc"}, "not an array of numbers"),
])
def test_malformed_results_get_specific_messages(result, message):
    with pytest.raises(AssertionError, match=message):
        hidden.grade_rnn_cell_backward(lambda da_next, cache: result, "dxt")


def test_a_crash_is_reported_with_its_exception():
    def crash(da_next, cache):
        raise ValueError("shapes (5,4) and (3,4) not aligned")
    with pytest.raises(AssertionError, match="rnn_cell_backward raised ValueError: shapes"):
        hidden.grade_rnn_cell_backward(crash, "dxt")


def test_the_student_cell_function_is_swapped_out_and_restored():
    """rnn_backward is graded with the reference cell; the student's own comes back afterwards."""
    namespace = {"np": np}
    exec("def rnn_cell_backward(da_next, cache):\n    raise RuntimeError('buggy cell')\n", namespace)
    student_cell = namespace["rnn_cell_backward"]
    # a student rnn_backward that calls rnn_cell_backward by name
    exec("""def rnn_backward(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    out = {"dx": np.zeros((n_x, m, T_x)), "da0": np.zeros((da.shape[0], m)),
           "dWax": 0, "dWaa": 0, "dba": 0}
    d = np.zeros_like(out["da0"])
    for t in reversed(range(T_x)):
        g = rnn_cell_backward(da[:, :, t] + d, cell_caches[t])
        out["dx"][:, :, t], d = g["dxt"], g["da_prev"]
        for k in ("dWax", "dWaa", "dba"):
            out[k] = out[k] + g[k]
    out["da0"] = d
    return out
""", namespace)
    hidden.grade_rnn_backward(namespace["rnn_backward"], "params")
    assert namespace["rnn_cell_backward"] is student_cell


def test_grading_is_deterministic():
    def slightly_off(da_next, cache):
        g = ref.rnn_cell_backward(da_next, cache)
        g["dba"] = g["dba"] * 1.01
        return g
    messages = set()
    for _ in range(3):
        with pytest.raises(AssertionError) as e:
            hidden.grade_rnn_cell_backward(slightly_off, "params")
        messages.add(str(e.value))
    assert len(messages) == 1


def test_grade_accepts_tuple_outputs_and_reports_arity():
    with pytest.raises(AssertionError, match="must return a tuple of 3 values"):
        grade(lambda *a: (1, 2), ref.rnn_cell_forward, hidden.cell_forward_cases(), ("a_next",),
              name="rnn_cell_forward", outputs=("a_next", "yt_pred", None))
