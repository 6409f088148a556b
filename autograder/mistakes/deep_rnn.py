"""Known mistakes of assignment 03: the output layer, the embedding, stacked RNN layers, the
whole model, gradient clipping and sampling.

Each is pasted into the notebook under the API name, where rnn_forward, rnn_backward, softmax,
n_layers, layer_parameters and the student's other functions are defined; here they come from
the reference.
"""
import numpy as np

from ..reference.deep_rnn import (embedding_backward, embedding_forward, layer_parameters, n_layers,
                                  softmax_loss_backward, softmax_loss_forward, stacked_rnn_backward,
                                  stacked_rnn_forward)
from ..reference.rnn import rnn_backward, rnn_forward, softmax
from ..student.bptt_utils import stacked_rnn_parameters
from . import mistake, pattern

LAYERS = ("dx1", "dx2", "dx3", "da0", "dWax1", "dWaa1", "dba1", "dWax2", "dWaa2", "dba2",
          "dWax3", "dWaa3", "dba3")
MODEL = ("loss", "dWe", "dWax1", "dWaa1", "dba1", "dWax2", "dWaa2", "dba2", "dWax3", "dWaa3", "dba3",
         "dWya", "dby")


# ---- softmax_loss_backward ---------------------------------------------------------------

# The notebook's global of softmax_loss_backward's visible test, as it leaves it for the graded
# cells: a function that reads it passes that test, and fails on the hidden cases.
parameters_tmp = stacked_rnn_parameters(V=6, n_e=3, n_a=4, L=1, seed=1)


@mistake("softmax_loss_backward", wrong=("dy", "da", "dWya", "dby"),     # it fails on other sizes
         hint="Wya comes from parameters_tmp, a global of the notebook's visible tests, and not from the cache: "
              "the visible test passes only because it uses those very parameters. Take Wya from the parameters "
              "in the cache (a, y_hat, Y, parameters)")
def softmax_weights_from_the_notebooks_global(cache):
    a, y_hat, Y, parameters = cache
    n_a, m, T_x = a.shape
    dy = y_hat.copy()
    for i in range(m):
        for t in range(T_x):
            dy[Y[i, t], i, t] -= 1
    da = np.zeros_like(a)
    dWya, dby = np.zeros_like(parameters["Wya"]), np.zeros_like(parameters["by"])
    for t in range(T_x):
        da[:, :, t] = parameters_tmp["Wya"].T @ dy[:, :, t]
        dWya += dy[:, :, t] @ a[:, :, t].T
        dby += dy[:, :, t].sum(axis=1, keepdims=True)
    return {"dy": dy, "da": da, "dWya": dWya, "dby": dby}


@mistake("softmax_loss_backward", wrong=("dy", "da", "dWya", "dby"),
         hint="dy is y_hat itself; the gradient of the cross-entropy with respect to the logits is "
              "y_hat minus the one-hot targets: subtract 1 at the target character of every (i, t)")
def dy_without_subtracting_y(cache):
    a, y_hat, Y, parameters = cache
    n_a, m, T_x = a.shape
    dy = y_hat.copy()
    da = np.zeros_like(a)
    dWya, dby = np.zeros_like(parameters["Wya"]), np.zeros_like(parameters["by"])
    for t in range(T_x):
        da[:, :, t] = parameters["Wya"].T @ dy[:, :, t]
        dWya += dy[:, :, t] @ a[:, :, t].T
        dby += dy[:, :, t].sum(axis=1, keepdims=True)
    return {"dy": dy, "da": da, "dWya": dWya, "dby": dby}


@mistake("softmax_loss_backward", wrong=("dy", "da", "dWya", "dby"),
         hint="the gradients are divided by m; the loss is summed over the batch, not averaged, "
              "so dy = y_hat - Y with no division")
def dy_averaged_over_batch(cache):
    a, y_hat, Y, parameters = cache
    n_a, m, T_x = a.shape
    dy = y_hat.copy()
    for i in range(m):
        for t in range(T_x):
            dy[Y[i, t], i, t] -= 1
    dy /= m
    da = np.zeros_like(a)
    dWya, dby = np.zeros_like(parameters["Wya"]), np.zeros_like(parameters["by"])
    for t in range(T_x):
        da[:, :, t] = parameters["Wya"].T @ dy[:, :, t]
        dWya += dy[:, :, t] @ a[:, :, t].T
        dby += dy[:, :, t].sum(axis=1, keepdims=True)
    return {"dy": dy, "da": da, "dWya": dWya, "dby": dby}


@mistake("softmax_loss_backward", wrong=("dWya", "dby"),
         hint="dWya and dby are overwritten at each time step, so only the last one counts; Wya and "
              "by are used at every step, so their gradients add up over time: dWya += ...")
def output_gradients_overwritten(cache):
    a, y_hat, Y, parameters = cache
    n_a, m, T_x = a.shape
    dy = y_hat.copy()
    for i in range(m):
        for t in range(T_x):
            dy[Y[i, t], i, t] -= 1
    da = np.zeros_like(a)
    for t in range(T_x):
        da[:, :, t] = parameters["Wya"].T @ dy[:, :, t]
        dWya = dy[:, :, t] @ a[:, :, t].T
        dby = dy[:, :, t].sum(axis=1, keepdims=True)
    return {"dy": dy, "da": da, "dWya": dWya, "dby": dby}


# where to look, when no mistake above explains which gradients of softmax_loss_backward are wrong
pattern("softmax_loss_backward", ("dy", "da", "dWya", "dby"),
        "every gradient is wrong: look at dy first, the gradient of the logits; the others are computed from it")
pattern("softmax_loss_backward", ("dWya", "dby"),
        "dy and da are right: look at how dWya and dby add up over the batch and the time steps")


# ---- embedding_backward ------------------------------------------------------------------

@mistake("embedding_backward", wrong=("dWe",),
         hint="repeated characters are dropped: with fancy indexing, dWe[:, idx] += dx writes each "
              "column once, whatever the number of repeats. Use np.add.at(dWe, (slice(None), idx), dx), "
              "which adds every occurrence")
def embedding_gradient_fancy_index_add(dx, cache):
    idx, We = cache
    dWe = np.zeros_like(We)
    dWe[:, idx] += dx
    return {"dWe": dWe}


@mistake("embedding_backward", wrong=("dWe",),
         hint="within one time step, a character shared by several sequences is counted once: "
              "dWe[:, idx[:, t]] += dx[:, :, t] is still fancy indexing. Use np.add.at, or loop over "
              "single (i, t) positions")
def embedding_gradient_fancy_index_per_step(dx, cache):
    idx, We = cache
    dWe = np.zeros_like(We)
    for t in range(idx.shape[1]):
        dWe[:, idx[:, t]] += dx[:, :, t]
    return {"dWe": dWe}


# ---- stacked_rnn_forward -----------------------------------------------------------------

@mistake("stacked_rnn_forward", wrong=("caches",),
         hint="the layers' caches are never collected, so stacked_rnn_backward gets none: append the "
              "cache that rnn_forward returns for each layer, layer 1 first (caches.append(cache))")
def layer_caches_not_appended(x, a0, parameters):
    L, n_a, m = a0.shape
    a = np.zeros((L, n_a, m, x.shape[2]))
    caches = []
    layer_input = x
    for l in range(1, L + 1):
        a[l - 1], _, cache = rnn_forward(layer_input, a0[l - 1], layer_parameters(parameters, l))
        layer_input = a[l - 1]
    return a, caches


# ---- stacked_rnn_backward ----------------------------------------------------------------

@mistake("stacked_rnn_backward", wrong=LAYERS,
         hint="every layer was given the loss's da; the loss reads only the top layer. Layer l's "
              "upstream gradient is the dx that layer l+1 returned: pass it down (da = gradients['dx'])")
def top_dx_not_passed_down(da, caches):
    L = len(caches)
    gradients = {}
    da0 = np.zeros((L,) + da.shape[:2])
    for l in reversed(range(1, L + 1)):
        g = rnn_backward(da, caches[l - 1])
        gradients[f"dx{l}"] = g["dx"]
        gradients[f"dWax{l}"], gradients[f"dWaa{l}"], gradients[f"dba{l}"] = g["dWax"], g["dWaa"], g["dba"]
        da0[l - 1] = g["da0"]
    gradients["da0"] = da0
    return gradients


@mistake("stacked_rnn_backward", wrong=LAYERS,
         hint="the loss's da was added to the dx coming from the layer above; the loss reads only "
              "the top layer, so a lower layer's da is that dx alone")
def da_added_to_every_layer(da, caches):
    L = len(caches)
    gradients = {}
    da0 = np.zeros((L,) + da.shape[:2])
    da_layer = da
    for l in reversed(range(1, L + 1)):
        g = rnn_backward(da_layer, caches[l - 1])
        gradients[f"dx{l}"] = g["dx"]
        gradients[f"dWax{l}"], gradients[f"dWaa{l}"], gradients[f"dba{l}"] = g["dWax"], g["dWaa"], g["dba"]
        da0[l - 1] = g["da0"]
        if l > 1:
            da_layer = da + g["dx"]
    gradients["da0"] = da0
    return gradients


@mistake("stacked_rnn_backward", wrong=LAYERS,
         hint="tanh is applied twice in the layers' gradient: a_next is already tanh(z), so the tanh derivative "
              "is 1 - a_next**2; 1 - np.tanh(a_next)**2 takes the tanh once more. (rnn_backward, from assignment "
              "01, does a layer's backward pass for you)")
def layer_tanh_applied_twice(da, caches):
    L = len(caches)
    gradients = {}
    da0 = np.zeros((L,) + da.shape[:2])
    for l in reversed(range(1, L + 1)):
        cell_caches, x = caches[l - 1]
        dx = np.zeros_like(x)
        p = cell_caches[0][3]
        dWax, dWaa, dba = np.zeros_like(p["Wax"]), np.zeros_like(p["Waa"]), np.zeros_like(p["ba"])
        da_prevt = np.zeros(da.shape[:2])
        for t in reversed(range(x.shape[2])):
            a_next, a_prev, xt, p = cell_caches[t]
            dz = (1 - np.tanh(a_next) ** 2) * (da[:, :, t] + da_prevt)
            dx[:, :, t] = p["Wax"].T @ dz
            da_prevt = p["Waa"].T @ dz
            dWax += dz @ xt.T
            dWaa += dz @ a_prev.T
            dba += dz.sum(axis=1, keepdims=True)
        gradients[f"dx{l}"], gradients[f"dWax{l}"], gradients[f"dWaa{l}"], gradients[f"dba{l}"] = dx, dWax, dWaa, dba
        da0[l - 1] = da_prevt
        da = dx
    gradients["da0"] = da0
    return gradients


# where to look, when no mistake above explains which gradients of stacked_rnn_backward are wrong
# (its rnn_backward is the correct one while it is graded)
pattern("stacked_rnn_backward", LAYERS,
        "every layer's gradients are wrong, the top layer's too: look at the top layer first, which gets the "
        "loss's da; each layer below gets the dx of the layer above it")


# ---- model_loss_and_gradients ------------------------------------------------------------

@mistake("model_loss_and_gradients", wrong=("dWe",),
         hint="dWe is zero: the inputs are not updated, but the embedding table that produced them "
              "is. The bottom layer's dx (dx1) is the upstream gradient of embedding_backward")
def embedding_never_trained(X, Y, parameters):
    L = n_layers(parameters)
    n_a, m = parameters["Waa1"].shape[0], X.shape[0]
    x, embedding_cache = embedding_forward(X, parameters["We"])
    a, rnn_caches = stacked_rnn_forward(x, np.zeros((L, n_a, m)), parameters)
    loss, y_hat, output_cache = softmax_loss_forward(a[-1], Y, parameters)
    g_out = softmax_loss_backward(output_cache)
    g_rnn = stacked_rnn_backward(g_out["da"], rnn_caches)
    gradients = {"dWe": np.zeros_like(parameters["We"])}
    for l in range(1, L + 1):
        for k in ("Wax", "Waa", "ba"):
            gradients[f"d{k}{l}"] = g_rnn[f"d{k}{l}"]
    gradients["dWya"], gradients["dby"] = g_out["dWya"], g_out["dby"]
    return loss, gradients


@mistake("model_loss_and_gradients", wrong=MODEL,
         hint="the output layer reads a[0], the bottom layer's hidden states; it reads the top "
              "layer's, a[-1] (they differ as soon as L > 1)")
def output_reads_bottom_layer(X, Y, parameters):
    L = n_layers(parameters)
    n_a, m = parameters["Waa1"].shape[0], X.shape[0]
    x, embedding_cache = embedding_forward(X, parameters["We"])
    a, rnn_caches = stacked_rnn_forward(x, np.zeros((L, n_a, m)), parameters)
    loss, y_hat, output_cache = softmax_loss_forward(a[0], Y, parameters)
    g_out = softmax_loss_backward(output_cache)
    g_rnn = stacked_rnn_backward(g_out["da"], rnn_caches)
    gradients = {"dWe": embedding_backward(g_rnn["dx1"], embedding_cache)["dWe"]}
    for l in range(1, L + 1):
        for k in ("Wax", "Waa", "ba"):
            gradients[f"d{k}{l}"] = g_rnn[f"d{k}{l}"]
    gradients["dWya"], gradients["dby"] = g_out["dWya"], g_out["dby"]
    return loss, gradients


# ---- clip_gradients ----------------------------------------------------------------------

@mistake("clip_gradients", wrong=("dW", "db", "dV"),
         hint="each entry was clipped to [-max_norm, max_norm]; that changes the direction of the "
              "update. Clip by the global norm: scale every gradient by max_norm / norm when the "
              "norm of all of them together exceeds max_norm")
def clip_per_element(gradients, max_norm):
    return {k: np.clip(g, -max_norm, max_norm) for k, g in gradients.items()}


@mistake("clip_gradients", wrong=("dW", "db", "dV"),
         hint="each gradient was clipped by its own norm; the norm is global, the square root of the "
              "sum of the squares of every entry of every gradient, and one factor scales them all")
def clip_each_array_by_its_norm(gradients, max_norm):
    clipped = {}
    for k, g in gradients.items():
        norm = np.linalg.norm(g)
        clipped[k] = g * (max_norm / norm) if norm > max_norm else g.copy()
    return clipped


@mistake("clip_gradients", wrong=("dW", "db", "dV"),
         hint="the gradients were rescaled to norm max_norm even when their norm was smaller; clip "
              "only when the norm exceeds max_norm, and otherwise return them unchanged")
def clip_always_rescales(gradients, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in gradients.values()))
    return {k: g * (max_norm / norm) for k, g in gradients.items()}


# ---- sample ------------------------------------------------------------------------------

@mistake("sample", wrong=("indices",),
         hint="the most likely character is taken at every step (argmax), so every sample is the "
              "same; draw once per step with rng.choice(V, p=probs)")
def sample_greedy(parameters, newline_ix, rng, max_length=40):
    L = n_layers(parameters)
    V, n_a = parameters["Wya"].shape
    a_prev = np.zeros((L, n_a, 1))
    ix = newline_ix
    indices = []
    while len(indices) < max_length:
        x, _ = embedding_forward(np.array([[ix]]), parameters["We"])
        a, _ = stacked_rnn_forward(x, a_prev, parameters)
        a_prev = a[:, :, :, 0]
        probs = softmax(parameters["Wya"] @ a_prev[-1] + parameters["by"])[:, 0]
        ix = int(np.argmax(probs))
        indices.append(ix)
        if ix == newline_ix:
            break
    return indices


@mistake("sample", wrong=("indices",),
         hint="the hidden states restart from zero at every step, so the model only ever sees one "
              "character; carry every layer's last hidden state into the next step as a0")
def sample_state_not_carried(parameters, newline_ix, rng, max_length=40):
    L = n_layers(parameters)
    V, n_a = parameters["Wya"].shape
    ix = newline_ix
    indices = []
    while len(indices) < max_length:
        x, _ = embedding_forward(np.array([[ix]]), parameters["We"])
        a, _ = stacked_rnn_forward(x, np.zeros((L, n_a, 1)), parameters)
        probs = softmax(parameters["Wya"] @ a[-1, :, :, 0] + parameters["by"])[:, 0]
        ix = int(rng.choice(V, p=probs))
        indices.append(ix)
        if ix == newline_ix:
            break
    return indices


@mistake("sample", wrong=("indices",),
         hint="the input is newline_ix at every step; the character just drawn is the next input "
              "(x<t+1> = the sample of y_hat<t>)")
def sample_input_not_fed_back(parameters, newline_ix, rng, max_length=40):
    L = n_layers(parameters)
    V, n_a = parameters["Wya"].shape
    a_prev = np.zeros((L, n_a, 1))
    indices = []
    while len(indices) < max_length:
        x, _ = embedding_forward(np.array([[newline_ix]]), parameters["We"])
        a, _ = stacked_rnn_forward(x, a_prev, parameters)
        a_prev = a[:, :, :, 0]
        probs = softmax(parameters["Wya"] @ a_prev[-1] + parameters["by"])[:, 0]
        ix = int(rng.choice(V, p=probs))
        indices.append(ix)
        if ix == newline_ix:
            break
    return indices
