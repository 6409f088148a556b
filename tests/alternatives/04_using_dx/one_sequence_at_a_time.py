"""Correct solutions of assignment 04, written sequence by sequence with explicit loops."""


def input_gradient(x, model, dy):
    backward = {"rnn": rnn_backward, "lstm": lstm_backward}[model["kind"]]
    y_hat, caches = predict(x, model)
    W = readout_weights(model)
    zeros = np.zeros((W.shape[1], x.shape[1], x.shape[2] - 1))
    da = np.concatenate([zeros, (W.T @ dy)[:, :, np.newaxis]], axis=2)
    return backward(da, caches)["dx"]


def saliency(x, model, method="gradient"):
    n_x, m, T_x = x.shape
    s = np.zeros((m, T_x))
    for i in range(m):
        dx_i = input_gradient(x[:, i:i + 1], model, np.ones((1, 1)))[:, 0]
        for t in range(T_x):
            if method == "gradient":
                s[i, t] = sum(abs(dx_i[f, t]) for f in range(n_x))
            else:
                s[i, t] = abs(sum(x[f, i, t] * dx_i[f, t] for f in range(n_x)))
    return s


def optimize_input(x0, model, target, n_steps=100, lr=0.1, l2=0.0, mask=None):
    x = np.array(x0, copy=True)
    keep = 1.0 if mask is None else mask
    history = np.empty(n_steps + 1)
    for k in range(n_steps + 1):
        y_hat = predict(x, model)[0]
        error = y_hat - target
        history[k] = (error ** 2).sum() + l2 * np.linalg.norm((x - x0).ravel()) ** 2
        if k == n_steps:
            break
        grad = input_gradient(x, model, 2 * error)
        grad += 2 * l2 * (x - x0)
        x -= lr * keep * grad
    return x, history


def fgsm_perturbation(x, model, shift, step=0.01, max_eps=1.0):
    n_x, m, T_x = x.shape
    direction = np.sign(shift) * np.sign(input_gradient(x, model, np.ones((1, m))))
    x_adv, eps = x.copy(), np.full(m, np.inf)
    n_grid = int(round(max_eps / step))
    for i in range(m):
        xi, di = x[:, i:i + 1], direction[:, i:i + 1]
        y_i = predict(xi, model)[0][0, 0]
        for k in range(1, n_grid + 1):
            candidate = xi + (k * step) * di
            if np.sign(shift) * (predict(candidate, model)[0][0, 0] - y_i) >= abs(shift):
                x_adv[:, i:i + 1], eps[i] = candidate, k * step
                break
    return x_adv, eps
