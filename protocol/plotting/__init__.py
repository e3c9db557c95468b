"""Plotting: sector ids, verifiable piece selection, record encoding and reading pieces back from sectors."""
