"""The contract every model backend fulfils.

Generation is synchronous and blocking on purpose: backends run in worker threads (the LSP event
loop never waits on a model), and a ``CancelToken`` lets any thread stop a generation between tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Protocol, runtime_checkable


class CancelToken:
    """Thread-safe flag checked by generation loops between tokens."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def cancel(self, reason: str = "cancelled") -> None:
        self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled (True) or ``timeout`` seconds pass (False)."""
        return self._event.wait(timeout)


class Priority(IntEnum):
    """Who waits on a generation. Lower goes first through the backend's one model."""

    COMPLETION = 0  # the user is typing and waits for ghost text
    CHAT = 1  # a streamed answer can yield between two tokens
    BACKGROUND = 2  # work nobody waits for yet (warming a document's KV cache): yields to everything


@dataclass
class GenerationRequest:
    """One generation: plain-text ``prompt`` (completions), or chat ``messages`` that the backend renders
    in its model family's own format (chat template, or a plain transcript for base models)."""

    prompt: str = ""
    messages: list[dict[str, str]] | None = None
    max_new_tokens: int = 64
    temperature: float = 0.0
    stop: list[str] = field(default_factory=list)
    # Key of a reusable KV cache (usually the document URI); backends without one ignore it.
    cache_key: str | None = None
    # Text to draft tokens from (prompt-lookup decoding); None disables drafting.
    lookup_source: str | None = None
    # > 1 discourages tokens already generated: small models loop in free text (chat), never
    # used for code completion where repeating identifiers is right.
    repetition_penalty: float = 1.0
    priority: Priority = Priority.CHAT


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    reused_tokens: int = 0
    new_tokens: int = 0
    drafted_tokens: int = 0
    accepted_draft_tokens: int = 0
    prefill_ms: float = 0.0
    total_ms: float = 0.0
    stopped_by: str = ""  # "eos", "max_tokens", "stop", "cancelled", "consumer"
    threads: int = 0  # CPU threads the generation ran with (0: not on CPU)


@dataclass
class BackendInfo:
    """What a backend says about itself once loaded (``openagent/status``, ``doctor``, logs)."""

    backend: str  # "transformers", "ollama", "openai", or a test double's name
    device: str = ""  # "cpu", "cuda", or "remote"
    precision: str = ""
    reason: str = ""  # why this device/precision was chosen, or why a request fell back
    threads: int = 0
    load_seconds: float = 0.0
    converted: bool = False  # the embedded model was converted to the cache during this load
    source: str = ""
    parameters: int = 0
    threads_policy: str = ""  # how the thread count follows the machine's load
    head: str = ""  # how next-token scores are computed: "full", "bf16-screened" (exact), "model"
    # Figures measured on this machine to choose precision and head (precision=auto on CPU), or None.
    calibration: dict[str, Any] | None = None
    # "base" (continues text: completion-shaped prompts) or "instruct" (follows chat messages);
    # "" when the backend cannot tell, which the application treats as "instruct".
    kind: str = ""
    kind_reason: str = ""


@dataclass(frozen=True)
class FimFormat:
    """Fill-in-the-middle tokens found in the tokenizer, e.g. <|fim_prefix|>."""

    prefix: str
    suffix: str
    middle: str

    def build(self, before: str, after: str) -> str:
        return f"{self.prefix}{before}{self.suffix}{after}{self.middle}"


@runtime_checkable
class BaseLLM(Protocol):
    """A model backend: everything the rest of the server may use of one.

    ``stream`` yields text pieces as the model produces them; stop strings are applied by the backend.
    Chat ``messages`` are rendered by the backend, the one place that knows its model family.
    """

    name: str

    @property
    def info(self) -> BackendInfo: ...

    @property
    def last_stats(self) -> GenerationStats | None: ...

    @property
    def fim_format(self) -> FimFormat | None: ...

    def load(self, progress: ProgressCallback | None = None) -> None: ...

    def stream(
        self, request: GenerationRequest, cancel: CancelToken | None = None
    ) -> Iterator[str]: ...

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> str: ...

    def count_tokens(self, text: str) -> int: ...

    def forget(self, key: str) -> None:
        """Drop what is kept for ``key`` (a closed document's KV cache); nothing for stateless backends."""


@runtime_checkable
class WarmableLLM(Protocol):
    """A backend that can compute a prompt into a document's KV cache ahead of the request."""

    def warm(self, prompt: str, cache_key: str, priority: Priority = Priority.BACKGROUND,
             cancel: CancelToken | None = None) -> int: ...


class ProgressCallback(Protocol):
    def __call__(self, message: str, percent: int | None = None) -> None: ...
