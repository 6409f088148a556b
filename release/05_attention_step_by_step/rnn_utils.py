"""Reference implementation of a vanilla RNN, forward and backward.

Shapes are feature-major, as in the notebooks:
    xt (n_x, m)   one time step of a batch of m sequences
    a  (n_a, m)   hidden state
    x  (n_x, m, T_x), a (n_a, m, T_x)   whole sequences

The cell computes
    a_next = tanh(Wax @ xt + Waa @ a_prev + ba)
    yt     = softmax(Wya @ a_next + by)

A hidden layer of a stacked RNN makes no prediction of its own: given parameters without Wya
and by, the functions return None for yt_pred and y_pred (assignment 03 stacks such layers).

This file is plain numpy with no imports from the course package, so that later assignments
can ship it to students as "the solutions to assignment 01".
"""
import numpy as np


def softmax(z):
    """Column-wise softmax. z: (n, m) -> (n, m), each column sums to 1."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def rnn_cell_forward(xt, a_prev, parameters):
    """One step of the RNN.

    Inputs:
    - xt: input at this step, (n_x, m)
    - a_prev: hidden state from the previous step, (n_a, m)
    - parameters: dict with Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1);
      without Wya and by, the cell is a hidden layer and makes no prediction

    Returns:
    - a_next: next hidden state, (n_a, m)
    - yt_pred: prediction at this step, (n_y, m), or None without Wya
    - cache: (a_next, a_prev, xt, parameters), for rnn_cell_backward
    """
    Wax, Waa, ba = parameters["Wax"], parameters["Waa"], parameters["ba"]
    a_next = np.tanh(Wax @ xt + Waa @ a_prev + ba)
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["by"]) if "Wya" in parameters else None
    cache = (a_next, a_prev, xt, parameters)
    return a_next, yt_pred, cache


def rnn_forward(x, a0, parameters):
    """The RNN over a whole sequence.

    Inputs:
    - x: inputs at every step, (n_x, m, T_x)
    - a0: initial hidden state, (n_a, m)
    - parameters: as for rnn_cell_forward

    Returns:
    - a: hidden states at every step, (n_a, m, T_x)
    - y_pred: predictions at every step, (n_y, m, T_x), or None without Wya
    - caches: (list of the T_x cell caches, x), for rnn_backward
    """
    n_x, m, T_x = x.shape
    n_a = parameters["Waa"].shape[0]
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((parameters["Wya"].shape[0], m, T_x)) if "Wya" in parameters else None
    cell_caches = []
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        if y_pred is not None:
            y_pred[:, :, t] = yt_pred
        cell_caches.append(cache)
    return a, y_pred, (cell_caches, x)


def rnn_cell_backward(da_next, cache):
    """Backward pass of one RNN step.

    Inputs:
    - da_next: gradient of the loss with respect to a_next, (n_a, m)
    - cache: from rnn_cell_forward

    Returns a dict with:
    - dxt: gradient with respect to xt, (n_x, m)
    - da_prev: gradient with respect to a_prev, (n_a, m)
    - dWax (n_a, n_x), dWaa (n_a, n_a), dba (n_a, 1): parameter gradients, summed over the batch
    """
    a_next, a_prev, xt, parameters = cache
    Wax, Waa = parameters["Wax"], parameters["Waa"]
    dz = (1 - a_next ** 2) * da_next          # through tanh: d tanh(z)/dz = 1 - tanh(z)^2
    return {
        "dxt": Wax.T @ dz,
        "da_prev": Waa.T @ dz,
        "dWax": dz @ xt.T,
        "dWaa": dz @ a_prev.T,
        "dba": dz.sum(axis=1, keepdims=True),
    }


def rnn_backward(da, caches):
    """Backpropagation through time for the whole sequence.

    Inputs:
    - da: upstream gradient of every hidden state, (n_a, m, T_x). It does not include the
      recurrent part; that is added here, step by step.
    - caches: from rnn_forward

    Returns a dict with:
    - dx: gradient with respect to every input, (n_x, m, T_x)
    - da0: gradient with respect to the initial hidden state, (n_a, m)
    - dWax (n_a, n_x), dWaa (n_a, n_a), dba (n_a, 1): summed over the batch and over time
    """
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        # a<t> feeds both the output at step t (da[:, :, t]) and the next step (da_prevt)
        grads = rnn_cell_backward(da[:, :, t] + da_prevt, cell_caches[t])
        dx[:, :, t] = grads["dxt"]
        da_prevt = grads["da_prev"]
        dWax += grads["dWax"]
        dWaa += grads["dWaa"]
        dba += grads["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}
