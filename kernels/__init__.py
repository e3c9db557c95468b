"""C kernels of the node with thin typed facades (one module per kernel) and pure-Python references.

The facades validate preconditions and choose a backend; they import nothing from the project.
"""
