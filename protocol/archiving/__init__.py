"""Archiving: blocks into segments, records erasure-coded into KZG-committed pieces, reconstruction."""
