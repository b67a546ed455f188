"""A small in-process sliding-window limiter for failed logins.

Counts live in each worker's memory; with N workers an attacker gets at most N
times the limit, which still stops guessing at any useful rate.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_s: float, clock=time.monotonic) -> None:
        self.limit = int(limit)
        self.window_s = float(window_s)
        self._clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._trim(key, self._clock())) >= self.limit

    def hit(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            self._trim(key, now).append(now)
            if len(self._hits) > 100_000:  # bound memory under a spray of usernames
                for k in [k for k, v in self._hits.items() if not v][:50_000]:
                    del self._hits[k]

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)
