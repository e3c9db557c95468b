"""Execution domains: operators (one actor per domain and operator) and their domain chains."""
