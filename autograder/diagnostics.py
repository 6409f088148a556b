"""Say how and where a student's array differs from the reference.

Whether an array is right is decided entry by entry (relative error below TOLERANCE, so that
correct implementations written differently pass). How far a wrong one is off is said as the
visible tests say it (student/bptt_utils.py: difference): the size of the error next to the
right array's, or the factor by which it is too large, and the entry that differs most.
Sequence arrays carry time on their last axis (n, m, T_x), so the diagnosis names the time
steps that are wrong; that is where BPTT bugs show (a missing recurrent term is right at the
last step and wrong before it).
"""
import numpy as np

from .student.bptt_utils import difference, relative_error
from .student.wire import Opaque

TOLERANCE = 1e-6
# what np.asarray(x, dtype=float) raises for an x that is not an array of numbers (a list that
# holds itself recurses; what the student's kernel sent is bounded in size, see student/wire.py)
NOT_NUMBERS = (TypeError, ValueError, RecursionError, OverflowError)


def same_non_finite(got, expected):
    """True when got has inf and NaN exactly where expected has them (both float arrays, one shape)."""
    finite = np.isfinite(expected)
    return np.array_equal(np.isfinite(got), finite) and \
        np.array_equal(got[~finite], expected[~finite], equal_nan=True)


def finite_parts(got, expected):
    """got and expected with their (equal) non-finite entries set to 0, so that they compare."""
    finite = np.isfinite(expected)
    return np.where(finite, got, 0.0), np.where(finite, expected, 0.0)


def is_close(got, expected, tol=TOLERANCE):
    """True when got has expected's shape and agrees to relative error tol. An inf or NaN in
    expected must be matched by the same value in got."""
    try:
        got = np.asarray(got, dtype=float)
    except NOT_NUMBERS:
        return False
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape or not same_non_finite(got, expected):
        return False
    return relative_error(*finite_parts(got, expected)) < tol


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
    except NOT_NUMBERS:
        kind = got.what if isinstance(got, Opaque) else type(got).__name__
        return f"{name} is not an array of numbers (got {kind})"
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}, expected {expected.shape}"
    if not same_non_finite(got, expected):
        if np.all(np.isfinite(expected)):
            return f"{name} contains NaN or inf"
        return f"{name} is wrong: it has inf or NaN in other places than expected"
    got, expected = finite_parts(got, expected)
    if relative_error(got, expected) < tol:
        return None
    where = ""
    if sequence and expected.ndim == 3:
        steps = wrong_steps(got, expected, tol)
        T = expected.shape[-1]
        right = [t for t in range(T) if t not in steps]
        where = f" at time steps t = {_ranges(steps)} (right at t = {_ranges(right)})" if right else " at every time step"
    return f"{name} is wrong{where}: {difference(got, expected)}"
