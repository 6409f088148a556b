"""A correct solution written differently: einsum, and a forward pass without the cell function."""
import numpy as np


def rnn_cell_forward(xt, a_prev, parameters):
    z = np.einsum("ij,jm->im", parameters["Wax"], xt) + np.einsum("ij,jm->im", parameters["Waa"], a_prev) + parameters["ba"]
    a_next = np.tanh(z)
    logits = np.einsum("ij,jm->im", parameters["Wya"], a_next) + parameters["by"]
    e = np.exp(logits - logits.max(axis=0))
    return a_next, e / e.sum(axis=0), (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters):
    T_x = x.shape[2]
    states, preds, caches = [], [], []
    a_t = a0
    for t in range(T_x):
        a_t, y_t, c = rnn_cell_forward(x[..., t], a_t, parameters)
        states.append(a_t)
        preds.append(y_t)
        caches.append(c)
    return np.stack(states, axis=-1), np.stack(preds, axis=-1), (caches, x)


def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = da_next * (1.0 - np.square(a_next))
    return {"dxt": np.einsum("ji,jm->im", parameters["Wax"], dz),
            "da_prev": np.einsum("ji,jm->im", parameters["Waa"], dz),
            "dWax": np.einsum("im,jm->ij", dz, xt),
            "dWaa": np.einsum("im,jm->ij", dz, a_prev),
            "dba": np.einsum("im->i", dz)[:, None]}


def rnn_backward(da, caches):
    cell_caches, x = caches
    T_x = x.shape[2]
    grads = [None] * T_x
    carry = np.zeros_like(da[:, :, 0])
    for t in range(T_x - 1, -1, -1):
        grads[t] = rnn_cell_backward(da[:, :, t] + carry, cell_caches[t])
        carry = grads[t]["da_prev"]
    return {"dx": np.stack([g["dxt"] for g in grads], axis=2), "da0": carry,
            **{k: sum(g[k] for g in grads) for k in ("dWax", "dWaa", "dba")}}
