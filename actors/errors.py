"""Errors the actors raise to their callers (importable without Ray)."""


class ActorUnavailable(Exception):
    """The actor is dead, restarting, or did not answer within the timeout."""
