"""The inline-completion pipeline: cache → debounce → context → model → post-processing.

Latency rules it follows:
- typing what the ghost text shows is answered from the shown suggestion, with no model call;
- a newer request for the same document supersedes older ones: they answer empty and their
  generation is *stopped* (the cancel token is checked between tokens), not just ignored;
- the model is never awaited while it loads: the answer is empty at once;
- with ``early_first_line`` the first line is returned as soon as it is complete and the rest of
  the block keeps generating in the background into the shown suggestion;
- with ``warm_on_open`` a document's prompt is computed into the model's KV cache in the background
  when it is opened or the cursor moves far, and with ``precompute_next`` the suggestion after the
  shown one is computed as if it were accepted. Both run at ``Priority.BACKGROUND``: a real request
  overtakes them at the next forward pass and cancels them for its document.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openagent_lsp.completion.cache import CompletionLRU, LiveText, ShownSuggestion
from openagent_lsp.completion.context import PromptBudget, PromptBuilder
from openagent_lsp.completion.postprocess import PostContext, decide_multiline, postprocess
from openagent_lsp.completion.prompt import WINDOW_STEP_LINES, Prompt, fit_suffix, heal_completion
from openagent_lsp.config import CompletionSettings
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.types import Position
from openagent_lsp.errors import GenerationCancelled, OpenAgentError
from openagent_lsp.llm.base import BaseLLM, CancelToken, GenerationRequest, Priority, WarmableLLM
from openagent_lsp.llm.text import valid_unicode
from openagent_lsp.logging import get_logger

log = get_logger(__name__)

# More characters than any token spans in code (long runs of spaces included): windows cut by this never
# bind before the token budget does.
MAX_CHARS_PER_TOKEN = 32

MAX_RUNNING = 2

INVOKED = 1  # InlineCompletionTriggerKind.Invoked: the user asked explicitly, no debounce
AUTOMATIC = 2


@dataclass
class CompletionCounters:
    requests: int = 0
    model_calls: int = 0
    cache_hits: int = 0
    typed_hits: int = 0
    superseded: int = 0
    cancelled: int = 0
    not_ready: int = 0
    empty: int = 0
    errors: int = 0
    shown: int = 0
    accepted: int = 0
    accepted_partial: int = 0  # a word or a line of a suggestion (editors' partial accept)
    accepted_chars: int = 0
    warmed: int = 0  # background warmings started (document opened, cursor moved far)
    warmed_tokens: int = 0  # prompt tokens they computed ahead of a request
    precomputed: int = 0  # next suggestions computed as if the shown one were accepted

    def to_json(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class CompletionResult:
    text: str  # what to insert at the cursor ("" = nothing to show)
    source: str  # "model", "typed", "cache", "superseded", "not_ready", "empty", "disabled"
    offset: int  # cursor offset in the document
    duration_ms: float = 0.0
    multiline: bool = False
    id: str = ""


@dataclass
class _DocState:
    seq: int = 0
    cancel: CancelToken | None = None
    running: asyncio.Future[Any] | None = None
    shown: ShownSuggestion | None = None
    last_request_at: float = 0.0
    intervals: list[float] = field(default_factory=list)
    # Background work for this document (warming or precomputing): cancelled when a request needs the model.
    background: CancelToken | None = None
    background_task: asyncio.Future[Any] | None = None
    last_line: int | None = None  # where the cursor was last seen (a request or a warming)
    warmed_text: str = ""


class CompletionEngine:
    """Domain service behind textDocument/inlineCompletion and the completion fallback."""

    def __init__(
        self,
        store: DocumentStore,
        llm_provider: Callable[[], BaseLLM | None],
        settings_provider: Callable[[], CompletionSettings],
    ) -> None:
        self.store = store
        self._llm_provider = llm_provider
        self._settings = settings_provider
        self.counters = CompletionCounters()
        self.lru = CompletionLRU(settings_provider().cache_size)
        self.prompts = PromptBuilder(store)
        self._docs: dict[str, _DocState] = {}
        self._ids = itertools.count(1)
        self._running = asyncio.Semaphore(MAX_RUNNING)
        self.last_error: str | None = None  # the latest failure (backend down, garbage...), for the status
        self._tasks: set[asyncio.Future[None]] = set()  # precomputations in flight (kept referenced)

    # -- public API ------------------------------------------------------------------------------

    async def complete(self, uri: str, position: Position, trigger_kind: int = AUTOMATIC) -> CompletionResult:
        started = time.perf_counter()
        settings = self._settings()
        self.counters.requests += 1
        doc = self.store.get(uri)  # InvalidInputError for an unknown document
        offset = doc.offset_at(position)
        text = doc.text
        prefix, suffix = text[:offset], text[offset:]
        state = self._docs.setdefault(uri, _DocState())
        state.seq += 1
        my_seq = state.seq

        def result(value: str, source: str, multiline: bool = False) -> CompletionResult:
            if not value:
                self.counters.empty += source in ("model", "empty")
            return CompletionResult(value, source, offset, (time.perf_counter() - started) * 1000, multiline,
                                    f"c{next(self._ids)}" if value else "")

        if not settings.enabled:
            return result("", "disabled")

        # 1. Typing as suggested: trim what is on screen, no model call.
        shown = state.shown
        if shown is not None:
            rest = shown.continuation(prefix, suffix)
            if rest is not None:
                if not rest.strip() and not shown.live.done:
                    # The background generation has not produced the next part yet: wait a little.
                    await asyncio.to_thread(shown.live.wait, 1.5)
                    rest = shown.continuation(prefix, suffix) or ""
                if rest.strip():
                    self.counters.typed_hits += 1
                    shown.advance(prefix, rest)
                    return result(rest, "typed", "\n" in rest)
            # The user did something else: stop the background work for the old suggestion.
            state.shown = None
            if state.cancel is not None:
                state.cancel.cancel("superseded")

        # 2. LRU of finished suggestions.
        lru_key = self.lru.key(uri, prefix, suffix, _settings_key(settings))
        cached = self.lru.get(lru_key)
        if cached is not None:
            self.counters.cache_hits += 1
            state.shown = ShownSuggestion(prefix, suffix, cached, LiveText(cached, done=True))
            return result(cached, "cache", "\n" in cached)

        # 3. Supersede older work for this document, then debounce.
        if state.cancel is not None:
            state.cancel.cancel("superseded")
        if trigger_kind != INVOKED and settings.debounce_ms > 0:
            await asyncio.sleep(settings.debounce_ms / 1000)
        if state.seq != my_seq:
            self.counters.superseded += 1
            return result("", "superseded")

        llm = self._llm_provider()
        if llm is None:
            self.counters.not_ready += 1
            return result("", "not_ready")

        # 4. Background work for this document yields at once; then wait for the superseded generation
        # (and that background work) to let go of this document's KV cache.
        state.last_line = position.line
        await self._stop_background(state)
        previous = state.running
        if previous is not None and not previous.done():
            await asyncio.wait([previous], timeout=2.0)
        if state.seq != my_seq:
            self.counters.superseded += 1
            return result("", "superseded")

        # At most MAX_RUNNING generations at once (the model runs one forward pass at a time anyway): fifty
        # documents typed in together otherwise keep as many threads busy in Python, and the event loop
        # waits its turn for the GIL among them (measured: status p99 0.8-1.2 s instead of milliseconds).
        await self._running.acquire()
        if state.seq != my_seq:
            self._running.release()
            self.counters.superseded += 1
            return result("", "superseded")
        cancel = CancelToken()
        state.cancel = cancel
        multiline = decide_multiline(prefix, suffix, doc.language_id)
        job = _Generation(self, llm, doc.language_id, uri, prefix, suffix, multiline, settings, cancel)
        loop = asyncio.get_running_loop()
        first_ready: asyncio.Future[str] = loop.create_future()
        try:
            running = loop.run_in_executor(None, job.run, loop, first_ready)
        except BaseException:
            self._running.release()
            raise
        running.add_done_callback(lambda _f: self._running.release())
        state.running = running
        self.counters.model_calls += 1
        try:
            text_out = await asyncio.shield(first_ready)
        except asyncio.CancelledError:
            # $/cancelRequest (or the client went away): stop the model, not only the reply.
            cancel.cancel("request cancelled")
            self.counters.cancelled += 1
            raise
        except GenerationCancelled:
            self.counters.superseded += 1
            return result("", "superseded")
        except Exception as exc:
            self.counters.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, OpenAgentError) else str(exc)
            raise
        if state.seq != my_seq:
            self.counters.superseded += 1
            return result("", "superseded")
        state.shown = ShownSuggestion(prefix, suffix, text_out, job.live)

        def finished(final: str) -> None:
            # Not for a document closed meanwhile: didClose evicted it, a late entry would stay behind.
            if final and self._docs.get(uri) is state:
                self.lru.put(lru_key, final)
                if settings.precompute_next:
                    loop.call_soon_threadsafe(self._start_precompute, uri, doc.language_id, prefix + final, suffix,
                                              settings, my_seq)

        if job.live.done:
            finished(job.live.text)
        else:
            job.on_done = finished
        return result(text_out, "model" if text_out else "empty", multiline)

    def record_shown(self) -> None:
        self.counters.shown += 1

    def record_accepted(self, uri: str, text: str, partial: bool = False) -> None:
        """A shown suggestion was accepted: whole, or a word or line of it (``partial``)."""
        if partial:
            self.counters.accepted_partial += 1
        else:
            self.counters.accepted += 1
        self.counters.accepted_chars += len(text)

    def sizes(self) -> dict[str, int]:
        """How much each per-document structure holds (the status shows it; tests check the bounds)."""
        return {"documentStates": len(self._docs), "suggestionCache": len(self.lru),
                "suggestionCacheCapacity": self.lru.capacity}

    def forget(self, uri: str) -> None:
        state = self._docs.pop(uri, None)
        if state and state.cancel:
            state.cancel.cancel("document closed")
        if state and state.background:
            state.background.cancel("document closed")
        self.lru.forget_document(uri)
        self.prompts.forget(uri)

    # -- background work -------------------------------------------------------------------------

    def opened(self, uri: str) -> None:
        """A document was opened: warm its first prompt window (a cursor anywhere in it finds it done)."""
        self._warm(uri, None)

    def cursor_moved(self, uri: str, position: Position) -> None:
        """The cursor was seen at ``position`` (an edit, a code-action range): warm there if it jumped far."""
        state = self._docs.get(uri)
        if state is not None and state.last_line is not None and \
                abs(position.line - state.last_line) < WINDOW_STEP_LINES:
            return
        self._warm(uri, position)

    def _warm(self, uri: str, position: Position | None) -> None:
        settings = self._settings()
        llm = self._llm_provider()
        if not (settings.enabled and settings.warm_on_open) or not isinstance(llm, WarmableLLM):
            return
        doc = self.store.get(uri)
        state = self._docs.setdefault(uri, _DocState())
        if state.running is not None and not state.running.done():
            return  # a request is computing this document right now
        text = doc.text
        if position is None:
            # Only the document's head can be the first window (a 10 MB file is not tokenized on the loop).
            head = text[: settings.prompt_budget_tokens * MAX_CHARS_PER_TOKEN]
            # The first window ends where the longest run of whole lines that fits the budget does.
            offset = len(fit_suffix(head, settings.prompt_budget_tokens,
                                    lambda t: llm.count_tokens(valid_unicode(t))))
            line = text.count("\n", 0, offset)
        else:
            offset, line = doc.offset_at(position), position.line
        line_start = text.rfind("\n", 0, offset) + 1  # what is typed after the line start will change
        state.last_line = line
        if state.background is not None:
            state.background.cancel("warming elsewhere")
        cancel = CancelToken()
        state.background = cancel
        self.counters.warmed += 1
        loop = asyncio.get_running_loop()
        state.background_task = loop.run_in_executor(
            None, self._warm_job, llm, uri, doc.language_id, text[:line_start], text[line_start:], settings, cancel)

    def _warm_job(self, llm: WarmableLLM, uri: str, language_id: str, prefix: str, suffix: str,
                  settings: CompletionSettings, cancel: CancelToken) -> None:
        try:
            base = self._llm_provider()
            if base is None:
                return
            prompt = completion_prompt(self, base, uri, language_id, prefix, suffix, settings)
            end = prompt.text.find(prompt.prefix_used)
            text = prompt.text[: end + len(prompt.prefix_used)] if prompt.prefix_used and end >= 0 else ""
            state = self._docs.get(uri)
            if not text.strip() or state is None or text == state.warmed_text or cancel.cancelled:
                return
            self.counters.warmed_tokens += llm.warm(text, uri, Priority.BACKGROUND, cancel)
            state.warmed_text = text
        except Exception as exc:  # background work never disturbs the editor
            log.warning("completion_warm_failed", uri=uri, error=str(exc))

    def _start_precompute(self, uri: str, language_id: str, prefix: str, suffix: str,
                          settings: CompletionSettings, seq: int) -> None:
        task = asyncio.ensure_future(self._precompute_next(uri, language_id, prefix, suffix, settings, seq))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _precompute_next(self, uri: str, language_id: str, prefix: str, suffix: str,
                               settings: CompletionSettings, seq: int) -> None:
        """Compute the suggestion that follows ``prefix`` (the shown one accepted) into the LRU."""
        state = self._docs.get(uri)
        if state is None:
            return
        running = state.running
        if running is not None and not running.done():
            # The shown suggestion's generation calls us just before its worker returns: let it finish
            # and hand back the document's KV cache.
            await asyncio.wait([running])
        llm = self._llm_provider()
        if llm is None or state.seq != seq or self._docs.get(uri) is not state:
            return
        lru_key = self.lru.key(uri, prefix, suffix, _settings_key(settings))
        if self.lru.get(lru_key) is not None:
            return
        if state.background is not None:
            state.background.cancel("precomputing instead")
        cancel = CancelToken()
        state.background = cancel
        multiline = decide_multiline(prefix, suffix, language_id)
        job = _Generation(self, llm, language_id, uri, prefix, suffix, multiline, settings, cancel,
                          priority=Priority.BACKGROUND)
        loop = asyncio.get_running_loop()
        first: asyncio.Future[str] = loop.create_future()

        def store(final: str) -> None:
            if final and not cancel.cancelled:
                self.lru.put(lru_key, final)
                self.counters.precomputed += 1

        job.on_done = store
        state.background_task = loop.run_in_executor(None, job.run, loop, first)

    async def _stop_background(self, state: _DocState) -> None:
        if state.background is not None:
            state.background.cancel("a request needs the model")
            state.background = None
        task = state.background_task
        if task is not None and not task.done():
            # It stops at its next chunk or token, and leaves what it computed in the KV cache.
            await asyncio.wait([task], timeout=2.0)
        state.background_task = None

def budget_of(settings: CompletionSettings) -> PromptBudget:
    return PromptBudget(prefix_tokens=settings.prompt_budget_tokens, suffix_tokens=settings.suffix_budget_tokens,
                        context_tokens=settings.context_budget_tokens)


def _settings_key(settings: CompletionSettings) -> str:
    return f"{settings.max_new_tokens}:{settings.prompt_budget_tokens}:{settings.suffix_budget_tokens}:" \
           f"{settings.context_from_open_files}:{settings.context_budget_tokens}"


class _Generation:
    """One model run in a worker thread; publishes the first line early, the rest into ``live``."""

    def __init__(self, engine: CompletionEngine, llm: BaseLLM, language_id: str, uri: str, prefix: str, suffix: str,
                 multiline: bool, settings: CompletionSettings, cancel: CancelToken,
                 priority: Priority = Priority.COMPLETION) -> None:
        self.engine, self.llm, self.language_id, self.uri = engine, llm, language_id, uri
        self.priority = priority
        self.prefix, self.suffix, self.multiline = prefix, suffix, multiline
        self.settings, self.cancel = settings, cancel
        self.live = LiveText()
        self.on_done: Callable[[str], None] | None = None
        self._lock = threading.Lock()

    def _publish_first(self, loop: asyncio.AbstractEventLoop, fut: asyncio.Future[str], value: Any) -> None:
        def setter() -> None:
            if fut.done():
                return
            if isinstance(value, BaseException):
                fut.set_exception(value)
                fut.exception()  # mark retrieved: a cancelled request no longer awaits it
            else:
                fut.set_result(value)
        loop.call_soon_threadsafe(setter)

    def run(self, loop: asyncio.AbstractEventLoop, first_ready: asyncio.Future[str]) -> None:
        try:
            final = self._run(loop, first_ready)
        except BaseException as exc:
            self.live.finish()
            self._publish_first(loop, first_ready, exc)
            if not isinstance(exc, GenerationCancelled | Exception):
                raise
            return
        self.live.finish(final)
        self._publish_first(loop, first_ready, final)
        if self.on_done is not None:
            self.on_done(final)

    def _run(self, loop: asyncio.AbstractEventLoop, first_ready: asyncio.Future[str]) -> str:
        settings = self.settings
        prompt = completion_prompt(self.engine, self.llm, self.uri, self.language_id, self.prefix, self.suffix,
                                   settings)
        lookup = prompt.lookup_source if self._use_lookup() else None
        request = GenerationRequest(
            prompt=prompt.text, max_new_tokens=settings.max_new_tokens, temperature=0.0,
            cache_key=self.uri, lookup_source=lookup, priority=self.priority,
            stop=[] if prompt.fim else _prefix_only_stops(self.language_id),
        )
        line_start = self.prefix[self.prefix.rfind("\n") + 1:]
        prefix_ends_line = not line_start.strip()
        post_ctx = PostContext(prefix=self.prefix, suffix=self.suffix, language_id=self.language_id,
                               multiline=self.multiline)
        raw = ""
        published = False
        for piece in self.llm.stream(request, self.cancel):
            raw += piece
            if "\n" not in piece:
                continue
            healed = heal_completion(raw, prompt.healed, prefix_ends_line)
            if not self.multiline:
                break  # single-line: the first newline ends it
            processed = postprocess(healed, post_ctx)
            self.live.set(processed)
            if not published and settings.early_first_line and _has_complete_first_line(healed):
                published = True
                self._publish_first(loop, first_ready, processed)
            if _block_ended(healed, processed):
                break  # post-processing cut the text: the block is over, stop the model
        healed = heal_completion(raw, prompt.healed, prefix_ends_line)
        return postprocess(healed, post_ctx)

    def _use_lookup(self) -> bool:
        mode = self.settings.prompt_lookup
        if mode == "off":
            return False
        if mode == "on":
            return True
        # auto: measured with the embedded model in fp32 (make bench, prompt_lookup): 3.1x on a
        # copy-heavy completion and 2.3x on an ordinary one, identical text. Under int8 it is neither
        # lossless (activation scales depend on the batch) nor faster, so it stays off there.
        return self.llm.info.precision != "int8"


def completion_prompt(engine: CompletionEngine, llm: BaseLLM, uri: str, language_id: str, prefix: str, suffix: str,
                      settings: CompletionSettings) -> Prompt:
    """The prompt for a cursor between ``prefix`` and ``suffix``: one builder for requests and warming, so
    what is warmed is what a request will ask for."""
    # Only a window around the cursor can fit the token budgets: counting (and, for prompt lookup,
    # tokenizing) a whole 10 MB document took 30 s per request before this bound.
    prefix = _tail_window(prefix, settings.prompt_budget_tokens * MAX_CHARS_PER_TOKEN)
    suffix = _head_window(suffix, settings.suffix_budget_tokens * MAX_CHARS_PER_TOKEN)

    def count(text: str) -> int:
        return llm.count_tokens(valid_unicode(text))  # tokenizers refuse lone surrogates

    return engine.prompts.build(uri, language_id, valid_unicode(prefix), valid_unicode(suffix), fim=llm.fim_format,
                                count=count, budget=budget_of(settings), use_context=settings.context_from_open_files)


def _tail_window(text: str, chars: int) -> str:
    """The last ``chars`` characters of ``text``, starting at a line when one starts inside the window."""
    if len(text) <= chars:
        return text
    window = text[-chars:]
    cut = window.find("\n")
    return window[cut + 1:] if 0 <= cut < len(window) - 1 else window


def _head_window(text: str, chars: int) -> str:
    if len(text) <= chars:
        return text
    window = text[:chars]
    cut = window.rfind("\n")
    return window[: cut + 1] if cut > 0 else window


def _has_complete_first_line(text: str) -> bool:
    first, _, rest = text.partition("\n")
    return bool(first.strip()) or bool(rest.strip() and "\n" in rest)


def _block_ended(raw: str, processed: str) -> bool:
    return len(processed.rstrip()) < len(raw.rstrip()) and raw.count("\n") > processed.count("\n") + 1


def _prefix_only_stops(language_id: str) -> list[str]:
    # Without FIM the model does not know where the hole ends: stop at a new top-level definition.
    if language_id == "python":
        return ["\ndef ", "\nclass ", "\nif __name__"]
    return ["\nfunction ", "\nfunc ", "\nfn ", "\nexport "]
