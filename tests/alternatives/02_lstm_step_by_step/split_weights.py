"""A correct solution written differently: each weight matrix cut into its a_prev part and its
xt part, einsum for the products, and the sequence gradients summed at the end."""
import numpy as np


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    n_a = a_prev.shape[0]

    def pre(g):
        W = parameters["W" + g]
        return np.einsum("ij,jm->im", W[:, :n_a], a_prev) + np.einsum("ij,jm->im", W[:, n_a:], xt) + parameters["b" + g]
    ft, it, ot = sigmoid(pre("f")), sigmoid(pre("i")), sigmoid(pre("o"))
    cct = np.tanh(pre("c"))
    c_next = np.add(np.multiply(ft, c_prev), np.multiply(it, cct))
    a_next = np.multiply(ot, np.tanh(c_next))
    yt_pred = softmax(np.dot(parameters["Wy"], a_next) + parameters["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)


def lstm_forward(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_a = a0.shape[0]
    n_y = parameters["by"].shape[0]
    a, c, y = np.zeros((n_a, m, T_x)), np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x))
    caches = []
    a_prev, c_prev = a0.copy(), np.zeros((n_a, m))
    for t in range(T_x):
        a_prev, c_prev, y[..., t], cache = lstm_cell_forward(x[..., t], a_prev, c_prev, parameters)
        a[..., t], c[..., t] = a_prev, c_prev
        caches.append(cache)
    return a, y, c, (caches, x)


def lstm_cell_backward(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_prev.shape[0]
    dtanh = 1 - np.tanh(c_next) ** 2
    dc_total = dc_next + np.multiply(np.multiply(da_next, ot), dtanh)
    dz = {"f": dc_total * c_prev * ft * (1 - ft),
          "i": dc_total * cct * it * (1 - it),
          "c": dc_total * it * (1 - np.square(cct)),
          "o": da_next * np.tanh(c_next) * ot * (1 - ot)}
    gradients = {"dxt": np.zeros_like(xt), "da_prev": np.zeros_like(a_prev), "dc_prev": dc_total * ft}
    for g, d in dz.items():
        W = parameters["W" + g]
        gradients["da_prev"] += np.einsum("ji,jm->im", W[:, :n_a], d)
        gradients["dxt"] += np.einsum("ji,jm->im", W[:, n_a:], d)
        gradients["dW" + g] = np.hstack([np.einsum("im,jm->ij", d, a_prev), np.einsum("im,jm->ij", d, xt)])
        gradients["db" + g] = np.einsum("im->i", d).reshape(-1, 1)
    return gradients


def lstm_backward(da, caches):
    cell_caches, x = caches
    T_x = x.shape[2]
    per_step = [None] * T_x
    da_next, dc_next = np.zeros_like(da[:, :, 0]), np.zeros_like(da[:, :, 0])
    for t in range(T_x - 1, -1, -1):
        per_step[t] = lstm_cell_backward(da_next + da[:, :, t], dc_next, cell_caches[t])
        da_next, dc_next = per_step[t]["da_prev"], per_step[t]["dc_prev"]
    out = {"dx": np.stack([g["dxt"] for g in per_step], axis=-1), "da0": da_next}
    for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"):
        out[k] = sum(g[k] for g in per_step)
    return out
