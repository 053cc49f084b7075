"""The contract every model backend fulfils.

Generation is synchronous and blocking on purpose: backends run in worker threads (the LSP event
loop never waits on a model), and a ``CancelToken`` lets any thread stop a generation between tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


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


@dataclass
class GenerationRequest:
    """One generation. ``prompt`` is plain text, or chat ``messages`` for chat-style backends."""

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
    """A model backend. ``stream`` yields text pieces as the model produces them."""

    name: str

    @property
    def fim_format(self) -> FimFormat | None: ...

    def load(self, progress: ProgressCallback | None = None) -> None: ...

    def stream(
        self, request: GenerationRequest, cancel: CancelToken | None = None
    ) -> Iterator[str]: ...

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> str: ...

    def count_tokens(self, text: str) -> int: ...

    def chat_prompt(self, messages: list[dict[str, str]]) -> str: ...


class ProgressCallback(Protocol):
    def __call__(self, message: str, percent: int | None = None) -> None: ...
