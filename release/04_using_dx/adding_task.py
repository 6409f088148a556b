"""The adding problem, and a small recurrent model trained on it.

The adding problem (Hochreiter & Schmidhuber, 1997) is a task whose answer we know exactly.
Each input step carries two features:
    x[0, :, t]  a value drawn uniformly from [0, 1]
    x[1, :, t]  a marker, 1 at exactly two steps of the sequence and 0 elsewhere
The target is the sum of the two marked values. One marker falls in the first half of the
sequence and one in the second half, so the model must remember a value for at least T_x / 2
steps. Always predicting the mean, 1, has a mean squared error of 1/6 (the variance of the sum).

The model is an RNN or an LSTM with the course's API, read out linearly at its last step:
    y_hat = W @ a<T_x> + by,     W = Wya (RNN) or Wy (LSTM), shape (n_y, n_a); by (n_y, 1)
The API's per-step softmax output y_pred is not used: this task has one real-valued output.

A model is a dict {"kind": "rnn" or "lstm", "parameters": the API's parameters dict}.
Everything here is plain numpy, forward only: the forward passes it builds on are the solutions
of assignments 01 (RNN) and 02 (LSTM). The backward pass that training needs is not here, since
it would give away exercise 1 of assignment 04: `train` takes it as an argument.
"""
import time

import numpy as np

if __package__:       # inside the course's grading package
    from .lstm import lstm_forward
    from .rnn import rnn_forward
else:                 # next to a notebook, where the earlier solutions ship as rnn_utils and lstm_utils
    from lstm_utils import lstm_forward
    from rnn_utils import rnn_forward

BASELINE_MSE = 1 / 6     # mean squared error of always predicting 1


def adding_problem(m, T_x, seed=0):
    """A batch of the adding problem.

    Inputs:
    - m: number of sequences; T_x: their length (at least 2)
    - seed: an int or a numpy Generator

    Returns:
    - x: inputs, (2, m, T_x): values in row 0, markers (0 or 1) in row 1
    - y: targets, (1, m): the sum of the two marked values of each sequence
    """
    rng = np.random.default_rng(seed)
    half = T_x // 2
    x = np.zeros((2, m, T_x))
    x[0] = rng.uniform(0, 1, (m, T_x))
    first = rng.integers(0, half, m)               # one marker in the first half ...
    second = rng.integers(half, T_x, m)            # ... and one in the second
    x[1, np.arange(m), first] = 1
    x[1, np.arange(m), second] = 1
    y = (x[0] * x[1]).sum(axis=1, keepdims=True).T
    return x, y


def init_model(kind, n_a, n_x=2, n_y=1, seed=0):
    """A freshly initialised model.

    Weights are drawn from N(0, 1/fan_in), biases are zero, except the LSTM's forget-gate bias,
    which starts at 1 so that the cell state is kept by default (Gers et al., 2000), and the
    output bias, which starts at 1, the mean target of the adding problem.

    Returns {"kind": kind, "parameters": dict with the API's names and shapes}.
    """
    rng = np.random.default_rng(seed)
    normal = lambda rows, cols: rng.standard_normal((rows, cols)) / np.sqrt(cols)
    if kind == "rnn":
        p = {"Wax": normal(n_a, n_x), "Waa": normal(n_a, n_a), "ba": np.zeros((n_a, 1)),
             "Wya": normal(n_y, n_a), "by": np.ones((n_y, 1))}
    elif kind == "lstm":
        p = {}
        for gate in "fico":
            p["W" + gate] = normal(n_a, n_a + n_x)
            p["b" + gate] = np.zeros((n_a, 1))
        p["bf"] += 1.0
        p["Wy"], p["by"] = normal(n_y, n_a), np.ones((n_y, 1))
    else:
        raise ValueError(f"kind must be 'rnn' or 'lstm', not {kind!r}")
    return {"kind": kind, "parameters": p}


def readout_weights(model):
    """The weights W of the linear readout y_hat = W @ a<T_x> + by: Wya (RNN) or Wy (LSTM)."""
    return model["parameters"]["Wya" if model["kind"] == "rnn" else "Wy"]


def predict(x, model):
    """The model's output for a batch of sequences.

    Inputs:
    - x: (n_x, m, T_x)
    - model: {"kind", "parameters"}

    Returns:
    - y_hat: (n_y, m), the readout of the last hidden state
    - caches: what rnn_forward or lstm_forward returned, for rnn_backward or lstm_backward
    """
    p = model["parameters"]
    n_a = p["Waa"].shape[0] if model["kind"] == "rnn" else p["Wf"].shape[0]
    a0 = np.zeros((n_a, x.shape[1]))
    if model["kind"] == "rnn":
        a, _, caches = rnn_forward(x, a0, p)
    else:
        a, _, _, caches = lstm_forward(x, a0, p)
    y_hat = readout_weights(model) @ a[:, :, -1] + p["by"]
    return y_hat, caches


def mse(y_hat, y):
    """Mean squared error over the batch."""
    return float(np.mean((y_hat - y) ** 2))


def train(model, T_x, loss_and_gradients, n_iter=1000, m=32, lr=0.01, clip=1.0, seed=0, report_every=0):
    """Train the model in place on fresh batches of the adding problem, with Adam.

    Inputs:
    - model: from init_model; its parameters are updated in place
    - T_x: sequence length
    - loss_and_gradients: function (x, y, model) -> (loss, grads), the mean squared error of a
      batch and its gradient with respect to every parameter, grads[name] shaped like
      parameters[name]: the model's backward pass
    - n_iter: number of updates; m: batch size; lr: Adam's step size
    - clip: the gradient's global norm is scaled down to at most this (exploding gradients)
    - seed: of the training batches, so that a run is reproducible
    - report_every: print the loss every so many updates (0: never)

    Returns the training loss of every update, (n_iter,).
    """
    rng = np.random.default_rng(seed)
    p = model["parameters"]
    first, second = {k: np.zeros_like(v) for k, v in p.items()}, {k: np.zeros_like(v) for k, v in p.items()}
    beta1, beta2, tiny = 0.9, 0.999, 1e-8
    losses = np.zeros(n_iter)
    start = time.perf_counter()
    for i in range(n_iter):
        x, y = adding_problem(m, T_x, rng)
        losses[i], grads = loss_and_gradients(x, y, model)
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
        scale = min(1.0, clip / (norm + tiny))
        for k in p:                                         # Adam (Kingma & Ba, 2015)
            g = scale * grads[k]
            first[k] = beta1 * first[k] + (1 - beta1) * g
            second[k] = beta2 * second[k] + (1 - beta2) * g ** 2
            step = first[k] / (1 - beta1 ** (i + 1))
            p[k] -= lr * step / (np.sqrt(second[k] / (1 - beta2 ** (i + 1))) + tiny)
        if report_every and (i + 1) % report_every == 0:
            print(f"update {i + 1:5d}  training loss {losses[max(0, i + 1 - report_every):i + 1].mean():.4f}"
                  f"  ({time.perf_counter() - start:.1f} s)")
    return losses


def evaluate(model, T_x, m=1000, seed=12345):
    """Mean squared error on a fixed test batch of m sequences."""
    x, y = adding_problem(m, T_x, seed)
    return mse(predict(x, model)[0], y)


def save_model(path, model, **notes):
    """Save a model as .npz; notes (numbers, strings or arrays) say how it was made."""
    np.savez(path, **_model_arrays(model, notes))


def load_model(path):
    """Load a model saved by save_model. Returns (model, notes)."""
    with np.load(path, allow_pickle=False) as f:
        return _model_from(f, "")


def save_models(path, models):
    """Save several models in one .npz. models: {name: (model, notes)}, names without "/"."""
    arrays = {}
    for name, (model, notes) in models.items():
        arrays.update({f"{name}/{k}": v for k, v in _model_arrays(model, notes).items()})
    np.savez(path, **arrays)


def load_models(path):
    """Load the models saved by save_models. Returns {name: (model, notes)}, in the saved order."""
    with np.load(path, allow_pickle=False) as f:
        names = dict.fromkeys(k.split("/", 1)[0] for k in f.files)
        return {name: _model_from(f, f"{name}/") for name in names}


def _model_arrays(model, notes):
    return {"kind": np.array(model["kind"]),
            **{f"parameters/{k}": v for k, v in model["parameters"].items()},
            **{f"notes/{k}": np.asarray(v) for k, v in notes.items()}}


def _model_from(f, prefix):
    def under(section):
        start = f"{prefix}{section}/"
        return {k[len(start):]: f[k] for k in f.files if k.startswith(start)}
    p = {k: v.astype(float) for k, v in under("parameters").items()}
    notes = {k: v.item() if v.ndim == 0 else v for k, v in under("notes").items()}
    return {"kind": str(f[f"{prefix}kind"]), "parameters": p}, notes
