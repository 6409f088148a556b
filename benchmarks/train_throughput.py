"""Training throughput of assignment 03's language model, in characters per second: the numpy
model as the notebook trains it, and, when PyTorch is installed, the same model and sizes in
PyTorch on the CPU, measured in the same run.

    python benchmarks/train_throughput.py [--iterations N] [--repeat R]

One training step is what the notebook's loop does: a batch of m sequences of T_x characters,
the loss and every gradient (embedding, L tanh RNN layers, softmax output), gradients divided by
m * T_x, clipping to a global norm of 5, and an Adam update. numpy runs with one BLAS thread, as
the notebook sets it; PyTorch runs with its default number of threads and with one. Both use
float64, the course's precision; PyTorch in float32 is shown too. Each ratio is taken against
the fastest PyTorch setting of its precision. Goal: numpy at 0.5x of PyTorch's throughput or
better. PyTorch is not a dependency of the course: without it, only numpy is measured.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):   # before numpy is imported
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "source" / "03_deep_rnn_why_dx"))
from lm_utils import adam_state, adam_update, build_vocabulary, encode, get_batch, init_parameters, load_names  # noqa: E402

from autograder.reference.deep_rnn import clip_gradients, model_loss_and_gradients  # noqa: E402

SIZES = dict(n_e=16, n_a=128, L=2, m=64, T_x=24)        # the notebook's settings
LEARNING_RATE, MAX_NORM = 0.005, 5.0


def numpy_trainer(V, batches):
    parameters = init_parameters(V, SIZES["n_e"], SIZES["n_a"], SIZES["L"], seed=1)
    adam = adam_state(parameters)

    def step(X, Y):
        _, gradients = model_loss_and_gradients(X, Y, parameters)
        gradients = clip_gradients({k: g / X.size for k, g in gradients.items()}, MAX_NORM)
        adam_update(parameters, gradients, adam, LEARNING_RATE)
    return step


def torch_trainer(torch, V, dtype):
    torch.manual_seed(1)
    embedding = torch.nn.Embedding(V, SIZES["n_e"], dtype=dtype)
    rnn = torch.nn.RNN(SIZES["n_e"], SIZES["n_a"], num_layers=SIZES["L"], nonlinearity="tanh", dtype=dtype)
    output = torch.nn.Linear(SIZES["n_a"], V, dtype=dtype)
    parameters = [*embedding.parameters(), *rnn.parameters(), *output.parameters()]
    optimiser = torch.optim.Adam(parameters, lr=LEARNING_RATE)

    def step(X, Y):
        X, Y = torch.from_numpy(X.T), torch.from_numpy(Y.T)         # (T_x, m): time first, as nn.RNN wants
        optimiser.zero_grad()
        hidden, _ = rnn(embedding(X))
        loss = torch.nn.functional.cross_entropy(output(hidden).reshape(-1, V), Y.reshape(-1), reduction="sum")
        (loss / X.numel()).backward()
        torch.nn.utils.clip_grad_norm_(parameters, MAX_NORM)
        optimiser.step()
    return step


def throughput(step, batches):
    start = time.perf_counter()
    for X, Y in batches:
        step(X, Y)
    return sum(X.size for X, _ in batches) / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", type=int, default=100, help="training steps per measurement")
    ap.add_argument("--repeat", type=int, default=5, help="measurements of each trainer, interleaved")
    args = ap.parse_args()

    names = load_names(ROOT / "source" / "03_deep_rnn_why_dx" / "python_function_names.txt")
    chars, char_to_ix = build_vocabulary(names)
    V = len(chars)
    data = encode(names, char_to_ix)
    rng = np.random.default_rng(0)
    batches = [get_batch(data, SIZES["m"], SIZES["T_x"], rng) for _ in range(args.iterations)]

    trainers = {"numpy, float64, 1 BLAS thread": (numpy_trainer(V, batches), None)}   # name -> (step, threads)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        for dtype, name in [(torch.float64, "float64"), (torch.float32, "float32")]:
            for threads in sorted({os.cpu_count(), 1}, reverse=True):
                trainers[f"PyTorch {torch.__version__}, {name}, {threads} thread{'s' * (threads > 1)}"] = \
                    (torch_trainer(torch, V, dtype), threads)

    def measure(name, batches):
        step, threads = trainers[name]
        if threads:
            torch.set_num_threads(threads)
        return throughput(step, batches)

    for name in trainers:                            # warm-up
        measure(name, batches[:5])
    results = {name: [] for name in trainers}
    for _ in range(args.repeat):                     # interleaved, so that load changes hit all alike
        for name in trainers:
            results[name].append(measure(name, batches))

    print(f"model: V={V}, n_e={SIZES['n_e']}, n_a={SIZES['n_a']}, L={SIZES['L']}, m={SIZES['m']}, T_x={SIZES['T_x']}; "
          f"{args.iterations} steps x {args.repeat} repeats, median")
    width = max(map(len, results))
    numpy_cps = statistics.median(results["numpy, float64, 1 BLAS thread"])
    for name, values in results.items():
        cps = statistics.median(values)
        print(f"{name:{width}s}  {cps:10,.0f} characters/s  (runs: {', '.join(f'{v:,.0f}' for v in values)})")
    if torch is None:
        print("PyTorch is not installed: numpy only (it is not a dependency of the course).")
        return
    torch64 = max(statistics.median(v) for k, v in results.items() if k.startswith("PyTorch") and "float64" in k)
    torch32 = max(statistics.median(v) for k, v in results.items() if k.startswith("PyTorch") and "float32" in k)
    print(f"ratio numpy / best PyTorch float64: {numpy_cps / torch64:.2f}x   (goal: 0.5x or better)")
    print(f"ratio numpy / best PyTorch float32: {numpy_cps / torch32:.2f}x")


if __name__ == "__main__":
    main()
