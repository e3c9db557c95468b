"""Pure, deterministic protocol logic: parameters, state and messages in, values out.

Nothing here reads a clock, a random source, a disk or a socket (tests/test_boundaries.py).
"""
