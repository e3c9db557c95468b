"""Run-time backend selection shared by the kernel facades: names → C backend codes, CPU checks, errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping

REFERENCE = "reference"


class BackendSelector:
    """The backends of one kernel: C codes by name (checked against this CPU) plus the pure-Python reference."""

    def __init__(self, codes: Mapping[str, int], is_available: Callable[[int], object], error: type[Exception]) -> None:
        self.codes = dict(codes)
        self.names = (*self.codes, REFERENCE)
        self._is_available = is_available
        self._error = error

    def available(self) -> tuple[str, ...]:
        """Every backend that runs on this CPU, the reference included."""
        return (*(name for name, code in self.codes.items() if self._is_available(code)), REFERENCE)

    def code(self, backend: object) -> int | None:
        """The C code of `backend`, or None for the reference; the kernel's error when unknown or unavailable."""
        if backend == REFERENCE:
            return None
        if not isinstance(backend, str) or backend not in self.codes:
            msg = f"backend={backend!r} must be one of {self.names}"
            raise self._error(msg)
        code = self.codes[backend]
        if not self._is_available(code):
            msg = f"backend={backend!r} is not available on this CPU (available: {self.available()})"
            raise self._error(msg)
        return code
