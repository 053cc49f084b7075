"""The heap is frozen once the server is up (full collections then skip what lives as long as the server)
and thawed when a model is dropped (so a dropped model held by a reference cycle can still be freed)."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from openagent_lsp import heap
from openagent_lsp.server import lifecycle


class Node:
    def __init__(self) -> None:
        self.other: Any = self  # a reference cycle: only the collector frees it


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    heap.thaw()
    yield
    heap.thaw()


def test_frozen_objects_are_out_of_the_collectors_view() -> None:
    node = Node()
    heap.freeze_long_lived()
    assert heap.frozen_count() > 0
    assert not any(o is node for o in gc.get_objects())
    heap.thaw()
    assert heap.frozen_count() == 0
    assert any(o is node for o in gc.get_objects())


def test_cycles_made_after_the_freeze_are_still_collected() -> None:
    heap.freeze_long_lived()
    node = Node()
    ref = weakref.ref(node)
    del node
    gc.collect()
    assert ref() is None


def test_a_frozen_cycle_is_freed_once_thawed() -> None:
    node = Node()
    ref = weakref.ref(node)
    heap.freeze_long_lived()
    del node
    gc.collect()
    assert ref() is not None  # frozen: kept
    heap.thaw()
    gc.collect()
    assert ref() is None


class _Server:
    """What ``_start_services`` uses of the server: services built off the event loop's thread."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.built_on: threading.Thread | None = None

    async def services_async(self) -> object:
        def build() -> object:
            self.built_on = threading.current_thread()
            if self.fail:
                raise RuntimeError("no database")
            return object()

        return await asyncio.to_thread(build)


async def test_services_start_off_the_loop_and_then_freeze_the_heap() -> None:
    server = _Server()
    await lifecycle._start_services(server)  # type: ignore[arg-type]
    assert server.built_on is not None and server.built_on is not threading.current_thread()
    assert heap.frozen_count() > 0


async def test_services_that_fail_to_start_leave_the_heap_alone() -> None:
    server = _Server(fail=True)
    await lifecycle._start_services(server)  # type: ignore[arg-type]
    assert heap.frozen_count() == 0
