"""Reference solutions of assignment 04: what dx does for a trained, frozen model.

A model is {"kind": "rnn" or "lstm", "parameters": ...}, read out linearly at its last step
(see adding_task.py): y_hat = W @ a<T_x> + by, shape (n_y, m). Inputs are feature-major,
x (n_x, m, T_x). The weights never change here; only the input does.

    input_gradient      dJ/dx for any objective J of y_hat, given dJ/dy_hat
    saliency            per-step importance |dx| (Simonyan et al., 2014) or gradient x input
    optimize_input      gradient descent on x towards a target output, optional L2 penalty
    fgsm_perturbation   the smallest fast-gradient-sign step that shifts y_hat by a given amount

Plain numpy, built on the reference RNN and LSTM and the model of adding_task.py.
"""
import numpy as np

from .adding_task import predict, readout_weights
from .lstm import lstm_backward
from .rnn import rnn_backward


def input_gradient(x, model, dy):
    """The gradient of an objective J with respect to every input step, the weights frozen.

    Inputs:
    - x: inputs, (n_x, m, T_x)
    - model: {"kind", "parameters"}
    - dy: dJ/dy_hat, (n_y, m)

    Returns dx = dJ/dx, (n_x, m, T_x). Only a<T_x> is read out, so the upstream gradient of the
    hidden states is W.T @ dy at the last step and zero before; BPTT carries it back to every x<t>.
    """
    _, caches = predict(x, model)
    W = readout_weights(model)
    n_x, m, T_x = x.shape
    da = np.zeros((W.shape[1], m, T_x))
    da[:, :, -1] = W.T @ dy
    backward = rnn_backward if model["kind"] == "rnn" else lstm_backward
    return backward(da, caches)["dx"]


def saliency(x, model, method="gradient"):
    """How much each time step of each sequence matters to the model's own prediction.

    Inputs:
    - x: (n_x, m, T_x); model: a model with one output (n_y = 1)
    - method: "gradient": sum over features of |dy_hat/dx|, the sensitivity of the prediction;
              "gradient_x_input": |sum over features of x * dy_hat/dx|, the step's first-order
              contribution to the prediction

    Returns s, (m, T_x): one row per sequence, one column per time step, all >= 0.
    """
    dx = input_gradient(x, model, np.ones((1, x.shape[1])))
    if method == "gradient":
        return np.abs(dx).sum(axis=0)
    if method == "gradient_x_input":
        return np.abs((x * dx).sum(axis=0))
    raise ValueError(f"unknown method {method!r}")


def objective(x, x0, model, target, l2):
    """J(x) = sum over the batch of (y_hat - target)^2 + l2 * ||x - x0||^2."""
    y_hat = predict(x, model)[0]
    return float(np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2))


def optimize_input(x0, model, target, n_steps=100, lr=0.1, l2=0.0, mask=None):
    """Gradient descent on the input, the weights frozen, to bring y_hat to a target.

    Minimises J(x) = sum over the batch of (y_hat - target)^2 + l2 * ||x - x0||^2 with
    n_steps steps x <- x - lr * mask * dJ/dx, starting from x0.

    Inputs:
    - x0: starting inputs, (n_x, m, T_x); it is not modified
    - model: a model with one output; target: a number or an array of shape (1, m)
    - n_steps, lr: number and size of the steps; l2: weight of the penalty (0: none)
    - mask: None (every entry may change) or an array that broadcasts to x's shape, with 1
      where the input may change and 0 where it must not (for example (n_x, 1, 1))

    Returns:
    - x: the optimised inputs, (n_x, m, T_x)
    - history: J before each step and after the last one, (n_steps + 1,)
    """
    mask = np.ones_like(x0) if mask is None else mask
    x = x0.copy()
    history = np.zeros(n_steps + 1)
    for k in range(n_steps):
        y_hat = predict(x, model)[0]
        history[k] = np.sum((y_hat - target) ** 2) + l2 * np.sum((x - x0) ** 2)
        dx = input_gradient(x, model, 2 * (y_hat - target)) + 2 * l2 * (x - x0)
        x = x - lr * mask * dx
    history[n_steps] = objective(x, x0, model, target, l2)
    return x, history


def fgsm_perturbation(x, model, shift, step=0.01, max_eps=1.0):
    """The smallest fast-gradient-sign step that moves each prediction by `shift` or more.

    In the style of the fast gradient sign method (Goodfellow et al., 2015): one gradient, at x,
    gives the direction d = sign(shift) * sign(dy_hat/dx); every input entry moves by eps along
    it, x_adv = x + eps * d. For each sequence, eps is the smallest of step, 2 step, 3 step, ...
    up to max_eps such that y_hat(x_adv) - y_hat(x) >= shift (shift > 0) or <= shift (shift < 0).

    Inputs:
    - x: (n_x, m, T_x); model: a model with one output
    - shift: the change of prediction wanted, a non-zero number
    - step, max_eps: the grid of step sizes tried, k * step for k = 1 .. round(max_eps / step)
      (max_eps is a multiple of step; rounding absorbs floating point, 0.29 / 0.01 = 28.999...)

    Returns:
    - x_adv: perturbed inputs, (n_x, m, T_x); a sequence that no eps reaches is left as x
    - eps: the step size of each sequence, (m,); np.inf where none up to max_eps works
    """
    m = x.shape[1]
    y0 = predict(x, model)[0][0]
    d = np.sign(shift) * np.sign(input_gradient(x, model, np.ones((1, m))))
    eps = np.full(m, np.inf)
    x_adv = x.copy()
    for k in range(1, int(round(max_eps / step)) + 1):
        e = k * step
        moved = predict(x + e * d, model)[0][0] - y0
        new = (np.sign(shift) * moved >= abs(shift)) & np.isinf(eps)
        eps[new] = e
        x_adv[:, new] = x[:, new] + e * d[:, new]
        if np.all(np.isfinite(eps)):
            break
    return x_adv, eps
