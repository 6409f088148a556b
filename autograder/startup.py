"""What a grading process does first, to start fast.

jsonschema, which nbformat imports, loads its optional checker of the "iri-reference" format
from rfc3987-syntax when that is installed (jupyter-events asks for it); importing it compiles
a grammar, about a second of a `check`. Notebooks never use that format, so the course's own
processes (the command line and its grading workers, never a Jupyter server) go without it.
"""
import sys

sys.modules.setdefault("rfc3987_syntax", None)      # `import rfc3987_syntax` now fails at once
