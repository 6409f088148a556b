"""The notebooks' figures read well: no legend hides a curve, a bar or a marker; axes over time
steps tick at whole steps; "steps back from the loss" runs the same way in every notebook (the
loss at the right, as time runs left to right).

The facts come from the executed notebooks (tests/notebook_runs.py records every figure that
plt.show() shows); the first test checks that recording against figures made to fail."""
import matplotlib
import numpy as np
import pytest
from notebook_runs import NOTEBOOKS, PREAMBLE, group, run_of

BY_NOTEBOOK = [pytest.param(n, marks=group(n)) for n in NOTEBOOKS]


def time_axes(run):
    return [(f["suptitle"], a) for f in run.figures for a in f["axes"]
            if "time step" in a["xlabel"] or "steps back" in a["xlabel"]]


def test_the_recorded_facts_see_a_hidden_curve_and_half_steps():
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ns = {}
    exec(PREAMBLE, ns)
    fig, (left, _, right) = plt.subplots(1, 3, figsize=(12, 2.4))     # the size of 04's first bar charts
    left.bar(np.arange(12), np.full(12, 0.5), label="bars")
    left.set_ylim(0, 1)
    left.legend(loc="center")                                     # on the tops of the middle bars
    left.set_xlabel("time step t")                                # 12 steps: ticks at 0, 2.5, 5, ...
    right.plot(np.arange(20), np.full(20, 1.0), label="a flat curve")
    right.legend(loc="upper right", bbox_to_anchor=(1.5, 1.5))    # outside the axes: hides nothing
    ns["_record_for_tests"](fig)
    plt.close(fig)
    (facts,) = ns["_FIGURES_FOR_TESTS"]
    assert facts["axes"][0]["hidden_points"] > 0 and facts["axes"][2]["hidden_points"] == 0
    assert facts["axes"][0]["points"] == 12
    assert any(t % 1 for t in facts["axes"][0]["xticks"])


@pytest.mark.parametrize("name", BY_NOTEBOOK)
def test_no_legend_hides_a_curve(name):
    run = run_of(name)
    hiding = [(f["suptitle"], a["title"], a["hidden_points"]) for f in run.figures for a in f["axes"]
              if a["hidden_points"]]
    assert not hiding, f"legends hide points of these axes of {name}: {hiding}"


@pytest.mark.parametrize("name", BY_NOTEBOOK)
def test_axes_over_time_steps_tick_at_whole_steps(name):
    run = run_of(name)
    halves = [(title or a["title"], a["xticks"]) for title, a in time_axes(run) if any(t % 1 for t in a["xticks"])]
    assert not halves, f"axes of {name} over time steps have ticks between steps: {halves}"


@pytest.mark.parametrize("name", [pytest.param(n, marks=group(n)) for n in ("02_lstm_step_by_step", "03_deep_rnn_why_dx")])
def test_steps_back_run_from_right_to_left(name):
    """02 and 03 both plot gradients against the number of steps back from the loss: both put
    the loss at the right, so that time runs left to right, as in the network."""
    axes = [a for _, a in time_axes(run_of(name)) if "steps back" in a["xlabel"]]
    assert axes, f"{name} has no figure over steps back"
    assert all(a["x_inverted"] for a in axes)
