"""Plotting: sectors encoded from downloaded pieces, records fanned out to plotting workers."""
