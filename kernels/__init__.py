"""C kernels of the node with thin typed facades (one module per kernel) and pure-Python references.

The facades validate preconditions through the shared checks of `_checks.py` and choose a backend
through the one `BackendSelector` and name table of `_backends.py`; they import nothing from the project.
"""
