"""Grade the caches that forward functions return, entry by entry against the reference's.

A forward function's cache is what its backward function reads; a wrong cache costs nothing
in the backward cells (they run on reference caches), so the forward cell grades it. A layout
says what the documented cache holds:

    CELL = Entries("a_next", "a_prev", "xt", "parameters")          # rnn_cell_forward's cache
    SEQ = Entries(("list of cell caches", OnePer(CELL, "cell cache", "time step", "time step t = {}")), "x")

and `Cache("cache", CELL)` in a grader's `outputs=` tuple grades that position with it. Entries
compare by value, so copies pass; a tuple or a list will do. A dict entry (the parameters) must
hold the reference's keys with equal values; it may hold more.
"""
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..diagnostics import NOT_NUMBERS, TOLERANCE, finite_parts, same_non_finite
from ..student.wire import Opaque
from ..student.bptt_utils import difference, relative_error


class Entries:
    """A tuple of named entries. Each is a name (an array, a number, None or a dict of arrays)
    or a pair (name, layout) for an entry with a layout of its own."""

    def __init__(self, *entries):
        self.entries = tuple((e, None) if isinstance(e, str) else e for e in entries)

    def __str__(self):
        return "(" + ", ".join(name for name, _ in self.entries) + ")"


class OnePer:
    """A list of one item per time step, or per layer, each with the layout `item`.

    noun names an item ("cell cache"); per names what there is one of ("time step"); label,
    formatted with the item's index counted from `first`, says which one ("time step t = {}")."""

    def __init__(self, item, noun, per, label, first=0):
        self.item, self.noun, self.per, self.label, self.first = item, noun, per, label, first


@dataclass(frozen=True)
class Cache:
    """An output position that is a cache: outputs=("a_next", "yt_pred", Cache("cache", CELL))."""
    name: str
    layout: object


@dataclass(frozen=True, eq=False)
class CacheValue:
    """A returned cache with its layout: what `grade` compares for a Cache output."""
    value: object
    layout: object

    def describe(self, name, got):
        """One sentence on how the cache got differs from this one (the reference's), or None."""
        if isinstance(got, CacheValue):
            got = got.value
        found = _difference(got, self.value, self.layout, [])
        if found is None:
            return None
        path, problem = found
        if not path:
            return f"{name} {problem}"
        if len(path) == 1:
            return f"{name} is wrong: its entry {path[0][0]} ({_where(path)}) {problem}"
        indices = "".join(f"[{i}]" for i, _, _ in path)
        return f"{name} is wrong: {name}{indices} ({_where(path)}) {problem}"


def _where(path):
    """What the last step of path is, and in which layer and time step: "a_prev, time step t = 3"."""
    _, name, label = path[-1]
    return ", ".join([name if label is None else f"the {name}"] +
                     [label for _, _, label in path[:-1] if label is not None])


def _kind(value):
    """What a value is, for messages: "a dict", "a tuple of 3 entries", "an array of shape (5, 4)"."""
    if value is None:
        return "None"
    if isinstance(value, Opaque):          # what the student's kernel could not send as data
        return value.what
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        n = len(value)
        return f"a {type(value).__name__} of {n} entr{'y' if n == 1 else 'ies'}"
    if isinstance(value, Mapping):
        return "a dict"
    return f"a {type(value).__name__}"


def _difference(got, expected, layout, path):
    """None when got agrees with expected; else (path, problem): path is [(index, name, label)]
    from the top of the cache down (label: the time step or layer of a list's item, None for an
    entry), problem a phrase ("has shape ...")."""
    if isinstance(layout, Entries):
        if not isinstance(got, (tuple, list)) or len(got) != len(layout.entries):
            return path, f"does not have the documented layout {layout}: it is {_kind(got)}"
        for i, (name, inner) in enumerate(layout.entries):
            found = _difference(got[i], expected[i], inner, path + [(i, name, None)])
            if found:
                return found
        return None
    if isinstance(layout, OnePer):
        n = len(expected)
        if not isinstance(got, (tuple, list)):
            return path, f"is {_kind(got)}, expected a list of {n} {layout.noun}s (one per {layout.per})"
        if len(got) != n:
            return path, f"has {len(got)} entr{'y' if len(got) == 1 else 'ies'}, expected {n} (one per {layout.per})"
        for i in range(n):
            label = layout.label.format(i + layout.first)
            found = _difference(got[i], expected[i], layout.item, path + [(i, f"{layout.noun} of {label}", label)])
            if found:
                return found
        return None
    problem = _leaf_difference(got, expected)
    return (path, problem) if problem else None


def _leaf_difference(got, expected):
    """A phrase on how got differs from expected (None, a dict of arrays, an array or a number)."""
    if expected is None:
        return None if got is None else f"is {_kind(got)}, expected None"
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return f"is {_kind(got)}, expected the dict of parameters"
        for k in expected:
            if k not in got:
                return f"has no key {k!r}"
            problem = _array_difference(got[k], expected[k])
            if problem:
                return f"differs from the reference in {k!r}: it {problem}"
        return None
    return _array_difference(got, expected)


def _array_difference(got, expected):
    if got is None:
        return "is None"
    if not isinstance(got, (np.ndarray, np.number, int, float)):
        # not np.asarray: a list that holds itself (caches.append(caches)) would never convert
        return f"is {_kind(got)}, expected an array of numbers"
    try:
        got = np.asarray(got, dtype=float)
    except NOT_NUMBERS:
        return f"is {_kind(got)}, expected an array of numbers"
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return f"has shape {got.shape}, expected {expected.shape}"
    if not same_non_finite(got, expected):
        return "differs from the reference (it has NaN or inf in other places)"
    got, expected = finite_parts(got, expected)
    if relative_error(got, expected) >= TOLERANCE:
        return f"differs from the reference ({difference(got, expected)})"
    return None
