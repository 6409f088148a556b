"""The hidden tests: what a graded cell calls to compare a student's function with the reference.

`grade` compares a student's function with the reference on several cases and raises an
AssertionError whose message says which output is wrong, how wrong, where, and, when the
output matches a catalogued mistake, which mistake.

When grading, the student's function is a `judge.Remote`: these tests run in the grading
process, and each call of the student's function runs in their sandboxed kernel, which gets the
case's inputs and returns outputs as plain data. Everything else (the reference, the expected
values, the comparison) stays here. A plain function is also accepted, for an instructor who
runs a source notebook in JupyterLab; but never during nbgrader's autograding, where a plain
function means that the hidden tests run inside the student's kernel, which the course does
not allow: they refuse, and the cell scores 0.
"""
import contextlib
import copy
import io
import os
import time
import warnings
from dataclasses import dataclass

import numpy as np

from .. import mistakes
from ..diagnostics import describe, is_close
from ..judge import (REFERENCE_CALLS_EXTRA, REFERENCE_CALLS_FACTOR, CallAborted, Remote, judging, parameters_in,
                     signature, time_limit)
from ..student.bptt_utils import mistake_line, pattern_line
from .caches import Cache, CacheValue


@dataclass
class Case:
    label: str        # shown to the student, e.g. "n_x=3, n_a=5, m=4"
    args: tuple       # the function's arguments; never modified


def shape_label(shape, *dims):
    """The label of a case for messages: shape_label(s, "n_x", "m") -> "n_x=3, m=4"; a LARGE
    shape says so."""
    label = ", ".join(f"{d}={shape[d]}" for d in dims)
    return label + " (large)" if shape.get("large") else label


# Backprop computes every gradient in one sweep that costs about as much as the forward pass; a
# gradient by finite differences costs two forward passes per entry. Each backward function is
# also graded on a case marked large=True, with tens of thousands of entries: any analytic
# implementation answers in milliseconds, finite differences cannot within a call's time limit
# (judge.time_limit), so a backward pass computed numerically earns none of the backward marks.
def large(**shape):
    return dict(shape, large=True)


# numpy's namespaces as they are when the hidden tests are imported, which is before any student
# code runs (execute.py imports them first)
_NUMPY = {m: dict(vars(m)) for m in (np, np.linalg, np.random)}


def restore_numpy():
    """Undo whatever a notebook reassigned in numpy (np.max = ..., np.tanh = ...), so that it
    changes neither the reference's answers nor how they are compared with the student's."""
    for module, names in _NUMPY.items():
        now = vars(module)
        for k, v in names.items():
            if now.get(k) is not v:
                setattr(module, k, v)


@contextlib.contextmanager
def quiet():
    """Silence everything student code might print or warn."""
    with np.errstate(all="ignore"), warnings.catch_warnings(), \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def swapped(fn, replacements):
    """Temporarily replace names in fn's module globals (the notebook's namespace).

    Grading rnn_backward with the reference rnn_cell_backward swapped in means that one bug in
    the student's cell function is not charged twice.
    """
    g = getattr(fn, "__globals__", None)
    if g is None or not replacements:
        yield
        return
    missing = object()
    saved = {k: g.get(k, missing) for k in replacements}
    g.update(replacements)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is missing:
                g.pop(k, None)
            else:
                g[k] = v


def same(a, b):
    """Deep equality of nested tuples, lists, dicts and arrays (to detect mutated inputs).

    A random Generator is meant to advance when a function draws from it, so any two are alike.
    """
    if isinstance(a, np.random.Generator):
        return isinstance(b, np.random.Generator)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
            and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a is b or a == b


def _output_name(n):
    return n.name if isinstance(n, Cache) else n


def as_outputs(result, names, fn_name):
    """The named outputs of a result: a dict as is, a tuple by position (None skips one; a
    Cache names a cache, graded entry by entry), the one value returned when names is a
    string, or what the function names(result) makes of it (it raises TypeError for a
    malformed result)."""
    if callable(names):
        return names(result)
    if isinstance(names, str):
        return {names: result}
    if isinstance(names, dict) or names is None:
        if not isinstance(result, dict):
            raise TypeError(f"{fn_name} must return a dict; it returned {type(result).__name__}")
        return result
    if not isinstance(result, tuple) or len(result) != len(names):
        raise TypeError(f"{fn_name} must return a tuple of {len(names)} values "
                        f"({', '.join(_output_name(n) or 'cache' for n in names)})")
    return {_output_name(n): CacheValue(v, n.layout) if isinstance(n, Cache) else v
            for n, v in zip(names, result) if n}


def _describe(name, got, expected, sequence):
    """One sentence on how the output got differs from expected, or None when they agree."""
    if isinstance(expected, CacheValue):
        return expected.describe(name, got)
    return describe(name, got, expected, sequence)


def _agrees(got, expected):
    if isinstance(expected, CacheValue):
        return expected.describe("", got) is None
    return is_close(got, np.asarray(expected, dtype=float))


def _run(fn, args, names, fn_name, swap=None, seconds=None, calls=None):
    """Call fn on a copy of args. Returns (outputs, error message or None).

    A Remote fn runs in the student's kernel, within `seconds`, with the names in swap answered
    by the given (reference) functions here, on arguments shaped as in calls (what
    reference_calls recorded); a plain fn runs here.
    """
    before = copy.deepcopy(args)
    if isinstance(fn, Remote):
        shapes, count = calls or ({}, 0)
        got = fn.call(args, swap=swap, seconds=seconds, shapes=shapes,
                      max_calls=REFERENCE_CALLS_FACTOR * count + REFERENCE_CALLS_EXTRA)
        if "missing" in got:
            return None, (f"{fn_name} is not defined when this cell runs (was it renamed, or did its cell "
                          "fail to run?)")
        if "raised" in got:
            return None, f"{fn_name} raised {got['raised']}"
        result, after = got["value"], got.get("args")
        if isinstance(after, str) and after == "unchanged":
            after = before
        after = tuple(after) if isinstance(after, list) and isinstance(args, tuple) else after
    else:
        _refuse_in_the_students_kernel()
        after = copy.deepcopy(args)
        try:
            with quiet(), swapped(fn, swap):
                result = fn(*after)
        except Exception as e:   # the student's bug, reported in the message
            return None, f"{fn_name} raised {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}".rstrip(": ")
        finally:
            restore_numpy()
    try:
        out = as_outputs(result, names, fn_name)
    except TypeError as e:
        return None, str(e)
    if not same(before, after):
        return out, f"{fn_name} changed one of its inputs; it must leave its arguments unchanged"
    return out, None


def _refuse_in_the_students_kernel():
    if os.environ.get("NBGRADER_EXECUTION") == "autograde" and not judging():
        raise RuntimeError("the hidden tests run only in the course's judge, outside the student's kernel: "
                           "autograde with the course's nbgrader_config.py (python -m autograder grade)")


def _matches(student, mistake_out, keys):
    if student is None or mistake_out is None:
        return student is None and mistake_out is None
    return all(k in student and _agrees(student[k], mistake_out[k]) for k in keys if k in mistake_out)


def grade(fn, reference, cases, keys, *, name, outputs=None, sequence=False, swap=None):
    """Compare fn with reference on every case for the outputs in keys; raise if any differ.

    Inputs:
    - fn, reference: the student's function and the reference one, same signature
    - cases: list of Case
    - keys: the outputs this graded cell checks, e.g. ("dxt",) or ("dWax", "dWaa", "dba"); those
      that the reference does not return for a case are not checked on it
    - name: the API name of the function, for messages and for the mistake catalogue
    - outputs: None for functions returning a dict; for tuples, the name of each position (a
      Cache for a cache, compared entry by entry with the reference's: see caches.py); a string
      for functions returning one array, or a function that turns a result into a dict of named
      outputs
    - sequence: outputs have time on their last axis; messages then name the wrong steps
    - swap: names to replace in fn's globals while it runs, e.g. {"rnn_cell_backward": ref}
    """
    problems, student_outs, expected_outs = [], [], []
    CASE_PARAMETERS.setdefault(name, set()).update(p for c in cases for p in parameters_in(signature(c.args)))
    _meet(name)
    for case in cases:
        restore_numpy()
        started = time.perf_counter()
        if swap and isinstance(fn, Remote):       # what the reference calls is recorded as it runs
            result, calls = reference_calls(reference, case.args, swap)
        else:
            result, calls = reference(*copy.deepcopy(case.args)), None
        expected = as_outputs(result, outputs, name)
        reference_seconds = time.perf_counter() - started
        seconds = time_limit(reference_seconds)
        try:
            out, error = _run(fn, case.args, outputs, name, swap, seconds, calls)
        except CallAborted as e:
            raise CallAborted(_aborted(name, case, e, seconds, reference_seconds), e.lost) from None
        student_outs.append(out)
        expected_outs.append(expected)
        if error:
            problems.append((case, error))
            continue
        for k in (k for k in keys if k in expected):   # a case may lack some, e.g. dx3 of 2 layers
            msg = f"{name} returned no '{k}'" if k not in out else _describe(k, out[k], expected[k], sequence)
            if msg:
                problems.append((case, msg))
                break
    if not problems:
        return
    case, msg = problems[0]
    message = f"{msg} (case {case.label}; {len(problems)} of {len(cases)} cases wrong)."
    known = _known_mistake(name, cases, outputs, student_outs, keys, every=tuple(expected))
    if known:
        message += " " + mistake_line(known.id, known.hint)
    elif mistakes.patterns(name):
        look = mistakes.where_to_look(name, _wrong_outputs(student_outs, expected_outs, sequence),
                                      {k for expected in expected_outs for k in expected})
        if look:
            message += " " + pattern_line(look.hint)
    raise AssertionError(message)


# {function name: the parameters of its hidden cases}, and {name: the parameters with which the
# judge answers the calls of it}: these must never meet, or a sequence function's calls of the
# reference could fetch the answers of a cell function's own cases (the grader checks itself)
CASE_PARAMETERS, ANSWERED_PARAMETERS = {}, {}


def _meet(name):
    if CASE_PARAMETERS.get(name, set()) & ANSWERED_PARAMETERS.get(name, set()):
        raise RuntimeError(f"grader self-check failed: the judge would answer {name} with the parameters of one "
                           "of its own hidden cases")


def reference_calls(reference, args, swap):
    """The reference's result on args, and ({name: signatures of the arguments}, number) of the
    calls it makes to the functions in swap: the judge answers the student's code on such
    arguments only."""
    shapes, count = {k: set() for k in swap}, [0]

    def recorder(k, f):
        def record(*a):
            shapes[k].add(signature(a))
            count[0] += 1
            return f(*a)
        return record

    with quiet(), swapped(reference, {k: recorder(k, f) for k, f in swap.items()}):
        result = reference(*copy.deepcopy(args))
    for k, signatures in shapes.items():
        ANSWERED_PARAMETERS.setdefault(k, set()).update(p for sig in signatures for p in parameters_in(sig))
        _meet(k)
    return result, (shapes, count[0])


def _wrong_outputs(student_outs, expected_outs, sequence):
    """The outputs that are wrong on some case (of the cases where the function returned)."""
    wrong = set()
    for out, expected in zip(student_outs, expected_outs):
        if out is not None:
            wrong |= {k for k in expected if k not in out or _describe(k, out[k], expected[k], sequence)}
    return wrong


def _aborted(name, case, e, seconds, reference_seconds):
    """The message of a graded cell that a call ended: which function, on which case, and why."""
    if e.what == "timeout":
        return (f"{name} did not return within {seconds:.1f} s on the case {case.label} (the correct one takes "
                f"{1000 * reference_seconds:.1f} ms). An infinite loop? A backward pass computes every gradient "
                "in one sweep; one that takes a forward pass per entry (finite differences) cannot finish in time.")
    return f"{name}, on the case {case.label}: {e.what}"


def _known_mistake(name, cases, outputs, student_outs, keys, every):
    """The catalogued mistake whose outputs match the student's on keys, or None.

    Two mistakes can agree on one output (both give the same wrong dc_prev, say) and differ
    elsewhere; the one that matches the student on every output is the better explanation.
    """
    first = None
    for m in mistakes.catalogue(name):
        if not set(m.wrong) & set(keys):      # right on these outputs: it cannot explain this failure
            continue
        mistake_outs = [_run(m.impl, c.args, outputs, name)[0] for c in cases]
        if all(o is None for o in mistake_outs):    # a mistake that fails on every case tells nothing
            continue
        pairs = list(zip(student_outs, mistake_outs))
        if all(_matches(s, o, keys) for s, o in pairs):
            if all(_matches(s, o, every) for s, o in pairs):
                return m
            first = first or m
    return first
