"""What a parallel sweep shows while it runs, and the summary of what went wrong.

On a terminal: one live line (done/running/failed/total, elapsed, ETA, best value).
Elsewhere: one plain line per finished job. Both go to stderr; stdout keeps the jobs' logs.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import Any, Optional, TextIO

from hydra_runner.journal import Status

__all__ = ["FailedJob", "Progress", "format_summary"]


@dataclass
class FailedJob:
    num: int
    overrides: list[str]
    status: Status
    directory: Optional[str]
    error: str


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    def __init__(self, total: int, *, stream: Optional[TextIO] = None, live: Optional[bool] = None,
                 maximize: bool = False, quiet: bool = False) -> None:
        self.total = total
        self.maximize = maximize
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.live = not quiet and (self.stream.isatty() if live is None else live)
        self.start = time.monotonic()
        self.done = self.failed = self.running = 0
        self.best: Optional[float] = None
        self._display: Any = None

    def __enter__(self) -> Progress:
        if self.live:
            from rich.console import Console
            from rich.live import Live

            self._display = Live(self._line(), console=Console(file=self.stream), refresh_per_second=4, transient=True)
            self._display.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._display is not None:
            self._display.__exit__(None, None, None)
            self._display = None
        if self.live:
            print(self._line(), file=self.stream)

    def update(self, *, running: int) -> None:
        self.running = running
        if self._display is not None:
            self._display.update(self._line())

    def finished(self, num: int, status: Status, duration: float, value: Any, overrides: list[str]) -> None:
        self.done += 1
        if status is not Status.SUCCEEDED:
            self.failed += 1
        number = _number(value) if status is Status.SUCCEEDED else None
        if number is not None:
            better = max if self.maximize else min
            self.best = number if self.best is None else better(self.best, number)
        if self._display is not None:
            self._display.update(self._line())
        elif not self.live and not self.quiet:
            shown = f" -> {value!r}" if number is not None else ""
            print(
                f"[{self.done}/{self.total}] #{num} {status.value} in {duration:.2f}s"
                f" ({' '.join(overrides)}){shown}",
                file=self.stream,
                flush=True,
            )

    def _line(self) -> str:
        elapsed = time.monotonic() - self.start
        parts = [f"{self.done}/{self.total} done", f"{self.running} running", f"{self.failed} failed",
                 f"elapsed {_clock(elapsed)}"]
        if 0 < self.done < self.total:
            parts.append(f"ETA {_clock(elapsed / self.done * (self.total - self.done))}")
        if self.best is not None:
            parts.append(f"{'highest' if self.maximize else 'lowest'} value {self.best:.6g}")
        return " | ".join(parts)


def format_summary(failed: list[FailedJob], total: int, *, error_lines: int = 3) -> str:
    lines = [f"{len(failed)} of {total} jobs did not succeed:"]
    for job in sorted(failed, key=lambda j: j.num):
        lines.append(f"  #{job.num} {job.status.value}: {' '.join(job.overrides) or '(no overrides)'}")
        if job.directory:
            lines.append(f"      dir: {job.directory}")
        error = [line for line in job.error.strip().splitlines() if line.strip()]
        # The end of a traceback says what happened; show that first.
        for line in (error[-error_lines:] if len(error) > error_lines else error):
            lines.append(f"      {line.strip()}")
    return "\n".join(lines)
