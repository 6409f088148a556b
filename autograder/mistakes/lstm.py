"""Known mistakes in the LSTM of assignment 02: mostly in lstm_cell_backward and lstm_backward,
and three in the forward pass.

Each is a whole wrong function, pasted into a notebook under the API name, so it may use only
numpy and what the notebook defines (sigmoid, softmax, lstm_cell_backward).
"""
import numpy as np

from ..reference.lstm import lstm_cell_backward, lstm_cell_forward, sigmoid, softmax
from ..student.bptt_utils import lstm_parameters
from . import mistake, pattern

PARAMS = ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")
CELL_ALL = ("dxt", "da_prev", "dc_prev") + PARAMS
SEQ_ALL = ("dx", "da0") + PARAMS


# ---- lstm_cell_forward and lstm_forward ----------------------------------------------------

@mistake("lstm_cell_forward", wrong=("a_next", "c_next", "yt_pred", "cache"),
         hint="concat stacks xt first; the weights expect a_prev first: concat = [a_prev; xt], "
              "np.concatenate([a_prev, xt], axis=0)")
def concat_with_xt_first(xt, a_prev, c_prev, parameters):
    p = parameters
    concat = np.concatenate([xt, a_prev], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)


@mistake("lstm_forward", wrong=("a", "y", "c", "caches"),
         hint="the cell state starts at a0; only the hidden state starts at a0, the cell state "
              "starts at zeros: c_next = np.zeros((n_a, m)) before the loop")
def cell_state_starts_at_a0(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    a, c, y = np.zeros((n_a, m, T_x)), np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x))
    caches = []
    a_next, c_next = a0, a0
    for t in range(T_x):
        a_next, c_next, y[:, :, t], cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t] = a_next, c_next
        caches.append(cache)
    return a, y, c, (caches, x)


@mistake("lstm_forward", wrong=("caches",),
         hint="the cell caches are never collected, so lstm_backward gets none: append the cache of "
              "every time step (caches.append(cache)), for caches = (list of the T_x cell caches, x)")
def lstm_cell_caches_not_appended(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    a, c, y = np.zeros((n_a, m, T_x)), np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x))
    caches = []
    a_next, c_next = a0, np.zeros((n_a, m))
    for t in range(T_x):
        a_next, c_next, y[:, :, t], cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t] = a_next, c_next
    return a, y, c, (caches, x)


# ---- lstm_cell_backward ------------------------------------------------------------------

@mistake("lstm_cell_backward", wrong=("dc_prev",),
         hint="dc_prev misses the route through a_next. c_next reaches the loss twice: directly "
              "(dc_next) and through a_next = ot * tanh(c_next). Add both, "
              "dc = dc_next + da_next * ot * (1 - tanh(c_next)**2), then dc_prev = dc * ft")
def dc_prev_missing_da_next_route(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc_next * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc"),
         hint="the gradient of c_next is only dc_next: it misses the route through "
              "a_next = ot * tanh(c_next). Use dc = dc_next + da_next * ot * (1 - tanh(c_next)**2) "
              "for the forget gate, the update gate, the candidate and dc_prev")
def dc_missing_da_next_route(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc"),
         hint="the gradient of c_next leaves out dc_next, the gradient coming from the next time "
              "step's cell state: dc = dc_next + da_next * ot * (1 - tanh(c_next)**2)")
def dc_missing_dc_next(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dWf", "dbf"),
         hint="the forget gate's gradient uses c_next; the forget gate multiplies c_prev "
              "(c_next = ft * c_prev + it * cct), so dft = dc * c_prev")
def forget_gate_uses_c_next(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_next * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dc_prev") + PARAMS[:6],
         hint="the route from a_next into c_next skips the tanh derivative: a_next = ot * tanh(c_next), "
              "so it contributes da_next * ot * (1 - tanh(c_next)**2) to dc")
def tanh_derivative_of_c_next_missing(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dWc", "dbc"),
         hint="the candidate's gradient skips the tanh derivative: cct = tanh(zc), so "
              "dzc = dc * it * (1 - cct**2)")
def candidate_tanh_derivative_missing(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dWo", "dbo"),
         hint="the output gate's gradient skips the sigmoid derivative: ot = sigmoid(zo), so "
              "dzo = da_next * tanh(c_next) * ot * (1 - ot)")
def output_gate_sigmoid_derivative_missing(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dWc", "dbc"),
         hint="tanh is applied twice in the candidate's gradient: cct is already tanh(zc), so its derivative "
              "is 1 - cct**2; 1 - np.tanh(cct)**2 takes the tanh of cct once more")
def candidate_tanh_applied_twice(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - np.tanh(cct) ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dc_prev") + PARAMS[:6],
         hint="tanh is applied twice on the route from a_next into c_next: with tanh_c = np.tanh(c_next), "
              "the derivative of tanh(c_next) is 1 - tanh_c**2; 1 - np.tanh(tanh_c)**2 takes the tanh once more")
def cell_state_tanh_applied_twice(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(np.tanh(c_next)) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dWc", "dbc"),
         hint="the candidate's gradient uses sigmoid's derivative, cct * (1 - cct); the candidate is a tanh, "
              "cct = tanh(zc), so dzc = dc * it * (1 - cct**2). Sigmoid's derivative belongs to the three gates")
def candidate_with_sigmoid_derivative(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * cct * (1 - cct)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dWf", "dbf", "dWi", "dbi", "dWo", "dbo"),
         hint="the gates' gradients use tanh's derivative, 1 - g**2; the gates are sigmoids, so each takes "
              "g * (1 - g): dzf = dft * ft * (1 - ft), and likewise for it and ot. Tanh's belongs to the candidate")
def gates_with_tanh_derivative(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * (1 - ft ** 2)
    dzi = dc * cct * (1 - it ** 2)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * (1 - ot ** 2)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev") + PARAMS,
         hint="sigmoid's and tanh's derivatives are swapped: the gates ft, it, ot are sigmoids, each with "
              "derivative g * (1 - g); the candidate cct is a tanh, with derivative 1 - cct**2")
def sigmoid_and_tanh_derivatives_swapped(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * (1 - ft ** 2)
    dzi = dc * cct * (1 - it ** 2)
    dzc = dc * it * cct * (1 - cct)
    dzo = da_next * np.tanh(c_next) * (1 - ot ** 2)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dWi", "dbi"),
         hint="the update gate's gradient skips the sigmoid derivative: it = sigmoid(zi), so "
              "dzi = dit * it * (1 - it)")
def update_gate_sigmoid_derivative_missing(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dxt", "da_prev", "dWf", "dbf"),
         hint="the forget gate's gradient skips the sigmoid derivative: ft = sigmoid(zf), so "
              "dzf = dft * ft * (1 - ft)")
def forget_gate_sigmoid_derivative_missing(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


# The notebook's global of its visible tests, as they leave it for the graded cells of
# lstm_cell_backward: a function that reads it passes the visible tests, which call it with these
# very parameters, and fails on the hidden cases, whose parameters differ (or whose shapes do).
parameters_tmp = lstm_parameters(n_x=3, n_a=5, n_y=2, seed=1)


@mistake("lstm_cell_backward", wrong=CELL_ALL,
         hint="the weights come from parameters_tmp, a global of the notebook's visible tests, and not from "
              "the cache: the visible tests pass only because they use those very parameters. Take "
              "Wf, Wi, Wc and Wo from the parameters in the cache")
def lstm_weights_from_the_notebooks_global(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters_tmp
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}



@mistake("lstm_cell_backward", wrong=("dxt", "da_prev"),
         hint="the a_prev and xt parts of the weights are swapped. concat = [a_prev; xt] puts a_prev "
              "first, so the first n_a columns of each W multiply a_prev: "
              "da_prev = sum of W[:, :n_a].T @ dz, dxt = sum of W[:, n_a:].T @ dz")
def weight_slices_swapped(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_x = xt.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([a_prev, xt], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[:n_x], "da_prev": dconcat[n_x:], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


@mistake("lstm_cell_backward", wrong=("dWf", "dWi", "dWc", "dWo"),
         hint="the weight gradients use [xt; a_prev]; the forward pass stacks a_prev first, "
              "concat = [a_prev; xt], so dW = dz @ concat.T with that same concat")
def weight_gradients_with_xt_first(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dzf = dc * c_prev * ft * (1 - ft)
    dzi = dc * cct * it * (1 - it)
    dzc = dc * it * (1 - cct ** 2)
    dzo = da_next * np.tanh(c_next) * ot * (1 - ot)
    concat = np.concatenate([xt, a_prev], axis=0)
    W = parameters
    dconcat = W["Wf"].T @ dzf + W["Wi"].T @ dzi + W["Wc"].T @ dzc + W["Wo"].T @ dzo
    return {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft,
            "dWf": dzf @ concat.T, "dbf": dzf.sum(axis=1, keepdims=True),
            "dWi": dzi @ concat.T, "dbi": dzi.sum(axis=1, keepdims=True),
            "dWc": dzc @ concat.T, "dbc": dzc.sum(axis=1, keepdims=True),
            "dWo": dzo @ concat.T, "dbo": dzo.sum(axis=1, keepdims=True)}


# where to look, when no mistake above explains which gradients of lstm_cell_backward are wrong
pattern("lstm_cell_backward", ("dxt", "da_prev", "dc_prev") + PARAMS[:6],
        "every gradient but the output gate's is wrong, dc_prev too: look at dc, the gradient of c_next, first: "
        "it adds its two routes, dc_next and the one through a_next = ot * tanh(c_next)")
pattern("lstm_cell_backward", ("dxt", "da_prev", "dWo", "dbo"),
        "of the gates, only the output gate's gradients are wrong: look at dot and dzo")
pattern("lstm_cell_backward", ("dxt", "da_prev", "dWf", "dbf"),
        "of the gates, only the forget gate's gradients are wrong: look at dft and dzf")
pattern("lstm_cell_backward", ("dxt", "da_prev", "dWi", "dbi"),
        "of the gates, only the update gate's gradients are wrong: look at dit and dzi")
pattern("lstm_cell_backward", ("dxt", "da_prev", "dWc", "dbc"),
        "only the candidate's gradients are wrong: look at dcct and dzc")
pattern("lstm_cell_backward", ("dxt", "da_prev", "dWf", "dbf", "dWi", "dbi", "dWo", "dbo"),
        "the three gates' gradients are wrong and the candidate's are right: look at what the gates share, "
        "the derivative of their sigmoid")
pattern("lstm_cell_backward", ("dxt", "da_prev"),
        "only dxt and da_prev are wrong, so every dz is right: look at dconcat, the sum of the four W.T @ dz, "
        "and how it is split between a_prev and xt")
pattern("lstm_cell_backward", ("dWf", "dWi", "dWc", "dWo"),
        "only the four weight gradients are wrong, so every dz is right: look at the concat that they multiply")


# ---- lstm_backward -----------------------------------------------------------------------

@mistake("lstm_backward", wrong=SEQ_ALL,
         hint="dc_prev is not carried back through time: each step's cell must get the dc_prev "
              "returned by step t+1 as its dc_next (zeros only after the last step)")
def dc_prev_not_carried(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    grads = {k: np.zeros_like(cell_caches[0][9][k[1:]]) for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")}
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = lstm_cell_backward(da[:, :, t] + da_prevt, np.zeros((n_a, m)), cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt = g["da_prev"]
        for k in grads:
            grads[k] += g[k]
    return {"dx": dx, "da0": da_prevt, **grads}


@mistake("lstm_backward", wrong=SEQ_ALL,
         hint="da_prev is not carried back through time: at step t the cell's da_next is "
              "da[:, :, t] + da_prevt, where da_prevt came from step t+1")
def lstm_da_prev_not_carried(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    grads = {k: np.zeros_like(cell_caches[0][9][k[1:]]) for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")}
    dc_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = lstm_cell_backward(da[:, :, t], dc_prevt, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        dc_prevt = g["dc_prev"]
        for k in grads:
            grads[k] += g[k]
    return {"dx": dx, "da0": g["da_prev"], **grads}


@mistake("lstm_backward", wrong=SEQ_ALL,
         hint="the carried gradients are swapped: da_prev from step t+1 belongs to da_next "
              "(with da[:, :, t]) and dc_prev to dc_next")
def carried_gradients_swapped(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    grads = {k: np.zeros_like(cell_caches[0][9][k[1:]]) for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")}
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt, dc_prevt = g["dc_prev"], g["da_prev"]
        for k in grads:
            grads[k] += g[k]
    return {"dx": dx, "da0": dc_prevt, **grads}


@mistake("lstm_backward", wrong=SEQ_ALL,
         hint="the upstream gradient da[:, :, t] is fed in as the cell state's gradient; da is the "
              "gradient of the hidden states a, so it belongs in da_next: "
              "lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, caches[t])")
def upstream_da_fed_as_dc(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    grads = {k: np.zeros_like(cell_caches[0][9][k[1:]]) for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")}
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = lstm_cell_backward(da_prevt, da[:, :, t] + dc_prevt, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt, dc_prevt = g["da_prev"], g["dc_prev"]
        for k in grads:
            grads[k] += g[k]
    return {"dx": dx, "da0": da_prevt, **grads}


@mistake("lstm_backward", wrong=PARAMS,
         hint="the parameter gradients are overwritten at each step; the same weights are used at "
              "every step, so their gradients add up: dWf += gradients['dWf'], and so on")
def lstm_parameter_gradients_overwritten(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    grads = {}
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt, dc_prevt = g["da_prev"], g["dc_prev"]
        for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"):
            grads[k] = g[k]
    return {"dx": dx, "da0": da_prevt, **grads}


# where to look, when no mistake above explains which gradients of lstm_backward are wrong (its
# cell is the correct one while it is graded)
pattern("lstm_backward", SEQ_ALL,
        "every gradient is wrong: look at what each step's cell is given, da_next = da[:, :, t] plus the "
        "da_prev carried from step t+1, and dc_next = the dc_prev carried from step t+1, and at the direction "
        "of the loop")
pattern("lstm_backward", PARAMS,
        "dx and da0 are right, so every step's cell gets the right gradients: look at how the parameter "
        "gradients of the steps add up")
