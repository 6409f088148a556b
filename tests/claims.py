"""Every sentence of the notebooks' prose that states a number, a comparison or a trend, and
how it is checked.

A notebook must not say what its own run does not show. So each such sentence is here, found
by a piece of it (`quote`, as written in the notebook's markdown), either as
- a claim about the run, with the function that checks it against the executed notebook
  (tests/notebook_runs.py runs each notebook once; `run.values` holds the kernel expressions
  that the claim names, evaluated after the last cell), or
- a sentence that holds whatever the machine and the seed, with the reason why: maths, a
  definition of the task or of the code's settings, the course's tooling, the literature.
tests/test_claims.py checks every claim, and flags every sentence of the prose that has a
number or a comparative word and is not here: a new claim cannot slip in untested.

Notebooks are named by assignment id, or "why_dx" for notebooks/why_dx.ipynb.
"""
import math
import os
import re
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Claim:
    notebook: str
    quote: str
    check: Callable = None       # check(run) asserts the claim; None for a sentence that is given
    why: str = ""                # for a given sentence: why it holds on any machine
    probes: dict = field(default_factory=dict, hash=False)     # {name: kernel expression}


CLAIMS = []


def claim(notebook, quote, **probes):
    """Decorator: check(run) is the test of the sentence of `notebook` that contains `quote`."""
    def register(check):
        CLAIMS.append(Claim(notebook, quote, check, probes=probes))
        return check
    return register


def given(notebook, why, *quotes):
    """Sentences that hold on any machine, for the reason `why`."""
    CLAIMS.extend(Claim(notebook, q, why=why) for q in quotes)


def probes_of(notebook):
    return {k: v for c in CLAIMS if c.notebook == notebook for k, v in c.probes.items()}


NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?"


def number_after(text, label):
    """The number printed right after label (its first occurrence)."""
    m = re.search(re.escape(label) + r"\s*(" + NUMBER + ")", text)
    assert m, f"no number after {label!r} in:\n{text}"
    return float(m.group(1).replace(",", ""))


def numbers(text):
    return [float(x.replace(",", "")) for x in re.findall(NUMBER, text)]


MATHS = "maths: it follows from the equations, whatever the run"
DEFINITION = "a definition: it says what the code or the task is, and the code shows it"
LITERATURE = "the literature, cited where it is said"
TOOLING = "the course's tooling, which its own tests check"
GENERAL = "a general statement about models or methods, not about this run"
INSTRUCTION = "an instruction to the learner"
POINTS = "the points of the exercises, the course's grading"

# ---- 01_rnn_step_by_step ------------------------------------------------------------------
NB = "01_rnn_step_by_step"
given(NB, MATHS, "acts element by element, and", "whose error shrinks like $h^2$")
given(NB, DEFINITION, "and fails a gradient whose relative error is above $10^{-7}$")
given(NB, GENERAL, "Because in most real models $x$ is **not** the data.")


@claim(NB, "of about\n$10^{-9}$ or less: the check below prints it for every gradient")
def _(run):
    errors = [float(e) for e in re.findall(r"relative error (\S+)", run.output_of("loss_gc = lambda"))]
    assert len(errors) == 5 and max(errors) <= 1e-9, errors


# ---- 02_lstm_step_by_step -----------------------------------------------------------------
NB = "02_lstm_step_by_step"
given(NB, TOOLING, "so one bug is never charged twice")
given(NB, MATHS, "which is at most 1 and often much smaller",
      "Each gate is a vector of numbers between 0 and 1",
      "the gradient flows back through the cell state almost unchanged",
      "multiplied only by $\\Gamma_f$, about $\\sigma(1) \\approx 0.73$ at this initialisation",
      "a `dc_prev` without route 2, for one, leaves no gradient at all on the cell state")
given(NB, LITERATURE, "the gradient from a loss far in the future *vanishes*",
      "Jozefowicz et al.\n(2015) recommend a forget-gate bias of 1")
given(NB, DEFINITION, "is the usual \"variance 1 / fan-in\" initialisation for both",
      "The cell below repeats the experiment on 20 other random draws")

DECAY = dict(norms_rnn="norms_rnn", norms_lstm="norms_lstm", norms_lstm_c="norms_lstm_c")


def _relative(run):
    rnn, lstm = [run.values[k] for k in ("norms_rnn", "norms_lstm")]
    return [r / rnn[-1] for r in rnn], [v / lstm[-1] for v in lstm]


@claim(NB, "how much further back in time the LSTM's gradient reaches than the RNN's", **DECAY)
def _(run):
    rnn, lstm = _relative(run)
    assert lstm[0] > rnn[0]


@claim(NB, "Section 1 claimed that the cell state lets the gradient travel further back in time.", **DECAY)
def _(run):
    rnn, lstm = _relative(run)
    assert lstm[0] > rnn[0]


@claim(NB, "$n_x = 16$, $n_a = 64$, $T_x = 50$, one sequence ($m = 1$)",
       decay_sizes="(n_x_decay, n_a_decay, T_x_decay)")
def _(run):
    assert run.values["decay_sizes"] == [16, 64, 50]


@claim(NB, "The one LSTM-specific choice is the forget-gate bias, set to 1", forget_bias="forget_bias")
def _(run):
    assert run.values["forget_bias"] == 1.0 and abs(1 / (1 + math.exp(-1)) - 0.73) < 0.005


@claim(NB, "Both gradients shrink", **DECAY)
def _(run):
    rnn, lstm = _relative(run)
    assert rnn[0] < 1e-3 and lstm[0] < 1e-3


@claim(NB, "starts lower: one step back, much of its gradient has\nmoved onto the cell state", **DECAY)
def _(run):
    rnn, lstm = _relative(run)
    assert lstm[-2] < rnn[-2]
    assert run.values["norms_lstm_c"][-2] > run.values["norms_lstm"][-2]


@claim(NB, "the curves cross about ten steps back, and after\n49 steps the gap is more than three orders of magnitude",
       **DECAY)
def _(run):
    rnn, lstm = _relative(run)
    T = len(rnn)
    above = [T - 1 - t for t in range(T) if lstm[t] > rnn[t]]        # steps back where the LSTM is above
    assert T == 50 and 5 <= min(above) <= 15
    assert all(T - 1 - t in above for t in range(T) if T - 1 - t >= 15), "the LSTM stays above after crossing"
    assert lstm[0] > 1000 * rnn[0]
    factors = re.search(r"Average factor per step back: RNN (\S+), LSTM (\S+)\.", run.text)
    assert float(factors.group(2)) > float(factors.group(1))


def _decay_table(run):
    """{forget-gate bias: (draws in which the LSTM decays more slowly, median factor RNN, LSTM)}"""
    rows = {}
    for line in run.output_of("factors = np.array(").splitlines():
        bias, slower, _, rnn, lstm = numbers(line)
        rows[bias] = (slower, rnn, lstm)
    assert set(rows) >= {0.0, 1.0, 3.0}, rows
    return rows


given(NB, MATHS, "with weights drawn around 0, a gate\nis $\\sigma(0) = 0.5$ on average")
given(NB, LITERATURE, "which in their experiments closed the gap between the LSTM\nand the GRU")


@claim(NB, "In\nevery one of the 20 draws the LSTM's gradient vanishes *faster* than the RNN's.")
def _(run):
    slower, rnn, lstm = _decay_table(run)[0.0]
    assert slower == 0 and lstm < rnn


@claim(NB, "With a bias of 3 the gradient travels further still.")
def _(run):
    table = _decay_table(run)
    assert table[3.0][0] == 20 and table[3.0][2] > table[1.0][2] > table[1.0][1]


# ---- 03_deep_rnn_why_dx -------------------------------------------------------------------
NB = "03_deep_rnn_why_dx"
given(NB, INSTRUCTION, "subtract 1 from the target's entry of `y_hat` instead",
      "Subtract 1 from `y_hat` at the target of every `(i, t)`")
given(NB, DEFINITION, "layer 1 reads the input sequence, and layer $l > 1$ reads",
      "on a sequence of length 1 (`T_x = 1`, `m = 1`)")
given(NB, MATHS, "That changes the **direction** of the gradient",
      "| layer $l > 1$ | layer $l-1$, as its `da` | essential: without it, layer $l-1$ does not learn |")
given(NB, LITERATURE, "so gradients can grow exponentially with the length of the sequence",
      "which makes long-range dependencies hard\n  for them to learn (Bengio, Simard & Frasconi, 1994)")
given(NB, TOOLING, "When the\nautograder runs this notebook, it trains for only a few iterations.")


@claim(NB, "holds the names of the 6,449 functions and methods defined\nwith `def` in the Python standard library (3.11)")
def _(run):
    assert "6449 names, 38 characters" in run.output_of("names = load_names(")
    assert "3.11" in (run.where / "python_function_names_about.md").read_text()


@claim(NB, "10% of the names are held out", fraction="len(held_out_names) / len(names)")
def _(run):
    assert abs(run.values["fraction"] - 0.1) < 0.001


@claim(NB, "then clipped to a global norm of 5", max_norm="max_norm")
def _(run):
    assert run.values["max_norm"] == 5.0


@claim(NB, "Guessing uniformly among the $V = 38$ characters costs\n$\\ln 38 \\approx 3.64$; knowing only how "
          "frequent each character is costs about 3.0")
def _(run):
    out = run.output_of("names = load_names(")
    assert "ln 38 = 3.64" in out and abs(math.log(38) - 3.64) < 0.005
    assert abs(number_after(out, "knows only how frequent each character is:") - 3.0) < 0.1


@claim(NB, "the held-out loss should\ngo **below 1.80**")
def _(run):
    assert number_after(run.output_of("for it in tqdm("), "before training,") < 1.80


@claim(NB, "twenty steps before the loss, it is\n  hundreds of times smaller, and in the trained model's top "
          "layer tens of thousands of times")
def _(run):
    lines = [ln for ln in run.output_of("def hidden_state_gradients(").splitlines() if "shrink by" in ln]
    for line in lines:
        factors = dict(re.findall(r"(d[ax], layer \d) ([\d,]+)x", line))
        factors = {k: float(v.replace(",", "")) for k, v in factors.items()}
        assert len(factors) == 4, line
        for name, f in factors.items():
            if line.startswith("trained") and name.endswith("layer 2"):
                assert 1e4 <= f < 1e5, (line, name)
            else:
                assert 100 <= f < 1000, (line, name)
    assert [ln.split(",")[0] for ln in lines] == ["untrained", "trained"]


@claim(NB, "It shrinks as fast as `da` (the\n  `dx, layer 1` factors above), so characters far before the loss pass "
          "little gradient")
def _(run):
    for line in run.output_of("def hidden_state_gradients(").splitlines():
        if "shrink by" in line:
            factors = {k: float(v.replace(",", "")) for k, v in re.findall(r"(d[ax], layer 1) ([\d,]+)x", line)}
            assert factors["dx, layer 1"] >= 100 and 0.5 < factors["dx, layer 1"] / factors["da, layer 1"] < 2, line


# ---- 04_using_dx --------------------------------------------------------------------------
NB = "04_using_dx"
given(NB, POINTS, "| 1 | `input_gradient` |")
given(NB, TOOLING, "they arrive once `check` gives 01 and 02 full marks")
given(NB, DEFINITION, "a **value** drawn uniformly from\n$[0, 1]$, and a **marker**, which is 1 at exactly two steps",
      "One marker falls in the first half of the sequence and one in the\nsecond",
      "`adding_models_by_length.npz` holds both kinds of model",
      "- the **test error**, against the 0.167 of always predicting 1;",
      "**how long the loss stays flat**: the number of updates",
      "The maps below show 12 test sequences", "over\n200 test sequences",
      "lets you freeze some\n  features, such as the markers, which must stay 0 or 1",
      "The cell below varies the penalty weight\n$\\lambda$, for the target 1.5 and for 3.0",
      "that is, $d = \\operatorname{sign}(\\delta)\\operatorname{sign}(\\partial \\hat y / \\partial x)$",
      "towards \"0.9 of an `e` and 0.1 of a `q`\"")
given(NB, LITERATURE, "(Hochreiter & Schmidhuber, 1997,\n\"Long short-term memory\", experiment 4)",
      "over many steps the\nproduct usually shrinks towards zero",
      "a plain RNN trained longer, or initialised for long memory")
given(NB, MATHS, "is 1 at a marked step and 0 elsewhere.",
      "should be 1 at the two marked steps and 0 elsewhere",
      "It is 1 for a model that uses that\n  value fully, and 0 for one that ignores it.",
      "A map spread evenly would score $2/20 = 0.10$.",
      "Here the model has learned nothing: the extra mass comes from the\n  *input*",
      "has a mean\nsquared error of $1/6 \\approx 0.167$, the variance of the sum of two uniform values",
      "Any pair of marked values that adds up to 1.5 is an answer,\nwhatever the 18 unmarked values are.",
      "A sum of 3.0 cannot occur in the task",
      "To first order, the change of the output is",
      "Raising the *true* sum by 0.3 would take a change of 0.3 in the marked values.")
given(NB, GENERAL, "A model\nwith a much lower error has learned something",
      "a penalty towards 0 or towards typical inputs (a prior)",
      "The last use of `dx` is the most unsettling.")


@claim(NB, "holds an LSTM with 16 hidden units, trained with 2000 updates of 32\nsequences of 20 steps",
       notes="{k: notes[k] for k in ('n_a', 'n_iter', 'm', 'T_x')}", kind='model["kind"]')
def _(run):
    assert run.values["notes"] == {"n_a": 16, "n_iter": 2000, "m": 32, "T_x": 20} and run.values["kind"] == "lstm"


def _gradient_print(run):
    return run.output_of("dx_test = input_gradient(x_test, model")


@claim(NB, "about 1 at the two\nmarked steps and about 0 everywhere else")
def _(run):
    out = _gradient_print(run)
    assert abs(number_after(out, "mean at marked steps") - 1) < 0.1
    assert number_after(out, "mean |.| at unmarked steps") < 0.02


@claim(NB, "It is not zero at unmarked steps, and it follows the value\nthere")
def _(run):
    assert number_after(_gradient_print(run), "vs the value there: correlation") > 0.7


@claim(NB, "marked steps it is negative on average")
def _(run):
    assert number_after(_gradient_print(run), "at marked steps: mean") < 0


@claim(NB, "This is one seed, 0, for the initialisation and the training batches",
       length_notes="[{n: notes[n] for n in ('n_a', 'n_iter', 'm', 'init_seed', 'train_seed')} "
                    "for _, notes in trained.values()]")
@claim(NB, "the same budget and the same seed, 0 (16 hidden units, 1000 updates of 32 sequences)",
       length_notes="[{n: notes[n] for n in ('n_a', 'n_iter', 'm', 'init_seed', 'train_seed')} "
                    "for _, notes in trained.values()]")
def _(run):
    notes = run.values["length_notes"]
    assert len(notes) == 8 and all(n == {"n_a": 16, "n_iter": 1000, "m": 32, "init_seed": 0, "train_seed": 0}
                                   for n in notes)


LENGTHS = dict(errors="{kind: [comparison[kind, T][1] for T in lengths] for kind in ('rnn', 'lstm')}",
               updates="{kind: [comparison[kind, T][2] for T in lengths] for kind in ('rnn', 'lstm')}",
               reach="{kind: [comparison[kind, T][3] for T in lengths] for kind in ('rnn', 'lstm')}",
               lengths="lengths")
BASELINE = 1 / 6


@claim(NB, "the plain RNN learns\npart of the task at $T_x$ = 10 and 20", **LENGTHS)
def _(run):
    assert run.values["lengths"] == [10, 20, 40, 80]
    rnn, lstm = run.values["errors"]["rnn"], run.values["errors"]["lstm"]
    for i in (0, 1):
        assert rnn[i] < BASELINE / 3 and rnn[i] > 10 * lstm[i]
    assert rnn[0] > rnn[1]


@claim(NB, "At 40 and 80 it stays at\nthe error of always predicting 1: its loss never halves.", **LENGTHS)
def _(run):
    assert all(e > 0.95 * BASELINE for e in run.values["errors"]["rnn"][2:])
    assert run.values["updates"]["rnn"][2:] == [None, None]


@claim(NB, "at 40 and 80 the derivative is about 0", **LENGTHS)
@claim(NB, "| Why does the plain RNN fail on long sequences? | its output stops depending on early inputs", **LENGTHS)
def _(run):
    reach = run.values["reach"]["rnn"]
    assert all(abs(r) < 0.05 for r in reach[2:]) and reach[0] > reach[1] > 0.5


@claim(NB, "The LSTM learns all four lengths; the longer the sequence, the longer its\nloss stays flat", **LENGTHS)
def _(run):
    assert all(e < 0.01 for e in run.values["errors"]["lstm"])
    updates = run.values["updates"]["lstm"]
    assert None not in updates and updates == sorted(updates) and len(set(updates)) == 4
    assert all(r > 0.9 for r in run.values["reach"]["lstm"])


def _saliency_share(run, title):
    """The share printed in the title of the saliency map whose title starts with `title`."""
    (axes,) = [a for a in run.figure(title)["axes"] if a["title"].startswith(title)]
    return number_after(axes["title"], "share on the marked steps:")


@claim(NB, "of the trained model puts almost all its mass on the marked steps")
def _(run):
    assert _saliency_share(run, "gradient_x_input, trained LSTM") > 0.9


@claim(NB, "| Which steps matter? | saliency maps light up the marked steps; the untrained model's do not |")
def _(run):
    assert _saliency_share(run, "gradient_x_input, trained LSTM") > 0.9
    assert _saliency_share(run, "gradient, trained LSTM") > 2 * 0.10
    assert _saliency_share(run, "gradient_x_input, untrained LSTM") < 0.3


@claim(NB, "An unmarked step has marker 0, so its marker sensitivity")
def _(run):
    assert number_after(_gradient_print(run), "mean |.| at unmarked steps") < 0.02


@claim(NB, "puts about a fifth of its gradient × input on the marked steps")
def _(run):
    share = _saliency_share(run, "gradient_x_input, untrained LSTM")
    assert 0.15 <= share <= 0.25 and 1.5 <= share / 0.10 <= 2.5
    assert _saliency_share(run, "gradient, trained LSTM") > 2 * 0.10          # "lights the marked steps too"
    assert number_after(run.text, "the brightest step on average is t =") == 19


@claim(NB, "**A few circled cells stay dark**")
def _(run):
    dark = number_after(run.text, "trained LSTM, gradient x input:")
    assert 1 <= dark <= 6 and "of the 24 circled cells" in run.text


@claim(NB, "Where a value is\n  close to minus its marker's derivative, the two cancel in the sum over features")
def _(run):
    line = run.output_of("untrained = init_model(").splitlines()[-1]
    assert line.strip().startswith("there, the values are"), line
    low, high, d_low, d_high, largest = numbers(line)
    assert largest < 0.15 and -high - 0.15 < d_low <= d_high < -low + 0.15, line


@claim(NB, "derivative of section 3, about $-0.75$ on average")
def _(run):
    assert abs(number_after(_gradient_print(run), "at marked steps: mean") + 0.75) < 0.1


@claim(NB, "whose two marked values add up to about 0.6", target="float(y_test[0, i0])")
def _(run):
    assert abs(run.values["target"] - 0.6) < 0.02


def _optimised(run):
    out = run.output_of("x_opt, history = optimize_input(")
    before, after = [numbers(re.search(rf"{w}:\s*\[([^\]]*)\]", out).group(1)) for w in ("before", "after")]
    return out, before, after


@claim(NB, "Gradient descent changed the two marked values and left the others almost exactly")
def _(run):
    out, before, after = _optimised(run)
    assert number_after(out, "largest change at an unmarked step:") < 0.02
    assert all(b - a > 0.2 for a, b in zip(before, after))


@claim(NB, "so it raised both marked values by about the\nsame amount")
def _(run):
    _, before, after = _optimised(run)
    up = [b - a for a, b in zip(before, after)]
    assert max(up) < 1.2 * min(up)


def _penalty_table(run):
    """{(target, l2): (prediction, ||x - x0||, marked values)}"""
    rows = {}
    for line in run.output_of("x0_twice, targets =").splitlines():
        m = re.match(r"\s*(\S+) \|\s*(\S+) \|\s*(\S+) \|\s*(\S+) \| \[([^\]]*)\]", line)
        if m:
            rows[float(m.group(1)), float(m.group(2))] = (float(m.group(3)), float(m.group(4)), numbers(m.group(5)))
    assert len(rows) == 6, rows
    return rows


@claim(NB, "Without a penalty, the optimiser reaches 1.5 exactly.")
def _(run):
    assert _penalty_table(run)[1.5, 0.0][0] == 1.5


@claim(NB, "For 3.0 it gets close by pushing the\nmarked values to about 2")
def _(run):
    prediction, _, marked = _penalty_table(run)[3.0, 0.0]
    assert prediction > 2.7 and all(1.6 < v < 2.3 for v in marked)


@claim(NB, "A larger $\\lambda$ keeps the input closer to $x_0$ and gives up part of the target")
def _(run):
    table = _penalty_table(run)
    for target in (1.5, 3.0):
        rows = [table[target, l2] for l2 in (0.0, 0.1, 1.0)]
        assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)
        misses = [abs(r[0] - target) for r in rows]
        assert misses == sorted(misses) and misses[-1] > misses[0]


@claim(NB, "Without the mask, the markers drift to fractional values: about 0.8 instead of 1")
def _(run):
    out = run.output_of("x_free, _ = optimize_input(")
    markers = numbers(out.split("and the markers:")[1])
    assert len(markers) == 20
    high = sorted(markers)[-2:]
    assert all(0.7 <= v <= 0.9 for v in high) and all(abs(v) < 0.1 for v in sorted(markers)[:-2])


@claim(NB, "The result gives the desired output, but it is **not an input of the\ntask**")
def _(run):
    assert abs(number_after(run.output_of("x_free, _ = optimize_input("), "the prediction becomes") - 1.5) < 0.01


@claim(NB, "ranks all\n36 possible moves")
def _(run):
    assert run.output_of("dmarker = input_gradient(").startswith("36 moves")


@claim(NB, "about twenty times the trained model's\ntypical error (the square root of its test error, about 0.014)")
def _(run):
    typical = math.sqrt(number_after(run.output_of('model, notes = load_model("adding_model.npz")'),
                                     "Test mean squared error:"))
    assert abs(typical - 0.014) < 0.0015 and 15 <= 0.3 / typical <= 25


def _fgsm(run):
    return run.output_of("x_adv, eps = fgsm_perturbation(x40, model")


@claim(NB, "Every entry moved by about 0.05, and every prediction rose by 0.3.")
def _(run):
    out = _fgsm(run)
    assert abs(number_after(out, "median") - 0.05) < 0.01 and number_after(out, "largest") < 0.08
    assert number_after(out, "eps: smallest") > 0.03
    assert number_after(out, "shift of the predictions: smallest") >= 0.3


@claim(NB, "most of its effect comes through the markers")
def _(run):
    assert number_after(_fgsm(run), "to first order,") > 50


@claim(NB, "The perturbed sequence has markers of ±0.05 and 0.95",
       markers="[(x_adv[1, 0] - x40[1, 0])[x40[1, 0] == f].tolist() for f in (1, 0)] + [float(eps[0])]")
def _(run):
    title = run.figure("sequence 0, original and perturbed")["axes"][1]["title"]
    assert abs(number_after(title, "eps =") - 0.05) < 0.005
    marked, unmarked, eps0 = run.values["markers"]
    assert len(marked) == 2 and all(abs(d + eps0) < 1e-9 for d in marked)       # 1 - eps
    assert all(abs(abs(d) - eps0) < 1e-9 for d in unmarked)                      # ±eps


@claim(NB, "is 1 at the marked steps and 0 elsewhere: the task's rule")
def _(run):
    out = _gradient_print(run)
    assert abs(number_after(out, "mean at marked steps") - 1) < 0.1
    assert number_after(out, "mean |.| at unmarked steps") < 0.02


@claim(NB, "a sign step of 0.05 per entry shifts it by 0.3")
def _(run):
    out = _fgsm(run)
    assert abs(number_after(out, "median") - 0.05) < 0.01
    assert number_after(out, "shift of the predictions: smallest") >= 0.3


# ---- 05_attention_step_by_step ------------------------------------------------------------
NB = "05_attention_step_by_step"
NOTATION = "notation: it says what a symbol or an index means"
given(NB, INSTRUCTION, "Both are those assignments' solutions: do 01 and 02 first.",
      "give it a last axis of size 1 (`[:, :, None]`) to add it to every $t$",
      "over axis 0 with\n`keepdims=True`")
given(NB, TOOLING, "they arrive once `check` gives 01 and 02 full marks")
given(NB, NOTATION, "(the equations\ncount steps from 1, the code from 0)",
      "where $[t = u]$ is 1 when $t = u$ and 0 otherwise")
given(NB, DEFINITION, "`alpha` keeps a first axis of size 1, in the place of the features")
given(NB, MATHS, "that are positive and sum to 1 over the input steps",
      "subtract the maximum score over time before `np.exp`",
      "The sum runs over **time**, the axis over which the softmax normalised",
      "since the weights sum to 1.",
      "as soon as a model reads more than its last hidden state",
      "(The softmax must put it somewhere: the weights sum to 1.)",
      # a left-to-right encoder's state at a character is a function of the characters up to it
      "it cannot yet know that the day is not \"31\"")
given(NB, LITERATURE, "It is the *additive* attention of Bahdanau, Cho and Bengio (2015)")
given(NB, GENERAL, "a loop over `t` is just as right, and slower")

DATES = dict(may_3_1998="[write(__import__('datetime').date(1998, 5, 3), f) for f in FORMATS]",
             formats="FORMATS")


@claim(NB, "Then you train it to translate dates written by people", **DATES)
def _(run):
    assert {"3 May 1998", "05/03/98", "Sunday, May 3, 1998", "1998-05-03"} <= set(run.values["may_3_1998"])


@claim(NB, "The formats are unambiguous: `05/03/98` is month/day/year",
       first_last="[__import__('date_task').FIRST.isoformat(), __import__('date_task').LAST.isoformat()]", **DATES)
def _(run):
    written = dict(zip(run.values["formats"], run.values["may_3_1998"]))
    assert written["{MM}/{dd}/{yy}"] == "05/03/98" and written["{dd}.{MM}.{yyyy}"] == "03.05.1998"
    # two digits say the century only if the days span 100 years, from a year ending in 50
    assert run.values["first_last"] == ["1950-01-01", "2049-12-31"]


def _demo(run):
    """[(written, iso)] of the examples that the task's first cell prints."""
    out = run.output_of("x_demo, Y_demo, dates_demo = batch(")
    return re.findall(r"^\s*(.+?)  ->  (\S+)    \(format", out, re.M)


@claim(NB, "writes random days between 1950 and 2049 in one of seven formats",
       first_last="[__import__('date_task').FIRST.isoformat(), __import__('date_task').LAST.isoformat()]", **DATES)
def _(run):
    assert len(run.values["formats"]) == 7 and run.values["first_last"] == ["1950-01-01", "2049-12-31"]
    demo = _demo(run)
    assert len(demo) == 6 and all(re.fullmatch(r"(19[5-9]\d|20[0-4]\d)-\d\d-\d\d", iso) for _, iso in demo)


@claim(NB, "the output $n_y$ = 11 (`0` to `9` and `-`)", output_chars="''.join(OUTPUT_CHARS)")
def _(run):
    assert sorted(run.values["output_chars"]) == sorted("0123456789-")
    out = run.output_of("x_demo, Y_demo, dates_demo = batch(")
    chars = re.search(r"^input characters: (.*)$", out, re.M).group(1)
    assert number_after(out, "x has shape (") == len(chars)           # n_x = len(INPUT_CHARS)


@claim(NB, "Every date is padded on the **left** with `_` to $T_x$ = `T_X` = 29 characters, the length of the "
           "longest (\"Wednesday, September 27, 2000\")",
       t_x="T_X", pad="PAD",
       longest="max(len(write(__import__('datetime').date.fromordinal(d), f)) for f in FORMATS "
               "for d in range(__import__('date_task').FIRST.toordinal(), __import__('date_task').LAST.toordinal() + 1))",
       wednesday="write(__import__('datetime').date(2000, 9, 27), '{EEEE}, {MMMM} {d}, {yyyy}')",
       padding_first="[bool(x_demo[INPUT_CHARS.index(PAD), :, 0].all()), bool(x_demo[INPUT_CHARS.index(PAD), :, -1].any())]")
def _(run):
    assert run.values["pad"] == "_" and run.values["t_x"] == 29 == run.values["longest"]
    assert run.values["wednesday"] == "Wednesday, September 27, 2000"
    assert run.values["padding_first"] == [True, False]     # "the encoder reads the padding first and the date last"


@claim(NB, "The output always has $T_y$ = 10 characters.", t_y="T_Y", y_held="list(Y_held.shape)")
def _(run):
    assert run.values["t_y"] == 10 and run.values["y_held"] == [1000, 10]


def _dropped_da_table(run):
    """{gradient: (relative error with attention's da, without)} as the section 6 cell prints it."""
    out = run.output_of("def attention_backward_without_da(")
    rows = dict((name, (float(a), float(b))) for name, a, b in
                re.findall(r"^(d\w+(?: \(encoder\))?)\s+(\S+)\s+(\S+)$", out, re.M))
    assert len(rows) == 9, rows
    return rows


@claim(NB, "your gradients agree with the numerical ones to better than $10^{-8}$; without it, the table shows "
           "errors of more than 10%: a gradient check rejects them at once",
       tol="__import__('inspect').signature(gradient_check).parameters['tol'].default")
def _(run):
    rows = _dropped_da_table(run)
    assert set(rows) == {"dx"} | {f"d{k} (encoder)" for k in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")}
    assert all(full < 1e-8 and dropped > 0.10 for full, dropped in rows.values()), rows
    assert min(dropped for _, dropped in rows.values()) > run.values["tol"]


@claim(NB, "the input steps that the decoder read through attention are short of theirs",
       bars="[np.linalg.norm(g['dx'], axis=0).mean(axis=0) for g in (full_exp, dropped_exp)]")
def _(run):
    full, dropped = run.values["bars"]
    assert len(full) == 8 and all(d < f for f, d in zip(full, dropped)), (full, dropped)


@claim(NB, "The model is small: an encoder of $n_a = 32$ units (the decoder has as many), a scorer of $n_e = 16$.",
       sizes="[list(parameters[g][k].shape) for g, k in (('encoder', 'Wf'), ('decoder', 'Waa'), ('attention', 'Wa'))]",
       n_x="n_x")
def _(run):
    assert run.values["sizes"] == [[32, 32 + run.values["n_x"]], [32, 32], [16, 32]]


@claim(NB, "With the settings below, the cell trains the model and prints how long that took, and how\n"
           "many CPU cores the machine has.")
def _(run):
    out = run.output_of("adam_update(parameters, gradients, adam")
    m = re.search(r"^(\d+) iterations in (\S+) s, on a machine with (\d+) CPU cores$", out, re.M)
    assert m, out
    iterations, seconds, cores = int(m.group(1)), float(m.group(2)), int(m.group(3))
    # the cell names the machine that ran it, this test's: its cores are the ones counted here (how
    # long it took is a figure of benchmarks/notebook_times.py, not a test)
    assert iterations == 1000 and seconds > 0 and cores == os.cpu_count(), m.group(0)


given(NB, TOOLING, "When the autograder runs this notebook,\nit trains for a few iterations only.")


@claim(NB, "A tenth of the days\nbetween 1950 and 2049 (`held_out_days()`) never appear in training",
       days="[len(excluded), min(excluded), max(excluded)]")
def _(run):
    import datetime
    first, last = datetime.date(1950, 1, 1).toordinal(), datetime.date(2049, 12, 31).toordinal()
    held, low, high = run.values["days"]
    assert round(0.1 * (last - first + 1)) == held and first <= low and high <= last


HELD = dict(held="[len(dates_held), all(day.toordinal() in excluded for day, _ in dates_held)]")


@claim(NB, "The cell below translates 1000 dates that training never saw", **HELD)
def _(run):
    assert run.values["held"] == [1000, True]
    assert "% of 1000;" in run.output_of("translations = decode_outputs(")


@claim(NB, "A trained model should get **99% or more** of them exactly right.", right="float(right.mean())")
def _(run):
    printed = number_after(run.output_of("translations = decode_outputs("), "held-out dates translated exactly:")
    assert printed >= 99.0 and run.values["right"] >= 0.99


@claim(NB, "To read more than four examples, the next cell averages over the 1000 held-out dates.",
       example_formats="[dates_held[i][1] for i in examples]", **HELD)
def _(run):
    assert len(run.figure("Where each output character looks")["axes"]) == 4
    assert len(set(run.values["example_formats"])) == 4 and run.values["held"][0] == 1000


def _shares(run):
    """{output character 1..10: (field, on the field, field + next character, on the padding)}, as printed."""
    rows = {}
    for line in run.output_of("FIELD_OF_OUTPUT = [").splitlines():
        m = re.match(r"\s*(\d+) \((.)\)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", line)
        if m:
            rows[int(m.group(1))] = (m.group(3),) + tuple(None if v == "-" else float(v) for v in m.groups()[3:])
    assert sorted(rows) == list(range(1, 11)), rows
    return rows


# for each format, the mean share of each MM and DD digit's attention on its field and the character after
FIELD_SHARES = ("{template: [float(np.mean([alphas_held[i, [k for k in (lambda s: s + [s[-1] + 1])"
                "(list(field_spans(day, template, T_X)[field])) if k < T_X], t].sum() "
                "for i, (day, fmt) in enumerate(dates_held) if fmt == template])) "
                "for t, field in ((5, 'month'), (6, 'month'), (8, 'day'), (9, 'day'))] for template in FORMATS}")


@claim(NB, "The two digits of the month, and the two of the day, put most of their attention (three quarters or "
           "more, in the table's \"field + next character\" column)", by_format=FIELD_SHARES, **DATES)
def _(run):
    rows = _shares(run)
    assert [rows[t][0] for t in (6, 7, 9, 10)] == ["month", "month", "day", "day"]
    assert all(rows[t][2] >= 0.75 for t in (6, 7, 9, 10)), rows
    # "wherever the format puts the field": in each of the seven formats, most of it
    assert len(run.values["by_format"]) == 7
    assert all(share > 0.5 for shares in run.values["by_format"].values() for share in shares), run.values["by_format"]
    written = dict(zip(run.values["formats"], run.values["may_3_1998"]))
    assert written["{MM}/{dd}/{yy}"].startswith("05") and written["{dd}.{MM}.{yyyy}"].startswith("03")


@claim(NB, "So a field's last digit is often read one character late.")
def _(run):
    rows = _shares(run)
    late = [rows[t][2] - rows[t][1] for t in (7, 10)]            # the month's and the day's last digits
    assert min(late) > 0 and max(late) > 0.2, rows


@claim(NB, "**The hyphens look at the padding.**")
def _(run):
    rows = _shares(run)
    assert all(rows[t][0] == "-" and rows[t][3] > 0.5 for t in (5, 8)), rows


@claim(NB, "The year is less clear-cut: in the table, some of its digits look at the year, and others put most\n"
           "of their attention on the padding.")
def _(run):
    rows = _shares(run)
    year = [rows[t] for t in (1, 2, 3, 4)]
    assert all(r[0] == "year" for r in year)
    assert any(r[2] > 0.5 for r in year) and any(r[3] > 0.5 for r in year), year
    assert min(r[2] for r in year) < min(rows[t][2] for t in (6, 7, 9, 10))        # less clear-cut


@claim(NB, "which has just\nread the year in six formats out of seven", **DATES)
def _(run):
    formats = run.values["formats"]
    assert len(formats) == 7 and sum(f.endswith(("{yyyy}", "{yy}")) for f in formats) == 6


# ---- notebooks/why_dx.ipynb ---------------------------------------------------------------
NB = "why_dx"
RUNS = dict(final="{label: curve[-1][1] for label, (_, curve) in runs.items()}")


def _final(run, words):
    (value,) = [v for label, v in run.values["final"].items() if label.startswith(words)]
    return value


@claim(NB, "and its loss stays clearly higher", **RUNS)
@claim(NB, "That costs less", **RUNS)
def _(run):
    full, frozen_1 = _final(run, "full"), _final(run, "layer 2's dx")
    assert frozen_1 > full + 0.1 and frozen_1 > _final(run, "layer 1's dx") + 0.05


@claim(NB, "which is worth a few hundredths of a nat per character here", **RUNS)
def _(run):
    assert 0.01 <= _final(run, "layer 1's dx") - _final(run, "full") < 0.1


@claim(NB, "every gradient agrees with the numerical one to $10^{-9}$ or better")
@claim(NB, "every gradient is wrong by percents or more")
def _(run):
    rows = [numbers(line)[-2:] for line in run.output_of("def free_running_forward(").splitlines()
            if line.startswith("d")]
    assert len(rows) == 5
    assert all(passed <= 1e-9 and discarded >= 1e-2 for passed, discarded in rows), rows


@claim(NB, "The optimised vectors do what we asked.")
@claim(NB, "the characters nearest to them need not do the same: compare the last two lines")
def _(run):
    p_end = {line.split(":")[0]: number_after(line, "P(end) =")
             for line in run.output_of('prefix = "\\nget_"').splitlines() if "P(end) =" in line}
    assert p_end["optimised"] > 0.5 > p_end["read back"] and p_end["start"] < 0.1, p_end


@claim(NB, "The last few characters carry most of the gradient",
       last_three="[float(s[-3:].sum() / s.sum()) for s, _ in results]")
def _(run):
    assert all(share > 0.5 for share in run.values["last_three"]), run.values["last_three"]
