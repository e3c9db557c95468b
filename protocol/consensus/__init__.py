"""The consensus chain: blocks, state, transactions, limits, recorded segment headers and fork choice."""
