"""Farming: slot challenges, audits, proving, the Solution container, solution ranges and verification."""
