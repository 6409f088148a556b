"""No sentence of a notebook states a number, a comparison or a trend that its own run does not show.

- Every claim of tests/claims.py holds in the executed notebook (one run per notebook, shared
  with the other tests of that notebook: tests/notebook_runs.py).
- Every sentence of the notebooks' markdown that has a number or a comparative word is in
  tests/claims.py, as a claim with its check or as a sentence that holds on any machine; and
  every entry there is still a sentence of its notebook. So a new claim cannot slip in untested.
"""
import json
import re

import pytest
from claims import CLAIMS
from notebook_runs import NOTEBOOKS, group, run_of

# ---- the sentences of a notebook's prose -------------------------------------------------

FENCE = re.compile(r"```.*?```", re.S)                  # mermaid diagrams, code
MATH_BLOCK = re.compile(r"\$\$.*?\$\$", re.S)
INLINE_MATH = re.compile(r"(?<!\$)\$(?!\$)(.+?)(?<!\\)\$")
CODE_SPAN = re.compile(r"`[^`]*`")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# numbers that name things rather than measure them: assignment 03, section 4, layer 2, years
NAMING = re.compile(
    r"\b(?:assignments?|sections?|exercises?|step|layers?|routes?|part)\s*\d+(?:\s*(?:,|and|or|to)\s*\d+)*\b"
    r"|§\s*\d+|\b(?:19|20)\d\d\b(?!\s+(?:updates|steps|iterations|names|sequences|examples|characters|units))|\b\w*[A-Za-z_]\w*\d\w*\b|^#+\s*\d+(?:\s*and\s*\d+)?\.?|^\W*\d+\.\s", re.I)
# a number inside inline math that measures something ($\approx 0.73$, $10^{-9}$), not an index
MEASURING_MATH = re.compile(r"\d\.\d|\\approx|10\^|\d{2,}|\\ge|\\le|[<>]|\\to\b|\\gg|\\ll|\\sim|\\propto|\\infty")
COMPARATIVE = re.compile(
    r"\b(?:faster|slower|better|worse|more than|less|fewer|larger|smaller|higher|lower|longer|shorter|further|"
    r"farther|grows?|grew|shrinks?|shrank|vanish\w*|explod\w*|decays?|roughly|nearly|almost|approximately|most|"
    r"least|seconds|minutes?|hours?|times (?:smaller|larger|bigger|more|less|fewer|faster|slower|higher|lower|as)|"
    r"percents?|halve[sd]?|half (?:of|as|the)|twice (?:as|the)|(?:a|one) (?:third|quarter|fifth|tenth)|"
    r"\w+ times (?:the|as)|cheap\w*|fastest|slowest|orders? of magnitude|at most|at least|hundredths|tenths|thousandths|hundreds|thousands|"
    r"about (?:\d|a |an |one|two|three|four|five|ten|twenty|hundred|thousand|twice|half))\b|%", re.I)


def normal(text):
    return re.sub(r"\s+", " ", text).strip()


def sentences(markdown):
    """The sentences of a markdown cell, whitespace normalised: each table row, list item and
    heading apart, code blocks left out."""
    found = []
    for block in re.split(r"\n\s*\n", FENCE.sub("\n\n", markdown)):
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if lines and all(ln.lstrip().startswith("|") for ln in lines):
            found += [ln for ln in lines if not re.fullmatch(r"[|\s:-]+", ln)]
            continue
        items = []
        for ln in lines:
            if re.match(r"\s*(?:[-*]|\d+\.|#+|>)\s", ln) or not items:
                items.append(ln)
            else:
                items[-1] += " " + ln
        for item in items:
            found += _split(item)
    return [normal(s) for s in found if s.strip()]


def _split(text):
    # math and code may hold dots: hide them while splitting at the ends of sentences
    hidden = []
    t = re.sub(f"{MATH_BLOCK.pattern}|{INLINE_MATH.pattern}|{CODE_SPAN.pattern}",
               lambda m: hidden.append(m.group(0)) or f"\0{len(hidden) - 1}\0", text, flags=re.S)
    parts = []
    for part in re.split(r"(?<=[.!?])\s+(?=[A-Z(*\"\0])", t):
        if parts and re.search(r"(?:^\W*\d+\.|\bet al\.|\be\.g\.|\bi\.e\.|\bcf\.)$", parts[-1]):
            parts[-1] += " " + part          # "1. Create", "et al. (2015)" do not end a sentence
        else:
            parts.append(part)
    return [re.sub(r"\0(\d+)\0", lambda m: hidden[int(m.group(1))], p) for p in parts]


def measures(sentence):
    """True if the sentence states a number, a comparison or a trend (after leaving out
    equations, code, and numbers that name things)."""
    t = MATH_BLOCK.sub(" ", sentence)
    t = INLINE_MATH.sub(lambda m: m.group(1) if MEASURING_MATH.search(m.group(1)) else " ", t)
    t = LINK.sub(r"\1", CODE_SPAN.sub(" ", t))
    if t.startswith("|"):      # table cells that are only numbers: indices, points, sections
        t = "|".join(c for c in t.strip("|").split("|") if not re.fullmatch(r"[\d\s+§()RNLSTM]*", c))
    t = NAMING.sub(" ", t)
    return bool(re.search(r"\d", t) or COMPARATIVE.search(t))


def prose(name):
    nb = json.loads(NOTEBOOKS[name].read_text())
    return [s for c in nb["cells"] if c["cell_type"] == "markdown" for s in sentences("".join(c["source"]))]


# ---- the guard -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_sentence_that_measures_is_listed_with_its_check(name):
    quotes = [normal(c.quote) for c in CLAIMS if c.notebook == name]
    missing = [s for s in prose(name) if measures(s) and not any(q in s for q in quotes)]
    assert not missing, (f"{len(missing)} sentences of {name} state a number, a comparison or a trend that "
                         "tests/claims.py does not list: add each, with a check of the run or the reason why it "
                         "holds on any machine:\n" + "\n".join(missing))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_listed_sentence_is_in_its_notebook(name):
    text = prose(name)
    stale = [c.quote for c in CLAIMS if c.notebook == name and not any(normal(c.quote) in s for s in text)]
    assert not stale, f"tests/claims.py lists sentences that {name} no longer has: {stale}"


def test_every_listed_notebook_exists_and_each_entry_has_a_check_or_a_reason():
    assert {c.notebook for c in CLAIMS} <= set(NOTEBOOKS)
    assert all((c.check is None) != (not c.why) for c in CLAIMS)
    assert all(c.check for c in CLAIMS if c.probes)


@pytest.mark.parametrize("sentence, flagged", [
    ("Training takes about 20 seconds on two cores.", True),
    ("The LSTM learns faster than the RNN.", True),
    ("Its error is 0.0264 at $T_x = 10$.", True),
    ("The forget gates start mostly open, $\\sigma(1) \\approx 0.73$.", True),
    ("| How fragile is it? | a step of 0.05 shifts it by 0.3 | 7 |", True),
    ("The loss stays clearly higher.", True),
    ("| RNN | 0.0264 |", True),
    ("It was trained for 2000 updates.", True),
    ("Its error is ten times the LSTM's.", True),
    ("Then $\\partial \\hat y / \\partial x \\to 0$ for early steps.", True),
    ("A tenth of the days never appear in training.", True),
    ("It takes half the time.", True),
    ("Assignment 03 builds on sections 1 and 2 of assignment 01 (Hochreiter & Schmidhuber, 1997).", False),
    ("Layer 2's `dx` is the `da` of layer 1, and $x^{\\langle t \\rangle}$ is `x[:, :, t-1]`.", False),
    ("| 3 | `rnn_cell_backward` | one time step, backward | 2 + 2 + 3 |", False),
])
def test_the_guard_flags_measures_and_not_names(sentence, flagged):
    assert measures(sentence) == flagged


def test_sentences_are_split_where_a_reader_would():
    md = ("First one, with $x = 1.5$. Second one (Le et al. 2015) says `a.b`.\n\n"
          "- an item\n  that goes on;\n1. A step. Next.\n\n| a | 1 |\n|---|---|\n| b | 2 |\n\n```mermaid\nA 3 --> B\n```")
    assert sentences(md) == ["First one, with $x = 1.5$.", "Second one (Le et al. 2015) says `a.b`.",
                             "- an item that goes on;", "1. A step.", "Next.", "| a | 1 |", "| b | 2 |"]


# ---- the claims, against the executed notebooks --------------------------------------------

CHECKED = [pytest.param(c, marks=group(c.notebook), id=f"{c.notebook}: {normal(c.quote)[:60]}")
           for c in CLAIMS if c.check]


@pytest.mark.parametrize("claim", CHECKED)
def test_claim_holds_in_the_executed_notebook(claim):
    claim.check(run_of(claim.notebook))
