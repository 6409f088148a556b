"""How assignment 04's trained models were made: the backward pass that training needs, and the
recipes of the committed models. This module does not ship with the release: its backward
pass through the readout is the answer to exercise 1 (input_gradient), with the weight
gradients kept instead of dx.

    loss_and_gradients   the mean squared error of a batch and its gradient for every weight
    make_model           the LSTM of adding_model.npz, the frozen model of the notebook and the hidden tests
    make_length_models   the RNNs and LSTMs of adding_models_by_length.npz (section 4 of the notebook)

`python tools/train_adding_models.py` writes both files; tests/test_using_dx.py re-creates
them from these recipes and compares.
"""
import numpy as np

from . import adding_task as task
from .lstm import lstm_backward
from .rnn import rnn_backward

# the model of adding_model.npz
MODEL_RECIPE = dict(kind="lstm", n_a=16, init_seed=0, T_x=20, n_iter=2000, m=32, lr=0.01, clip=1.0, train_seed=0)
# the models of adding_models_by_length.npz: one RNN and one LSTM per length, the same budget for all
LENGTHS = (10, 20, 40, 80)
LENGTH_RECIPE = dict(n_a=16, init_seed=0, n_iter=1000, m=32, lr=0.01, clip=1.0, train_seed=0)


def loss_and_gradients(x, y, model):
    """The mean squared error of a batch and its gradients with respect to every parameter.

    Inputs:
    - x: (n_x, m, T_x); y: targets, (n_y, m); model: {"kind", "parameters"}

    Returns (loss, grads) with grads[name] shaped like parameters[name]. The backward pass also
    computes dx, the gradient with respect to the inputs; training has no use for it and drops it.
    """
    p = model["parameters"]
    y_hat, caches = task.predict(x, model)
    m, T_x = x.shape[1], x.shape[2]
    dy = 2 * (y_hat - y) / m                               # d mse / d y_hat, (n_y, m)
    W = task.readout_weights(model)
    a_last = caches[0][-1][0]                               # a<T_x>, the first item of the last cell's cache
    da = np.zeros((W.shape[1], m, T_x))
    da[:, :, -1] = W.T @ dy                                 # only the last hidden state is read out
    if model["kind"] == "rnn":
        g = rnn_backward(da, caches)
        grads = {k: g["d" + k] for k in ("Wax", "Waa", "ba")}
        grads["Wya"] = dy @ a_last.T
    else:
        g = lstm_backward(da, caches)
        grads = {k: g["d" + k] for k in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")}
        grads["Wy"] = dy @ a_last.T
    grads["by"] = dy.sum(axis=1, keepdims=True)
    assert grads.keys() == p.keys()
    return task.mse(y_hat, y), grads


def _make(kind, T_x, n_a, init_seed, n_iter, m, lr, clip, train_seed):
    """A model trained by the recipe, and notes that say how: the recipe, its test error and its
    training curve."""
    model = task.init_model(kind, n_a=n_a, seed=init_seed)
    losses = task.train(model, T_x, loss_and_gradients, n_iter=n_iter, m=m, lr=lr, clip=clip, seed=train_seed)
    recipe = (f"model = init_model({kind!r}, n_a={n_a}, seed={init_seed}); train(model, {T_x}, "
              f"loss_and_gradients, n_iter={n_iter}, m={m}, lr={lr}, clip={clip}, seed={train_seed})")
    notes = dict(n_a=n_a, init_seed=init_seed, T_x=T_x, n_iter=n_iter, m=m, lr=lr, clip=clip,
                 train_seed=train_seed, test_mse=task.evaluate(model, T_x), recipe=recipe, losses=losses)
    return model, notes


def make_model():
    """(model, notes) of adding_model.npz."""
    return _make(**MODEL_RECIPE)


def make_length_models():
    """{name: (model, notes)} of adding_models_by_length.npz, names such as "rnn_T10"."""
    return {f"{kind}_T{T}": _make(kind, T, **LENGTH_RECIPE) for T in LENGTHS for kind in ("rnn", "lstm")}
