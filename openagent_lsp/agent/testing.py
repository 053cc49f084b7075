"""A scripted ``BaseLLM`` for tests of the agent loop: canned outputs per turn, streamed in pieces.

Checks mechanics (parsing, guarding, streaming, cancellation), not model quality.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from openagent_lsp.llm.base import (
    BackendInfo,
    CancelToken,
    FimFormat,
    GenerationRequest,
    GenerationStats,
    ProgressCallback,
)


class ScriptedLLM:
    """Each call to ``stream``/``generate`` consumes the next scripted turn.

    A turn is a string, an exception instance (raised by the backend), or a callable taking the
    ``GenerationRequest`` and returning a string. ``piece_delay_s`` slows streaming so tests can
    cancel mid-generation; ``endless=True`` streams forever until cancelled.
    """

    name = "scripted"

    def __init__(
        self,
        turns: list[str | BaseException | Callable[[GenerationRequest], str]] | None = None,
        *,
        piece_size: int = 5,
        piece_delay_s: float = 0.0,
        endless: bool = False,
        honour_stop: bool = True,
        kind: str = "",
    ) -> None:
        self.turns = list(turns or [])
        self.piece_size = piece_size
        self.piece_delay_s = piece_delay_s
        self.endless = endless
        self.honour_stop = honour_stop
        self.requests: list[GenerationRequest] = []
        self.pieces_sent = 0
        self.stopped = threading.Event()
        # "base" makes the application use completion-shaped prompts, as with the embedded model.
        self.info = BackendInfo("scripted", kind=kind, kind_reason="scripted" if kind else "")
        self.last_stats: GenerationStats | None = None

    @property
    def fim_format(self) -> FimFormat | None:
        return None

    def load(self, progress: ProgressCallback | None = None) -> None:
        return None

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def forget(self, key: str) -> None:
        return None

    def _next_text(self, request: GenerationRequest) -> str:
        self.requests.append(request)
        if not self.turns:
            return "(script exhausted)"
        turn = self.turns.pop(0)
        if isinstance(turn, BaseException):
            raise turn
        text = turn(request) if callable(turn) else turn
        if self.honour_stop:
            for stop in request.stop:
                idx = text.find(stop)
                if idx >= 0:
                    text = text[:idx]  # like most backends: the stop string is not returned
        return text

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[str]:
        try:
            if self.endless:
                self.requests.append(request)
                while not (cancel is not None and cancel.cancelled):
                    self.pieces_sent += 1
                    yield "blah "
                    time.sleep(self.piece_delay_s or 0.01)
                return
            text = self._next_text(request)
            for i in range(0, len(text), self.piece_size):
                if cancel is not None and cancel.cancelled:
                    return
                if self.piece_delay_s:
                    time.sleep(self.piece_delay_s)
                self.pieces_sent += 1
                yield text[i : i + self.piece_size]
        finally:
            self.stopped.set()

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> str:
        return "".join(self.stream(request, cancel))

    def last_prompt_text(self) -> str:
        req: Any = self.requests[-1]
        return req.prompt if req.messages is None else "\n".join(m["content"] for m in req.messages)
