"""Long-running commands stop cleanly on Ctrl-C and SIGTERM, also when started with SIGINT ignored (`cmd &`)."""

from __future__ import annotations

import signal


def stop_on_signals() -> None:
    """Turn SIGINT and SIGTERM into KeyboardInterrupt in the main thread."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
