"""A correct solution written differently: the four gates stacked into one (4 n_a, n_a + n_x)
matrix, so that each step does one matrix product forward and one backward."""
import numpy as np


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    n_a = a_prev.shape[0]
    W = np.vstack([parameters["Wf"], parameters["Wi"], parameters["Wc"], parameters["Wo"]])
    b = np.vstack([parameters["bf"], parameters["bi"], parameters["bc"], parameters["bo"]])
    Z = W @ np.vstack([a_prev, xt]) + b
    ft, it, ot = (1 / (1 + np.exp(-Z[k * n_a:(k + 1) * n_a])) for k in (0, 1, 3))
    cct = np.tanh(Z[2 * n_a:3 * n_a])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(parameters["Wy"] @ a_next + parameters["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)


def lstm_forward(x, a0, parameters):
    a_t, c_t = a0, np.zeros_like(a0)
    states, cells, preds, caches = [], [], [], []
    for t in range(x.shape[2]):
        a_t, c_t, y_t, cache = lstm_cell_forward(x[:, :, t], a_t, c_t, parameters)
        states.append(a_t)
        cells.append(c_t)
        preds.append(y_t)
        caches.append(cache)
    return np.stack(states, axis=2), np.stack(preds, axis=2), np.stack(cells, axis=2), (caches, x)


def lstm_cell_backward(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    W = np.vstack([parameters["Wf"], parameters["Wi"], parameters["Wc"], parameters["Wo"]])
    tanh_c = np.tanh(c_next)
    dc = dc_next + da_next * ot * (1 - tanh_c ** 2)
    dZ = np.vstack([dc * c_prev * ft * (1 - ft),
                    dc * cct * it * (1 - it),
                    dc * it * (1 - cct ** 2),
                    da_next * tanh_c * ot * (1 - ot)])          # (4 n_a, m)
    dW = dZ @ np.vstack([a_prev, xt]).T
    db = dZ.sum(axis=1, keepdims=True)
    dconcat = W.T @ dZ
    gradients = {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft}
    for k, gate in enumerate("fico"):
        gradients["dW" + gate] = dW[k * n_a:(k + 1) * n_a]
        gradients["db" + gate] = db[k * n_a:(k + 1) * n_a]
    return gradients


def lstm_backward(da, caches):
    cell_caches, x = caches
    names = ["dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"]
    total = {}
    dx = np.empty(x.shape)
    da_carry = np.zeros(da.shape[:2])
    dc_carry = np.zeros(da.shape[:2])
    t = x.shape[2] - 1
    while t >= 0:
        g = lstm_cell_backward(da[:, :, t] + da_carry, dc_carry, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_carry, dc_carry = g["da_prev"], g["dc_prev"]
        for k in names:
            total[k] = total[k] + g[k] if k in total else g[k].copy()
        t -= 1
    return {"dx": dx, "da0": da_carry, **total}
