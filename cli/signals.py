"""Long-running commands stop cleanly on Ctrl-C and SIGTERM, also when started with SIGINT ignored (`cmd &`), and
survive the reader of their output going away (`| tee log` or `| head` killed by the same Ctrl-C)."""

from __future__ import annotations

import contextlib
import io
import os
import signal
from typing import TextIO


def stop_on_signals() -> None:
    """Turn SIGINT and SIGTERM into KeyboardInterrupt in the main thread."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


class PipeSafeStream(io.TextIOBase):
    """A text stream that goes quiet once its reader has gone (EPIPE) instead of raising BrokenPipeError.

    Python ignores SIGPIPE, so a write to a closed pipe raises; a command then still stops its roles and saves
    what it must. The wrapped stream's descriptor is pointed at /dev/null, so the interpreter's own flush of it at
    exit does not fail either ("Exception ignored … BrokenPipeError").
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self.stream.write(text)
                self.stream.flush()  # a live log: each line out as it is printed, and a dead reader found at once
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._silence()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"

    def _silence(self) -> None:
        self.broken = True
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self.stream.fileno())
            finally:
                os.close(devnull)
