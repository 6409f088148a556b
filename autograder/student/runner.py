"""The student's side of grading: call a function of the notebook for the judge, in the kernel.

The judge, in another process, runs `serve()` in the kernel. Everything else goes over the
kernel's stdin channel, as plain data (wire.py), so that no data is ever parsed as code: serve
asks for the request (the name of a function of the notebook and its arguments), calls that
function, and sends back what it returned and the arguments as they are afterwards. Functions
named in the request's `swap` are replaced, while the call runs, by stand-ins that ask the judge
for the reference's answer the same way, so that rnn_backward, say, is graded with a correct
rnn_cell_backward and one bug costs points once.

Nothing here is trusted: the notebook's code may replace any of it. It can only spoil its own
results: the judge holds the expected values and decides.
"""
import builtins
import contextlib
import copy
import io
import sys
import warnings

import numpy as np

try:
    from . import wire                # as part of the autograder package (the project's tests)
except ImportError:
    import _bptt_wire as wire         # in the sandbox, loaded by boot.py

# what a message to the judge starts with: ask for the request, send the result, call a reference
REQUEST, RESULT, PROMPT = "\x00bptt-request", "\x00bptt-result ", "\x00bptt-call "


def _exchange(prompt):
    """Send the judge a message over the kernel's stdin channel and return its answer.

    As ipykernel's input(), without its 10 ms polling steps (a call of rnn_backward asks the judge
    once per time step); input() itself where ipykernel's internals are not as expected."""
    try:
        import zmq
        kernel = get_ipython().kernel  # noqa: F821 (IPython's)
        socket, session = kernel.stdin_socket, kernel.session
        parent, ident = kernel.get_parent("shell"), kernel._parent_ident["shell"]
    except (AttributeError, KeyError, NameError, ImportError):
        return _INPUT(prompt)
    session.send(socket, "input_request", {"prompt": prompt, "password": False}, parent, ident=ident)
    while True:
        readable, _, _ = zmq.select([socket], [], [], 0.2)     # a short wait, so that an interrupt gets in
        if readable:
            _, reply = session.recv(socket)
            if reply is not None:
                return reply["content"]["value"]


def _ask(name, args):
    """Ask the judge for the reference's answer to name(*args)."""
    reply = wire.decode(_exchange(PROMPT + wire.encode({"call": name, "args": list(args)})))
    if "raised" in reply:
        raise RuntimeError(reply["raised"])
    return reply["value"]


def _stand_in(name):
    def reference(*args):
        return _ask(name, args)
    reference.__name__ = reference.__qualname__ = name
    return reference


@contextlib.contextmanager
def _swapped(fn, names):
    g = getattr(fn, "__globals__", None)
    if g is None or not names:
        yield
        return
    missing = object()
    saved = {k: g.get(k, missing) for k in names}
    g.update({k: _stand_in(k) for k in names})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is missing:
                g.pop(k, None)
            else:
                g[k] = v


def _error_line(e):
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}".rstrip(": ")


def serve():
    """Call the function the judge's request names; send the judge the outcome."""
    global _INPUT
    _INPUT = builtins.input           # ipykernel's, which reaches the judge while a request runs
    req = wire.decode(_exchange(REQUEST))
    namespace = sys.modules["__main__"].__dict__
    name, args = req["call"], req["args"]
    fn = namespace.get(name)
    if not callable(fn):
        _exchange(RESULT + wire.encode({"missing": name}))
        return
    out, pristine = {}, copy.deepcopy(args)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings(), _swapped(fn, req.get("swap")), \
                contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            out["value"] = fn(*args)
    except KeyboardInterrupt:
        raise
    except BaseException as e:        # the student's bug (SystemExit too), reported as data
        out["raised"] = _error_line(e)[:200]
    # the arguments afterwards, for the judge to see whether the function changed them (not sent
    # again when they are as they came: a kernel that says so wrongly only hides a bug of its own)
    out["args"] = "unchanged" if _same(pristine, args) else args
    _exchange(RESULT + wire.encode(out))


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and \
            a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.random.Generator):
        return isinstance(b, np.random.Generator)
    return a is b or a == b


_INPUT = builtins.input
