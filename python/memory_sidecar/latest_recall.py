"""Background recall whose result can only reach the session that asked for it.

Each request takes a ticket; a result is kept only if its generation is still current and no newer
ticket has delivered, so a recall that outlives a session switch is dropped, and of two recalls the
newer wins even when the older finishes last. Matching on the query text would not do: the recall
is queued with the finished turn's text and taken with the next turn's.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Generic, Optional, Tuple, TypeVar

T = TypeVar("T")


class LatestRecall(Generic[T]):
    def __init__(self, logger: logging.Logger):
        self._logger = logger
        self._lock = threading.Lock()
        self._generation = 0
        self._last_ticket = 0
        self._delivered_ticket = 0
        self._result: Optional[Tuple[T]] = None
        self._newest: Optional[threading.Event] = None
        self._cancel = threading.Event()

    def start(self, recall: Callable[[threading.Event], T], describe: str) -> None:
        """Runs ``recall`` in a background thread; the event it is given is set once its result can no longer be used."""
        with self._lock:
            generation = self._generation
            self._last_ticket += 1
            ticket = self._last_ticket
            cancelled = self._cancel
            done = threading.Event()
            self._newest = done

        def run() -> None:
            try:
                value = recall(cancelled)
            except Exception as e:  # noqa: BLE001 - a failed recall is logged; the agent goes on without it
                with self._lock:
                    current = generation == self._generation
                if current:
                    self._logger.warning("prefetch %s failed: %s", describe, e)
            else:
                with self._lock:
                    if generation == self._generation and ticket >= self._delivered_ticket:
                        self._delivered_ticket = ticket
                        self._result = (value,)
            finally:
                done.set()

        threading.Thread(target=run, name=f"memsidecar-prefetch-{ticket}", daemon=True).start()

    def take(self, wait_s: float) -> Optional[T]:
        """Returns and clears the newest result of the current generation, first waiting up to
        ``wait_s`` for the newest recall still running; None when there is none."""
        with self._lock:
            newest = self._newest
        if newest is not None and wait_s > 0:
            newest.wait(wait_s)
        with self._lock:
            taken, self._result = self._result, None
        return taken[0] if taken is not None else None

    def fence(self, reason: str) -> None:
        """A new generation: nothing started before this can deliver any more, and what was kept is dropped."""
        with self._lock:
            self._generation += 1
            self._result = None
            self._newest = None
            self._cancel.set()
            self._cancel = threading.Event()
        self._logger.debug("prefetches fenced off: %s", reason)
