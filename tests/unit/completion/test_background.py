"""Background work of the completion engine: warming a document's KV cache when it is opened or the cursor
jumps, precomputing the next suggestion, and both yielding to real requests at once."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import pytest

from openagent_lsp.completion.pipeline import INVOKED, CompletionEngine, completion_prompt
from openagent_lsp.config import CompletionSettings
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.types import Position
from openagent_lsp.llm.base import CancelToken, Priority, WarmableLLM
from tests.unit.completion.test_pipeline import MockLLM, insert

pytestmark = pytest.mark.timeout(30)

SOURCE = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(60))


@dataclass
class WarmCall:
    prompt: str
    key: str
    priority: Priority
    cancel: CancelToken | None


@dataclass
class WarmingLLM(MockLLM):
    """The mock model, plus ``warm``; with ``hold`` set, a warming waits until it is cancelled."""

    hold: bool = False
    warms: list[WarmCall] = field(default_factory=list)
    warming: threading.Event = field(default_factory=threading.Event)

    def warm(self, prompt: str, cache_key: str, priority: Priority = Priority.BACKGROUND,
             cancel: CancelToken | None = None) -> int:
        self.warms.append(WarmCall(prompt, cache_key, priority, cancel))
        self.warming.set()
        while self.hold and cancel is not None and not cancel.wait(0.01):
            pass
        return self.count_tokens(prompt)


def engine_for(llm: WarmingLLM, **settings: object) -> tuple[CompletionEngine, DocumentStore, str]:
    store = DocumentStore()
    uri = "file:///w/big.py"
    store.open(uri, "python", 1, SOURCE)
    options = CompletionSettings(**{"debounce_ms": 0, "context_from_open_files": False,
                                    "prompt_budget_tokens": 128, **settings})
    return CompletionEngine(store, lambda: llm, lambda: options), store, uri


async def settle(engine: CompletionEngine, uri: str) -> None:
    task = engine._docs[uri].background_task
    if task is not None:
        await asyncio.wait_for(task, 10)


def test_the_backend_is_warmable() -> None:
    assert isinstance(WarmingLLM(["x"]), WarmableLLM)


async def test_opening_warms_the_prompt_a_request_in_the_first_window_will_use() -> None:
    llm = WarmingLLM(["y\n"])
    engine, _store, uri = engine_for(llm)
    engine.opened(uri)
    await settle(engine, uri)
    assert len(llm.warms) == 1
    warm = llm.warms[0]
    assert warm.priority == Priority.BACKGROUND and warm.key == uri
    # A cursor a few lines up from the warmed end: its prompt starts with everything that was warmed.
    offset = SOURCE.index("def f8(")
    settings = CompletionSettings(context_from_open_files=False, prompt_budget_tokens=128)
    request = completion_prompt(engine, llm, uri, "python", SOURCE[:offset], SOURCE[offset:], settings)  # type: ignore[arg-type]
    assert len(warm.prompt) > 100
    assert warm.prompt.startswith(request.text[: len(warm.prompt) // 2])
    assert engine.counters.warmed == 1 and engine.counters.warmed_tokens > 0


async def test_a_request_cancels_the_warming_of_its_document_before_generating() -> None:
    llm = WarmingLLM(["total\n"], hold=True)
    engine, _store, uri = engine_for(llm)
    engine.opened(uri)
    await asyncio.to_thread(llm.warming.wait, 10)
    result = await engine.complete(uri, Position(3, 4), INVOKED)
    assert result.text == "total"
    cancel = llm.warms[0].cancel
    assert cancel is not None and cancel.cancelled  # it yielded instead of finishing its prompt
    assert engine._docs[uri].background_task is None


async def test_the_cursor_jumping_far_warms_there_and_a_near_move_does_not() -> None:
    llm = WarmingLLM(["y\n"])
    engine, _store, uri = engine_for(llm)
    engine.cursor_moved(uri, Position(100, 4))
    await settle(engine, uri)
    engine.cursor_moved(uri, Position(103, 4))  # same window: nothing new to compute
    await settle(engine, uri)
    engine.cursor_moved(uri, Position(20, 0))
    await settle(engine, uri)
    assert len(llm.warms) == 2
    assert "def f33(x)" in llm.warms[0].prompt and "def f34(x)" not in llm.warms[0].prompt
    assert "def f6(x)" in llm.warms[1].prompt and "def f7(x)" not in llm.warms[1].prompt


async def test_warming_is_off_when_disabled() -> None:
    llm = WarmingLLM(["y\n"])
    engine, _store, uri = engine_for(llm, warm_on_open=False)
    engine.opened(uri)
    engine.cursor_moved(uri, Position(100, 0))
    assert llm.warms == [] and uri not in engine._docs


async def test_the_next_suggestion_is_precomputed_as_if_the_shown_one_were_accepted() -> None:
    llm = WarmingLLM(["value\n"])
    engine, store, uri = engine_for(llm, precompute_next=True, warm_on_open=False)
    position = Position(2, 0)
    first = await engine.complete(uri, position, INVOKED)
    assert first.text == "value"
    await asyncio.to_thread(llm.ended.wait, 10)
    await wait_for_count(engine, 1)
    background = llm.calls[1].request
    assert background.priority == Priority.BACKGROUND
    assert "return x + 0\nvalue" in background.prompt
    insert(store, uri, position, "value")  # the user accepts the suggestion
    calls = len(llm.calls)
    after = await engine.complete(uri, Position(2, 5), INVOKED)
    assert after.source == "cache" and len(llm.calls) == calls


async def wait_for_count(engine: CompletionEngine, n: int) -> None:
    for _ in range(2000):
        if engine.counters.precomputed >= n:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the next suggestion was not precomputed")
