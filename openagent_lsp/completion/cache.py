"""Completion caches: a bounded LRU of finished suggestions, and "typing as suggested".

When the user types exactly what the ghost text shows, the next request is answered by trimming the
shown suggestion: no model call, no debounce. The shown suggestion may still be growing (the rest of
a block generating in the background), so it is read through a ``LiveText``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


class LiveText:
    """Text produced by a generation that may still be running in another thread."""

    def __init__(self, text: str = "", done: bool = False) -> None:
        self._text = text
        self._done = threading.Event()
        if done:
            self._done.set()
        self._lock = threading.Lock()

    @property
    def text(self) -> str:
        with self._lock:
            return self._text

    def set(self, text: str) -> None:
        with self._lock:
            self._text = text

    def finish(self, text: str | None = None) -> None:
        if text is not None:
            self.set(text)
        self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float) -> bool:
        return self._done.wait(timeout)


@dataclass
class ShownSuggestion:
    """What the editor was last shown for a document: the context it was made for, the text shown,
    and the generation behind it (which may still be adding lines)."""

    prefix: str
    suffix: str
    shown: str
    live: LiveText
    created: float = field(default_factory=time.monotonic)

    def full_text(self) -> str:
        """The shown text, extended by what the background generation added since, if it agrees."""
        live = self.live.text
        return live if live.startswith(self.shown) else self.shown

    def continuation(self, prefix: str, suffix: str) -> str | None:
        """The rest of the suggestion when ``prefix`` = shown prefix + typed text that matches it.

        None when the user typed something else, moved, or edited after the cursor."""
        if suffix != self.suffix or not prefix.startswith(self.prefix):
            return None
        typed = prefix[len(self.prefix):]
        text = self.full_text()
        if not text.startswith(typed):
            return None
        return text[len(typed):]

    def advance(self, prefix: str, rest: str) -> None:
        """The user typed up to ``prefix`` and was shown ``rest``: keep following the live text."""
        typed = len(prefix) - len(self.prefix)
        base = self.live
        self.live = _OffsetLiveText(base, typed) if base.text.startswith(self.shown) else LiveText(rest, done=True)
        self.prefix, self.shown = prefix, rest


class _OffsetLiveText(LiveText):
    """A view of a growing text without its first ``skip`` characters (the part the user typed)."""

    def __init__(self, base: LiveText, skip: int) -> None:
        super().__init__()
        self._base, self._skip = base, skip

    @property
    def text(self) -> str:
        return self._base.text[self._skip:]

    @property
    def done(self) -> bool:
        return self._base.done

    def wait(self, timeout: float) -> bool:
        return self._base.wait(timeout)


class CompletionLRU:
    """Bounded LRU of finished suggestions keyed on (document, prefix hash, suffix hash, settings)."""

    def __init__(self, capacity: int = 256, ttl_s: float = 300.0) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self._items: OrderedDict[tuple[str, str, str, str], tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(uri: str, prefix: str, suffix: str, settings_key: str) -> tuple[str, str, str, str]:
        return (uri, text_hash(prefix), text_hash(suffix), settings_key)

    def get(self, key: tuple[str, str, str, str]) -> str | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            stored_at, text = item
            if time.monotonic() - stored_at > self.ttl_s:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return text

    def put(self, key: tuple[str, str, str, str], text: str) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic(), text)
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def forget_document(self, uri: str) -> None:
        with self._lock:
            for key in [k for k in self._items if k[0] == uri]:
                del self._items[key]

    def __len__(self) -> int:
        return len(self._items)
