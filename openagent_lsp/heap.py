"""Keeps the garbage collector's full collections short.

A full collection walks every tracked object, and the loaded model's libraries (torch, transformers) make
that a few million: each one then holds the GIL, and with it the event loop, for 100-250 ms, and typing
allocates enough to start one every few seconds. The objects alive once the model and the agent are up
live as long as the server, so they are moved out of the collector's view (``gc.freeze``); full
collections then walk only what came after.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Exempt every object alive now from later collections (constant time; no collection is run, so a
    cycle that is garbage at this moment is kept: once, and small, since collections ran while loading)."""
    gc.freeze()


def thaw() -> None:
    """Give frozen objects back to the collector: a dropped model may be held by a reference cycle, and
    would otherwise never be freed. The next full collection is slow again, until the next freeze."""
    gc.unfreeze()


def frozen_count() -> int:
    return gc.get_freeze_count()
