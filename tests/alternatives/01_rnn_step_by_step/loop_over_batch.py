"""A correct solution written differently: one example at a time."""
import numpy as np


def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    Wax, Waa = parameters["Wax"], parameters["Waa"]
    n_a, m = da_next.shape
    dxt, da_prev = np.zeros_like(xt), np.zeros_like(a_prev)
    dWax, dWaa, dba = np.zeros_like(Wax), np.zeros_like(Waa), np.zeros((n_a, 1))
    for i in range(m):
        dz = (1 - a_next[:, i] ** 2) * da_next[:, i]
        dxt[:, i] = np.dot(Wax.T, dz)
        da_prev[:, i] = np.dot(Waa.T, dz)
        dWax += np.outer(dz, xt[:, i])
        dWaa += np.outer(dz, a_prev[:, i])
        dba[:, 0] += dz
    return {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}


def rnn_backward(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    gradients = {"dx": np.zeros((n_x, m, T_x)), "dWax": np.zeros((n_a, n_x)),
                 "dWaa": np.zeros((n_a, n_a)), "dba": np.zeros((n_a, 1))}
    da_next = np.zeros((n_a, m))
    t = T_x - 1
    while t >= 0:
        g = rnn_cell_backward(da_next + da[:, :, t], cell_caches[t])
        gradients["dx"][:, :, t] = g["dxt"]
        for k in ("dWax", "dWaa", "dba"):
            gradients[k] = gradients[k] + g[k]
        da_next = g["da_prev"]
        t -= 1
    gradients["da0"] = da_next
    return gradients
