"""One model, many callers: a priority gate taken around every forward pass.

Completions go before chat (``Priority``): a chat answer that is streaming yields the model between two
tokens whenever a completion is waiting, so typing never waits for a long answer.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator

from openagent_lsp.llm.base import Priority


class PriorityGate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._waiting: list[tuple[int, int]] = []  # (priority, ticket)
        self._tickets = itertools.count()

    @contextlib.contextmanager
    def hold(self, priority: Priority) -> Iterator[None]:
        ticket = (int(priority), next(self._tickets))
        with self._cond:
            self._waiting.append(ticket)
            while self._busy or min(self._waiting) != ticket:
                self._cond.wait()
            self._waiting.remove(ticket)
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
