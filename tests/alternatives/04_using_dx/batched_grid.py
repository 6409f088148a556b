"""Correct solutions of assignment 04, vectorised: einsum, and the whole eps grid in one batch."""


def input_gradient(x, model, dy):
    _, caches = predict(x, model)
    W = readout_weights(model)
    da = np.zeros((W.shape[1],) + x.shape[1:])
    da[..., x.shape[2] - 1] = np.einsum("ya,ym->am", W, dy)
    gradients = (rnn_backward if model["kind"] == "rnn" else lstm_backward)(da, caches)
    return gradients["dx"]


def saliency(x, model, method="gradient"):
    dx = input_gradient(x, model, np.ones((1, x.shape[1])))
    if method == "gradient_x_input":
        return np.abs(np.einsum("fmt,fmt->mt", x, dx))
    if method == "gradient":
        return np.einsum("fmt->mt", np.abs(dx))
    raise ValueError(method)


def optimize_input(x0, model, target, n_steps=100, lr=0.1, l2=0.0, mask=None):
    def J_and_grad(x):
        y_hat = predict(x, model)[0]
        J = np.sum(np.square(y_hat - target)) + l2 * np.sum(np.square(x - x0))
        return J, input_gradient(x, model, 2.0 * (y_hat - target)) + 2.0 * l2 * (x - x0)

    step_mask = np.ones(x0.shape) if mask is None else np.broadcast_to(mask, x0.shape)
    x, history = x0 + 0.0, []
    for _ in range(n_steps):
        J, grad = J_and_grad(x)
        history.append(J)
        x = x - lr * step_mask * grad
    history.append(J_and_grad(x)[0])
    return x, np.asarray(history)


def fgsm_perturbation(x, model, shift, step=0.01, max_eps=1.0):
    n_x, m, T_x = x.shape
    K = int(round(max_eps / step))
    grid = np.arange(1, K + 1) * step                              # (K,)
    d = np.sign(shift) * np.sign(input_gradient(x, model, np.ones((1, m))))
    # every (eps, sequence) pair as one batch of K * m sequences
    tried = x[:, None] + grid[None, :, None, None] * d[:, None]    # (n_x, K, m, T_x)
    y = predict(tried.reshape(n_x, K * m, T_x), model)[0].reshape(K, m)
    ok = np.sign(shift) * (y - predict(x, model)[0]) >= abs(shift)   # (K, m)
    found = ok.any(axis=0)
    first = ok.argmax(axis=0)
    eps = np.where(found, grid[first], np.inf)
    x_adv = np.where(found[None, :, None], x + np.where(found, grid[first], 0.0)[None, :, None] * d, x)
    return x_adv, eps
