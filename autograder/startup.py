"""What a grading process does first, to start and end fast.

jsonschema, which nbformat imports, loads its optional checker of the "iri-reference" format
from rfc3987-syntax when that is installed (jupyter-events asks for it); importing it compiles
a grammar, about a second of a `check`. Notebooks never use that format, so the course's own
processes (the command line and its grading workers, never a Jupyter server) go without it.

While nbgrader, nbconvert and SQLAlchemy are imported (`bulk_imports`), the cyclic garbage
collector would walk the new objects again and again: a tenth of a second of a `check`. They
live as long as the process, so the collector is off meanwhile, and they are frozen after, out
of every later collection.

At exit, the interpreter's last garbage collection walks every object that the imports of
nbgrader, nbconvert and SQLAlchemy made: a quarter of a second of a `check`, to free memory
that the process is about to give back anyway. Every kernel, file and folder has been closed by
then; freezing the objects skips the walk.
"""
import atexit
import contextlib
import gc
import sys

sys.modules.setdefault("rfc3987_syntax", None)      # `import rfc3987_syntax` now fails at once
atexit.register(gc.freeze)      # the command line imports this module first: this handler runs last


@contextlib.contextmanager
def bulk_imports():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
