"""Reference implementation of assignment 03: a character-level language model made of an
embedding, a stack of L vanilla RNN layers and a softmax output layer, forward and backward.

Shapes are feature-major, as in the notebooks:
    idx, X, Y  (m, T_x)          integer character indices: a batch of m sequences of T_x steps
    We         (n_e, V)          embedding table: column v is the vector of character v
    x          (n_e, m, T_x)     embedded characters, the input of layer 1
    a          (L, n_a, m, T_x)  hidden states of every layer: a[l - 1] is layer l's
    y_hat      (V, m, T_x)       probabilities of the next character

The parameters are one flat dict, numbered like the standard course's L-layer network:
    We (n_e, V); for l = 1..L: Wax{l} (n_a, n_x of layer l), Waa{l} (n_a, n_a), ba{l} (n_a, 1);
    Wya (V, n_a), by (V, 1).
Layer 1 reads the embedded characters (its n_x is n_e); layer l > 1 reads layer l - 1's
hidden states (its n_x is n_a). The gradient of parameter k is gradients["d" + k].

The loss is the cross-entropy summed over the batch and over time (not averaged), so that its
gradient with respect to the logits is exactly y_hat - Y.

The RNN layers are assignment 01's rnn_forward and rnn_backward, run without an output of their
own; this module adds what assignment 03 asks of students, plain numpy, one function each.
The companion notebook notebooks/why_dx.ipynb imports it as deep_rnn_utils.py (a link to this
file), next to assignment 03's rnn_utils.py.
"""
import numpy as np

if __package__:       # inside the course's grading package
    from .rnn import rnn_backward, rnn_forward, softmax
else:                 # next to a notebook, where assignment 01's solutions ship as rnn_utils
    from rnn_utils import rnn_backward, rnn_forward, softmax


def n_layers(parameters):
    """The number L of RNN layers in a parameter dict (one Waa{l} per layer)."""
    return sum(1 for k in parameters if k.startswith("Waa"))


def layer_parameters(parameters, l):
    """The parameters of layer l (1-based) under the names rnn_forward expects: Wax, Waa, ba."""
    return {"Wax": parameters[f"Wax{l}"], "Waa": parameters[f"Waa{l}"], "ba": parameters[f"ba{l}"]}


def embedding_forward(idx, We):
    """Look up the vector of every character.

    Inputs:
    - idx: character indices, (m, T_x), integers in [0, V)
    - We: embedding table, (n_e, V); column v is character v's vector

    Returns:
    - x: x[:, i, t] = We[:, idx[i, t]], (n_e, m, T_x)
    - cache: (idx, We), for embedding_backward
    """
    x = We[:, idx]
    return x, (idx, We)


def embedding_backward(dx, cache):
    """Gradient of the embedding table.

    Inputs:
    - dx: upstream gradient of x, (n_e, m, T_x)
    - cache: from embedding_forward

    Returns a dict with:
    - dWe: (n_e, V). Column v is the sum of dx over every (i, t) where idx[i, t] == v. A character
      that occurs several times gets the sum of all its gradients, hence np.add.at: a plain
      fancy-index `dWe[:, idx] += dx` keeps only one of the repeats.
    """
    idx, We = cache
    dWe = np.zeros_like(We)
    np.add.at(dWe, (slice(None), idx), dx)
    return {"dWe": dWe}


def stacked_rnn_forward(x, a0, parameters):
    """Forward pass of L stacked RNN layers: layer l reads layer l - 1's hidden states.

    Inputs:
    - x: input of layer 1, (n_x, m, T_x)
    - a0: initial hidden state of every layer, (L, n_a, m)
    - parameters: dict with Wax{l}, Waa{l}, ba{l} for l = 1..L (other keys are ignored)

    Returns:
    - a: hidden states of every layer, (L, n_a, m, T_x); a[l - 1] is layer l's
    - caches: list of the L caches of rnn_forward, bottom layer first
    """
    L, n_a, m = a0.shape
    a = np.zeros((L, n_a, m, x.shape[2]))
    caches = []
    layer_input = x
    for l in range(1, L + 1):
        a[l - 1], _, cache = rnn_forward(layer_input, a0[l - 1], layer_parameters(parameters, l))
        caches.append(cache)
        layer_input = a[l - 1]
    return a, caches


def stacked_rnn_backward(da, caches):
    """Backward pass of L stacked RNN layers.

    Inputs:
    - da: upstream gradient of the top layer's hidden states, (n_a, m, T_x); the loss reads
      only the top layer
    - caches: from stacked_rnn_forward

    Returns a dict with, for l = 1..L:
    - dx{l}: gradient of layer l's input, (n_x of layer l, m, T_x). For l > 1 that input is
      layer l - 1's hidden states, so dx{l} is exactly the da of layer l - 1. dx1 is the
      gradient of the embedded characters.
    - dWax{l}, dWaa{l}, dba{l}: layer l's parameter gradients
    and
    - da0: gradient of every layer's initial hidden state, (L, n_a, m)
    """
    L = len(caches)
    gradients = {}
    da0 = np.zeros((L,) + da.shape[:2])
    for l in reversed(range(1, L + 1)):
        g = rnn_backward(da, caches[l - 1])
        gradients[f"dx{l}"] = g["dx"]
        gradients[f"dWax{l}"], gradients[f"dWaa{l}"], gradients[f"dba{l}"] = g["dWax"], g["dWaa"], g["dba"]
        da0[l - 1] = g["da0"]
        da = g["dx"]                      # layer l's input is layer l - 1's output
    gradients["da0"] = da0
    return gradients


def softmax_loss_forward(a, Y, parameters):
    """Output layer over time: logits, softmax, and the cross-entropy with the targets.

    Inputs:
    - a: hidden states of the top layer, (n_a, m, T_x)
    - Y: target character indices, (m, T_x), integers in [0, V)
    - parameters: dict with Wya (V, n_a) and by (V, 1)

    Returns:
    - loss: -sum over i and t of log y_hat[Y[i, t], i, t], a float (summed, not averaged)
    - y_hat: probabilities, y_hat[:, i, t] = softmax(Wya @ a[:, i, t] + by), (V, m, T_x)
    - cache: (a, y_hat, Y, parameters), for softmax_loss_backward
    """
    n_a, m, T_x = a.shape
    Wya, by = parameters["Wya"], parameters["by"]
    z = (Wya @ a.reshape(n_a, m * T_x) + by).reshape(-1, m, T_x)
    log_y_hat = z - z.max(axis=0) - np.log(np.exp(z - z.max(axis=0)).sum(axis=0))   # log softmax
    loss = -np.take_along_axis(log_y_hat, Y[None], axis=0).sum()
    y_hat = np.exp(log_y_hat)
    return loss, y_hat, (a, y_hat, Y, parameters)


def softmax_loss_backward(cache):
    """Backward pass of the output layer.

    Inputs:
    - cache: from softmax_loss_forward

    Returns a dict with:
    - dy: gradient of the logits z = Wya a + by, (V, m, T_x): y_hat minus the one-hot targets
    - da: gradient of the top layer's hidden states, (n_a, m, T_x): the da that rnn_backward takes
    - dWya: (V, n_a) and dby: (V, 1), summed over the batch and over time
    """
    a, y_hat, Y, parameters = cache
    n_a, m, T_x = a.shape
    V = y_hat.shape[0]
    dy = y_hat.copy()
    np.put_along_axis(dy, Y[None], np.take_along_axis(dy, Y[None], axis=0) - 1, axis=0)
    dy_flat, a_flat = dy.reshape(V, m * T_x), a.reshape(n_a, m * T_x)
    return {"dy": dy,
            "da": (parameters["Wya"].T @ dy_flat).reshape(n_a, m, T_x),
            "dWya": dy_flat @ a_flat.T,
            "dby": dy_flat.sum(axis=1, keepdims=True)}


def model_loss_and_gradients(X, Y, parameters):
    """Loss and gradients of the whole language model on one batch, from zero initial states.

    Inputs:
    - X: input character indices, (m, T_x)
    - Y: target character indices, (m, T_x); usually X shifted by one step
    - parameters: We, Wax{l}, Waa{l}, ba{l} for l = 1..L, Wya, by

    Returns:
    - loss: the summed cross-entropy of softmax_loss_forward, a float
    - gradients: dict with "d" + k for every parameter k, each shaped like parameters[k]
    """
    L = n_layers(parameters)
    n_a, m = parameters["Waa1"].shape[0], X.shape[0]
    x, embedding_cache = embedding_forward(X, parameters["We"])
    a, rnn_caches = stacked_rnn_forward(x, np.zeros((L, n_a, m)), parameters)
    loss, _, output_cache = softmax_loss_forward(a[-1], Y, parameters)
    g_out = softmax_loss_backward(output_cache)
    g_rnn = stacked_rnn_backward(g_out["da"], rnn_caches)
    g_emb = embedding_backward(g_rnn["dx1"], embedding_cache)   # dx of the bottom layer trains We
    gradients = {"dWe": g_emb["dWe"]}
    for l in range(1, L + 1):
        for k in ("Wax", "Waa", "ba"):
            gradients[f"d{k}{l}"] = g_rnn[f"d{k}{l}"]
    gradients["dWya"], gradients["dby"] = g_out["dWya"], g_out["dby"]
    return loss, gradients


def clip_gradients(gradients, max_norm):
    """Clip by global norm: scale every gradient by the same factor so that the norm of all of
    them together is at most max_norm. The direction of the whole update is kept.

    Inputs:
    - gradients: dict of arrays
    - max_norm: positive float

    Returns:
    - clipped: a new dict with the same keys; the input arrays are left unchanged
    """
    norm = np.sqrt(sum(np.sum(g ** 2) for g in gradients.values()))
    scale = max_norm / norm if norm > max_norm else 1.0
    return {k: g * scale for k, g in gradients.items()}


def sample(parameters, newline_ix, rng, max_length=40):
    """Generate one sequence, feeding each sampled character back as the next input.

    Start from zero hidden states with newline_ix as the first input. At each step, run one
    time step of the embedding and of the stacked RNN, compute probs = softmax(Wya @ a + by) of
    the top layer as a vector of V probabilities, and draw exactly once with
    rng.choice(V, p=probs). The drawn index is appended to the result and becomes the next input.
    Stop after drawing newline_ix (which is kept as the last index) or after max_length draws.

    Inputs:
    - parameters: the model's parameters
    - newline_ix: index of the character that starts and ends a sequence
    - rng: a numpy Generator, e.g. np.random.default_rng(0)
    - max_length: most characters to draw

    Returns:
    - indices: list of the drawn indices (Python ints)
    """
    L = n_layers(parameters)
    V, n_a = parameters["Wya"].shape
    a_prev = np.zeros((L, n_a, 1))
    ix = newline_ix
    indices = []
    while len(indices) < max_length:
        x, _ = embedding_forward(np.array([[ix]]), parameters["We"])        # (n_e, 1, 1)
        a, _ = stacked_rnn_forward(x, a_prev, parameters)                   # (L, n_a, 1, 1)
        a_prev = a[:, :, :, 0]
        probs = softmax(parameters["Wya"] @ a_prev[-1] + parameters["by"])[:, 0]
        ix = int(rng.choice(V, p=probs))
        indices.append(ix)
        if ix == newline_ix:
            break
    return indices
