"""Reference implementation of an LSTM, forward and backward.

Shapes are feature-major: xt (n_x, m), a and c (n_a, m); whole sequences add T_x as a last axis.
Each gate reads concat = [a_prev; xt], shape (n_a + n_x, m), a_prev first:

    ft  = sigmoid(Wf @ concat + bf)        forget gate   (Γf)
    it  = sigmoid(Wi @ concat + bi)        update gate   (Γu)
    cct = tanh(Wc @ concat + bc)           candidate     (c̃)
    ot  = sigmoid(Wo @ concat + bo)        output gate   (Γo)
    c_next = ft * c_prev + it * cct
    a_next = ot * tanh(c_next)
    yt     = softmax(Wy @ a_next + by)

Plain numpy, no imports from the course package, like rnn.py.
"""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    """Column-wise softmax. z: (n, m) -> (n, m), each column sums to 1."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    """One step of the LSTM.

    Inputs:
    - xt: input at this step, (n_x, m)
    - a_prev, c_prev: hidden and cell state from the previous step, (n_a, m) each
    - parameters: dict with Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf, bi, bc, bo (n_a, 1),
      Wy (n_y, n_a), by (n_y, 1)

    Returns:
    - a_next, c_next: next hidden and cell state, (n_a, m) each
    - yt_pred: prediction at this step, (n_y, m)
    - cache: (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    """
    p = parameters
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def lstm_forward(x, a0, parameters):
    """The LSTM over a whole sequence; the cell state starts at zero.

    Inputs:
    - x: (n_x, m, T_x); a0: (n_a, m); parameters: as for lstm_cell_forward

    Returns:
    - a: hidden states, (n_a, m, T_x)
    - y: predictions, (n_y, m, T_x)
    - c: cell states, (n_a, m, T_x)
    - caches: (list of the T_x cell caches, x)
    """
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))
    a_next, c_next = a0, np.zeros((n_a, m))
    cell_caches = []
    for t in range(T_x):
        a_next, c_next, y[:, :, t], cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t] = a_next, c_next
        cell_caches.append(cache)
    return a, y, c, (cell_caches, x)


def lstm_cell_backward(da_next, dc_next, cache):
    """Backward pass of one LSTM step.

    Inputs:
    - da_next, dc_next: gradients of the loss with respect to a_next and c_next, (n_a, m) each
    - cache: from lstm_cell_forward

    Returns a dict with:
    - dxt (n_x, m), da_prev (n_a, m), dc_prev (n_a, m)
    - dWf, dWi, dWc, dWo (n_a, n_a + n_x) and dbf, dbi, dbc, dbo (n_a, 1), summed over the batch
    """
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p = cache
    n_a = a_next.shape[0]
    tanh_c = np.tanh(c_next)
    # c_next reaches the loss directly (dc_next) and through a_next = ot * tanh(c_next)
    dc = dc_next + da_next * ot * (1 - tanh_c ** 2)
    # gradients at the gates' pre-activations: sigmoid' = s (1 - s), tanh' = 1 - tanh^2
    dzo = da_next * tanh_c * ot * (1 - ot)
    dzc = dc * it * (1 - cct ** 2)
    dzi = dc * cct * it * (1 - it)
    dzf = dc * c_prev * ft * (1 - ft)
    concat = np.concatenate([a_prev, xt], axis=0)
    dconcat = p["Wf"].T @ dzf + p["Wi"].T @ dzi + p["Wc"].T @ dzc + p["Wo"].T @ dzo
    grads = {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft}
    for gate, dz in (("f", dzf), ("i", dzi), ("c", dzc), ("o", dzo)):
        grads["dW" + gate] = dz @ concat.T
        grads["db" + gate] = dz.sum(axis=1, keepdims=True)
    return grads


def lstm_backward(da, caches):
    """Backpropagation through time for the LSTM.

    Inputs:
    - da: upstream gradient of every hidden state, (n_a, m, T_x); the recurrent part is added here
    - caches: from lstm_forward

    Returns a dict with dx (n_x, m, T_x), da0 (n_a, m), and dWf, dbf, dWi, dbi, dWc, dbc,
    dWo, dbo, summed over the batch and over time. The cell state's upstream gradient is zero
    at every step except through the recurrence (c is not an output).
    """
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    parameters = cell_caches[0][9]
    grads = {"d" + k: np.zeros_like(parameters[k]) for k in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")}
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt, dc_prevt = g["da_prev"], g["dc_prev"]
        for k in grads:
            grads[k] += g[k]
    return {"dx": dx, "da0": da_prevt, **grads}
