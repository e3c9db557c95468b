"""Proof-of-time: the delay function, slot inputs and the PoT chain state the timekeeper and every verifier follow."""
