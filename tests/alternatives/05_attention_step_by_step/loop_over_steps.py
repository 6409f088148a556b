"""A correct solution written differently: loops over the input steps and the examples, the
softmax's Jacobian built as a matrix for each example (diag(alpha) - alpha alpha^T), and the
encoder's gradient collected as one array per output step, summed at the end."""
import numpy as np


def attention_forward(s_prev, a, parameters):
    Wa, Ws, b, v = parameters["Wa"], parameters["Ws"], parameters["b"], parameters["v"]
    n_a, m, T_x = a.shape
    h = np.zeros((Wa.shape[0], m, T_x))
    e = np.zeros((1, m, T_x))
    for t in range(T_x):
        h[:, :, t] = np.tanh(Wa @ a[:, :, t] + Ws @ s_prev + b)
        e[:, :, t] = v @ h[:, :, t]
    alpha = np.zeros((1, m, T_x))
    for i in range(m):
        w = np.exp(e[0, i] - e[0, i].max())
        alpha[0, i] = w / w.sum()
    context = np.zeros((n_a, m))
    for t in range(T_x):
        context += alpha[:, :, t] * a[:, :, t]
    return context, alpha, (s_prev, a, h, alpha, parameters)


def attention_backward(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    n_a, m, T_x = a.shape
    de = np.zeros_like(alpha)
    for i in range(m):
        dalpha_i = a[:, i, :].T @ dcontext[:, i]                        # (T_x,)
        jacobian = np.diag(alpha[0, i]) - np.outer(alpha[0, i], alpha[0, i])
        de[0, i] = jacobian.T @ dalpha_i
    grads = {"ds_prev": np.zeros_like(s_prev), "da": np.zeros_like(a), "dWa": np.zeros_like(Wa),
             "dWs": np.zeros_like(Ws), "db": np.zeros_like(parameters["b"]), "dv": np.zeros_like(v)}
    for t in range(T_x):
        grads["dv"] += de[:, :, t] @ h[:, :, t].T
        dz = (v.T @ de[:, :, t]) * (1 - h[:, :, t] ** 2)
        grads["dWa"] += dz @ a[:, :, t].T
        grads["dWs"] += dz @ s_prev.T
        grads["db"] += dz.sum(axis=1, keepdims=True)
        grads["ds_prev"] += Ws.T @ dz
        grads["da"][:, :, t] = alpha[:, :, t] * dcontext + Wa.T @ dz
    return grads


def seq2seq_forward(x, parameters, T_y):
    n_a = parameters["encoder"]["Wf"].shape[0]
    a, _, _, encoder_caches = lstm_forward(x, np.zeros((n_a, x.shape[1])), parameters["encoder"])
    predictions, weights, attention_caches, decoder_caches = [], [], [], []
    s = a[:, :, x.shape[2] - 1]
    for _ in range(T_y):
        context, alpha, attention_cache = attention_forward(s, a, parameters["attention"])
        s, yt, decoder_cache = rnn_cell_forward(context, s, parameters["decoder"])
        predictions.append(yt)
        weights.append(alpha[0])
        attention_caches.append(attention_cache)
        decoder_caches.append(decoder_cache)
    return np.stack(predictions, axis=2), np.stack(weights, axis=2), (encoder_caches, attention_caches, decoder_caches)


def seq2seq_backward(dz, caches):
    encoder_caches, attention_caches, decoder_caches = caches
    Wya = decoder_caches[0][3]["Wya"]
    T_y = dz.shape[2]
    sent = []                                   # what each output step sends to the encoder states
    attention = {}
    decoder = {}
    ds = np.zeros_like(decoder_caches[0][0])
    for t in range(T_y - 1, -1, -1):
        ds = ds + Wya.T @ dz[:, :, t]
        cell = rnn_cell_backward(ds, decoder_caches[t])
        step = attention_backward(cell["dxt"], attention_caches[t])
        sent.append(step["da"])
        for k in ("dWa", "dWs", "db", "dv"):
            attention[k] = attention.get(k, 0) + step[k]
        for k in ("dWax", "dWaa", "dba"):
            decoder[k] = decoder.get(k, 0) + cell[k]
        decoder["dWya"] = decoder.get("dWya", 0) + dz[:, :, t] @ decoder_caches[t][0].T
        decoder["dby"] = decoder.get("dby", 0) + dz[:, :, t].sum(axis=1, keepdims=True)
        ds = cell["da_prev"] + step["ds_prev"]
    da = sum(sent)
    da[:, :, -1] = da[:, :, -1] + ds
    g = lstm_backward(da, encoder_caches)
    encoder = {k: g[k] for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")}
    return {"dx": g["dx"], "encoder": encoder, "attention": attention, "decoder": decoder}
