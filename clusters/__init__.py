"""Composition root, topologies, the CLI and the ray up configs. Nothing imports clusters."""
