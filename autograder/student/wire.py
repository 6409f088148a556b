"""Plain data across the sandbox's boundary: JSON, with arrays as base64 bytes. No pickle.

The judge sends a graded function's arguments to the student's kernel, and the kernel sends back
what the function returned, in this form. Decoding builds only numbers, strings, None, numpy
arrays of numbers, tuples, lists, dicts with string keys and numpy Generators, so that nothing a
kernel sends can make the judge run code. Objects met twice (the parameters dict that every
cell cache of a sequence shares) are sent once, and come back shared; a list that holds itself
comes back holding itself.

Each value is a JSON list whose first item is a tag:

    ["none"]  ["bool", b]  ["int", "123"]  ["float", 1.5 | "nan" | "inf" | "-inf"]  ["str", s]
    ["array", id, dtype, shape, base64]   ["scalar", dtype, base64]      (numpy)
    ["tuple", id, [...]]  ["list", id, [...]]  ["dict", id, [[key, value], ...]]
    ["rng", bit_generator_state]  ["ref", id]   ["other", type name]   (what cannot be sent)
"""
import base64
import json
import math

import numpy as np

# dtypes that may cross: numbers and booleans, never objects
KINDS = set("biuf")


class WireError(ValueError):
    """Data that does not follow this format, or exceeds a limit."""


def _float(x):
    return x if math.isfinite(x) else str(x)


def encode(value):
    """value -> JSON text."""
    seen = {}
    return json.dumps(_enc(value, seen, 0), separators=(",", ":"))


def _enc(v, seen, depth):
    if depth > 100:
        return ["other", "a structure nested more than 100 deep"]
    if v is None:
        return ["none"]
    if isinstance(v, (bool, np.bool_)):
        return ["bool", bool(v)]
    if isinstance(v, int):
        return ["int", str(v)]
    if isinstance(v, float):
        return ["float", _float(v)]
    if isinstance(v, str):
        return ["str", v]
    if isinstance(v, np.generic) and v.dtype.kind in KINDS:
        return ["scalar", v.dtype.str, base64.b64encode(v.tobytes()).decode()]
    if isinstance(v, np.random.Generator):
        return ["rng", _plain(v.bit_generator.state)]
    if id(v) in seen and isinstance(v, (np.ndarray, tuple, list, dict)):
        return ["ref", seen[id(v)]]
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in KINDS:
            return ["other", f"an array of dtype {v.dtype}"[:80]]
        seen[id(v)] = key = len(seen)
        return ["array", key, v.dtype.str, list(v.shape), base64.b64encode(np.ascontiguousarray(v).tobytes()).decode()]
    if type(v) in (tuple, list):
        seen[id(v)] = key = len(seen)
        return [type(v).__name__, key, [_enc(x, seen, depth + 1) for x in v]]
    if type(v) is dict and all(isinstance(k, str) for k in v):
        seen[id(v)] = key = len(seen)
        return ["dict", key, [[k, _enc(x, seen, depth + 1)] for k, x in v.items()]]
    return ["other", f"a {type(v).__name__}"[:80]]


def _plain(state):
    """A bit generator's state (nested dicts of ints and strings) as JSON-safe data."""
    if isinstance(state, dict):
        return {str(k): _plain(x) for k, x in state.items()}
    if isinstance(state, (int, np.integer)):
        return {"int": str(int(state))}
    if isinstance(state, np.ndarray):
        return {"uint32": [int(x) for x in state]}
    return state


def _unplain(state):
    if isinstance(state, dict):
        if set(state) == {"int"}:
            return int(state["int"])
        if set(state) == {"uint32"}:
            return np.array(state["uint32"], dtype=np.uint32)
        return {k: _unplain(x) for k, x in state.items()}
    return state


class Opaque:
    """Something a kernel returned that cannot cross as data ("a set"), for messages."""

    def __init__(self, what):
        what = "".join(ch for ch in " ".join(str(what).split()) if ch.isprintable())
        self.what = what[:80] or "something that is not data"

    def __repr__(self):
        return f"<{self.what}>"


def decode(text, max_bytes=64 << 20, max_items=200_000):
    """JSON text -> value, refusing more than max_bytes of text or max_items values."""
    if len(text) > max_bytes:
        raise WireError(f"more than {max_bytes} bytes of data")
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise WireError(f"not JSON: {e}") from None
    budget = [max_items]
    return _dec(tree, {}, budget, 0)


def _dec(node, made, budget, depth):
    budget[0] -= 1
    if budget[0] < 0 or depth > 200:
        raise WireError("too many values, or nested too deep")
    if not isinstance(node, list) or not node or not isinstance(node[0], str):
        raise WireError("malformed value")
    tag, rest = node[0], node[1:]
    try:
        if tag == "none":
            return None
        if tag == "bool":
            return bool(rest[0])
        if tag == "int":
            if len(rest[0]) > 400:
                raise WireError("an integer of more than 400 digits")
            return int(rest[0])
        if tag == "float":
            return float(rest[0])
        if tag == "str":
            return str(rest[0])
        if tag == "scalar":
            dtype = _dtype(rest[0])
            return np.frombuffer(base64.b64decode(rest[1]), dtype=dtype)[0]
        if tag == "array":
            key, dtype, shape = int(rest[0]), _dtype(rest[1]), tuple(int(n) for n in rest[2])
            if any(n < 0 for n in shape) or len(shape) > 32:
                raise WireError("a malformed array shape")
            raw = base64.b64decode(rest[3], validate=True)
            if len(raw) != dtype.itemsize * math.prod(shape):
                raise WireError("an array whose data does not match its shape")
            budget[0] -= len(raw) // 64          # large arrays count, by their size
            arr = made[key] = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
            return arr
        if tag == "rng":
            bit = np.random.PCG64()
            bit.state = _unplain(rest[0])
            return np.random.Generator(bit)
        if tag == "ref":
            return made[int(rest[0])]
        if tag in ("list", "tuple"):
            key, items = int(rest[0]), rest[1]
            out = []
            if tag == "list":                     # made first, so that it can hold itself
                made[key] = out
            for x in items:
                out.append(_dec(x, made, budget, depth + 1))
            if tag == "tuple":
                out = tuple(out)
                made[key] = out
            return out
        if tag == "dict":
            key, items = int(rest[0]), rest[1]
            out = made[key] = {}
            for k, x in items:
                out[str(k)] = _dec(x, made, budget, depth + 1)
            return out
        if tag == "other":
            return Opaque(rest[0])
    except WireError:
        raise
    except (IndexError, KeyError, TypeError, ValueError, OverflowError) as e:
        raise WireError(f"malformed {tag}: {type(e).__name__}") from None
    raise WireError(f"unknown tag {str(tag)[:20]!r}")


def _dtype(text):
    dtype = np.dtype(str(text))
    if dtype.kind not in KINDS or dtype.itemsize > 16:
        raise WireError(f"dtype {dtype} is not allowed")
    return dtype
