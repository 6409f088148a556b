"""Assignment 03's model with the output layer given only its own parameters, Wya and by (its
docstring asks for no more): the judge answers its calls of the parts with any of the case's
parameters, under any keys."""


def model_loss_and_gradients(X, Y, parameters):
    """
    The loss of the language model on a batch, and the gradients of all its parameters.

    Arguments:
    X -- indices of the input characters, shape (m, T_x)
    Y -- indices of the target characters, shape (m, T_x)
    parameters -- dict with We, Wax{l}, Waa{l}, ba{l} for l = 1..L, Wya, by

    Returns:
    loss -- the loss of softmax_loss_forward (summed over the batch and over time), a float
    gradients -- dict with "d" + k for every key k of parameters, each of the shape of parameters[k]
    """
    L = n_layers(parameters)
    n_a = parameters["Waa1"].shape[0]
    m = X.shape[0]
    x, embedding_cache = embedding_forward(X, parameters["We"])
    a, rnn_caches = stacked_rnn_forward(x, np.zeros((L, n_a, m)), parameters)
    loss, y_hat, output_cache = softmax_loss_forward(a[-1], Y, {"Wya": parameters["Wya"], "by": parameters["by"]})

    output_gradients = softmax_loss_backward(output_cache)
    rnn_gradients = stacked_rnn_backward(output_gradients["da"], rnn_caches)
    embedding_gradients = embedding_backward(rnn_gradients["dx1"], embedding_cache)

    gradients = {"dWe": embedding_gradients["dWe"]}
    for l in range(1, L + 1):
        for k in (f"dWax{l}", f"dWaa{l}", f"dba{l}"):
            gradients[k] = rnn_gradients[k]
    gradients["dWya"] = output_gradients["dWya"]
    gradients["dby"] = output_gradients["dby"]
    return loss, gradients
