"""Data and training helpers of assignment 03: the corpus and its vocabulary, batches of
sequences, parameter initialisation and the Adam optimiser. They hold none of the exercises.

The parameters of the language model are one flat dict (see the notebook): We (n_e, V); for
l = 1..L: Wax{l}, Waa{l}, ba{l}; Wya (V, n_a), by (V, 1). The gradient of parameter k is
gradients["d" + k].
"""
from pathlib import Path

import numpy as np

NEWLINE = "\n"


def load_names(path="python_function_names.txt"):
    """The corpus: a list of names, one per line of the file."""
    return Path(path).read_text().split()


def build_vocabulary(names):
    """The characters of the corpus, newline first: (chars, char_to_ix).

    chars[i] is the character of index i; char_to_ix is the inverse dict. The newline, index
    0, ends every name, and starts one when sampling.
    """
    chars = [NEWLINE] + sorted(set("".join(names)))
    return chars, {c: i for i, c in enumerate(chars)}


def encode(names, char_to_ix):
    """One long array of indices: every name followed by a newline, in the given order."""
    return np.array([char_to_ix[c] for name in names for c in name + NEWLINE])


def decode(indices, chars):
    """The text of a list of indices."""
    return "".join(chars[i] for i in indices)


def split_names(names, held_out=0.1, seed=0):
    """Shuffle the names and split them: (training names, held-out names)."""
    names = list(names)
    np.random.default_rng(seed).shuffle(names)
    n = int(round(len(names) * held_out))
    return names[n:], names[:n]


def get_batch(data, m, T_x, rng):
    """A batch of m sequences of T_x steps, from random places in data.

    Returns X, Y, both (m, T_x): X[i] = data[o_i : o_i + T_x], and Y is X one step later,
    the character to predict at every step.
    """
    starts = rng.integers(0, len(data) - T_x - 1, size=m)
    X = np.stack([data[o:o + T_x] for o in starts])
    Y = np.stack([data[o + 1:o + T_x + 1] for o in starts])
    return X, Y


def init_parameters(V, n_e, n_a, L, seed=0):
    """Random parameters of the language model: V characters, embeddings of size n_e, L layers
    of n_a units. Weights are drawn with standard deviation 1/sqrt(fan-in), biases are zero.
    """
    rng = np.random.default_rng(seed)
    parameters = {"We": rng.standard_normal((n_e, V))}
    for l in range(1, L + 1):
        n_x = n_e if l == 1 else n_a
        parameters[f"Wax{l}"] = rng.standard_normal((n_a, n_x)) / np.sqrt(n_x)
        parameters[f"Waa{l}"] = rng.standard_normal((n_a, n_a)) / np.sqrt(n_a)
        parameters[f"ba{l}"] = np.zeros((n_a, 1))
    parameters["Wya"] = rng.standard_normal((V, n_a)) / np.sqrt(n_a)
    parameters["by"] = np.zeros((V, 1))
    return parameters


def adam_state(parameters):
    """Adam's running averages, all zero, and its step counter."""
    return {"t": 0, "m": {k: np.zeros_like(v) for k, v in parameters.items()},
            "v": {k: np.zeros_like(v) for k, v in parameters.items()}}


def adam_update(parameters, gradients, state, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of Adam (Kingma and Ba, 2015), updating parameters and state in place."""
    state["t"] += 1
    t = state["t"]
    for k, w in parameters.items():
        g = gradients["d" + k]
        m, v = state["m"][k], state["v"][k]
        m *= beta1
        m += (1 - beta1) * g                      # running average of the gradient
        v *= beta2
        v += (1 - beta2) * g * g                  # and of its square
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        w -= lr * m_hat / (np.sqrt(v_hat) + eps)
