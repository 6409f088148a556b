"""The judge: a graded cell's hidden tests, run in the grading process, against the student's
functions in the sandboxed kernel.

The student's kernel never sees the hidden tests, the reference or the expected values. For a
graded cell, the judge runs the cell's code as the gradebook holds it (the instructor's, hidden
tests included) here, in the grading process. The names it uses that it does not define
(`rnn_cell_backward` in `grade_rnn_cell_backward(rnn_cell_backward, "dxt")`) are `Remote`
functions: calling one sends the arguments to the kernel as plain data (student/wire.py), where
student/runner.py calls the notebook's function of that name and sends back what it returned.
The hidden tests compare, diagnose and decide here; the cell's verdict becomes its output, from
which nbgrader takes the score.

While a student's function runs, the functions named in `swap` (its callees that are graded on
their own) are stand-ins in the kernel that ask the judge for the reference's answer: the
reference runs here, on the arguments the student's code passed. Those answers are the
reference's, so the judge gives them only where they cannot stand in for work still to be graded:
- not for a function that a later graded cell of the notebook grades (a notebook that moved or
  copied graded cells could otherwise keep the answers and replay them there);
- only with the parameters of the case (arrays valued as those in the dicts that the reference's
  own calls pass, under any keys), so that no answer is one for another case's model;
- only on arguments shaped as the reference's own calls on the case are, and for a few times as
  many calls as it makes (else the reference, which runs here, could be made to build arrays of
  any size, for as long as the student likes).
"""
import ast
import builtins
import hashlib
import math
import re
import threading

import numpy as np

from .student import wire
from .student.runner import PROMPT

# a call may take this long, plus FACTOR times what the reference takes on the same case
FLOOR_SECONDS = 2.0
FACTOR = 200
# calls of the reference functions answered during one call of a student's function: this many
# times as many as the reference itself makes on the case, plus a thousand (a loop such as
# sample's may run longer than the reference's, which stopped at its first newline)
REFERENCE_CALLS_FACTOR, REFERENCE_CALLS_EXTRA = 4, 1000
MAX_REPLY_BYTES = 32 << 20


_HERE = threading.local()        # .judging: this thread runs a graded cell's tests for the judge


def judging():
    """Whether hidden tests run here for the judge (else they run where they were imported)."""
    return getattr(_HERE, "judging", False)


class CallAborted(BaseException):
    """A call of a student's function that did not finish (too slow, stuck or killed its kernel).

    It ends the graded cell at once: the hidden tests do not catch it (it is not an Exception).
    lost: the kernel is gone or stuck, and must be replaced before the next cell.
    """

    def __init__(self, what, lost=False, seconds=None):
        super().__init__(what)
        self.what, self.lost, self.seconds = what, lost, seconds


def student_line(text, limit=120):
    """Text that came from the student's code, made safe for a message: one printable line, short."""
    text = " ".join(str(text).split())
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Remote:
    """A function of the student's notebook, called in their kernel through `call_kernel`.

    call_kernel(request, answer, seconds) sends a request to the kernel and returns what the
    runner stored (decoded), answering the kernel's questions about swapped functions with
    answer(prompt) as they come; it raises CallAborted.
    """

    def __init__(self, name, call_kernel, graded_later=()):
        self.__name__ = name
        self._call_kernel = call_kernel
        self._graded_later = frozenset(graded_later)    # functions that later graded cells grade

    def __repr__(self):
        return f"<the notebook's {self.__name__}>"

    def call(self, args, swap=None, seconds=None, shapes=None, max_calls=REFERENCE_CALLS_EXTRA):
        """What the runner found: {"value": ..., "args": ...}, {"raised": line, "args": ...} or
        {"missing": name}. swap: {name: reference function} answered here while it runs, on
        arguments whose signature() is in shapes[name], max_calls times at most."""
        swap = dict(swap or {})
        shapes = shapes or {}
        calls = [0]

        def answer(prompt):
            return _answer(prompt, swap, calls, shapes, max_calls, self._graded_later)

        request = {"call": self.__name__, "args": list(args), "swap": sorted(swap)}
        out = self._call_kernel(request, answer, seconds or FLOOR_SECONDS)
        if not isinstance(out, dict) or not ({"value", "raised", "missing"} & set(out)):
            return {"raised": "the notebook's code changed how grading calls its functions; nothing came back"}
        if "raised" in out:
            out["raised"] = student_line(out["raised"])
        return out


def _answer(prompt, swap, calls, shapes, max_calls, graded_later):
    """The judge's answer to the kernel's request for a reference function's result."""
    if not isinstance(prompt, str) or not prompt.startswith(PROMPT):
        return ""                             # the student's own input(): nothing to read
    calls[0] += 1
    if calls[0] > max_calls:
        return wire.encode({"raised": f"more than {max_calls} calls of the functions it uses (the correct one "
                                      f"makes {(max_calls - REFERENCE_CALLS_EXTRA) // REFERENCE_CALLS_FACTOR})"})
    try:
        req = wire.decode(prompt[len(PROMPT):], max_bytes=MAX_REPLY_BYTES)
        name, args = req["call"], req["args"]
        fn = swap[name]
    except (wire.WireError, KeyError, TypeError, MemoryError):
        return wire.encode({"raised": "a malformed request for a reference function"})
    if name in graded_later:
        return wire.encode({"raised": f"{name} is graded in a later cell: keep the graded cells in the "
                                      f"release's order"})
    asked, known = signature(args), shapes.get(name, ())
    parameters = frozenset().union(*(d for k in known for d in parameters_in(k)))
    if not any(fits(asked, k, parameters) for k in known):
        return wire.encode({"raised": f"{name} got other parameters, or larger arrays, than the correct code "
                                      f"passes it"})
    from .hidden import quiet
    try:
        with quiet():
            return wire.encode({"value": fn(*args)})
    except Exception as e:
        return wire.encode({"raised": f"the correct {name}, called with what your code passed it, raised "
                                      f"{type(e).__name__}: {student_line(e, 100)}"})


def signature(value, budget=None, depth=0):
    """The structure of a value and the shapes of its arrays (what the reference's own calls are
    compared on); a dict (the parameters, a model) is the digests of the values of the arrays in
    it. None for a value too large or deep to be a function's arguments."""
    budget = budget if budget is not None else [10_000]
    budget[0] -= 1
    if budget[0] < 0 or depth > 16:
        return None
    if isinstance(value, np.ndarray):
        return "array", value.shape
    if isinstance(value, (tuple, list)):
        items = tuple(signature(v, budget, depth + 1) for v in value)
        return None if None in items else ("sequence", items)
    if isinstance(value, dict):
        digests = _digests(value, budget, depth + 1)
        return None if digests is None else ("dict", digests)
    return "scalar" if isinstance(value, (int, float, np.number)) else type(value).__name__


def _digests(value, budget, depth):
    """The digests of the values (as float64) of the arrays anywhere in a dict, or None."""
    budget[0] -= 1
    if budget[0] < 0 or depth > 16:
        return None
    if isinstance(value, np.ndarray):
        try:
            return frozenset([hashlib.sha1(np.ascontiguousarray(value, dtype=np.float64).tobytes()
                                           + str(value.shape).encode()).hexdigest()])
        except (TypeError, ValueError):
            return None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else ()
    found = frozenset()
    for v in items:
        d = _digests(v, budget, depth + 1)
        if d is None:
            return None
        found |= d
    return found


def parameters_in(sig):
    """The dicts (as the digests of their arrays) within a signature."""
    if isinstance(sig, tuple) and sig and sig[0] == "dict":
        return {sig[1]} if sig[1] else set()
    if isinstance(sig, tuple) and sig and sig[0] == "sequence":
        return set().union(*(parameters_in(item) for item in sig[1]))
    return set()


# how many times larger than in the reference's own calls an array outside the parameters may be,
# along each axis and in all (code that batches what the reference loops over, or loops over what
# it batches, is right; the parameters set the sizes of the products)
LARGER = 100


def fits(asked, known, parameters):
    """Whether arguments of signature `asked` are like those of a reference's call, `known`: the
    same structure; in place of each dict, one whose arrays are all among `parameters` (the
    digests of the arrays of the case's own dicts: its parameters, values included, so that the
    answers are those of this case's model and of no other case's; any subset of them, under
    any keys); the other arrays with as many axes, each, and the whole, at most LARGER times as
    large."""
    if asked is None or known is None:
        return False
    if isinstance(known, tuple) and known[0] == "array":
        if not (isinstance(asked, tuple) and asked[0] == "array" and len(asked[1]) == len(known[1])):
            return False
        return all(a <= LARGER * max(k, 1) for a, k in zip(asked[1], known[1])) and \
            math.prod(asked[1]) <= LARGER * max(math.prod(known[1]), 1)
    if isinstance(known, tuple) and known[0] == "dict":
        return isinstance(asked, tuple) and asked[0] == "dict" and asked[1] <= parameters
    if isinstance(known, tuple) and known[0] == "sequence":
        return isinstance(asked, tuple) and asked[0] == "sequence" and len(asked[1]) == len(known[1]) and \
            all(fits(a, k, parameters) for a, k in zip(asked[1], known[1]))
    return asked == known


def free_names(tree):
    """Names that the code reads but neither defines nor imports, nor has as builtins."""
    bound, read = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound.add if isinstance(node.ctx, (ast.Store, ast.Del)) else read.append)(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return [n for n in dict.fromkeys(read) if n not in bound and not hasattr(builtins, n)]


HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.S)


def graded_functions(source):
    """The notebook's functions that a graded cell's code calls."""
    try:
        return free_names(ast.parse(source))
    except SyntaxError:
        return []


def judge(source, call_kernel, graded_later=()):
    """Run a graded cell's code (from the gradebook) here. Returns (passed, message, aborted):
    message says why it failed, aborted is the CallAborted that ended it (or None).
    graded_later: the functions that graded cells after this one grade."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        return False, f"the grader could not read this cell's tests: {e}", None
    namespace = {"__name__": "__hidden_tests__", "__builtins__": builtins}
    namespace.update({name: Remote(name, call_kernel, graded_later) for name in free_names(tree)})
    _HERE.judging = True
    try:
        exec(compile(tree, "<hidden tests>", "exec"), namespace)
    except CallAborted as e:
        return False, e.what, e
    except AssertionError as e:
        return False, str(e), None
    except Exception as e:                    # the grader's own failure: say so, do not hide it
        return False, f"the grader failed on this cell ({type(e).__name__}: {student_line(e, 200)})", None
    finally:
        _HERE.judging = False
    return True, None, None


def time_limit(reference_seconds):
    """Seconds a student's function may take on a case where the reference took reference_seconds."""
    return FLOOR_SECONDS + FACTOR * reference_seconds
