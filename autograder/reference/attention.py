"""Reference implementation of assignment 05: additive attention, and a sequence-to-sequence
model that uses it, forward and backward.

Shapes are feature-major, as in the other assignments:
    a       (n_a, m, T_x)   the encoder's hidden states, one per input step
    s_prev  (n_s, m)        the decoder's previous state
    alpha   (1, m, T_x)     the attention weights of one output step (a feature axis of size 1,
                            so that alpha * a broadcasts)
    context (n_a, m)        their weighted sum of the encoder states

One step of attention, with the additive scorer of Bahdanau, Cho and Bengio (2015):

    h<t>    = tanh(Wa @ a<t> + Ws @ s_prev + b)        (n_e, m), for every input step t
    e<t>    = v @ h<t>                                  (1, m), the score of step t
    alpha   = softmax of e over the T_x input steps     (1, m, T_x)
    context = sum over t of alpha<t> * a<t>             (n_a, m)

with Wa (n_e, n_a), Ws (n_e, n_s), b (n_e, 1) and v (1, n_e).

The model: an LSTM encoder (assignment 02's lstm_forward, from a zero state), then T_y decoder
steps. The decoder starts from the encoder's last state, s<0> = a<T_x> (so n_s = n_a), as in a
sequence-to-sequence model without attention; step t attends with the decoder's previous state,
then runs assignment 01's RNN cell on the context:

    context<t>, alpha<t> = attention(s<t-1>, a)
    s<t>, y_hat<t>       = rnn_cell_forward(context<t>, s<t-1>, decoder)
                           (s<t> = tanh(Wax context<t> + Waa s<t-1> + ba), y_hat<t> = softmax(Wya s<t> + by))

Every encoder state a<t> reaches the loss through the attention of every output step, and the
last one also through s<0>: the backward pass adds all of it into da (n_a, m, T_x), the upstream
gradient that lstm_backward takes.

Parameters are a dict of three dicts: "encoder" (lstm_forward's; its Wy, by make a prediction at
every input step that the model does not use), "attention" (Wa, Ws, b, v) and "decoder"
(rnn_cell_forward's Wax (n_a, n_a), Waa (n_a, n_a), ba, Wya (n_y, n_a), by).
"""
import numpy as np

from .lstm import lstm_backward, lstm_forward
from .rnn import rnn_cell_backward, rnn_cell_forward

ATTENTION = ("Wa", "Ws", "b", "v")
ENCODER = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")
DECODER = ("Wax", "Waa", "ba", "Wya", "by")


def attention_forward(s_prev, a, parameters):
    """One step of additive attention.

    Inputs:
    - s_prev: the decoder's previous state, (n_s, m)
    - a: the encoder's hidden states, (n_a, m, T_x)
    - parameters: dict with Wa (n_e, n_a), Ws (n_e, n_s), b (n_e, 1), v (1, n_e)

    Returns:
    - context: sum over t of alpha[:, :, t] * a[:, :, t], (n_a, m)
    - alpha: attention weights, (1, m, T_x); for each example they sum to 1 over t
    - cache: (s_prev, a, h, alpha, parameters), h = tanh(Wa a<t> + Ws s_prev + b) of shape (n_e, m, T_x)
    """
    Wa, Ws, b, v = (parameters[k] for k in ATTENTION)
    # every input step is scored with the same decoder state: Ws @ s_prev + b is added to each
    h = np.tanh(np.tensordot(Wa, a, axes=1) + (Ws @ s_prev + b)[:, :, None])    # (n_e, m, T_x)
    e = np.tensordot(v, h, axes=1)                                      # (1, m, T_x)
    w = np.exp(e - e.max(axis=2, keepdims=True))                        # softmax over time, axis 2
    alpha = w / w.sum(axis=2, keepdims=True)
    context = np.sum(alpha * a, axis=2)
    return context, alpha, (s_prev, a, h, alpha, parameters)


def attention_backward(dcontext, cache):
    """Backward pass of one step of attention.

    Inputs:
    - dcontext: gradient of the loss with respect to the context, (n_a, m)
    - cache: from attention_forward

    Returns a dict with:
    - ds_prev: gradient with respect to s_prev, (n_s, m)
    - da: gradient with respect to every encoder state, (n_a, m, T_x): through the context
      (alpha<t> * dcontext) and through the scores (Wa.T @ dz<t>)
    - dWa (n_e, n_a), dWs (n_e, n_s), db (n_e, 1), dv (1, n_e): summed over the batch and over t
    """
    s_prev, a, h, alpha, p = cache
    dc = dcontext[:, :, None]
    # context = sum_t alpha<t> a<t>: each a<t> gets alpha<t> dcontext, each alpha<t> gets a<t> . dcontext
    da = alpha * dc
    dalpha = np.sum(a * dc, axis=0, keepdims=True)                      # (1, m, T_x)
    # softmax Jacobian: de<t> = alpha<t> (dalpha<t> - sum_u alpha<u> dalpha<u>), the sum over time
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))
    # e<t> = v h<t>, h<t> = tanh(z<t>)
    dv = np.tensordot(de, h, axes=([1, 2], [1, 2]))
    dz = p["v"].T[:, :, None] * de * (1 - h ** 2)                       # (n_e, m, T_x)
    # z<t> = Wa a<t> + Ws s_prev + b: s_prev and b are used at every step, so their gradients sum over t
    dz_sum = dz.sum(axis=2)
    da = da + np.tensordot(p["Wa"].T, dz, axes=1)
    return {"ds_prev": p["Ws"].T @ dz_sum, "da": da,
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": dv}


def seq2seq_forward(x, parameters, T_y):
    """The model's forward pass: the encoder over x, then T_y decoder steps with attention.

    Inputs:
    - x: inputs, (n_x, m, T_x)
    - parameters: dict with "encoder", "attention" and "decoder" (see the module's docstring)
    - T_y: the number of output steps

    Returns:
    - y_hat: predictions, (n_y, m, T_y)
    - alphas: attention weights, (m, T_x, T_y); alphas[i, :, t] is output step t's over the input of example i
    - caches: (encoder caches from lstm_forward, list of the T_y attention caches,
      list of the T_y decoder caches from rnn_cell_forward)
    """
    enc, att, dec = parameters["encoder"], parameters["attention"], parameters["decoder"]
    n_x, m, T_x = x.shape
    n_y = dec["Wya"].shape[0]
    a, _, _, encoder_caches = lstm_forward(x, np.zeros((enc["Wf"].shape[0], m)), enc)
    y_hat, alphas = np.zeros((n_y, m, T_y)), np.zeros((m, T_x, T_y))
    attention_caches, decoder_caches = [], []
    s = a[:, :, -1]                                # s<0> = a<T_x>
    for t in range(T_y):
        context, alpha, attention_cache = attention_forward(s, a, att)
        s, y_hat[:, :, t], decoder_cache = rnn_cell_forward(context, s, dec)
        alphas[:, :, t] = alpha[0]
        attention_caches.append(attention_cache)
        decoder_caches.append(decoder_cache)
    return y_hat, alphas, (encoder_caches, attention_caches, decoder_caches)


def seq2seq_backward(dz, caches):
    """The model's backward pass.

    Inputs:
    - dz: gradient of the loss with respect to the output layer's scores Wya s<t> + by, (n_y, m, T_y);
      for the cross-entropy loss it is y_hat - y
    - caches: from seq2seq_forward

    Returns a dict with:
    - dx: gradient with respect to the inputs, (n_x, m, T_x)
    - "encoder": dict with dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo
    - "attention": dict with dWa, dWs, db, dv
    - "decoder": dict with dWax, dWaa, dba, dWya, dby
    every gradient summed over the batch and over time.
    """
    encoder_caches, attention_caches, decoder_caches = caches
    dec = decoder_caches[0][3]
    att = attention_caches[0][4]
    a = attention_caches[0][1]
    T_y = dz.shape[2]
    da = np.zeros_like(a)                          # what the decoder sends to each encoder state
    g_att = {"d" + k: np.zeros_like(att[k]) for k in ATTENTION}
    g_dec = {"d" + k: np.zeros_like(dec[k]) for k in DECODER}
    ds_next = np.zeros_like(a[:, :, 0])            # from step t+1, back to s<t>
    for t in reversed(range(T_y)):
        s = decoder_caches[t][0]
        g_dec["dWya"] += dz[:, :, t] @ s.T
        g_dec["dby"] += dz[:, :, t].sum(axis=1, keepdims=True)
        # s<t> feeds the output at step t, and step t+1 through both its RNN cell and its attention
        step = rnn_cell_backward(dec["Wya"].T @ dz[:, :, t] + ds_next, decoder_caches[t])
        for k in ("dWax", "dWaa", "dba"):
            g_dec[k] += step[k]
        g = attention_backward(step["dxt"], attention_caches[t])      # the context was the cell's input
        for k in g_att:
            g_att[k] += g[k]
        da += g["da"]
        ds_next = step["da_prev"] + g["ds_prev"]
    da[:, :, -1] += ds_next                        # s<0> = a<T_x>
    enc = lstm_backward(da, encoder_caches)
    return {"dx": enc["dx"], "encoder": {k: enc[k] for k in ("d" + n for n in ENCODER)},
            "attention": g_att, "decoder": g_dec}
