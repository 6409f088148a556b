"""Assignment 03 without loops over time: one-hot targets, einsum, reshapes and matrix products."""


def softmax_loss_forward(a, Y, parameters):
    Wya, by = parameters["Wya"], parameters["by"]
    z = np.einsum("va,amt->vmt", Wya, a) + by[:, :, None]
    z = z - z.max(axis=0, keepdims=True)
    y_hat = np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)
    one_hot = np.eye(Wya.shape[0])[Y].transpose(2, 0, 1)          # (V, m, T_x)
    loss = -np.sum(one_hot * np.log(y_hat))
    return loss, y_hat, (a, y_hat, Y, parameters)


def softmax_loss_backward(cache):
    a, y_hat, Y, parameters = cache
    dy = y_hat - np.eye(y_hat.shape[0])[Y].transpose(2, 0, 1)
    return {"dy": dy,
            "da": np.einsum("va,vmt->amt", parameters["Wya"], dy),
            "dWya": np.einsum("vmt,amt->va", dy, a),
            "dby": dy.sum(axis=(1, 2))[:, None]}


def embedding_forward(idx, We):
    x = np.take(We, idx, axis=1)
    return x, (idx, We)


def embedding_backward(dx, cache):
    idx, We = cache
    n_e, V = We.shape
    one_hot = np.eye(V)[idx.ravel()]                              # (m * T_x, V)
    return {"dWe": dx.reshape(n_e, -1) @ one_hot}


def stacked_rnn_forward(x, a0, parameters):
    a = np.zeros(a0.shape + (x.shape[2],))
    caches = []
    for l, a0_l in enumerate(a0, start=1):
        a[l - 1], _, cache = rnn_forward(x if l == 1 else a[l - 2], a0_l, layer_parameters(parameters, l))
        caches.append(cache)
    return a, caches


def stacked_rnn_backward(da, caches):
    gradients, da0 = {}, []
    upstream = da
    for l in range(len(caches), 0, -1):
        g = rnn_backward(upstream, caches[l - 1])
        gradients.update({f"{k}{l}": g[k] for k in ("dx", "dWax", "dWaa", "dba")})
        da0.insert(0, g["da0"])
        upstream = g["dx"]
    gradients["da0"] = np.stack(da0)
    return gradients


def model_loss_and_gradients(X, Y, parameters):
    L = n_layers(parameters)
    x, embedding_cache = embedding_forward(X, parameters["We"])
    a, caches = stacked_rnn_forward(x, np.zeros((L, parameters["Waa1"].shape[0], X.shape[0])), parameters)
    loss, _, output_cache = softmax_loss_forward(a[L - 1], Y, parameters)
    g_out = softmax_loss_backward(output_cache)
    g_rnn = stacked_rnn_backward(g_out["da"], caches)
    g_all = {**g_rnn, **g_out, **embedding_backward(g_rnn["dx1"], embedding_cache)}
    return loss, {"d" + k: g_all["d" + k] for k in parameters}


def clip_gradients(gradients, max_norm):
    norm = np.linalg.norm(np.concatenate([g.ravel() for g in gradients.values()]))
    return {k: g * min(1.0, max_norm / norm) for k, g in gradients.items()}


def sample(parameters, newline_ix, rng, max_length=40):
    L = n_layers(parameters)
    V, n_a = parameters["Wya"].shape
    states = np.zeros((L, n_a, 1))
    indices, ix = [], newline_ix
    for _ in range(max_length):
        a, _ = stacked_rnn_forward(parameters["We"][:, [[ix]]], states, parameters)
        states = a[..., -1]
        probs = softmax(parameters["Wya"] @ states[L - 1] + parameters["by"]).ravel()
        ix = int(rng.choice(V, 1, p=probs)[0])
        indices.append(ix)
        if ix == newline_ix:
            break
    return indices
