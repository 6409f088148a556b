"""The task of assignment 05: dates written by people, translated to ISO 8601 (YYYY-MM-DD).

    "3 May 1998", "05/03/98", "Sunday, May 3, 1998", "03.05.1998", ...  ->  "1998-05-03"

The same task as the date-translation assignment of DeepLearning.AI's *Sequence Models* course
("Neural Machine Translation"), made here with Python's standard library (datetime), so that
nothing is downloaded. Dates run from 1950-01-01 to 2049-12-31, so that a two-digit year says
its century: 50 to 99 are 19xx, 00 to 49 are 20xx. Each format is unambiguous: 05/03/98 is
month/day/year (as in the US), 03.05.1998 is day.month.year (as in much of Europe).

Inputs are characters, one-hot, padded on the left to T_X characters with PAD, so that the
encoder reads the padding first and the date last; outputs are the 11 characters of ISO dates.
Also here: the model's parameters and their initialisation, the cross-entropy loss and Adam.
Plain numpy and the standard library; nothing of the course's exercises.
"""
import datetime
import string

import numpy as np

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FIRST, LAST = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)

# how people write a date: templates of fields (Unicode's date-format letters: d day, M month,
# y year, E weekday; a doubled letter pads with a zero, MMM and MMMM are the month's name)
FIELDS = {
    "d": lambda d: str(d.day), "dd": lambda d: f"{d.day:02d}",
    "MM": lambda d: f"{d.month:02d}", "MMM": lambda d: MONTHS[d.month - 1][:3], "MMMM": lambda d: MONTHS[d.month - 1],
    "yy": lambda d: f"{d.year % 100:02d}", "yyyy": lambda d: str(d.year),
    "EEEE": lambda d: WEEKDAYS[d.weekday()],
}
KIND = {"d": "day", "dd": "day", "MM": "month", "MMM": "month", "MMMM": "month", "yy": "year", "yyyy": "year",
        "EEEE": "weekday"}
FORMATS = ["{d} {MMMM} {yyyy}",             # 3 May 1998
           "{d} {MMM} {yyyy}",              # 3 May 1998, 3 Sep 1998
           "{MMMM} {d}, {yyyy}",            # May 3, 1998
           "{EEEE}, {MMMM} {d}, {yyyy}",    # Sunday, May 3, 1998
           "{MM}/{dd}/{yy}",                # 05/03/98, month first (US)
           "{dd}.{MM}.{yyyy}",              # 03.05.1998, day first (much of Europe)
           "{yyyy}-{MM}-{dd}"]              # 1998-05-03, already ISO


def _pieces(date, template):
    """[(text, field or None)] of a date written with a template."""
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            out.append((literal, None))
        if field:
            out.append((FIELDS[field](date), field))
    return out


def write(date, template):
    """The date written with a template: write(datetime.date(1998, 5, 3), "{MM}/{dd}/{yy}") -> "05/03/98"."""
    return "".join(text for text, _ in _pieces(date, template))


def field_spans(date, template, T_x=None):
    """Where the day, month, year and weekday are in the written date: {"day": range(...), ...}.

    With T_x, positions are counted in the input padded on the left to T_x characters."""
    pieces = _pieces(date, template)
    i = 0 if T_x is None else T_x - sum(len(text) for text, _ in pieces)
    spans = {}
    for text, field in pieces:
        if field:
            spans[KIND[field]] = range(i, i + len(text))
        i += len(text)
    return spans


PAD = "_"
INPUT_CHARS = [PAD] + sorted(set("".join(write(datetime.date(2000, mo, 1) + datetime.timedelta(days=wd), f)
                                         for f in FORMATS for mo in range(1, 13) for wd in range(7)))
                             | set("0123456789"))
OUTPUT_CHARS = list("0123456789-")
T_X = max(len(write(datetime.date(2000, 9, 27), f)) for f in FORMATS)     # a Wednesday in September
T_Y = 10


def held_out_days(fraction=0.1, seed=0):
    """The set of days (as ordinal numbers) kept out of training: a fixed random tenth."""
    days = np.arange(FIRST.toordinal(), LAST.toordinal() + 1)
    rng = np.random.default_rng(seed)
    return set(rng.choice(days, size=int(round(fraction * len(days))), replace=False).tolist())


def random_dates(m, rng, held_out=False, excluded=None):
    """m random days, each with a random format: a list of (date, template).

    Inputs:
    - m: number of dates; rng: a numpy Generator
    - held_out: draw from the held-out days (True) or from the others (False)
    - excluded: the held-out days, held_out_days() when None
    """
    excluded = held_out_days() if excluded is None else excluded
    pool = sorted(excluded) if held_out else None
    out = []
    while len(out) < m:
        day = pool[rng.integers(len(pool))] if held_out else int(rng.integers(FIRST.toordinal(), LAST.toordinal() + 1))
        if not held_out and day in excluded:
            continue
        out.append((datetime.date.fromordinal(day), FORMATS[rng.integers(len(FORMATS))]))
    return out


def encode_inputs(texts, T_x=T_X):
    """One-hot inputs, (n_x, m, T_x), each text padded on the left with PAD to T_x characters."""
    ix = {c: i for i, c in enumerate(INPUT_CHARS)}
    x = np.zeros((len(INPUT_CHARS), len(texts), T_x))
    for i, text in enumerate(texts):
        padded = PAD * (T_x - len(text)) + text
        x[[ix[c] for c in padded], i, np.arange(T_x)] = 1
    return x


def encode_targets(isos):
    """The indices of the output characters, (m, T_Y)."""
    ix = {c: i for i, c in enumerate(OUTPUT_CHARS)}
    return np.array([[ix[c] for c in iso] for iso in isos])


def decode_outputs(y_hat):
    """The most probable output string of each example: y_hat (n_y, m, T_y) -> list of m strings."""
    return ["".join(OUTPUT_CHARS[k] for k in row) for row in y_hat.argmax(axis=0)]


def batch(m, rng, held_out=False, excluded=None):
    """A batch of m random dates: x (n_x, m, T_X), Y (m, T_Y), and the list of (date, template)."""
    dates = random_dates(m, rng, held_out, excluded)
    return encode_inputs([write(d, f) for d, f in dates]), encode_targets([d.isoformat() for d, _ in dates]), dates


def cross_entropy(y_hat, Y):
    """The loss summed over the batch and the output steps, and its gradient with respect to the
    output layer's scores.

    Inputs:
    - y_hat: softmax predictions, (n_y, m, T_y); Y: indices of the right characters, (m, T_y)

    Returns (loss, dz): loss = -sum of log y_hat at the right characters; dz = y_hat - y,
    (n_y, m, T_y), with y the one-hot targets (the softmax and the log cancel, as in assignment 03).
    """
    m, T_y = Y.shape
    rows, cols = np.meshgrid(np.arange(m), np.arange(T_y), indexing="ij")
    loss = -np.sum(np.log(y_hat[Y, rows, cols]))
    dz = y_hat.copy()
    dz[Y, rows, cols] -= 1
    return float(loss), dz


def init_parameters(n_x, n_a, n_e, n_y, seed=0):
    """The model's parameters: weights drawn with standard deviation 1/sqrt(fan-in), biases zero,
    except the encoder's forget-gate bias, 1 (Jozefowicz, Zaremba and Sutskever, 2015).

    Returns {"encoder": lstm_forward's parameters (its Wy, by: one unused output, zeros),
             "attention": Wa (n_e, n_a), Ws (n_e, n_a), b (n_e, 1), v (1, n_e),
             "decoder": rnn_cell_forward's Wax (n_a, n_a), Waa (n_a, n_a), ba, Wya (n_y, n_a), by};
    the decoder's state has the size of the encoder's, n_s = n_a, as it starts from a<T_x>.
    """
    rng = np.random.default_rng(seed)
    normal = lambda rows, cols: rng.standard_normal((rows, cols)) / np.sqrt(cols)
    encoder = {}
    for gate in "fico":
        encoder["W" + gate] = normal(n_a, n_a + n_x)
        encoder["b" + gate] = np.zeros((n_a, 1))
    encoder["bf"] += 1.0
    encoder["Wy"], encoder["by"] = np.zeros((1, n_a)), np.zeros((1, 1))
    attention = {"Wa": normal(n_e, n_a), "Ws": normal(n_e, n_a), "b": np.zeros((n_e, 1)), "v": normal(1, n_e)}
    decoder = {"Wax": normal(n_a, n_a), "Waa": normal(n_a, n_a), "ba": np.zeros((n_a, 1)),
               "Wya": normal(n_y, n_a), "by": np.zeros((n_y, 1))}
    return {"encoder": encoder, "attention": attention, "decoder": decoder}


def adam_state(parameters):
    """Adam's running averages, zero, for every parameter that has a gradient, and its step counter."""
    zeros = lambda: {g: {k: np.zeros_like(v) for k, v in p.items()} for g, p in parameters.items()}
    return {"t": 0, "m": zeros(), "v": zeros()}


def adam_update(parameters, gradients, state, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of Adam (Kingma and Ba, 2015), updating parameters and state in place.

    gradients[group]["d" + k] is the gradient of parameters[group][k]; parameters without one
    (the encoder's unused Wy and by) do not change.
    """
    state["t"] += 1
    t = state["t"]
    for group, params in parameters.items():
        for k, w in params.items():
            g = gradients[group].get("d" + k)
            if g is None:
                continue
            m, v = state["m"][group][k], state["v"][group][k]
            m *= beta1
            m += (1 - beta1) * g                      # running average of the gradient
            v *= beta2
            v += (1 - beta2) * g * g                  # and of its square
            w -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
