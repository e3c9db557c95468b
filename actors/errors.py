"""Errors the actors raise to their callers (importable without Ray)."""

from __future__ import annotations

from pathlib import Path


class ActorUnavailable(Exception):
    """The actor is dead, restarting, or did not answer within the timeout."""


class CorruptStore(Exception):
    """Stored state a role cannot load at start. Nothing on disk was changed by the failed open.

    The message names the store, its path, what is wrong and what to do: "<what> in <path> cannot be
    loaded (<problem>): <fix>". Survives pickling (Ray ships exceptions between processes).
    """

    def __init__(self, what: str, path: str | Path, problem: str, fix: str) -> None:
        super().__init__(f"{what} in {path} cannot be loaded ({problem}): {fix}")
        self.what = what
        self.path = str(path)
        self.problem = problem
        self.fix = fix

    def __reduce__(self) -> tuple[type, tuple[str, str, str, str]]:
        return (type(self), (self.what, self.path, self.problem, self.fix))


def describe_error(error: BaseException) -> str:
    """`Type: message` of an error, for the problem part of a CorruptStore."""
    return f"{type(error).__name__}: {error}"


class StateNotKept(Exception):
    """A state a caller asked to read is not held: its block is not in the best chain, or its trie was pruned."""
