"""Known mistakes of assignment 01: in the caches that rnn_cell_forward and rnn_forward return,
and in rnn_cell_backward and rnn_backward."""
import numpy as np

from ..reference.rnn import rnn_cell_backward, rnn_cell_forward, softmax
from ..student.bptt_utils import rnn_parameters
from . import mistake, pattern

PARAMS = ("dWax", "dWaa", "dba")
CELL_ALL = ("dxt", "da_prev") + PARAMS
SEQ_ALL = ("dx", "da0") + PARAMS


# ---- the caches of rnn_cell_forward and rnn_forward --------------------------------------

@mistake("rnn_cell_forward", wrong=("cache",),
         hint="the cache holds a_prev and a_next in the wrong order; rnn_cell_backward unpacks it by "
              "position, as cache = (a_next, a_prev, xt, parameters)")
def cache_states_swapped(xt, a_prev, parameters):
    a_next = np.tanh(parameters["Wax"] @ xt + parameters["Waa"] @ a_prev + parameters["ba"])
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["by"])
    return a_next, yt_pred, (a_prev, a_next, xt, parameters)


@mistake("rnn_forward", wrong=("caches",),
         hint="the cell caches are never collected, so rnn_backward gets none: append the cache of "
              "every time step (caches.append(cache)), for caches = (list of the T_x cell caches, x)")
def cell_caches_not_appended(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a, y_pred = np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x))
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t], y_pred[:, :, t] = a_next, yt_pred
    return a, y_pred, (caches, x)


# ---- rnn_cell_backward -------------------------------------------------------------------

@mistake("rnn_cell_backward", wrong=("da_prev",),
         hint="da_prev uses Waa without its transpose: the gradient flows back through Waa, "
              "so da_prev = Waa.T @ dz (Waa is square, so the shapes did not warn you)")
def da_prev_waa_not_transposed(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"] @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


@mistake("rnn_cell_backward", wrong=CELL_ALL,
         hint="the tanh derivative is 1 - tanh(z)**2 = 1 - a_next**2, not 1 - a_next")
def tanh_derivative_not_squared(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


@mistake("rnn_cell_backward", wrong=CELL_ALL,
         hint="the tanh derivative uses a_prev; it must use this step's output: 1 - a_next**2")
def tanh_derivative_of_a_prev(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_prev ** 2) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


@mistake("rnn_cell_backward", wrong=CELL_ALL,
         hint="the gradient skips the tanh: multiply da_next by the tanh derivative (1 - a_next**2) first")
def tanh_derivative_missing(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


@mistake("rnn_cell_backward", wrong=CELL_ALL,
         hint="tanh is applied twice: a_next is already tanh(z), so the tanh derivative is 1 - a_next**2; "
              "1 - np.tanh(a_next)**2 takes the tanh of a_next once more")
def tanh_applied_twice(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - np.tanh(a_next) ** 2) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


@mistake("rnn_cell_backward", wrong=CELL_ALL,
         hint="the derivative used is sigmoid's, a_next * (1 - a_next); the cell's activation is tanh, "
              "whose derivative is 1 - a_next**2")
def sigmoid_derivative_for_tanh(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = a_next * (1 - a_next) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


# The notebook's global of its visible tests, as they leave it for the graded cells of
# rnn_cell_backward: a function that reads it passes the visible tests, which call it with these
# very parameters, and fails on the hidden cases, whose parameters differ (or whose shapes do).
parameters_tmp = rnn_parameters(n_x=3, n_a=5, n_y=2, seed=1)


@mistake("rnn_cell_backward", wrong=CELL_ALL,
         hint="the weights come from parameters_tmp, a global of the notebook's visible tests, and not from "
              "the cache: the visible tests pass only because they use those very parameters. Take "
              "Wax and Waa from the parameters in the cache (a_next, a_prev, xt, parameters)")
def rnn_weights_from_the_notebooks_global(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    return {"dxt": parameters_tmp["Wax"].T @ dz, "da_prev": parameters_tmp["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


@mistake("rnn_cell_backward", wrong=("dba",),
         hint="dba is a mean over the batch; the loss sums over the examples, so sum: dz.sum(axis=1, keepdims=True)")
def dba_mean_over_batch(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.mean(axis=1, keepdims=True)}


@mistake("rnn_cell_backward", wrong=("dba",),
         hint="dba has lost its second axis: sum with keepdims=True so that it is (n_a, 1) like ba")
def dba_without_keepdims(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1)}


@mistake("rnn_cell_backward", wrong=("dWaa",),
         hint="dWaa uses a_next; Waa multiplies a_prev in the forward pass, so dWaa = dz @ a_prev.T")
def dwaa_uses_a_next(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_next.T, "dba": dz.sum(axis=1, keepdims=True)}


@mistake("rnn_cell_backward", wrong=("dWax", "dWaa"),
         hint="the weight gradients are transposed: dWax = dz @ xt.T has the shape of Wax, (n_a, n_x)")
def weight_gradients_transposed(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz,
            "dWax": xt @ dz.T, "dWaa": a_prev @ dz.T, "dba": dz.sum(axis=1, keepdims=True)}


@mistake("rnn_cell_backward", wrong=("dxt",),
         hint="dxt uses Waa; xt enters the cell through Wax, so dxt = Wax.T @ dz")
def dxt_uses_waa(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    return {"dxt": parameters["Waa"].T @ dz, "da_prev": parameters["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


# where to look, when no mistake above explains which gradients of rnn_cell_backward are wrong
pattern("rnn_cell_backward", CELL_ALL,
        "all five gradients are wrong: look at the gradient through tanh, dz, first; every one of them is "
        "computed from it")
pattern("rnn_cell_backward", ("dxt", "da_prev"),
        "dxt and da_prev are wrong but the parameter gradients are right, so dz is right: look at how dz goes "
        "back through the weights to xt and a_prev")
pattern("rnn_cell_backward", PARAMS,
        "the parameter gradients are wrong but dxt and da_prev are right, so dz is right: look at how dz is "
        "multiplied by the cell's inputs and summed over the m examples")


# ---- rnn_backward ------------------------------------------------------------------------

@mistake("rnn_backward", wrong=SEQ_ALL,
         hint="da_prev is not carried back through time: at step t the cell's upstream gradient "
              "is da[:, :, t] + da_prevt, where da_prevt came from step t+1")
def da_prev_not_carried(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
    for t in reversed(range(T_x)):
        g = rnn_cell_backward(da[:, :, t], cell_caches[t])
        dx[:, :, t] = g["dxt"]
        dWax += g["dWax"]
        dWaa += g["dWaa"]
        dba += g["dba"]
    return {"dx": dx, "da0": g["da_prev"], "dWax": dWax, "dWaa": dWaa, "dba": dba}


@mistake("rnn_backward", wrong=SEQ_ALL,
         hint="only the last step's upstream gradient da[:, :, -1] is used; every step t has its "
              "own da[:, :, t], to be added to the da_prev coming from step t+1")
def only_last_upstream_gradient(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
    da_prevt = da[:, :, T_x - 1]
    for t in reversed(range(T_x)):
        g = rnn_cell_backward(da_prevt, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt = g["da_prev"]
        dWax += g["dWax"]
        dWaa += g["dWaa"]
        dba += g["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}


@mistake("rnn_backward", wrong=PARAMS,
         hint="the parameter gradients are overwritten at each step; the same weights are used at "
              "every step, so their gradients add up: dWax += gradients['dWax']")
def parameter_gradients_overwritten(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = rnn_cell_backward(da[:, :, t] + da_prevt, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt = g["da_prev"]
        dWax, dWaa, dba = g["dWax"], g["dWaa"], g["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}


@mistake("rnn_backward", wrong=SEQ_ALL,
         hint="the loop runs forward in time; backpropagation starts at the last step, "
              "for t in reversed(range(T_x))")
def loop_forward_in_time(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in range(T_x):
        g = rnn_cell_backward(da[:, :, t] + da_prevt, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt = g["da_prev"]
        dWax += g["dWax"]
        dWaa += g["dWaa"]
        dba += g["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}


@mistake("rnn_backward", wrong=("da0",),
         hint="da0 is the gradient flowing into step 0's cell (da[:, :, 0] + da_prevt); "
              "it should be what comes out of that cell, gradients['da_prev']")
def da0_is_input_of_first_cell(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        da_next = da[:, :, t] + da_prevt
        g = rnn_cell_backward(da_next, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt = g["da_prev"]
        dWax += g["dWax"]
        dWaa += g["dWaa"]
        dba += g["dba"]
    return {"dx": dx, "da0": da_next, "dWax": dWax, "dWaa": dWaa, "dba": dba}


@mistake("rnn_backward", wrong=("dx",),
         hint="dx is stored at the wrong time index: the gradient of step t's cell belongs in dx[:, :, t]")
def dx_stored_reversed(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for i, t in enumerate(reversed(range(T_x))):
        g = rnn_cell_backward(da[:, :, t] + da_prevt, cell_caches[t])
        dx[:, :, i] = g["dxt"]
        da_prevt = g["da_prev"]
        dWax += g["dWax"]
        dWaa += g["dWaa"]
        dba += g["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}


@mistake("rnn_backward", wrong=("dx",),
         hint="dx is never filled in: store each step's gradients['dxt'] in dx[:, :, t]")
def dx_never_stored(da, caches):
    cell_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = rnn_cell_backward(da[:, :, t] + da_prevt, cell_caches[t])
        da_prevt = g["da_prev"]
        dWax += g["dWax"]
        dWaa += g["dWaa"]
        dba += g["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}


# where to look, when no mistake above explains which gradients of rnn_backward are wrong (its
# cell is the correct one while it is graded)
pattern("rnn_backward", SEQ_ALL,
        "every gradient is wrong: look at what each step's cell is given, da[:, :, t] plus the da_prev "
        "carried back from step t+1, and at the direction of the loop")
pattern("rnn_backward", PARAMS,
        "dx and da0 are right, so every step's cell gets the right gradient: look at how the parameter "
        "gradients of the steps add up")
