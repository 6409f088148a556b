"""The hidden-test helper itself: what it accepts, what it rejects, and what it says; and the
forward cells' grading of the caches they return."""
import copy

import numpy as np
import pytest

from autograder.hidden import attention as hidden_att, deep_rnn as hidden_deep, grade, lstm as hidden_lstm, rnn as hidden
from autograder.reference import attention as ref_att, deep_rnn as ref_deep, lstm as ref_lstm, rnn as ref


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


def test_student_output_to_stderr_and_warnings_never_reach_the_cell(capfd, recwarn):
    import sys
    import warnings

    def noisy(da_next, cache):
        print("debugging", file=sys.stderr)
        warnings.warn("something odd")
        np.log(np.zeros(1))                # RuntimeWarning: divide by zero
        return ref.rnn_cell_backward(da_next, cache)
    hidden.grade_rnn_cell_backward(noisy, "dxt")
    assert capfd.readouterr().err == ""
    assert not recwarn.list          # pytest records warnings itself, so capfd alone would not see them


def test_sequence_messages_name_the_wrong_time_steps():
    def wrong_before_last(da, caches):
        g = ref.rnn_backward(da, caches)
        g["dx"][:, :, :-1] *= 2
        return g
    with pytest.raises(AssertionError, match=r"dx is wrong at time steps t = 0-4 \(right at t = 5\)"):
        hidden.grade_rnn_backward(wrong_before_last, "dx")


# ---- what a failure message says: how far off, where, and where to look ----------------------

def scaled(key, factor):
    """The reference rnn_cell_backward with gradients[key] multiplied by factor."""
    def student(da_next, cache):
        g = ref.rnn_cell_backward(da_next, cache)
        g[key] = g[key] * factor
        return g
    return student


@pytest.mark.parametrize("factor, words", [(10, "10 times too large"), (0.25, "4 times too small"),
                                           (-1, "of the wrong sign"), (0, "all zeros")])
def test_a_scaled_gradient_is_said_to_be_scaled_and_the_error_is_not_capped(factor, words):
    with pytest.raises(AssertionError, match=rf"^dxt is wrong: {words}; largest difference at \[") as e:
        hidden.grade_rnn_cell_backward(scaled("dxt", factor), "dxt")
    assert "relative error 1 " not in str(e.value)


def test_the_message_says_how_far_off_as_a_share_of_the_right_size_and_where():
    """||yours - expected|| / ||expected||, uncapped, then the entry that differs most, with both values."""
    case = hidden.cell_backward_cases()[0]
    expected = ref.rnn_cell_backward(*case.args)["dxt"]
    noise = np.zeros_like(expected)
    noise[1, 2] = 3 * np.linalg.norm(expected)           # off by about 3 times its size, at [1, 2]

    def noisy(da_next, cache):
        g = ref.rnn_cell_backward(da_next, cache)
        g["dxt"] = g["dxt"] + (noise if g["dxt"].shape == noise.shape else 0.5)
        return g
    with pytest.raises(AssertionError) as e:
        hidden.grade_rnn_cell_backward(noisy, "dxt")
    yours = expected[1, 2] + noise[1, 2]
    assert str(e.value).startswith(f"dxt is wrong: off by 3 times its size; largest difference at [1, 2]: "
                                   f"yours {yours:.4g}, expected {expected[1, 2]:.4g} (case {case.label}; ")
    share = 100 * 0.1 * np.linalg.norm(expected[0]) / np.linalg.norm(expected)      # its first row 10% too large
    with pytest.raises(AssertionError, match=rf"^dxt is wrong: off by {share:.1f}% of its size; "):
        hidden.grade_rnn_cell_backward(scaled("dxt", np.array([[1.1], [1.0], [1.0]])), "dxt")


def test_tanh_applied_twice_is_named():
    """1 - np.tanh(a_next)**2, the commonest wrong tanh derivative, written by hand here."""
    def tanh_twice(da_next, cache):
        a_next, a_prev, xt, p = cache
        dtanh = 1 - np.tanh(a_next) ** 2
        dz = dtanh * da_next
        return {"dxt": np.dot(p["Wax"].T, dz), "da_prev": np.dot(p["Waa"].T, dz), "dWax": np.dot(dz, xt.T),
                "dWaa": np.dot(dz, a_prev.T), "dba": np.sum(dz, axis=1, keepdims=True)}
    for part in ("dxt", "da_prev", "params"):
        with pytest.raises(AssertionError, match=r"Known mistake \[tanh_applied_twice\]: tanh is applied twice"):
            hidden.grade_rnn_cell_backward(tanh_twice, part)


def test_a_pattern_of_wrong_gradients_that_no_mistake_explains_says_where_to_look():
    def dz_cubed(da_next, cache):            # a wrong dz that is no catalogued mistake
        a_next, a_prev, xt, p = cache
        dz = (1 - a_next ** 3) * da_next
        return {"dxt": p["Wax"].T @ dz, "da_prev": p["Waa"].T @ dz, "dWax": dz @ xt.T,
                "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}
    with pytest.raises(AssertionError) as e:
        hidden.grade_rnn_cell_backward(dz_cubed, "dxt")
    assert str(e.value).endswith("All five gradients are wrong: look at the gradient through tanh, dz, first; "
                                 "every one of them is computed from it.")
    assert "Known mistake" not in str(e.value)
    # only dxt wrong: no pattern of several outputs, so no pointer
    with pytest.raises(AssertionError) as e:
        hidden.grade_rnn_cell_backward(scaled("dxt", 1.1), "dxt")
    assert str(e.value).endswith("cases wrong).")


def test_patterns_name_outputs_that_their_functions_return():
    from autograder import mistakes
    for p in mistakes.patterns():
        assert len(p.wrong) > 1, f"{p.function}: a pattern of one output adds nothing to the message"
        every = set().union(*(set(m.wrong) for m in mistakes.catalogue(p.function)))
        assert p.wrong <= every, f"{p.function}: {sorted(p.wrong - every)} are not outputs of its mistakes"


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


# ---- the caches that forward functions return ---------------------------------------------


def returning(forward, change_cache):
    """forward, with its last output (the cache) replaced by change_cache(cache, *args)."""
    def student(*args):
        out = forward(*args)
        return out[:-1] + (change_cache(out[-1], *args),)
    return student


def replaced(i, value):
    """change_cache that puts value(cache, *args) at entry i of the cache."""
    return lambda cache, *args: tuple(value(cache, *args) if j == i else e for j, e in enumerate(cache))


def _holding_itself(n):
    """A list of n entries, each the list itself: np.asarray would never finish converting it."""
    caches = []
    for _ in range(n):
        caches.append(caches)
    return caches


# (grader, reference forward, wrong cache, what the message must say); every one of them got
# full marks before the forward cells graded the cache
WRONG_CACHES = {
    "rnn_cell_forward: xt stored as a_prev": (
        hidden.grade_rnn_cell_forward, ref.rnn_cell_forward, replaced(2, lambda c, xt, a_prev, p: a_prev),
        r"cache is wrong: its entry 2 \(xt\) (has shape|differs)"),
    "rnn_cell_forward: a_prev and a_next swapped": (
        hidden.grade_rnn_cell_forward, ref.rnn_cell_forward, lambda c, *a: (c[1], c[0]) + c[2:],
        r"cache is wrong: its entry 0 \(a_next\) differs from the reference \(off by 160% of its size; largest difference at \[1, 3\]: "
        r"yours -1.655, expected 0.995\)"),
    "rnn_cell_forward: no parameters": (
        hidden.grade_rnn_cell_forward, ref.rnn_cell_forward, lambda c, *a: c[:3],
        r"cache does not have the documented layout \(a_next, a_prev, xt, parameters\): it is a tuple of 3 entries"),
    "rnn_cell_forward: xt in place of the parameters": (
        hidden.grade_rnn_cell_forward, ref.rnn_cell_forward, replaced(3, lambda c, xt, a_prev, p: xt),
        r"its entry 3 \(parameters\) is an array of shape .*, expected the dict of parameters"),
    "rnn_forward: caches.append missing": (
        hidden.grade_rnn_forward, ref.rnn_forward, lambda c, *a: ([], c[1]),
        r"caches is wrong: its entry 0 \(list of cell caches\) has 0 entries, expected 6 \(one per time step\)"),
    "rnn_forward: caches = (cache, x)": (
        hidden.grade_rnn_forward, ref.rnn_forward, lambda c, *a: (c[0][-1], c[1]),
        r"caches is wrong: its entry 0 \(list of cell caches\) has 4 entries, expected 6"),
    "rnn_forward: caches.append(caches), a list that holds itself": (
        hidden.grade_rnn_forward, ref.rnn_forward, lambda c, *a: (_holding_itself(len(c[0])), c[1]),
        r"caches\[0\]\[0\] \(the cell cache of time step t = 0\) does not have the documented layout"),
    "rnn_forward: a0 in place of x": (
        hidden.grade_rnn_forward, ref.rnn_forward, lambda c, x, a0, p: (c[0], a0),
        r"caches is wrong: its entry 1 \(x\) has shape"),
    "rnn_forward: every cell cache is the last one": (
        hidden.grade_rnn_forward, ref.rnn_forward, lambda c, *a: ([c[0][-1]] * len(c[0]), c[1]),
        r"caches is wrong: caches\[0\]\[0\]\[0\] \(a_next, time step t = 0\) differs from the reference"),
    "lstm_cell_forward: a_prev in place of a_next": (
        hidden_lstm.grade_lstm_cell_forward, ref_lstm.lstm_cell_forward, replaced(0, lambda c, *a: c[2]),
        r"cache is wrong: its entry 0 \(a_next\) differs from the reference"),
    "lstm_cell_forward: c_next in place of c_prev": (
        hidden_lstm.grade_lstm_cell_forward, ref_lstm.lstm_cell_forward, replaced(3, lambda c, *a: c[1]),
        r"cache is wrong: its entry 3 \(c_prev\) differs from the reference"),
    "lstm_forward: caches.append missing": (
        hidden_lstm.grade_lstm_forward, ref_lstm.lstm_forward, lambda c, *a: ([], c[1]),
        r"caches is wrong: its entry 0 \(list of cell caches\) has 0 entries"),
    "lstm_forward: the list of caches without x": (
        hidden_lstm.grade_lstm_forward, ref_lstm.lstm_forward, lambda c, *a: c[0],
        r"caches does not have the documented layout \(list of cell caches, x\): it is a list of 6 entries"),
    "softmax_loss_forward: Y in place of a": (
        hidden_deep.grade_softmax_loss_forward, ref_deep.softmax_loss_forward, replaced(0, lambda c, *a: c[2]),
        r"cache is wrong: its entry 0 \(a\) has shape"),
    "softmax_loss_forward: Y in place of the parameters": (
        hidden_deep.grade_softmax_loss_forward, ref_deep.softmax_loss_forward, replaced(3, lambda c, *a: c[2]),
        r"its entry 3 \(parameters\) is an array of shape"),
    "embedding_forward: (We, We)": (
        hidden_deep.grade_embedding_forward, ref_deep.embedding_forward, replaced(0, lambda c, *a: c[1]),
        r"cache is wrong: its entry 0 \(idx\) has shape"),
    "stacked_rnn_forward: caches.append missing": (
        hidden_deep.grade_stacked_rnn_forward, ref_deep.stacked_rnn_forward, lambda c, *a: [],
        r"caches has 0 entries, expected 2 \(one per layer\)"),
    "stacked_rnn_forward: every layer's input is x": (
        hidden_deep.grade_stacked_rnn_forward, ref_deep.stacked_rnn_forward,
        lambda c, x, a0, p: [(layer[0], x) for layer in c],
        r"caches is wrong: caches\[1\]\[1\] \(x, layer 2\) has shape"),
    "attention_forward: the scores in place of h": (
        hidden_att.grade_attention_forward, ref_att.attention_forward,
        replaced(2, lambda c, *a: np.tensordot(c[4]["v"], c[2], axes=1)),
        r"cache is wrong: its entry 2 \(h\) has shape"),
    "attention_forward: alpha without its axis of size 1": (
        hidden_att.grade_attention_forward, ref_att.attention_forward, replaced(3, lambda c, *a: c[3][0]),
        r"cache is wrong: its entry 3 \(alpha\) has shape"),
    "seq2seq_forward: the decoder caches left out": (
        hidden_att.grade_seq2seq_forward, ref_att.seq2seq_forward, lambda c, *a: c[:2],
        r"caches does not have the documented layout \(encoder caches, attention caches, decoder caches\)"),
    "seq2seq_forward: every attention cache is the first one": (
        hidden_att.grade_seq2seq_forward, ref_att.seq2seq_forward, lambda c, *a: (c[0], [c[1][0]] * len(c[1]), c[2]),
        r"caches\[1\]\[1\]\[0\] \(s_prev, output step t = 1\) differs from the reference"),
}


@pytest.mark.parametrize("grader, forward, change, message", WRONG_CACHES.values(), ids=WRONG_CACHES)
def test_a_wrong_cache_fails_its_forward_cell(grader, forward, change, message):
    grader(forward)                                       # the right cache passes
    with pytest.raises(AssertionError, match=message):
        grader(returning(forward, change))


def test_an_lstm_cache_entry_that_the_backward_never_reads_is_graded_too():
    """lstm_cell_backward reads only the shape of a_next; comparing what the reference backward
    computes from the cache would not catch cache[0] = a_prev, comparing the entries does."""
    case = hidden_lstm.cell_forward_cases()[0]
    cache = ref_lstm.lstm_cell_forward(*case.args)[3]
    wrong = (cache[2],) + cache[1:]
    da, dc = np.ones_like(cache[0]), np.ones_like(cache[1])
    same = ref_lstm.lstm_cell_backward(da, dc, cache), ref_lstm.lstm_cell_backward(da, dc, wrong)
    assert all(np.array_equal(same[0][k], same[1][k]) for k in same[0])
    with pytest.raises(AssertionError, match=r"its entry 0 \(a_next\)"):
        hidden_lstm.grade_lstm_cell_forward(returning(ref_lstm.lstm_cell_forward, lambda c, *a: (c[2],) + c[1:]))


RIGHT_CACHES = {
    "copies of every entry": lambda c, *a: copy.deepcopy(c),
    "a list in place of the tuple": lambda c, *a: list(c),
}


@pytest.mark.parametrize("change", RIGHT_CACHES.values(), ids=RIGHT_CACHES)
@pytest.mark.parametrize("grader, forward", [
    (hidden.grade_rnn_cell_forward, ref.rnn_cell_forward), (hidden.grade_rnn_forward, ref.rnn_forward),
    (hidden_lstm.grade_lstm_cell_forward, ref_lstm.lstm_cell_forward),
    (hidden_lstm.grade_lstm_forward, ref_lstm.lstm_forward),
    (hidden_deep.grade_softmax_loss_forward, ref_deep.softmax_loss_forward),
    (hidden_deep.grade_embedding_forward, ref_deep.embedding_forward),
    (hidden_deep.grade_stacked_rnn_forward, ref_deep.stacked_rnn_forward),
    (hidden_att.grade_attention_forward, ref_att.attention_forward),
    (hidden_att.grade_seq2seq_forward, ref_att.seq2seq_forward)], ids=lambda f: getattr(f, "__name__", ""))
def test_a_cache_of_the_right_values_passes(grader, forward, change):
    grader(returning(forward, change))


def test_a_cache_of_fresh_arrays_and_parameter_dicts_passes():
    """A cache built from copies (fresh dicts of the layer's parameters at every step, with more
    keys than needed, and the cell caches in lists) holds the right values: full marks."""
    def stacked(x, a0, parameters):
        a, caches = ref_deep.stacked_rnn_forward(x, a0, parameters)
        out = []
        for cell_caches, layer_x in caches:
            cells = [[a_next.copy(), a_prev.copy(), xt.copy(), dict(p, extra=np.zeros(1))]
                     for a_next, a_prev, xt, p in cell_caches]
            out.append([cells, np.array(layer_x)])
        return a, out
    hidden_deep.grade_stacked_rnn_forward(stacked)


def test_a_cache_bug_in_the_cell_costs_nothing_in_the_sequence_cell():
    """rnn_forward runs with the reference cell: a wrong cell cache loses points in the cell's
    own graded cell, and the student's rnn_forward, which only collects the caches, still passes."""
    namespace = {"np": np}
    exec("def rnn_cell_forward(xt, a_prev, parameters):\n"
         "    a_next = np.tanh(parameters['Wax'] @ xt + parameters['Waa'] @ a_prev + parameters['ba'])\n"
         "    e = np.exp(parameters['Wya'] @ a_next + parameters['by'])\n"
         "    return a_next, e / e.sum(axis=0), (a_prev, a_next, xt, parameters)\n", namespace)
    exec("def rnn_forward(x, a0, parameters):\n"
         "    caches, states, preds, a_next = [], [], [], a0\n"
         "    for t in range(x.shape[2]):\n"
         "        a_next, yt, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)\n"
         "        states.append(a_next); preds.append(yt); caches.append(cache)\n"
         "    return np.stack(states, axis=2), np.stack(preds, axis=2), (caches, x)\n", namespace)
    with pytest.raises(AssertionError, match=r"cache is wrong: its entry 0 \(a_next\).*\[cache_states_swapped\]"):
        hidden.grade_rnn_cell_forward(namespace["rnn_cell_forward"])
    hidden.grade_rnn_forward(namespace["rnn_forward"])


def test_a_wrong_cache_is_named_as_a_known_mistake():
    def no_append(x, a0, parameters):
        a, y, caches = ref.rnn_forward(x, a0, parameters)
        return a, y, ([], x)
    with pytest.raises(AssertionError, match=r"\[cell_caches_not_appended\]"):
        hidden.grade_rnn_forward(no_append)
