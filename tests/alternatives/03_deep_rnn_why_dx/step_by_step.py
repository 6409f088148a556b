"""Assignment 03 one step at a time: loops over examples, time steps and layers, the stacked RNN
time-major (all layers at step t before step t+1) with assignment 01's cell functions."""


def softmax_loss_forward(a, Y, parameters):
    n_a, m, T_x = a.shape
    V = parameters["Wya"].shape[0]
    y_hat = np.zeros((V, m, T_x))
    loss = 0.0
    for t in range(T_x):
        z = parameters["Wya"] @ a[:, :, t] + parameters["by"]
        y_hat[:, :, t] = softmax(z)
        for i in range(m):
            loss += -np.log(y_hat[Y[i, t], i, t])
    return loss, y_hat, (a, y_hat, Y, parameters)


def softmax_loss_backward(cache):
    a, y_hat, Y, parameters = cache
    n_a, m, T_x = a.shape
    dy = np.array(y_hat)
    for i in range(m):
        for t in range(T_x):
            dy[Y[i, t], i, t] = dy[Y[i, t], i, t] - 1.0
    da = np.stack([parameters["Wya"].T @ dy[:, :, t] for t in range(T_x)], axis=2)
    dWya = sum(dy[:, :, t] @ a[:, :, t].T for t in range(T_x))
    dby = sum(dy[:, :, t].sum(axis=1, keepdims=True) for t in range(T_x))
    return {"dy": dy, "da": da, "dWya": dWya, "dby": dby}


def embedding_forward(idx, We):
    m, T_x = idx.shape
    x = np.zeros((We.shape[0], m, T_x))
    for i in range(m):
        for t in range(T_x):
            x[:, i, t] = We[:, idx[i, t]]
    return x, (idx, We)


def embedding_backward(dx, cache):
    idx, We = cache
    dWe = np.zeros(We.shape)
    m, T_x = idx.shape
    for i in range(m):
        for t in range(T_x):
            dWe[:, idx[i, t]] += dx[:, i, t]          # one column at a time: repeats add up
    return {"dWe": dWe}


def stacked_rnn_forward(x, a0, parameters):
    from rnn_utils import rnn_cell_forward
    L, n_a, m = a0.shape
    T_x = x.shape[2]
    a = np.zeros((L, n_a, m, T_x))
    cell_caches = [[] for _ in range(L)]
    state = [a0[l] for l in range(L)]
    for t in range(T_x):
        below = x[:, :, t]
        for l in range(L):
            state[l], _, cache = rnn_cell_forward(below, state[l], layer_parameters(parameters, l + 1))
            a[l, :, :, t] = state[l]
            cell_caches[l].append(cache)
            below = state[l]
    inputs = [x] + [a[l] for l in range(L - 1)]
    return a, [(cell_caches[l], inputs[l]) for l in range(L)]


def stacked_rnn_backward(da, caches):
    L = len(caches)
    n_a, m, T_x = da.shape
    gradients = {"da0": np.zeros((L, n_a, m))}
    for l in range(L, 0, -1):
        layer = rnn_backward(da, caches[l - 1])
        for name in ("dx", "dWax", "dWaa", "dba"):
            gradients[name + str(l)] = layer[name]
        gradients["da0"][l - 1] = layer["da0"]
        da = layer["dx"]
    return gradients


def model_loss_and_gradients(X, Y, parameters):
    L = n_layers(parameters)
    n_a = parameters["Waa1"].shape[0]
    x, emb_cache = embedding_forward(X, parameters["We"])
    a, rnn_caches = stacked_rnn_forward(x, np.zeros((L, n_a, X.shape[0])), parameters)
    loss, y_hat, out_cache = softmax_loss_forward(a[L - 1], Y, parameters)
    out = softmax_loss_backward(out_cache)
    rnn = stacked_rnn_backward(out["da"], rnn_caches)
    emb = embedding_backward(rnn["dx1"], emb_cache)
    gradients = {}
    for k in parameters:
        for source in (emb, rnn, out):
            if "d" + k in source:
                gradients["d" + k] = source["d" + k]
    return loss, gradients


def clip_gradients(gradients, max_norm):
    total = 0.0
    for g in gradients.values():
        total += float(np.sum(g * g))
    norm = total ** 0.5
    clipped = {}
    for k, g in gradients.items():
        clipped[k] = g * (max_norm / norm) if norm > max_norm else g.copy()
    return clipped


def sample(parameters, newline_ix, rng, max_length=40):
    L = n_layers(parameters)
    V, n_a = parameters["Wya"].shape
    a_prev = np.zeros((L, n_a, 1))
    indices = []
    x_ix = newline_ix
    while True:
        x, _ = embedding_forward(np.array([[x_ix]]), parameters["We"])
        a, _ = stacked_rnn_forward(x, a_prev, parameters)
        a_prev = a[:, :, :, 0]
        y = softmax(parameters["Wya"] @ a[L - 1, :, :, 0] + parameters["by"])
        x_ix = int(rng.choice(V, p=y[:, 0]))
        indices.append(x_ix)
        if x_ix == newline_ix or len(indices) == max_length:
            return indices
