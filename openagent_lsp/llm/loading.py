"""Real percentages while a model loads.

A load has stages of known order (weights, a self-check, calibration on the first load on a machine);
each stage owns a span of the 0-100 range, and the long ones report their own progress inside it:
transformers' "Loading weights" loop through its tqdm hook, calibration per candidate. An editor that
showed 0 % for a whole load got only a begin and an end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from openagent_lsp.llm.base import ProgressCallback


class LoadProgress:
    """Maps a stage's own fraction (0..1) into its span and reports only when the percent changes."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._last = -1

    def report(self, message: str, percent: float) -> None:
        value = max(0, min(100, int(percent)))
        if self._callback is None or value < self._last or (value == self._last and value != 100):
            return
        self._last = value
        self._callback(message, value)

    def span(self, message: str, start: float, end: float) -> _Span:
        return _Span(self, message, start, end)

    @contextlib.contextmanager
    def transformers_bars(self, message: str, start: float, end: float) -> Iterator[None]:
        """Route transformers' progress bars (e.g. "Loading weights") into [start, end]."""
        try:
            from transformers.utils import logging as hf_logging
        except ImportError:
            yield
            return
        set_hook = getattr(hf_logging, "set_tqdm_hook", None)
        if set_hook is None or self._callback is None:
            yield
            return
        span = self.span(message, start, end)
        previous = set_hook(lambda _factory, args, kwargs: _Bar(span, *args, **kwargs))
        try:
            yield
        finally:
            set_hook(previous)


class _Span:
    def __init__(self, progress: LoadProgress, message: str, start: float, end: float) -> None:
        self.progress, self.message, self.start, self.end = progress, message, start, end

    def at(self, fraction: float, message: str | None = None) -> None:
        fraction = max(0.0, min(1.0, fraction))
        self.progress.report(message or self.message, self.start + (self.end - self.start) * fraction)


class _Bar:
    """Just enough of tqdm's interface for transformers' loading loops."""

    def __init__(self, span: _Span, iterable: Any = None, *args: Any, total: int | None = None,
                 **_kwargs: Any) -> None:
        self._span = span
        self._iterable = iterable
        if total is None and iterable is not None:
            with contextlib.suppress(TypeError):
                total = len(iterable)
        self.total = total or 0
        self.n = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self._iterable or ():
            yield item
            self.update(1)

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.total:
            self._span.at(self.n / self.total)

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        return None

    def set_description(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    def set_postfix(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    def refresh(self, *_args: Any, **_kwargs: Any) -> None:
        return None
