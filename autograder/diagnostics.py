"""Say how and where a student's array differs from the reference.

Sequence arrays carry time on their last axis (n, m, T_x), so the diagnosis names the time
steps that are wrong; that is where BPTT bugs show (a missing recurrent term is right at the
last step and wrong before it).
"""
import numpy as np

from .student.bptt_utils import relative_error

TOLERANCE = 1e-6


def is_close(got, expected, tol=TOLERANCE):
    """True when got has expected's shape and agrees to relative error tol."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(expected) and relative_error(got, expected) < tol


def wrong_steps(got, expected, tol=TOLERANCE):
    """Indices t along the last axis where got[..., t] differs from expected[..., t]."""
    return [t for t in range(expected.shape[-1]) if relative_error(got[..., t], expected[..., t]) >= tol]


def _ranges(ts):
    """[0, 1, 2, 5] -> '0-2, 5'"""
    out, start = [], None
    for i, t in enumerate(ts):
        if start is None:
            start = t
        if i + 1 == len(ts) or ts[i + 1] != t + 1:
            out.append(f"{start}" if start == t else f"{start}-{t}")
            start = None
    return ", ".join(out)


def describe(name, got, expected, sequence=False, tol=TOLERANCE):
    """One sentence on how got differs from expected, or None when they agree."""
    if got is None:
        return f"{name} is missing (None)"
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"{name} is not an array of numbers (got {type(got).__name__})"
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}, expected {expected.shape}"
    if not np.all(np.isfinite(got)):
        return f"{name} contains NaN or inf"
    err = relative_error(got, expected)
    if err < tol:
        return None
    where = ""
    if sequence and expected.ndim == 3:
        steps = wrong_steps(got, expected, tol)
        T = expected.shape[-1]
        right = [t for t in range(T) if t not in steps]
        where = f" at time steps t = {_ranges(steps)} (right at t = {_ranges(right)})" if right else " at every time step"
    return f"{name} is wrong{where}: max relative error {err:.2g}"
