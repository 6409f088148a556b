"""Known mistakes in assignment 04: input_gradient, saliency, optimize_input, fgsm_perturbation.

Each is pasted into the notebook under the API name, where predict, readout_weights,
rnn_backward, lstm_backward and input_gradient are the notebook's own names.
"""
import numpy as np

from ..hidden.using_dx import DX, FGSM, OPT
from ..reference.adding_task import predict, readout_weights
from ..reference.lstm import lstm_backward
from ..reference.rnn import rnn_backward
from ..reference.using_dx import input_gradient
from . import mistake

BOTH_DX = (DX["rnn"], DX["lstm"])
GRADIENT, GXI = "gradient saliency", "gradient x input saliency"
ALL_OPT = tuple(k for kind in ("plain", "l2", "mask") for k in OPT[kind] if k)
L2_OPT = OPT["l2"]
ALL_FGSM = FGSM["plain"] + FGSM["edge"]


# ---- input_gradient ----------------------------------------------------------------------

@mistake("input_gradient", wrong=BOTH_DX,
         hint="the upstream gradient W.T @ dy is put at every step; only a<T_x> is read out, so "
              "da is W.T @ dy at the last step and zero before (rnn_backward adds the recurrent part itself)")
def upstream_gradient_at_every_step(x, model, dy):
    _, caches = predict(x, model)
    W = readout_weights(model)
    n_x, m, T_x = x.shape
    da = np.repeat((W.T @ dy)[:, :, None], T_x, axis=2)
    backward = rnn_backward if model["kind"] == "rnn" else lstm_backward
    return backward(da, caches)["dx"]



# ---- saliency ----------------------------------------------------------------------------

@mistake("saliency", wrong=(GRADIENT,),
         hint="the gradient saliency has no absolute value: sum np.abs(dx) over the features, so that "
              "a positive and a negative derivative do not cancel; importance has no sign")
def saliency_without_abs(x, model, method="gradient"):
    dx = input_gradient(x, model, np.ones((1, x.shape[1])))
    if method == "gradient":
        return dx.sum(axis=0)
    return np.abs((x * dx).sum(axis=0))


@mistake("saliency", wrong=(GXI,),
         hint="gradient x input sums x * dx over the features first, which is the step's first-order "
              "contribution to y_hat, then takes the absolute value: |sum x dx|, not sum |x dx|")
def gradient_x_input_abs_inside(x, model, method="gradient"):
    dx = input_gradient(x, model, np.ones((1, x.shape[1])))
    if method == "gradient":
        return np.abs(dx).sum(axis=0)
    return np.abs(x * dx).sum(axis=0)


@mistake("saliency", wrong=(GXI,),
         hint="x is multiplied by dx reversed in time; BPTT loops backwards but stores each step's "
              "gradient at its own index, so dx[:, :, t] goes with x[:, :, t]")
def gradient_x_input_time_reversed(x, model, method="gradient"):
    dx = input_gradient(x, model, np.ones((1, x.shape[1])))
    if method == "gradient":
        return np.abs(dx).sum(axis=0)
    return np.abs((x * dx[:, :, ::-1]).sum(axis=0))



# ---- optimize_input ----------------------------------------------------------------------

@mistake("optimize_input", wrong=ALL_OPT,
         hint="the step goes up the gradient; to decrease J, step against it: x = x - lr * dJ/dx")
def gradient_ascent(x0, model, target, n_steps=100, lr=0.1, l2=0.0, mask=None):
    mask = np.ones_like(x0) if mask is None else mask
    x = x0.copy()
    history = []
    for _ in range(n_steps):
        y_hat = predict(x, model)[0]
        history.append(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))
        dx = input_gradient(x, model, 2 * (y_hat - target)) + 2 * l2 * (x - x0)
        x = x + lr * mask * dx
    y_hat = predict(x, model)[0]
    history.append(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))
    return x, np.array(history)


@mistake("optimize_input", wrong=L2_OPT,
         hint="the penalty l2 * ||x - x0||^2 is in J but not in its gradient: add 2 * l2 * (x - x0) to dJ/dx")
def l2_gradient_forgotten(x0, model, target, n_steps=100, lr=0.1, l2=0.0, mask=None):
    mask = np.ones_like(x0) if mask is None else mask
    x = x0.copy()
    history = []
    for _ in range(n_steps):
        y_hat = predict(x, model)[0]
        history.append(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))
        dx = input_gradient(x, model, 2 * (y_hat - target))
        x = x - lr * mask * dx
    y_hat = predict(x, model)[0]
    history.append(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))
    return x, np.array(history)



@mistake("optimize_input", wrong=ALL_OPT,
         hint="dJ/dy_hat of (y_hat - target)^2 is 2 * (y_hat - target); the factor 2 is missing")
def objective_gradient_without_factor_2(x0, model, target, n_steps=100, lr=0.1, l2=0.0, mask=None):
    mask = np.ones_like(x0) if mask is None else mask
    x = x0.copy()
    history = []
    for _ in range(n_steps):
        y_hat = predict(x, model)[0]
        history.append(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))
        dx = input_gradient(x, model, y_hat - target) + 2 * l2 * (x - x0)
        x = x - lr * mask * dx
    y_hat = predict(x, model)[0]
    history.append(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))
    return x, np.array(history)


@mistake("optimize_input", wrong=(OPT["mask"][0],),
         hint="the mask is ignored: multiply the step by it, x = x - lr * mask * dJ/dx, so that the "
              "entries where it is 0 never change")
def mask_ignored(x0, model, target, n_steps=100, lr=0.1, l2=0.0, mask=None):
    x = x0.copy()
    history = []
    for _ in range(n_steps):
        y_hat = predict(x, model)[0]
        history.append(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))
        dx = input_gradient(x, model, 2 * (y_hat - target)) + 2 * l2 * (x - x0)
        x = x - lr * dx
    y_hat = predict(x, model)[0]
    history.append(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))
    return x, np.array(history)



@mistake("optimize_input", wrong=ALL_OPT,
         hint="x0 was changed: after x = x0 both names refer to one array, and x -= ... changes x0 "
              "too (and the penalty x - x0 stays 0); start from x = x0.copy()")
def x0_modified_in_place(x0, model, target, n_steps=100, lr=0.1, l2=0.0, mask=None):
    mask = np.ones_like(x0) if mask is None else mask
    x = x0
    history = []
    for _ in range(n_steps):
        y_hat = predict(x, model)[0]
        history.append(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))
        dx = input_gradient(x, model, 2 * (y_hat - target)) + 2 * l2 * (x - x0)
        x -= lr * mask * dx
    y_hat = predict(x, model)[0]
    history.append(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))
    return x, np.array(history)


# ---- fgsm_perturbation -------------------------------------------------------------------

@mistake("fgsm_perturbation", wrong=ALL_FGSM,
         hint="the step follows the raw gradient; the fast gradient sign method moves every entry by "
              "the same eps, along np.sign(dy_hat/dx)")
def fgsm_without_sign(x, model, shift, step=0.01, max_eps=1.0):
    m = x.shape[1]
    y0 = predict(x, model)[0][0]
    d = np.sign(shift) * input_gradient(x, model, np.ones((1, m)))
    eps = np.full(m, np.inf)
    x_adv = x.copy()
    for k in range(1, int(round(max_eps / step)) + 1):
        moved = predict(x + k * step * d, model)[0][0] - y0
        new = (np.sign(shift) * moved >= abs(shift)) & np.isinf(eps)
        eps[new] = k * step
        x_adv[:, new] = x[:, new] + k * step * d[:, new]
    return x_adv, eps


@mistake("fgsm_perturbation", wrong=ALL_FGSM,
         hint="one eps serves the whole batch; each sequence has its own prediction, so each gets the "
              "smallest eps that shifts its own y_hat (eps has shape (m,))")
def fgsm_one_eps_for_the_batch(x, model, shift, step=0.01, max_eps=1.0):
    m = x.shape[1]
    y0 = predict(x, model)[0][0]
    d = np.sign(shift) * np.sign(input_gradient(x, model, np.ones((1, m))))
    for k in range(1, int(round(max_eps / step)) + 1):
        moved = predict(x + k * step * d, model)[0][0] - y0
        if np.all(np.sign(shift) * moved >= abs(shift)):
            return x + k * step * d, np.full(m, k * step)
    return x.copy(), np.full(m, np.inf)


@mistake("fgsm_perturbation", wrong=FGSM["plain"],
         hint="max_eps itself is never tried: the steps tried are step, 2 step, ... up to max_eps "
              "included, k * step for k = 1 to int(round(max_eps / step)); int(max_eps / step) "
              "truncates 0.29 / 0.01 = 28.999999999999996 to 28, and range(1, n) stops at n - 1")
def fgsm_max_eps_not_tried(x, model, shift, step=0.01, max_eps=1.0):
    m = x.shape[1]
    y0 = predict(x, model)[0][0]
    d = np.sign(shift) * np.sign(input_gradient(x, model, np.ones((1, m))))
    eps = np.full(m, np.inf)
    x_adv = x.copy()
    for k in range(1, int(max_eps / step) + 1):
        moved = predict(x + k * step * d, model)[0][0] - y0
        new = (np.sign(shift) * moved >= abs(shift)) & np.isinf(eps)
        eps[new] = k * step
        x_adv[:, new] = x[:, new] + k * step * d[:, new]
    return x_adv, eps


@mistake("fgsm_perturbation", wrong=FGSM["plain"],
         hint="an input whose gradient is exactly 0 does not change the prediction, and stays where it "
              "is: np.sign(0) is 0, but np.where(g >= 0, 1, -1) moves it by eps anyway")
def fgsm_zero_gradient_moved(x, model, shift, step=0.01, max_eps=1.0):
    m = x.shape[1]
    y0 = predict(x, model)[0][0]
    d = np.sign(shift) * np.where(input_gradient(x, model, np.ones((1, m))) >= 0, 1.0, -1.0)
    eps = np.full(m, np.inf)
    x_adv = x.copy()
    for k in range(1, int(round(max_eps / step)) + 1):
        moved = predict(x + k * step * d, model)[0][0] - y0
        new = (np.sign(shift) * moved >= abs(shift)) & np.isinf(eps)
        eps[new] = k * step
        x_adv[:, new] = x[:, new] + k * step * d[:, new]
    return x_adv, eps


@mistake("fgsm_perturbation", wrong=FGSM["edge"],
         hint="a negative shift is treated as a positive one; to lower y_hat, step against the gradient "
              "(d = sign(shift) * sign(dy_hat/dx)) until y_hat(x_adv) - y_hat(x) <= shift")
def fgsm_ignores_shift_sign(x, model, shift, step=0.01, max_eps=1.0):
    m = x.shape[1]
    y0 = predict(x, model)[0][0]
    d = np.sign(input_gradient(x, model, np.ones((1, m))))
    eps = np.full(m, np.inf)
    x_adv = x.copy()
    for k in range(1, int(round(max_eps / step)) + 1):
        moved = predict(x + k * step * d, model)[0][0] - y0
        new = (moved >= shift) & np.isinf(eps)
        eps[new] = k * step
        x_adv[:, new] = x[:, new] + k * step * d[:, new]
    return x_adv, eps


@mistake("fgsm_perturbation", wrong=FGSM["edge"],
         hint="a sequence that no eps up to max_eps shifts enough keeps eps = np.inf and x_adv = x; "
              "it must not get the largest step tried")
def fgsm_unreachable_left_at_max_eps(x, model, shift, step=0.01, max_eps=1.0):
    m = x.shape[1]
    y0 = predict(x, model)[0][0]
    d = np.sign(shift) * np.sign(input_gradient(x, model, np.ones((1, m))))
    n = int(round(max_eps / step))
    eps = np.full(m, n * step)
    x_adv = x + n * step * d
    done = np.zeros(m, dtype=bool)
    for k in range(1, n + 1):
        moved = predict(x + k * step * d, model)[0][0] - y0
        new = (np.sign(shift) * moved >= abs(shift)) & ~done
        eps[new] = k * step
        x_adv[:, new] = x[:, new] + k * step * d[:, new]
        done |= new
    return x_adv, eps
