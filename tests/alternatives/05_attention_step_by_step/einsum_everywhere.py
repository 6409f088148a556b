"""A correct solution written differently: einsum for every product over the input steps, the
softmax through the log-sum-exp, the softmax's gradient written as alpha * dalpha minus alpha
times its sum, and the output layer's gradients computed for all output steps at once."""
import numpy as np


def attention_forward(s_prev, a, parameters):
    p = parameters
    h = np.tanh(np.einsum("ij,jmt->imt", p["Wa"], a) + np.einsum("ij,jm->im", p["Ws"], s_prev)[..., None]
                + p["b"][..., None])
    e = np.einsum("oi,imt->omt", p["v"], h)
    top = e.max(axis=-1, keepdims=True)
    log_alpha = e - top - np.log(np.exp(e - top).sum(axis=-1, keepdims=True))
    alpha = np.exp(log_alpha)
    context = np.einsum("omt,amt->am", alpha, a)
    return context, alpha, (s_prev, a, h, alpha, parameters)


def attention_backward(dcontext, cache):
    s_prev, a, h, alpha, p = cache
    dalpha = np.einsum("amt,am->mt", a, dcontext)[None]
    weighted = alpha * dalpha
    de = weighted - alpha * weighted.sum(axis=-1, keepdims=True)
    dz = np.einsum("oi,omt->imt", p["v"], de) * (1 - h * h)
    return {"ds_prev": np.einsum("ij,imt->jm", p["Ws"], dz),
            "da": np.einsum("omt,am->amt", alpha, dcontext) + np.einsum("ij,imt->jmt", p["Wa"], dz),
            "dWa": np.einsum("imt,jmt->ij", dz, a),
            "dWs": np.einsum("imt,jm->ij", dz, s_prev),
            "db": np.einsum("imt->i", dz)[:, None],
            "dv": np.einsum("omt,imt->oi", de, h)}


def seq2seq_forward(x, parameters, T_y):
    enc, att, dec = (parameters[k] for k in ("encoder", "attention", "decoder"))
    n_x, m, T_x = x.shape
    a0 = np.zeros((enc["bf"].shape[0], m))
    a, _, _, encoder_caches = lstm_forward(x, a0, enc)
    y_hat = np.empty((dec["by"].shape[0], m, T_y))
    alphas = np.empty((m, T_x, T_y))
    caches = (encoder_caches, [], [])
    s_prev = a[..., -1]
    for t in range(T_y):
        context, alpha, c_att = attention_forward(s_prev, a, att)
        s_prev, y_hat[..., t], c_dec = rnn_cell_forward(context, s_prev, dec)
        alphas[..., t] = alpha.reshape(m, T_x)
        caches[1].append(c_att)
        caches[2].append(c_dec)
    return y_hat, alphas, caches


def seq2seq_backward(dz, caches):
    encoder_caches, attention_caches, decoder_caches = caches
    dec = decoder_caches[-1][3]
    states = np.stack([c[0] for c in decoder_caches], axis=-1)          # s<1> .. s<T_y>, (n_a, m, T_y)
    ds_out = np.einsum("ya,ymt->amt", dec["Wya"], dz)                    # from the output layer, every step
    da = np.zeros_like(attention_caches[0][1])
    att_grads = dict.fromkeys(("dWa", "dWs", "db", "dv"), 0.0)
    cell_grads = dict.fromkeys(("dWax", "dWaa", "dba"), 0.0)
    carried = 0.0
    for t in reversed(range(dz.shape[-1])):
        cell = rnn_cell_backward(ds_out[..., t] + carried, decoder_caches[t])
        step = attention_backward(cell["dxt"], attention_caches[t])
        da = da + step["da"]
        att_grads = {k: att_grads[k] + step[k] for k in att_grads}
        cell_grads = {k: cell_grads[k] + cell[k] for k in cell_grads}
        carried = step["ds_prev"] + cell["da_prev"]
    da[..., -1] += carried
    lstm = lstm_backward(da, encoder_caches)
    decoder = dict(cell_grads, dWya=np.einsum("ymt,amt->ya", dz, states), dby=dz.sum(axis=(1, 2))[:, None])
    return {"dx": lstm["dx"], "encoder": {k: v for k, v in lstm.items() if k not in ("dx", "da0")},
            "attention": att_grads, "decoder": decoder}
