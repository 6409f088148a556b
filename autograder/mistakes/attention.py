"""Known mistakes in assignment 05: one step of additive attention, forward and backward, and the
sequence-to-sequence model around it.

Each is a whole wrong function, pasted into a notebook under the API name, so it may use only
numpy and what the notebook defines (lstm_forward, lstm_backward, rnn_cell_forward,
rnn_cell_backward, attention_forward, attention_backward).
"""
import numpy as np

from ..reference.attention import attention_backward, attention_forward
from ..reference.lstm import lstm_backward, lstm_forward
from ..reference.rnn import rnn_cell_backward, rnn_cell_forward
from ..student.bptt_utils import attention_parameters
from . import mistake, pattern

STEP_PARAMS = ("dWa", "dWs", "db", "dv")
STEP_ALL = ("ds_prev", "da") + STEP_PARAMS
ENCODER = tuple(f"{k} (encoder)" for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"))
ATTENTION = tuple(f"{k} (attention)" for k in STEP_PARAMS)
DECODER_CELL = tuple(f"{k} (decoder)" for k in ("dWax", "dWaa", "dba"))


# ---- attention_forward ---------------------------------------------------------------------

@mistake("attention_forward", wrong=("context", "alpha", "cache"),
         hint="the softmax normalises over the batch (axis 1), not over the input steps: alpha has shape "
              "(1, m, T_x), and each example's weights must sum to 1 over time, so take the max and the sum "
              "over axis=2 (keepdims=True)")
def softmax_over_the_batch(s_prev, a, parameters):
    Wa, Ws, b, v = parameters["Wa"], parameters["Ws"], parameters["b"], parameters["v"]
    h = np.tanh(np.tensordot(Wa, a, axes=1) + (Ws @ s_prev + b)[:, :, None])
    e = np.tensordot(v, h, axes=1)
    w = np.exp(e - e.max(axis=1, keepdims=True))
    alpha = w / w.sum(axis=1, keepdims=True)
    context = np.sum(alpha * a, axis=2)
    return context, alpha, (s_prev, a, h, alpha, parameters)


@mistake("attention_forward", wrong=("context", "alpha", "cache"),
         hint="the scores ignore the decoder's state: every output step would attend alike. Add Ws @ s_prev "
              "to every input step's Wa @ a<t> + b, inside the tanh")
def scores_without_the_decoder_state(s_prev, a, parameters):
    Wa, b, v = parameters["Wa"], parameters["b"], parameters["v"]
    h = np.tanh(np.tensordot(Wa, a, axes=1) + b[:, :, None])
    e = np.tensordot(v, h, axes=1)
    w = np.exp(e - e.max(axis=2, keepdims=True))
    alpha = w / w.sum(axis=2, keepdims=True)
    context = np.sum(alpha * a, axis=2)
    return context, alpha, (s_prev, a, h, alpha, parameters)


@mistake("attention_forward", wrong=("cache",),
         hint="the cache holds the scorer's pre-activation Wa a<t> + Ws s_prev + b where it should hold "
              "h = tanh(...) itself: the backward pass needs h for dv and for tanh' = 1 - h**2")
def cache_holds_the_pre_activation(s_prev, a, parameters):
    Wa, Ws, b, v = parameters["Wa"], parameters["Ws"], parameters["b"], parameters["v"]
    z = np.tensordot(Wa, a, axes=1) + (Ws @ s_prev + b)[:, :, None]
    e = np.tensordot(v, np.tanh(z), axes=1)
    w = np.exp(e - e.max(axis=2, keepdims=True))
    alpha = w / w.sum(axis=2, keepdims=True)
    context = np.sum(alpha * a, axis=2)
    return context, alpha, (s_prev, a, z, alpha, parameters)


# ---- attention_backward --------------------------------------------------------------------

# The notebook's global of attention_backward's visible test, as it leaves it for the graded cells:
# a function that reads it passes that test, and fails on the hidden cases.
parameters_tmp = attention_parameters(n_a=5, n_s=3, n_e=2, seed=1)


@mistake("attention_backward", wrong=STEP_ALL,                  # it fails on other sizes
         hint="the weights come from parameters_tmp, a global of the notebook's visible tests, and not from the "
              "cache: the visible test passes only because it uses those very parameters. Take Wa, Ws and v from "
              "the parameters in the cache (s_prev, a, h, alpha, parameters)")
def attention_weights_from_the_notebooks_global(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    dalpha = np.sum(a * dcontext[:, :, None], axis=0, keepdims=True)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))
    Wa, Ws, v = parameters_tmp["Wa"], parameters_tmp["Ws"], parameters_tmp["v"]
    dz = v.T[:, :, None] * de * (1 - h ** 2)
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz_sum, "da": alpha * dcontext[:, :, None] + np.tensordot(Wa.T, dz, axes=1),
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}


@mistake("attention_backward", wrong=STEP_ALL,
         hint="the softmax's gradient is taken element by element, de = alpha * (1 - alpha) * dalpha: that is "
              "only the diagonal of its Jacobian. Each alpha<u> depends on every score, so "
              "de<t> = alpha<t> * (dalpha<t> - sum over u of alpha<u> * dalpha<u>)")
def softmax_gradient_elementwise(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    dalpha = np.sum(a * dcontext[:, :, None], axis=0, keepdims=True)
    de = alpha * (1 - alpha) * dalpha
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    dz = v.T[:, :, None] * de * (1 - h ** 2)
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz_sum, "da": alpha * dcontext[:, :, None] + np.tensordot(Wa.T, dz, axes=1),
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}


@mistake("attention_backward", wrong=STEP_ALL,
         hint="in the softmax's gradient, the sum of alpha * dalpha runs over the batch (axis 1); it must run "
              "over the input steps, the axis the softmax normalised: np.sum(alpha * dalpha, axis=2, keepdims=True)")
def softmax_jacobian_sums_over_the_batch(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    dalpha = np.sum(a * dcontext[:, :, None], axis=0, keepdims=True)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=1, keepdims=True))
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    dz = v.T[:, :, None] * de * (1 - h ** 2)
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz_sum, "da": alpha * dcontext[:, :, None] + np.tensordot(Wa.T, dz, axes=1),
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}


@mistake("attention_backward", wrong=STEP_ALL,
         hint="the context's gradient never reaches the scores: context = sum of alpha<t> a<t> depends on alpha "
              "too, so dalpha<t> = sum over n_a of a<t> * dcontext, then through the softmax to de, and from there "
              "to v, Wa, Ws, b, s_prev and (a second route) to every a<t>")
def context_gradient_not_routed_into_the_scores(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    de = np.zeros_like(alpha)
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    dz = v.T[:, :, None] * de * (1 - h ** 2)
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz_sum, "da": alpha * dcontext[:, :, None] + np.tensordot(Wa.T, dz, axes=1),
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}


@mistake("attention_backward", wrong=("da",),
         hint="da misses the route through the context: a<t> is read twice, by its score and by "
              "context = sum of alpha<t> a<t>, so da<t> = alpha<t> * dcontext + Wa.T @ dz<t>")
def da_misses_the_context_route(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    dalpha = np.sum(a * dcontext[:, :, None], axis=0, keepdims=True)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    dz = v.T[:, :, None] * de * (1 - h ** 2)
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz_sum, "da": np.tensordot(Wa.T, dz, axes=1),
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}


@mistake("attention_backward", wrong=("da",),
         hint="da misses the route through the scores: a<t> is read twice, by context = sum of alpha<t> a<t> "
              "and by its own score, so da<t> = alpha<t> * dcontext + Wa.T @ dz<t>")
def da_misses_the_score_route(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    dalpha = np.sum(a * dcontext[:, :, None], axis=0, keepdims=True)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    dz = v.T[:, :, None] * de * (1 - h ** 2)
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz_sum, "da": alpha * dcontext[:, :, None],
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}


@mistake("attention_backward", wrong=STEP_ALL,                  # it fails on other sizes
         hint="the tanh's derivative is missing: h = tanh(z), so dz = (v.T * de) * (1 - h**2) before the "
              "gradients of Wa, Ws, b, s_prev and a")
def scorer_tanh_derivative_missing(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    dalpha = np.sum(a * dcontext[:, :, None], axis=0, keepdims=True)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    dz = v.T[:, :, None] * de
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz_sum, "da": alpha * dcontext[:, :, None] + np.tensordot(Wa.T, dz, axes=1),
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}


@mistake("attention_backward", wrong=STEP_ALL,                  # it fails on other sizes
         hint="tanh is applied twice in the scorer's gradient: h is already tanh(z), so its derivative is "
              "1 - h**2; 1 - np.tanh(h)**2 takes the tanh of h once more")
def scorer_tanh_applied_twice(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    dalpha = np.sum(a * dcontext[:, :, None], axis=0, keepdims=True)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    dz = v.T[:, :, None] * de * (1 - np.tanh(h) ** 2)
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz_sum, "da": alpha * dcontext[:, :, None] + np.tensordot(Wa.T, dz, axes=1),
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}


@mistake("attention_backward", wrong=STEP_ALL,                  # it fails on other sizes
         hint="the scorer's gradient uses sigmoid's derivative, h * (1 - h); the scorer is a tanh, "
              "h = tanh(z), so dz = (v.T * de) * (1 - h**2)")
def scorer_sigmoid_derivative(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    dalpha = np.sum(a * dcontext[:, :, None], axis=0, keepdims=True)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    dz = v.T[:, :, None] * de * h * (1 - h)
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz_sum, "da": alpha * dcontext[:, :, None] + np.tensordot(Wa.T, dz, axes=1),
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}



@mistake("attention_backward", wrong=("dWs",),
         hint="dWs is the transpose of what it should be (s_prev @ dz.T): as for any W @ x, "
              "dWs = (sum over t of dz<t>) @ s_prev.T, of shape (n_e, n_s)")
def dWs_transposed(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    dalpha = np.sum(a * dcontext[:, :, None], axis=0, keepdims=True)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    dz = v.T[:, :, None] * de * (1 - h ** 2)
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz_sum, "da": alpha * dcontext[:, :, None] + np.tensordot(Wa.T, dz, axes=1),
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": s_prev @ dz_sum.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}


@mistake("attention_backward", wrong=("ds_prev",),
         hint="ds_prev averages over the input steps: s_prev is used in every one of the T_x scores, so its "
              "gradients add up, ds_prev = Ws.T @ (sum over t of dz<t>)")
def ds_prev_averaged_over_the_input_steps(dcontext, cache):
    s_prev, a, h, alpha, parameters = cache
    dalpha = np.sum(a * dcontext[:, :, None], axis=0, keepdims=True)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))
    Wa, Ws, v = parameters["Wa"], parameters["Ws"], parameters["v"]
    dz = v.T[:, :, None] * de * (1 - h ** 2)
    dz_sum = dz.sum(axis=2)
    return {"ds_prev": Ws.T @ dz.mean(axis=2), "da": alpha * dcontext[:, :, None] + np.tensordot(Wa.T, dz, axes=1),
            "dWa": np.tensordot(dz, a, axes=([1, 2], [1, 2])), "dWs": dz_sum @ s_prev.T,
            "db": dz_sum.sum(axis=1, keepdims=True), "dv": np.tensordot(de, h, axes=([1, 2], [1, 2]))}


# where to look, when no mistake above explains which gradients of attention_backward are wrong
pattern("attention_backward", STEP_ALL,
        "every gradient is wrong, dv too: look at the scores' gradient de first: dalpha from the context, "
        "then the softmax's Jacobian")
pattern("attention_backward", ("ds_prev", "da", "dWa", "dWs", "db"),
        "every gradient but dv is wrong, so de is right: look at dz, the gradient through the scorer's tanh")


# ---- seq2seq_forward -----------------------------------------------------------------------

@mistake("seq2seq_forward", wrong=("y_hat", "alphas", "caches"),
         hint="the decoder starts from zeros; it starts from the encoder's last state, s<0> = a<T_x> = a[:, :, -1]")
def decoder_starts_from_zeros(x, parameters, T_y):
    encoder, attention, decoder = parameters["encoder"], parameters["attention"], parameters["decoder"]
    n_x, m, T_x = x.shape
    n_y, n_a = decoder["Wya"].shape
    a, _, _, encoder_caches = lstm_forward(x, np.zeros((n_a, m)), encoder)
    y_hat, alphas = np.zeros((n_y, m, T_y)), np.zeros((m, T_x, T_y))
    attention_caches, decoder_caches = [], []
    s = np.zeros((n_a, m))
    for t in range(T_y):
        context, alpha, attention_cache = attention_forward(s, a, attention)
        s, y_hat[:, :, t], decoder_cache = rnn_cell_forward(context, s, decoder)
        alphas[:, :, t] = alpha[0]
        attention_caches.append(attention_cache)
        decoder_caches.append(decoder_cache)
    return y_hat, alphas, (encoder_caches, attention_caches, decoder_caches)


@mistake("seq2seq_forward", wrong=("y_hat", "alphas", "caches"),
         hint="every output step attends with the decoder's first state s<0>: step t must attend with "
              "s<t-1>, the state that the previous step's rnn_cell_forward returned")
def attention_with_the_first_decoder_state(x, parameters, T_y):
    encoder, attention, decoder = parameters["encoder"], parameters["attention"], parameters["decoder"]
    n_x, m, T_x = x.shape
    n_y, n_a = decoder["Wya"].shape
    a, _, _, encoder_caches = lstm_forward(x, np.zeros((n_a, m)), encoder)
    y_hat, alphas = np.zeros((n_y, m, T_y)), np.zeros((m, T_x, T_y))
    attention_caches, decoder_caches = [], []
    s0 = a[:, :, -1]
    s = s0
    for t in range(T_y):
        context, alpha, attention_cache = attention_forward(s0, a, attention)
        s, y_hat[:, :, t], decoder_cache = rnn_cell_forward(context, s, decoder)
        alphas[:, :, t] = alpha[0]
        attention_caches.append(attention_cache)
        decoder_caches.append(decoder_cache)
    return y_hat, alphas, (encoder_caches, attention_caches, decoder_caches)


# ---- seq2seq_backward ----------------------------------------------------------------------

@mistake("seq2seq_backward", wrong=("dx",) + ENCODER,
         hint="all of attention's gradient goes to the last encoder state, as if only a<T_x> were read: attention reads "
              "every a<t>, so its da[:, :, t] belongs at step t of da (da += g[\"da\"]), the gradient that "
              "lstm_backward takes for every step")
def encoder_gradient_only_at_the_last_step(dz, caches):
    encoder_caches, attention_caches, decoder_caches = caches
    decoder = decoder_caches[0][3]
    a = attention_caches[0][1]
    T_y = dz.shape[2]
    da = np.zeros_like(a)
    attention = {"dWa": 0, "dWs": 0, "db": 0, "dv": 0}
    dec = {"dWax": 0, "dWaa": 0, "dba": 0, "dWya": 0, "dby": 0}
    ds_next = np.zeros_like(a[:, :, 0])
    for t in reversed(range(T_y)):
        s = decoder_caches[t][0]
        dec["dWya"] = dec["dWya"] + dz[:, :, t] @ s.T
        dec["dby"] = dec["dby"] + dz[:, :, t].sum(axis=1, keepdims=True)
        step = rnn_cell_backward(decoder["Wya"].T @ dz[:, :, t] + ds_next, decoder_caches[t])
        for k in ("dWax", "dWaa", "dba"):
            dec[k] = dec[k] + step[k]
        g = attention_backward(step["dxt"], attention_caches[t])
        for k in attention:
            attention[k] = attention[k] + g[k]
        da[:, :, -1] += g["da"].sum(axis=2)
        ds_next = step["da_prev"] + g["ds_prev"]
    da[:, :, -1] += ds_next                   # s<0> = a<T_x>
    enc = lstm_backward(da, encoder_caches)
    return {"dx": enc["dx"],
            "encoder": {k: enc[k] for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")},
            "attention": attention, "decoder": dec}


@mistake("seq2seq_backward", wrong=("dx",) + ENCODER,
         hint="da is overwritten at every output step (da = ...), so only the first output step's attention reaches "
              "the encoder: every output step attends to every encoder state, so their gradients add up, da += g[\"da\"]")
def da_overwritten_at_every_output_step(dz, caches):
    encoder_caches, attention_caches, decoder_caches = caches
    decoder = decoder_caches[0][3]
    a = attention_caches[0][1]
    T_y = dz.shape[2]
    da = np.zeros_like(a)
    attention = {"dWa": 0, "dWs": 0, "db": 0, "dv": 0}
    dec = {"dWax": 0, "dWaa": 0, "dba": 0, "dWya": 0, "dby": 0}
    ds_next = np.zeros_like(a[:, :, 0])
    for t in reversed(range(T_y)):
        s = decoder_caches[t][0]
        dec["dWya"] = dec["dWya"] + dz[:, :, t] @ s.T
        dec["dby"] = dec["dby"] + dz[:, :, t].sum(axis=1, keepdims=True)
        step = rnn_cell_backward(decoder["Wya"].T @ dz[:, :, t] + ds_next, decoder_caches[t])
        for k in ("dWax", "dWaa", "dba"):
            dec[k] = dec[k] + step[k]
        g = attention_backward(step["dxt"], attention_caches[t])
        for k in attention:
            attention[k] = attention[k] + g[k]
        da = g["da"].copy()
        ds_next = step["da_prev"] + g["ds_prev"]
    da[:, :, -1] += ds_next                   # s<0> = a<T_x>
    enc = lstm_backward(da, encoder_caches)
    return {"dx": enc["dx"],
            "encoder": {k: enc[k] for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")},
            "attention": attention, "decoder": dec}


@mistake("seq2seq_backward", wrong=("dx",) + ENCODER + ATTENTION + DECODER_CELL,
         hint="the decoder state's gradient misses the attention's route: s<t-1> is read by step t's RNN cell and by "
              "step t's attention, so the gradient carried back is step[\"da_prev\"] + g[\"ds_prev\"]")
def attention_ds_prev_not_carried(dz, caches):
    encoder_caches, attention_caches, decoder_caches = caches
    decoder = decoder_caches[0][3]
    a = attention_caches[0][1]
    T_y = dz.shape[2]
    da = np.zeros_like(a)
    attention = {"dWa": 0, "dWs": 0, "db": 0, "dv": 0}
    dec = {"dWax": 0, "dWaa": 0, "dba": 0, "dWya": 0, "dby": 0}
    ds_next = np.zeros_like(a[:, :, 0])
    for t in reversed(range(T_y)):
        s = decoder_caches[t][0]
        dec["dWya"] = dec["dWya"] + dz[:, :, t] @ s.T
        dec["dby"] = dec["dby"] + dz[:, :, t].sum(axis=1, keepdims=True)
        step = rnn_cell_backward(decoder["Wya"].T @ dz[:, :, t] + ds_next, decoder_caches[t])
        for k in ("dWax", "dWaa", "dba"):
            dec[k] = dec[k] + step[k]
        g = attention_backward(step["dxt"], attention_caches[t])
        for k in attention:
            attention[k] = attention[k] + g[k]
        da += g["da"]
        ds_next = step["da_prev"]
    da[:, :, -1] += ds_next                   # s<0> = a<T_x>
    enc = lstm_backward(da, encoder_caches)
    return {"dx": enc["dx"],
            "encoder": {k: enc[k] for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")},
            "attention": attention, "decoder": dec}


@mistake("seq2seq_backward", wrong=("dx",) + ENCODER,
         hint="the gradient of the decoder's initial state is dropped: s<0> = a<T_x>, so after the loop the gradient "
              "carried back to s<0> is added to the last encoder state, da[:, :, -1] += ds_next")
def initial_state_gradient_dropped(dz, caches):
    encoder_caches, attention_caches, decoder_caches = caches
    decoder = decoder_caches[0][3]
    a = attention_caches[0][1]
    T_y = dz.shape[2]
    da = np.zeros_like(a)
    attention = {"dWa": 0, "dWs": 0, "db": 0, "dv": 0}
    dec = {"dWax": 0, "dWaa": 0, "dba": 0, "dWya": 0, "dby": 0}
    ds_next = np.zeros_like(a[:, :, 0])
    for t in reversed(range(T_y)):
        s = decoder_caches[t][0]
        dec["dWya"] = dec["dWya"] + dz[:, :, t] @ s.T
        dec["dby"] = dec["dby"] + dz[:, :, t].sum(axis=1, keepdims=True)
        step = rnn_cell_backward(decoder["Wya"].T @ dz[:, :, t] + ds_next, decoder_caches[t])
        for k in ("dWax", "dWaa", "dba"):
            dec[k] = dec[k] + step[k]
        g = attention_backward(step["dxt"], attention_caches[t])
        for k in attention:
            attention[k] = attention[k] + g[k]
        da += g["da"]
        ds_next = step["da_prev"] + g["ds_prev"]
    enc = lstm_backward(da, encoder_caches)
    return {"dx": enc["dx"],
            "encoder": {k: enc[k] for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")},
            "attention": attention, "decoder": dec}


@mistake("seq2seq_backward", wrong=("dx",) + ENCODER + ATTENTION + DECODER_CELL,
         hint="tanh is applied twice in the decoder's gradient: its state s<t> is already tanh(...), so the "
              "derivative is 1 - s**2; 1 - np.tanh(s)**2 takes the tanh once more. (rnn_cell_backward, from "
              "assignment 01, computes the decoder cell's gradients for you)")
def decoder_tanh_applied_twice(dz, caches):
    encoder_caches, attention_caches, decoder_caches = caches
    decoder = decoder_caches[0][3]
    a = attention_caches[0][1]
    T_y = dz.shape[2]
    da = np.zeros_like(a)
    attention = {"dWa": 0, "dWs": 0, "db": 0, "dv": 0}
    dec = {"dWax": 0, "dWaa": 0, "dba": 0, "dWya": 0, "dby": 0}
    ds_next = np.zeros_like(a[:, :, 0])
    for t in reversed(range(T_y)):
        s, s_prev, context, _ = decoder_caches[t]
        dec["dWya"] = dec["dWya"] + dz[:, :, t] @ s.T
        dec["dby"] = dec["dby"] + dz[:, :, t].sum(axis=1, keepdims=True)
        dzs = (1 - np.tanh(s) ** 2) * (decoder["Wya"].T @ dz[:, :, t] + ds_next)
        dec["dWax"] = dec["dWax"] + dzs @ context.T
        dec["dWaa"] = dec["dWaa"] + dzs @ s_prev.T
        dec["dba"] = dec["dba"] + dzs.sum(axis=1, keepdims=True)
        g = attention_backward(decoder["Wax"].T @ dzs, attention_caches[t])
        for k in attention:
            attention[k] = attention[k] + g[k]
        da += g["da"]
        ds_next = decoder["Waa"].T @ dzs + g["ds_prev"]
    da[:, :, -1] += ds_next                   # s<0> = a<T_x>
    enc = lstm_backward(da, encoder_caches)
    return {"dx": enc["dx"],
            "encoder": {k: enc[k] for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")},
            "attention": attention, "decoder": dec}


# where to look, when no mistake above explains which gradients of seq2seq_backward are wrong (its
# attention, encoder and decoder cell are the correct ones while it is graded)
pattern("seq2seq_backward", ("dx",) + ENCODER,
        "the decoder's and the attention's gradients are right, and dx and the encoder's are wrong: look at da, "
        "what the decoder sends back to the encoder's states (every output step's attention, and s<0> = a<T_x>)")
pattern("seq2seq_backward", ("dx",) + ENCODER + ATTENTION + DECODER_CELL,
        "every gradient but the output layer's (dWya, dby) is wrong: look at the gradient carried back from "
        "step t+1 to the decoder's state, first")
