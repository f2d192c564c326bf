"""Build progress: one `Stage` per step (reading, splitting, embedding, writing), shown two ways.

On the terminal each stage is a tqdm bar with counts, rate and ETA; it appears only once a stage has
run for a second, so a small build stays quiet. A caller may also pass a callback
`progress(done, total, label)` (the web chat's Rebuild does), called at most ten times a second and
once at the end of each stage. It measures nothing and decides nothing about the build.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Progress = Callable[[int, int, str], None]
SHOW_AFTER = 1.0  # seconds before a bar appears
CALLBACK_EVERY = 0.1


class Stage:
    """A context manager: `with Stage("Embedding chunks", n, progress) as st: ... st.advance(k)`."""

    def __init__(self, label: str, total: int, progress: Progress | None = None, unit: str = "it"):
        self.label, self.total, self.progress, self.unit = label, int(total), progress, unit
        self.done = 0
        self._mark = 0  # `done` at the last settle(): per-item accounting
        self._last_call = 0.0
        self._bar = None

    def __enter__(self) -> Stage:
        from tqdm import tqdm

        scale = self.unit == "B"
        self._bar = tqdm(
            total=self.total,
            desc=self.label,
            unit=self.unit,
            unit_scale=scale,
            unit_divisor=1024 if scale else 1000,
            delay=SHOW_AFTER,
            leave=False,
            disable=self.total <= 0,
        )
        self._notify(force=True)
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        self._notify()

    def settle(self, item_total: int) -> None:
        """Count the item that just ended as exactly `item_total`, however much advance() saw of it."""
        target = self._mark + item_total
        if target > self.done:
            self.advance(target - self.done)
        self._mark = self.done

    def _notify(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.progress and (force or now - self._last_call >= CALLBACK_EVERY):
            self._last_call = now
            self.progress(min(self.done, self.total), self.total, self.label)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
        self._notify(force=True)
