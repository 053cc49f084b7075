"""CompletionEngine with a scripted mock model: debounce, supersede, cancel, caches, early first line.

The mock records every call, checks the CancelToken between pieces and notes whether it was stopped
before producing everything, so "the generation was cancelled" is checked, not just "the reply was empty".
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from openagent_lsp.completion.pipeline import AUTOMATIC, INVOKED, CompletionEngine
from openagent_lsp.completion.prompt import build_prompt, heal_completion, split_trailing_indent
from openagent_lsp.config import CompletionSettings
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.types import Position, Range, TextChange
from openagent_lsp.errors import GenerationCancelled
from openagent_lsp.llm.base import BackendInfo, CancelToken, GenerationRequest


@dataclass
class Call:
    request: GenerationRequest
    yielded: int = 0
    stopped_early: bool = False
    finished: bool = False


@dataclass
class MockLLM:
    """Streams ``pieces``, ``delay`` s before each; ``gate`` (if given) blocks before piece ``gate_at`` until
    it is set or the generation is cancelled, in every call or only in call number ``gate_call``."""

    pieces: list[str]
    delay: float = 0.0
    gate: threading.Event | None = None
    gate_at: int = 1
    gate_call: int | None = None
    fim_format: None = None
    info: BackendInfo = field(default_factory=lambda: BackendInfo("mock"))
    last_stats: None = None
    name: str = "mock"
    calls: list[Call] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def forget(self, key: str) -> None:
        return None

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[str]:
        call = Call(request)
        self.calls.append(call)
        gated = self.gate is not None and self.gate_call in (None, len(self.calls) - 1)
        self.started.set()
        try:
            for i, piece in enumerate(self.pieces):
                if gated and i == self.gate_at:
                    while not self.gate.wait(0.01):
                        if cancel is not None and cancel.cancelled:
                            break
                if self.delay:
                    time.sleep(self.delay)
                if cancel is not None and cancel.cancelled:
                    call.stopped_early = True
                    raise GenerationCancelled(cancel.reason)
                call.yielded += 1
                yield piece
            call.finished = True
        finally:
            self.ended.set()


def make_engine(
    llm: MockLLM | None, text: str, **settings: object
) -> tuple[CompletionEngine, DocumentStore, str]:
    store = DocumentStore()
    uri = "file:///w/a.py"
    store.open(uri, "python", 1, text)
    options = CompletionSettings(**{"debounce_ms": 0, "context_from_open_files": False, **settings})
    engine = CompletionEngine(store, lambda: llm, lambda: options)
    return engine, store, uri


def insert(store: DocumentStore, uri: str, pos: Position, text: str) -> None:
    doc = store.get(uri)
    store.change(uri, doc.version + 1, [TextChange(Range(pos, pos), text)])


async def wait_until(predicate: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


SINGLE = "total = price * \n"
SINGLE_POS = Position(0, 16)


async def test_debounce_coalesces_a_burst_into_one_model_call() -> None:
    llm = MockLLM(["quantity", " + tax\n"])
    engine, _store, uri = make_engine(llm, SINGLE, debounce_ms=60)
    # Six keystrokes in one burst: all six requests start (in this loop turn) before any debounce ends.
    tasks = [asyncio.create_task(engine.complete(uri, SINGLE_POS, AUTOMATIC)) for _ in range(6)]
    results = await asyncio.gather(*tasks)
    assert len(llm.calls) == 1
    assert [r.source for r in results[:-1]] == ["superseded"] * 5
    assert all(r.text == "" for r in results[:-1])
    assert results[-1].source == "model" and results[-1].text == "quantity + tax"
    assert engine.counters.model_calls == 1 and engine.counters.superseded == 5


async def test_invoked_request_skips_the_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = MockLLM(["quantity\n"])
    engine, _store, uri = make_engine(llm, SINGLE, debounce_ms=2000)
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, *args: object) -> None:
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    result = await engine.complete(uri, SINGLE_POS, INVOKED)
    assert 2.0 not in slept  # an explicit request never waits for the debounce
    await engine.complete(uri, Position(0, 0), AUTOMATIC)
    assert 2.0 in slept  # while typing it does
    assert result.text == "quantity"


async def test_superseded_request_answers_empty_and_its_generation_stops() -> None:
    # The first generation waits after two pieces until it is superseded; the second runs through.
    llm = MockLLM([f"p{i}" for i in range(40)] + ["\n"], gate=threading.Event(), gate_at=2, gate_call=0)
    engine, _store, uri = make_engine(llm, SINGLE)
    first = asyncio.create_task(engine.complete(uri, SINGLE_POS))
    await wait_until(lambda: llm.calls and llm.calls[0].yielded >= 2)
    second = await engine.complete(uri, SINGLE_POS)
    older = await first
    assert older.text == "" and older.source == "superseded"
    assert llm.calls[0].stopped_early and not llm.calls[0].finished
    assert llm.calls[0].yielded < 40
    assert second.source == "model" and second.text.startswith("p0p1")
    assert len(llm.calls) == 2 and llm.calls[1].yielded == 41 and not llm.calls[1].stopped_early


async def test_cancel_request_stops_the_generation() -> None:
    gate = threading.Event()  # never set: the generation waits at piece 1 until it is cancelled
    llm = MockLLM([f"p{i}" for i in range(100)] + ["\n"], gate=gate, gate_at=1)
    engine, _store, uri = make_engine(llm, SINGLE)
    task = asyncio.create_task(engine.complete(uri, SINGLE_POS))
    await wait_until(lambda: llm.calls and llm.calls[0].yielded >= 1)
    task.cancel()  # what pygls does on $/cancelRequest
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(llm.ended.wait, 30)
    call = llm.calls[0]
    assert call.stopped_early and not call.finished
    assert call.yielded < 50
    assert engine.counters.cancelled == 1


async def test_typing_as_suggested_needs_no_model_call() -> None:
    llm = MockLLM(["quantity", " + tax\n"])
    engine, store, uri = make_engine(llm, SINGLE)
    first = await engine.complete(uri, SINGLE_POS)
    assert first.text == "quantity + tax"
    insert(store, uri, SINGLE_POS, "q")
    second = await engine.complete(uri, Position(0, 17))
    assert (second.source, second.text) == ("typed", "uantity + tax")
    insert(store, uri, Position(0, 17), "uan")
    third = await engine.complete(uri, Position(0, 20))
    assert (third.source, third.text) == ("typed", "tity + tax")
    assert len(llm.calls) == 1 and engine.counters.typed_hits == 2


async def test_typing_something_else_asks_the_model_again() -> None:
    llm = MockLLM(["quantity\n"])
    engine, store, uri = make_engine(llm, SINGLE)
    await engine.complete(uri, SINGLE_POS)
    insert(store, uri, SINGLE_POS, "z")
    result = await engine.complete(uri, Position(0, 17))
    assert result.source == "model"
    assert len(llm.calls) == 2


async def test_lru_serves_a_finished_suggestion_again() -> None:
    llm = MockLLM(["quantity\n"])
    text = "total = price * \nother = 1 + \n"
    engine, _store, uri = make_engine(llm, text)
    a = await engine.complete(uri, Position(0, 16))
    b = await engine.complete(uri, Position(1, 12))  # replaces the shown suggestion
    again = await engine.complete(uri, Position(0, 16))
    assert a.source == b.source == "model"
    assert again.source == "cache" and again.text == a.text
    assert len(llm.calls) == 2 and engine.counters.cache_hits == 1


async def test_lru_key_includes_the_document_text() -> None:
    llm = MockLLM(["quantity\n"])
    engine, store, uri = make_engine(llm, SINGLE)
    await engine.complete(uri, SINGLE_POS)
    insert(store, uri, Position(1, 0), "x = 2\n")  # after the cursor: the suffix changed
    result = await engine.complete(uri, SINGLE_POS)
    assert result.source == "model" and len(llm.calls) == 2


async def test_model_not_ready_answers_empty_at_once() -> None:
    engine, _store, uri = make_engine(None, SINGLE, debounce_ms=0)
    result = await asyncio.wait_for(engine.complete(uri, SINGLE_POS), timeout=1.0)
    assert (result.text, result.source) == ("", "not_ready")
    assert engine.counters.not_ready == 1 and engine.counters.model_calls == 0


async def test_disabled_never_calls_the_model() -> None:
    llm = MockLLM(["quantity\n"])
    engine, _store, uri = make_engine(llm, SINGLE, enabled=False)
    result = await engine.complete(uri, SINGLE_POS)
    assert result.source == "disabled" and not llm.calls


BLOCK = "def add(a, b):\n    \n"
BLOCK_POS = Position(1, 4)


async def test_early_first_line_returns_before_the_generation_ends() -> None:
    gate = threading.Event()
    llm = MockLLM(["    total = a + b\n", "    return total\n", "\n", "\nprint(1)\n"], gate=gate, gate_at=1)
    engine, store, uri = make_engine(llm, BLOCK)
    try:
        result = await asyncio.wait_for(engine.complete(uri, BLOCK_POS), timeout=3)
        assert result.text == "total = a + b"
        assert result.multiline
        assert not llm.calls[0].finished  # the model is still held at the gate
    finally:
        gate.set()
    await asyncio.to_thread(llm.ended.wait, 3)
    shown = engine._docs[uri].shown
    assert shown is not None
    await asyncio.to_thread(shown.live.wait, 3)
    assert shown.live.text == "total = a + b\n    return total"
    # Typing the first word is answered from the shown (now complete) suggestion.
    insert(store, uri, BLOCK_POS, "total")
    typed = await engine.complete(uri, Position(1, 9))
    assert typed.source == "typed" and typed.text == " = a + b\n    return total"
    assert len(llm.calls) == 1


async def test_without_early_first_line_the_whole_block_is_awaited() -> None:
    llm = MockLLM(["    total = a + b\n", "    return total\n", "\n", "\nprint(1)\n"])
    engine, _store, uri = make_engine(llm, BLOCK, early_first_line=False)
    result = await engine.complete(uri, BLOCK_POS)
    assert result.text == "total = a + b\n    return total"
    assert llm.calls[0].finished or llm.calls[0].yielded >= 2


async def test_prompt_sent_to_the_model_is_token_healed() -> None:
    llm = MockLLM(["    return a + b\n"])
    engine, _store, uri = make_engine(llm, BLOCK)
    result = await engine.complete(uri, BLOCK_POS)
    prompt = llm.calls[0].request.prompt
    assert prompt.endswith("def add(a, b):\n")  # trailing indentation trimmed from the prompt
    assert result.text.startswith("return")  # and not repeated in the suggestion
    assert llm.calls[0].request.cache_key == uri


def count_chars(text: str) -> int:
    return len(text)


def test_prompt_budget_keeps_the_text_next_to_the_cursor() -> None:
    lines = [f"line_{i:03d} = {i}\n" for i in range(200)]
    prefix = "".join(lines) + "result = line_199 + "
    prompt = build_prompt(prefix, "", fim=None, count=count_chars, prefix_budget=200,
                          suffix_budget=0)
    assert prompt.text.endswith("line_199 = 199\nresult = line_199 +")  # trailing space healed
    assert prompt.healed == " "
    assert len(prompt.text) <= 200
    assert "line_000" not in prompt.text
    assert prompt.text.startswith("line_")  # cut at a line boundary


def test_a_header_has_its_own_budget_and_never_shortens_the_code_window() -> None:
    prefix = "".join(f"line_{i:03d} = {i}\n" for i in range(100)) + "y = "
    plain = build_prompt(prefix, "", fim=None, count=count_chars, prefix_budget=300, suffix_budget=0)
    with_header = build_prompt(prefix, "", header="# ctx\n" * 20, fim=None, count=count_chars, prefix_budget=300,
                               suffix_budget=0)
    assert with_header.prefix_used == plain.prefix_used
    assert with_header.text == "# ctx\n" * 20 + plain.text

def test_prompt_with_fim_keeps_the_start_of_the_suffix() -> None:
    from openagent_lsp.llm.base import FimFormat

    fim = FimFormat("<P>", "<S>", "<M>")
    suffix = "".join(f"after_{i}\n" for i in range(100))
    prompt = build_prompt("x = ", suffix, fim=fim, count=count_chars, prefix_budget=100,
                          suffix_budget=40)
    assert prompt.fim and prompt.text.startswith("<P>x =<S>after_0\n")
    assert prompt.text.endswith("<M>")
    assert "after_99" not in prompt.text


def test_token_healing() -> None:
    body, healed = split_trailing_indent("def f(n):\n    ")
    assert (body, healed) == ("def f(n):\n", "    ")
    assert heal_completion("    return n", healed, True) == "return n"
    assert heal_completion("  return n", healed, True) == "return n"  # model chose a shorter indent
    assert heal_completion("return n", healed, True) == "return n"
    assert heal_completion("    return n", "", True) == "    return n"
    # Mid-line (after ``x = ``) a leading space that is not the healed text is the model's to keep.
    assert heal_completion(" 1", " ", False) == "1"
    assert heal_completion("\t1", " ", False) == "\t1"


def test_prefix_window_start_is_stable_while_typing() -> None:
    from openagent_lsp.completion.prompt import fit_prefix

    def count(text: str) -> int:
        return len(text) // 4

    text = "".join(f"value_{i} = compute({i})\n" for i in range(400))
    windows = [fit_prefix(text + "x" * n, 512, count) for n in range(0, 40, 4)]
    starts = {w.split("\n", 1)[0] for w in windows}
    assert len(starts) == 1  # typing at the end did not move the start of the window
    assert all(count(w) <= 512 for w in windows)
    assert all(w.endswith("x" * n) for w, n in zip(windows, range(0, 40, 4), strict=True))


def test_completion_starting_with_a_line_break_on_a_blank_line_starts_at_the_cursor() -> None:
    from openagent_lsp.completion.prompt import heal_completion

    assert heal_completion("\n    return x", "    ", prefix_ends_line=True) == "return x"
    assert heal_completion("\nreturn x", "", prefix_ends_line=True) == "return x"
    # Mid-line, a line break is the model's real answer (e.g. end the statement): keep it.
    assert heal_completion("\n    y = 1", "", prefix_ends_line=False) == "\n    y = 1"


async def test_a_huge_document_is_counted_and_looked_up_only_near_the_cursor() -> None:
    """Counting or tokenizing a whole 10 MB document for every keystroke took 30 s a request."""
    counted: list[int] = []

    class CountingLLM(MockLLM):
        def count_tokens(self, text: str) -> int:
            counted.append(len(text))
            return max(1, len(text) // 4)

    llm = CountingLLM(["x = 2\n"])
    line = "value = compute(value) + 1\n"
    text = line * 200_000 + "\n" + line * 200_000  # ~11 MB, cursor in the middle
    engine, _store, uri = make_engine(llm, text, prompt_budget_tokens=256, suffix_budget_tokens=64)
    result = await engine.complete(uri, Position(200_000, 0), INVOKED)
    assert result.source in ("model", "empty")
    request = llm.calls[0].request
    assert max(counted) <= 256 * 32 and request.lookup_source is not None
    assert len(request.lookup_source) <= (256 + 64) * 32
    assert request.prompt.endswith("\n") and line in request.prompt  # whole lines near the cursor


async def test_lone_surrogates_reach_the_model_as_replacement_characters() -> None:
    seen: list[str] = []

    class StrictLLM(MockLLM):
        def count_tokens(self, text: str) -> int:
            text.encode("utf-8")  # what a tokenizer does: lone surrogates raise
            seen.append(text)
            return max(1, len(text) // 4)

    llm = StrictLLM(["1\n"])
    engine, _store, uri = make_engine(llm, "s = '\ud83d'\nx = ")
    result = await engine.complete(uri, Position(1, 4), INVOKED)
    assert result.source in ("model", "empty")
    assert "\ufffd" in llm.calls[0].request.prompt
    llm.calls[0].request.prompt.encode("utf-8")
