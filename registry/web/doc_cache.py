"""A least-recently-used cache bounded by BYTES, for the immutable version documents.

A published version never changes, so its JSON document and schema bytes are cached per worker.
The bound is the sum of the cached bytes (``Settings.doc_cache_bytes``, ``YOSHIKI_DOC_CACHE_BYTES``,
default 64 MiB), not a count: 4,096 entries of a 900 KB ``$comment`` each would be 3.6 GB. An entry
larger than the whole bound is served but not kept. Thread-safe (handlers run in a thread pool).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class ByteBoundedCache(Generic[V]):
    """``key -> value`` with the total ``size(value)`` kept at most ``max_bytes``."""

    def __init__(self, max_bytes: int, size: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self._size = size
        self._items: OrderedDict[str, tuple[V, int]] = OrderedDict()
        self.bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        """The value, marked most recently used; None when absent."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: str, value: V) -> None:
        """Keep ``value``, evicting the least recently used entries to stay within the bound."""
        n = self._size(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            if n > self.max_bytes:
                return
            while self._items and self.bytes + n > self.max_bytes:
                _, (_, freed) = self._items.popitem(last=False)
                self.bytes -= freed
            self._items[key] = (value, n)
            self.bytes += n

    def __len__(self) -> int:
        return len(self._items)
