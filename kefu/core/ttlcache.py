"""Small in-process caches with expiry, for hot reads of rows that change rarely
(API tokens, categories): a minute-old copy is good enough, and the process that
changes a row drops its copy at once. Other processes catch up within the TTL.

Values are handed out as stored: a caller that must not share an object between
threads copies it (see kefu.api.selectors). Every cache registers itself, so
`clear_all()` empties them all (tests: each test has its own database).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any

MISSING: Any = object()
_ALL: weakref.WeakSet[TTLCache] = weakref.WeakSet()


class TTLCache:
    """A dict whose entries expire `seconds` after they were put. Thread-safe:
    reads take no lock (one dict lookup is atomic in CPython); writes do.
    Past `max_entries` the expired entries go, and if that is not enough, all."""

    def __init__(self, seconds: float, *, max_entries: int = 1024):
        self.seconds = seconds
        self.max_entries = max_entries
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        # Bumped by every discard/clear: a value read from the database before an
        # invalidation must not be put back after it (see `generation`).
        self._generation = 0
        _ALL.add(self)

    @property
    def generation(self) -> int:
        """Take this before reading the database; hand it to `put`."""
        return self._generation

    def get(self, key: Hashable) -> Any:
        """The value, or MISSING when absent or expired."""
        hit = self._data.get(key)
        if hit is None or hit[0] <= time.monotonic():
            return MISSING
        return hit[1]

    def put(self, key: Hashable, value: Any, *, generation: int | None = None) -> None:
        """Store `value`, unless the cache was invalidated since `generation` was taken."""
        now = time.monotonic()
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            if len(self._data) >= self.max_entries:
                live = {k: v for k, v in self._data.items() if v[0] > now}
                self._data = live if len(live) < self.max_entries else {}
            self._data[key] = (now + self.seconds, value)

    def update(self, key: Hashable, change: Callable[[Any], Any], *, generation: int | None = None) -> None:
        """Replace a live entry's value by `change(value)`, keeping its expiry;
        nothing happens when the key is absent or expired, or when the cache was
        invalidated since `generation` was taken."""
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            hit = self._data.get(key)
            if hit is not None and hit[0] > time.monotonic():
                self._data[key] = (hit[0], change(hit[1]))

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._generation += 1
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


def clear_all() -> None:
    for cache in list(_ALL):
        cache.clear()
