"""The catalogue of known mistakes: realistic wrong implementations, each with a hint.

One catalogue feeds two things:
- the hidden tests, which name a mistake when a submission's output matches it;
- the tests of the tests (tests/test_mistakes.py), which turn each mistake into a submission,
  grade it through nbgrader and assert that it loses points exactly on the cells of the
  outputs it gets wrong, with its hint in the message.

A mistake is a function with the signature of the API function it imitates. Its source is
pasted into a notebook under the API name, so it may only use numpy (as np) and the names
that the notebook itself defines (its other functions, and the globals of its visible tests).

Beside the mistakes, each module keeps a small table of patterns: sets of wrong outputs that
point to one place ("all five are wrong: look at dz first"), said when no catalogued mistake
explains a failure. The visible tests get both from known_mistakes.json beside each notebook,
which tools/known_mistakes.py generates from this catalogue.
"""
import importlib
import inspect
import pkgutil
import textwrap
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Mistake:
    id: str                  # the implementing function's name, stable: reports count by it
    function: str            # the API function this is a wrong version of
    wrong: tuple             # the outputs it gets wrong on the hidden cases
    hint: str                # what the student did and what to do instead
    impl: Callable

    def source(self):
        """The mistake's source, renamed to the API function, ready to paste in a notebook."""
        src = textwrap.dedent(inspect.getsource(self.impl))
        src = src[src.index(f"def {self.id}("):]          # drop the decorator
        return src.replace(f"def {self.id}(", f"def {self.function}(", 1)


@dataclass(frozen=True)
class Pattern:
    function: str            # the API function
    wrong: frozenset         # exactly the outputs that are wrong
    hint: str                # where to look


_CATALOGUE = {}
_PATTERNS = {}


def mistake(function, wrong, hint):
    """Register the decorated function as a known mistake in `function`."""
    def register(impl):
        old = _CATALOGUE.get(impl.__name__)
        if old and (old.impl.__module__, old.impl.__code__.co_firstlineno) != (impl.__module__, impl.__code__.co_firstlineno):
            raise ValueError(f"two mistakes are named {impl.__name__}: the catalogue is keyed by name")
        _CATALOGUE[impl.__name__] = Mistake(impl.__name__, function, tuple(wrong), hint, impl)
        return impl
    return register


def _load():
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def catalogue(function=None):
    """All known mistakes, or those of one API function."""
    _load()
    return [m for m in _CATALOGUE.values() if function in (None, m.function)]


def get(mistake_id):
    _load()
    return _CATALOGUE[mistake_id]


def pattern(function, wrong, hint):
    """Register where to look when exactly the outputs in wrong of function are wrong."""
    _PATTERNS[(function, frozenset(wrong))] = Pattern(function, frozenset(wrong), hint)


def patterns(function=None):
    """All patterns, or those of one API function."""
    _load()
    return [p for p in _PATTERNS.values() if function in (None, p.function)]


def where_to_look(function, wrong, outputs):
    """The pattern of function that says where to look when the outputs in wrong, of those in
    outputs, are wrong: the one whose outputs that exist (a case of one layer has no dx2) are
    exactly those. None when none is."""
    _load()
    wrong = set(wrong)
    return next((p for p in patterns(function) if wrong and p.wrong & set(outputs) == wrong), None)
